// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier 1 sampler: choose how to reach the kernel's per-CPU variables, load,
 * calibrate, and run one sample on demand.  See sampler.h and
 * bpf/sampler.bpf.h.
 */
#include "sampler.h"
#include "kimage.h"
#include "ksym.h"
#include "ladder.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "sampler.skel.h"
#include "sampler_ksym.skel.h"
#include "sampler_addr.skel.h"

#define NO_OFF (~0ULL)

/* libbpf's words while loading, kept to explain a refusal. */
static char logbuf[8192];
static size_t loglen;

static int cap_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	if (ipt_verbose && (level != LIBBPF_DEBUG || ipt_verbose > 1))
		vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_DEBUG && loglen < sizeof(logbuf) - 1) {
		n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap2);
		if (n > 0)
			loglen += (size_t)n < sizeof(logbuf) - loglen ? (size_t)n : sizeof(logbuf) - loglen - 1;
	}
	va_end(ap2);
	return 0;
}

/* The most telling line libbpf or the verifier printed. */
static void log_reason(char *out, size_t len)
{
	static const char *const keys[] = { "failed to find", "ldimm64", "failed to resolve", "invalid", "unknown",
					    "not supported", "Permission", NULL };
	char *line = NULL, *p, *save, *copy = xstrdup(logbuf);

	for (p = strtok_r(copy, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		for (int k = 0; keys[k]; k++)
			if (strstr(p, keys[k]) && !line)
				line = p;
	if (line) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!strncmp(line, "libbpf: ", 8))
			line += 8;
	}
	snprintf(out, len, "%s", line ? line : "see -v for libbpf's output");
	free(copy);
}

const char *sampler_rung_name(enum sampler_rung r)
{
	static const char *const n[] = { "none", "ksym", "btf", "addr" };

	return n[r];
}

const char *sample_entry_type(uint32_t flags)
{
	/* CSD_TYPE_* in include/linux/smp_types.h (5.8+). */
	switch (flags & 0x30) {
	case 0x00: return "csd_async";
	case 0x10: return "csd_sync";
	case 0x20: return "irq_work";
	default: return "ttwu";
	}
}

/* Offsets of per-CPU variables inside the .data..percpu DATASEC. */
struct offs {
	uint64_t csq, rq, irq_stat, cfd, csd, kstat, ipi_message;
	uint64_t pcpu_start;	/* see pcpu_start in bpf/sampler.bpf.h */
};

static int percpu_offsets(struct btf *btf, struct offs *o, char *err, size_t errlen)
{
	int n = btf__type_cnt(btf), sec = -1;

	o->csq = o->rq = o->irq_stat = o->cfd = o->csd = o->kstat = o->ipi_message = NO_OFF;
	o->pcpu_start = 0;
	for (int i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);

		if (btf_is_datasec(t) && !strcmp(btf__name_by_offset(btf, t->name_off), ".data..percpu")) {
			sec = i;
			break;
		}
	}
	if (sec < 0) {
		snprintf(err, errlen, "kernel BTF has no .data..percpu section (pahole too old?)");
		return -1;
	}
	const struct btf_type *t = btf__type_by_id(btf, sec);
	const struct btf_var_secinfo *v = btf_var_secinfos(t);

	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const char *name = btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);

		if (!strcmp(name, "call_single_queue")) o->csq = v->offset;
		else if (!strcmp(name, "runqueues")) o->rq = v->offset;
		else if (!strcmp(name, "irq_stat")) o->irq_stat = v->offset;
		else if (!strcmp(name, "cfd_data")) o->cfd = v->offset;
		else if (!strcmp(name, "csd_data")) o->csd = v->offset;
		else if (!strcmp(name, "kstat")) o->kstat = v->offset;
		else if (!strcmp(name, "ipi_message")) o->ipi_message = v->offset;
	}
	if (o->csq == NO_OFF || o->rq == NO_OFF) {
		snprintf(err, errlen, "kernel BTF lacks the per-CPU variable%s%s",
			 o->csq == NO_OFF ? " call_single_queue" : "", o->rq == NO_OFF ? " runqueues" : "");
		return -1;
	}
	return 0;
}

#define SET_RODATA(sk, o, n) do {					\
	(sk)->rodata->nr_cpus = (n);					\
	(sk)->rodata->off_csq = (o)->csq;				\
	(sk)->rodata->off_runqueues = (o)->rq;				\
	(sk)->rodata->off_irq_stat = (o)->irq_stat;			\
	(sk)->rodata->off_cfd_data = (o)->cfd;				\
	(sk)->rodata->off_csd_data = (o)->csd;				\
	(sk)->rodata->off_kstat = (o)->kstat;				\
	(sk)->rodata->off_ipi_message = (o)->ipi_message;		\
	(sk)->rodata->pcpu_start = (o)->pcpu_start;			\
} while (0)

static int test_run(int fd, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (cpu >= 0) {
		opts.flags = BPF_F_TEST_RUN_ON_CPU;
		opts.cpu = cpu;
	}
	return bpf_prog_test_run_opts(fd, &opts) ? -errno : 0;
}

static int try_ksym(struct sampler *s, const struct offs *o)
{
	struct sampler_ksym_bpf *sk = sampler_ksym_bpf__open();
	int err;

	if (!sk) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "cannot open: %s", strerror(errno));
		return -1;
	}
	SET_RODATA(sk, o, s->ncpus);
	loglen = 0;
	logbuf[0] = 0;
	err = sampler_ksym_bpf__load(sk);
	if (err) {
		char why[200];

		log_reason(why, sizeof(why));
		if (strstr(logbuf, "ldimm64") || strstr(logbuf, "kernel symbol"))
			snprintf(s->why_ksym, sizeof(s->why_ksym),
				 "the verifier cannot resolve call_single_queue as a typed __ksym "
				 "(/proc/kallsyms lacks data symbols without CONFIG_KALLSYMS_ALL): %s", why);
		else
			snprintf(s->why_ksym, sizeof(s->why_ksym), "refused: %s", why);
		sampler_ksym_bpf__destroy(sk);
		/* The kernel answers this refusal with EPERM too: only the
		 * BTF rung's load tells a missing privilege apart. */
		return -1;
	}
	if ((err = test_run(bpf_program__fd(sk->progs.calibrate), -1))) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		sampler_ksym_bpf__destroy(sk);
		return -1;
	}
	s->skel = sk;
	s->prog_fd = bpf_program__fd(sk->progs.sample);
	s->samples = sk->bss->samples;
	for (unsigned c = 0; c < s->ncpus; c++)
		s->calibrated += sk->bss->bases[c] != 0;
	s->rung = SR_KSYM;
	return 0;
}

static int try_btf(struct sampler *s, const struct offs *o)
{
	struct sampler_bpf *sk = sampler_bpf__open();
	unsigned bad = 0, offline = 0;
	int err;

	if (!sk) {
		snprintf(s->why_btf, sizeof(s->why_btf), "cannot open: %s", strerror(errno));
		return -1;
	}
	SET_RODATA(sk, o, s->ncpus);
	loglen = 0;
	logbuf[0] = 0;
	err = sampler_bpf__load(sk);
	if (err) {
		char why[200];

		log_reason(why, sizeof(why));
		snprintf(s->why_btf, sizeof(s->why_btf), "refused: %s", why);
		sampler_bpf__destroy(sk);
		/* EPERM: no privilege; a verifier refusal is EACCES. */
		return err == -EPERM ? 1 : -1;
	}
	/* Once per CPU: the base never changes after boot.  This one run per
	 * CPU is a cross-CPU call, so a CPU that is already unresponsive
	 * at start makes this wait (see docs/user-guide.md). */
	for (unsigned c = 0; c < s->ncpus; c++) {
		err = test_run(bpf_program__fd(sk->progs.calibrate), c);
		if (err == -ENXIO) {		/* offline CPU */
			offline++;
			continue;
		}
		if (err || sk->bss->samples[c].rq_cpu != c) {
			/* The task's cfs_rq was not this CPU's: distrust. */
			sk->bss->bases[c] = 0;
			bad++;
			continue;
		}
		s->calibrated++;
	}
	if (!s->calibrated) {
		snprintf(s->why_btf, sizeof(s->why_btf),
			 "no CPU gave a per-CPU base from its runqueue (%u mismatched, %u offline)", bad,
			 offline);
		sampler_bpf__destroy(sk);
		return -1;
	}
	if (bad)
		snprintf(s->why_btf, sizeof(s->why_btf), "%u CPU(s) gave no consistent per-CPU base and are not watched",
			 bad);
	s->skel = sk;
	s->prog_fd = bpf_program__fd(sk->progs.sample);
	s->samples = sk->bss->samples;
	s->rung = SR_BTF;
	return 0;
}

/*
 * The addr rung: kernels with neither BTF nor data symbols in kallsyms
 * (Debian 12 ppc64le 6.1).  Link addresses from kallsyms or the kernel
 * image's symbol table (user/kimage.c), bases from __per_cpu_offset[] read
 * by the calibration run; CO-RE against the kernel's BTF where it has one,
 * else against the minimal BTF the cross build embeds.
 */
static int try_addr(struct sampler *s, const struct ksyms *ks, int kernel_btf)
{
	static const char *const names[] = { "call_single_queue", "__per_cpu_offset", "cfd_data",
					     "csd_data", "irq_stat", "kstat", "ipi_message" };
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct sampler_addr_bpf *sk;
	struct utsname u;
	struct offs o;
	uint64_t a[7];
	int err;

	uname(&u);
	if (kimage_data_syms(ks, u.release, names, a, 7, 2, s->sym_src, sizeof(s->sym_src))) {
		snprintf(s->why_addr, sizeof(s->why_addr), "%s", s->sym_src);
		s->sym_src[0] = 0;
		return -1;
	}
	if (!kernel_btf && !(oo.btf_custom_path = ipt_min_btf_path())) {
		snprintf(s->why_addr, sizeof(s->why_addr), "no kernel BTF, and this build embeds no "
			 "minimal BTF for the field offsets (only the ppc64le cross build does)");
		return -1;
	}
	s->min_btf = !kernel_btf;
	sk = sampler_addr_bpf__open_opts(&oo);
	if (!sk) {
		snprintf(s->why_addr, sizeof(s->why_addr), "cannot open: %s", strerror(errno));
		return -1;
	}
	o.csq = a[0];
	o.rq = 0;		/* not read on this rung */
	o.cfd = a[2] ? a[2] : NO_OFF;
	o.csd = a[3] ? a[3] : NO_OFF;
	o.irq_stat = a[4] ? a[4] : NO_OFF;
	o.kstat = a[5] ? a[5] : NO_OFF;
	o.ipi_message = a[6] ? a[6] : NO_OFF;
	o.pcpu_start = 0;	/* link addresses: the base is __per_cpu_offset[cpu] */
	SET_RODATA(sk, &o, s->ncpus);
	sk->rodata->addr_per_cpu_offset = a[1];
	loglen = 0;
	logbuf[0] = 0;
	err = sampler_addr_bpf__load(sk);
	if (err) {
		char why[200];

		log_reason(why, sizeof(why));
		snprintf(s->why_addr, sizeof(s->why_addr), "refused: %s", why);
		sampler_addr_bpf__destroy(sk);
		return err == -EPERM ? 1 : -1;
	}
	if ((err = test_run(bpf_program__fd(sk->progs.calibrate), -1))) {
		snprintf(s->why_addr, sizeof(s->why_addr), "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		sampler_addr_bpf__destroy(sk);
		return -1;
	}
	for (unsigned c = 0; c < s->ncpus; c++)
		s->calibrated += sk->bss->bases[c] != 0;
	if (!s->calibrated) {
		snprintf(s->why_addr, sizeof(s->why_addr), "__per_cpu_offset[] (from %s) read as zeros",
			 s->sym_src);
		sampler_addr_bpf__destroy(sk);
		return -1;
	}
	s->have_irq_stat = o.irq_stat != NO_OFF;
	s->have_cfd_data = o.cfd != NO_OFF;
	s->have_kstat = o.kstat != NO_OFF;
	s->have_ipi_message = o.ipi_message != NO_OFF;
	s->have_switches = 0;
	s->skel = sk;
	s->prog_fd = bpf_program__fd(sk->progs.sample);
	s->samples = sk->bss->samples;
	s->rung = SR_ADDR;
	return 0;
}

int sampler_open(struct sampler *s, char *err, size_t errlen)
{
	libbpf_print_fn_t old = libbpf_set_print(cap_print);
	struct btf *btf;
	struct ksyms ks = { 0 };
	int ks_ok;
	struct offs o;
	int ret = EXIT_BPF, r, eperm = 0;

	memset(s, 0, sizeof(*s));
	s->ncpus = possible_cpus();
	if (s->ncpus > IPT_SAMPLE_MAX_CPUS)
		s->ncpus = IPT_SAMPLE_MAX_CPUS;
	ks_ok = !ksyms_load_kallsyms(&ks, NULL);
	btf = btf__load_vmlinux_btf();
	/* For tests: the addr rung on a kernel where a better one works. */
	if (env_is("IPITRACE_TIER1_RUNG", "addr")) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "skipped (IPITRACE_TIER1_RUNG=addr)");
		snprintf(s->why_btf, sizeof(s->why_btf), "skipped (IPITRACE_TIER1_RUNG=addr)");
	} else if (!btf) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "no kernel BTF (/sys/kernel/btf/vmlinux)");
		snprintf(s->why_btf, sizeof(s->why_btf), "no kernel BTF (/sys/kernel/btf/vmlinux)");
	} else if (percpu_offsets(btf, &o, err, errlen)) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "%s", err);
		snprintf(s->why_btf, sizeof(s->why_btf), "%s", err);
	} else {
		uint64_t csq;

		/* DATASEC offsets count from the per-CPU section's start,
		 * which is 0 on x86-64 but __per_cpu_start on powerpc. */
		if (ks_ok && !ksyms_data(&ks, "call_single_queue", &csq) && csq >= o.csq)
			o.pcpu_start = csq - o.csq;
		s->have_irq_stat = o.irq_stat != NO_OFF;
		s->have_cfd_data = o.cfd != NO_OFF;
		s->have_kstat = o.kstat != NO_OFF;
		s->have_ipi_message = o.ipi_message != NO_OFF;
		s->have_switches = 1;
		if (!try_ksym(s, &o)) {
			ret = 0;
			goto out;
		}
		r = try_btf(s, &o);
		if (!r) {
			ret = 0;
			goto out;
		}
		eperm = r == 1;
	}
	r = try_addr(s, ks_ok ? &ks : NULL, btf != NULL);
	if (!r) {
		ret = 0;
		goto out;
	}
	if (r == 1 || eperm) {
		snprintf(err, errlen, "permission denied loading BPF programs: run as root, "
			 "or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8)");
		goto out;
	}
	s->have_irq_stat = s->have_cfd_data = s->have_kstat = s->have_ipi_message = s->have_switches = 0;
	snprintf(err, errlen, "no tier 1 rung works here: ksym: %s; btf: %s; addr: %s", s->why_ksym,
		 s->why_btf, s->why_addr);
out:
	btf__free(btf);
	ksyms_free(&ks);
	libbpf_set_print(old);
	return ret;
}

int sampler_run(struct sampler *s)
{
	uint64_t t0 = mono_ns();
	int err = test_run(s->prog_fd, -1);

	s->run_ns += mono_ns() - t0;
	s->runs++;
	return err;
}

void sampler_close(struct sampler *s)
{
	if (s->rung == SR_KSYM)
		sampler_ksym_bpf__destroy(s->skel);
	else if (s->rung == SR_BTF)
		sampler_bpf__destroy(s->skel);
	else if (s->rung == SR_ADDR)
		sampler_addr_bpf__destroy(s->skel);
	s->skel = NULL;
	s->rung = SR_NONE;
}

void sampler_print(const struct sampler *s, FILE *f)
{
	const char *why;

	fprintf(f, "\nwatch tier 1 (sampled per-CPU state, no per-IPI hook):\n");
	fprintf(f, "  %-5s %-5s %s\n", "rung", "used", "why");
	fprintf(f, "  %-5s %-5s %s\n", "ksym", s->rung == SR_KSYM ? "yes" : "no",
		s->rung == SR_KSYM ? "typed __ksym call_single_queue + bpf_per_cpu_ptr()" : s->why_ksym);
	fprintf(f, "  %-5s %-5s %s\n", "btf", s->rung == SR_BTF ? "yes" : "no",
		s->rung == SR_BTF ? "per-CPU bases from each CPU's runqueue, offsets from BTF .data..percpu"
		: s->rung == SR_KSYM ? "not needed (ksym works)" : s->why_btf);
	if (s->rung == SR_BTF && s->why_btf[0])
		fprintf(f, "        note: %s\n", s->why_btf);
	why = s->rung == SR_ADDR ? "link addresses + __per_cpu_offset[], field offsets from "
		: s->rung != SR_NONE ? "not needed" : s->why_addr;
	if (s->rung == SR_ADDR)
		fprintf(f, "  %-5s %-5s %s%s; addresses from %s\n", "addr", "yes", why,
			s->min_btf ? "the embedded minimal BTF" : "kernel BTF",
			s->sym_src);
	else
		fprintf(f, "  %-5s %-5s %s\n", "addr", "no", why);
	if (s->rung != SR_NONE) {
		fprintf(f, "  CPUs watched: %u of %u; progress: %s%s%s; waiter from %s\n",
			s->calibrated, s->ncpus, s->have_switches ? "context switches" : "no context switches "
			"(struct rq unknown without kernel BTF)", s->have_kstat ? ", interrupts (kstat)" : "",
			s->have_irq_stat ? ", irq_stat counters" : "",
			s->have_cfd_data ? "cfd_data/csd_data" : "nothing (no cfd_data)");
		if (s->have_ipi_message)
			fprintf(f, "  powerpc muxed IPIs: every CPU's ipi_message word sampled (a message "
				"set past the threshold with no interrupt taken: never_demuxed)\n");
	} else {
		fprintf(f, "  no rung: watch would need --detail (tier 2)\n");
	}
}

void sampler_json(const struct sampler *s, struct json *j)
{
	json_key(j, "watch_tier1");
	json_obj_begin(j);
	json_kstr(j, "rung", sampler_rung_name(s->rung));
	json_kstr(j, "why_not_ksym", s->rung == SR_KSYM ? "" : s->why_ksym);
	json_kstr(j, "why_not_btf", s->rung == SR_BTF ? "" : s->why_btf);
	json_kstr(j, "why_not_addr", s->rung == SR_ADDR ? "" : s->rung != SR_NONE ? "not needed" : s->why_addr);
	json_kstr(j, "addresses_from", s->sym_src);
	json_ku64(j, "cpus_watched", s->calibrated);
	json_ku64(j, "cpus", s->ncpus);
	json_kbool(j, "irq_stat", s->have_irq_stat);
	json_kbool(j, "cfd_data", s->have_cfd_data);
	json_kbool(j, "kstat", s->have_kstat);
	json_kbool(j, "context_switches", s->have_switches);
	json_kbool(j, "ipi_message", s->have_ipi_message);
	json_obj_end(j);
}
