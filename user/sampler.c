// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier 1 sampler: choose how to reach the kernel's per-CPU variables, load,
 * calibrate, and run one sample on demand.  See sampler.h and
 * bpf/sampler.bpf.h.
 */
#include "sampler.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sampler.skel.h"
#include "sampler_ksym.skel.h"

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
	static const char *const n[] = { "none", "ksym", "btf" };

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
	uint64_t csq, rq, irq_stat, cfd, csd;
};

static int percpu_offsets(struct btf *btf, struct offs *o, char *err, size_t errlen)
{
	int n = btf__type_cnt(btf), sec = -1;

	o->csq = o->rq = o->irq_stat = o->cfd = o->csd = NO_OFF;
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

int sampler_open(struct sampler *s, char *err, size_t errlen)
{
	libbpf_print_fn_t old = libbpf_set_print(cap_print);
	struct btf *btf;
	struct offs o;
	int ret = EXIT_BPF, r;

	memset(s, 0, sizeof(*s));
	s->ncpus = possible_cpus();
	if (s->ncpus > IPT_SAMPLE_MAX_CPUS)
		s->ncpus = IPT_SAMPLE_MAX_CPUS;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "no kernel BTF (/sys/kernel/btf/vmlinux)");
		snprintf(s->why_btf, sizeof(s->why_btf), "no kernel BTF (/sys/kernel/btf/vmlinux)");
		snprintf(err, errlen, "tier 1 needs kernel BTF, which this kernel lacks");
		goto out;
	}
	if (percpu_offsets(btf, &o, err, errlen)) {
		snprintf(s->why_ksym, sizeof(s->why_ksym), "%s", err);
		snprintf(s->why_btf, sizeof(s->why_btf), "%s", err);
		goto out;
	}
	s->have_irq_stat = o.irq_stat != NO_OFF;
	s->have_cfd_data = o.cfd != NO_OFF;
	r = try_ksym(s, &o);
	if (!r) {
		ret = 0;
		goto out;
	}
	r = try_btf(s, &o);
	if (r == 1)
		goto eperm;
	if (!r) {
		ret = 0;
		goto out;
	}
	snprintf(err, errlen, "no tier 1 rung works here: ksym: %s; btf: %s", s->why_ksym, s->why_btf);
	goto out;
eperm:
	snprintf(err, errlen, "permission denied loading BPF programs: run as root, "
		 "or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8)");
out:
	btf__free(btf);
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
	s->skel = NULL;
	s->rung = SR_NONE;
}

void sampler_print(const struct sampler *s, FILE *f)
{
	fprintf(f, "\nwatch tier 1 (sampled per-CPU state, no per-IPI hook):\n");
	fprintf(f, "  %-5s %-5s %s\n", "rung", "used", "why");
	fprintf(f, "  %-5s %-5s %s\n", "ksym", s->rung == SR_KSYM ? "yes" : "no",
		s->rung == SR_KSYM ? "typed __ksym call_single_queue + bpf_per_cpu_ptr()" : s->why_ksym);
	fprintf(f, "  %-5s %-5s %s\n", "btf", s->rung == SR_BTF ? "yes" : "no",
		s->rung == SR_BTF ? "per-CPU bases from each CPU's runqueue, offsets from BTF .data..percpu"
		: s->rung == SR_KSYM ? "not needed (ksym works)" : s->why_btf);
	if (s->rung == SR_BTF && s->why_btf[0])
		fprintf(f, "        note: %s\n", s->why_btf);
	if (s->rung != SR_NONE)
		fprintf(f, "  CPUs watched: %u of %u; progress: context switches%s; waiter from %s\n",
			s->calibrated, s->ncpus, s->have_irq_stat ? ", call-function IPIs, timer interrupts" : "",
			s->have_cfd_data ? "cfd_data/csd_data" : "nothing (no cfd_data in BTF)");
	else
		fprintf(f, "  no rung: watch would need --detail (tier 2)\n");
}

void sampler_json(const struct sampler *s, struct json *j)
{
	json_key(j, "watch_tier1");
	json_obj_begin(j);
	json_kstr(j, "rung", sampler_rung_name(s->rung));
	json_kstr(j, "why_not_ksym", s->rung == SR_KSYM ? "" : s->why_ksym);
	json_kstr(j, "why_not_btf", s->rung == SR_BTF ? "" : s->why_btf);
	json_ku64(j, "cpus_watched", s->calibrated);
	json_ku64(j, "cpus", s->ncpus);
	json_kbool(j, "irq_stat", s->have_irq_stat);
	json_kbool(j, "cfd_data", s->have_cfd_data);
	json_obj_end(j);
}
