// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The hook ladder.  Rungs per event kind, best first:
 *
 *   SEND       tp_btf ipi:ipi_send_cpu{,mask} > raw_tp > (fentry/kprobe on the
 *              arch send functions: later rungs, see docs/hooks.md)
 *   RECEIVE    tp_btf arch tracepoints (x86 irq_vectors:*) > raw_tp
 *   CSD_QUEUE  tp_btf csd:csd_queue_cpu > raw_tp
 *   CSD_FUNC   tp_btf csd:csd_function_{entry,exit} > raw_tp
 *   CSD_WAIT   fentry/fexit smp_call_function_{single,many_cond} > kprobes
 *   IDLE_WAKE  tp_btf sched:sched_wake_idle_without_ipi > raw_tp
 *
 * Nothing is assumed from the kernel version: every flavour is trial-loaded
 * and the verifier's own words are kept as the reason when one is refused.
 */
#include "ladder.h"
#include "ksym.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "feature.skel.h"
#include "tracepoints.skel.h"

static const struct tp_def tps[] = {
	/* receive side first: attach order */
	{ "irq_vectors", "call_function_entry", EVK_RECEIVE, IPT_MSG_CALL_FUNCTION, 0, 0, 0 },
	{ "irq_vectors", "call_function_exit", EVK_RECEIVE, -1, 0, 0, 0 },
	{ "irq_vectors", "call_function_single_entry", EVK_RECEIVE, IPT_MSG_CALL_FUNCTION, 0, 0, 0 },
	{ "irq_vectors", "call_function_single_exit", EVK_RECEIVE, -1, 0, 0, 0 },
	{ "irq_vectors", "reschedule_entry", EVK_RECEIVE, IPT_MSG_RESCHEDULE, 0, 0, 0 },
	{ "irq_vectors", "reschedule_exit", EVK_RECEIVE, -1, 0, 0, 0 },
	{ "irq_vectors", "irq_work_entry", EVK_RECEIVE, IPT_MSG_IRQ_WORK, 0, 0, 0 },
	{ "irq_vectors", "irq_work_exit", EVK_RECEIVE, -1, 0, 0, 0 },
	{ "csd", "csd_function_entry", EVK_CSD_FUNC, -1, 0, 0, 0 },
	{ "csd", "csd_function_exit", EVK_CSD_FUNC, -1, 0, 0, 0 },
	/* send side */
	{ "ipi", "ipi_send_cpu", EVK_SEND, -1, 1, 0, 0 },
	{ "ipi", "ipi_send_cpumask", EVK_SEND, -1, 1, 0, 0 },
	/* Kernels without ipi:*: the x86 send functions (fentry, then kprobe). */
	{ "func", "native_send_call_func_single_ipi", EVK_SEND, -1, 1, 1, 0 },
	{ "func", "native_send_call_func_ipi", EVK_SEND, -1, 1, 1, 0 },
	{ "func", "native_smp_send_reschedule", EVK_SEND, -1, 1, 1, 0 },
	/* CSD_WAIT: csd_lock_wait() is always inlined; time its callers. */
	{ "func", "smp_call_function_single", EVK_CSD_WAIT, -1, 1, 1, 0 },
	{ "func", "smp_call_function_single", EVK_CSD_WAIT, -1, 1, 1, 1 },
	{ "func", "smp_call_function_many", EVK_CSD_WAIT, -1, 1, 1, 0 },
	{ "func", "smp_call_function_many", EVK_CSD_WAIT, -1, 1, 1, 1 },
	{ "csd", "csd_queue_cpu", EVK_CSD_QUEUE, -1, 1, 0, 0 },
	{ "sched", "sched_wake_idle_without_ipi", EVK_IDLE_WAKE, -1, 1, 0, 0 },
};
#define NTP (sizeof(tps) / sizeof(tps[0]))

static const char *const evk_names[EVK__MAX] = {
	"SEND", "RECEIVE", "DEMUX", "CSD_QUEUE", "CSD_FUNC", "CSD_WAIT", "IDLE_WAKE",
};

const char *evk_name(enum evk k) { return evk_names[k]; }

const char *flavour_name(enum flavour f)
{
	static const char *const n[] = { "none", "tp_btf", "raw_tp", "fentry", "kprobe" };

	return n[f];
}

static const char *prog_prefix(enum flavour f, int exit)
{
	static const char *const n[] = { "", "btf", "raw", "fentry", "kprobe" };

	if (exit)
		return f == FL_FENTRY ? "fexit" : "kretprobe";
	return n[f];
}

/* ---- libbpf output: shown with -v, otherwise kept to explain refusals */

static char capbuf[16384];
static size_t caplen;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	if (ipt_verbose && (level != LIBBPF_DEBUG || ipt_verbose > 1))
		vfprintf(stderr, fmt, ap);
	if (caplen < sizeof(capbuf) - 1) {
		n = vsnprintf(capbuf + caplen, sizeof(capbuf) - caplen, fmt, ap2);
		if (n > 0)
			caplen += (size_t)n < sizeof(capbuf) - caplen ? (size_t)n : sizeof(capbuf) - caplen - 1;
	}
	va_end(ap2);
	return 0;
}

static void cap_reset(void)
{
	caplen = 0;
	capbuf[0] = '\0';
}

/* The verifier's reason: the last two meaningful lines of the log. */
static void cap_reason(char *out, size_t len)
{
	const char *skip[] = { "processed ", "verification time", "stack depth", "-- END",
			       "libbpf:", "Live regs", "mark_precise", "(35) ", NULL };
	char *lines[2] = { NULL, NULL }, *p, *save;
	char *copy = xstrdup(capbuf);

	for (p = strtok_r(copy, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		int bad = !*p || (*p >= '0' && *p <= '9') || *p == ';' || *p == ' ';

		for (int i = 0; skip[i] && !bad; i++)
			if (strstr(p, skip[i]))
				bad = 1;
		if (bad)
			continue;
		lines[0] = lines[1];
		lines[1] = p;
	}
	if (lines[0] && lines[1])
		snprintf(out, len, "%s; %s", lines[0], lines[1]);
	else if (lines[1])
		snprintf(out, len, "%s", lines[1]);
	else
		snprintf(out, len, "load failed");
	free(copy);
}

/* The program libbpf names in "prog 'X': failed to load". */
static int cap_failed_prog(char *name, size_t len)
{
	const char *p = strstr(capbuf, "prog '");

	for (; p; p = strstr(p + 1, "prog '")) {
		const char *q = strchr(p + 6, '\'');

		if (q && !strncmp(q, "': failed to load", 17)) {
			snprintf(name, len, "%.*s", (int)(q - p - 6), p + 6);
			return 0;
		}
	}
	return -1;
}

static unsigned row_index(const char *name)
{
	for (unsigned i = 0; i < NTP; i++)
		if (!strcmp(tps[i].name, name))
			return i;
	abort();
}

/* ---- kernel facts */

static int btf_has_tracepoint(const struct btf *btf, const char *name)
{
	char tn[128];

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) > 0;
}

static int tracefs_has_tracepoint(const struct tp_def *t)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", t->cat, t->name);
	if (!stat(path, &st))
		return 1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", t->cat, t->name);
	return !stat(path, &st);
}

static void probe_kprobes(struct plan *p)
{
	struct stat st;

	if (!stat("/sys/bus/event_source/devices/kprobe/type", &st))
		p->kprobes[0] = '\0';
	else
		snprintf(p->kprobes, sizeof(p->kprobes),
			 "not configured (no kprobe PMU in /sys/bus/event_source/devices: "
			 "CONFIG_KPROBES is off)");
}

static void probe_fentry(struct plan *p)
{
	struct feature_bpf *f;
	int err;

	if (!p->kernel_btf) {
		snprintf(p->fentry, sizeof(p->fentry), "needs kernel BTF, which this kernel lacks");
		return;
	}
	cap_reset();
	f = feature_bpf__open_and_load();
	if (!f) {
		err = -errno;
		if (err == -EPERM)
			snprintf(p->fentry, sizeof(p->fentry),
				 "refused: loading fentry/smp_call_function_single failed with EPERM "
				 "(the kernel will not attach BPF trampolines here)");
		else {
			char why[200];

			cap_reason(why, sizeof(why));
			snprintf(p->fentry, sizeof(p->fentry), "refused: %s (%s)", why, strerror(-err));
		}
		return;
	}
	err = feature_bpf__attach(f);
	if (err)
		snprintf(p->fentry, sizeof(p->fentry), "refused at attach: %s", strerror(-err));
	else
		p->fentry[0] = '\0';
	feature_bpf__destroy(f);
}

/* ---- building the plan */

static struct bpf_program *prog_of(struct tracepoints_bpf *s, const struct tp_def *t,
				   enum flavour fl)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_%s", prog_prefix(fl, t->exit), t->name);
	return bpf_object__find_program_by_name(s->obj, name);
}

/* The flavours a row can have, best first. */
static const enum flavour tp_flavours[] = { FL_TP_BTF, FL_RAW_TP };
static const enum flavour fn_flavours[] = { FL_FENTRY, FL_KPROBE };

static int open_configured(struct plan *p, const struct plan_opts *o, char *err, size_t errlen)
{
	struct tracepoints_bpf *s;

	s = tracepoints_bpf__open();
	if (!s) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return EXIT_BPF;
	}
	for (unsigned i = 0; i < p->nrows; i++) {
		const enum flavour *fl = p->rows[i].tp->func ? fn_flavours : tp_flavours;

		for (int f = 0; f < 2; f++)
			bpf_program__set_autoload(prog_of(s, p->rows[i].tp, fl[f]),
						  p->rows[i].fl == fl[f]);
	}
	s->rodata->addr_call_func_ipi = p->addr_call_func_ipi;
	s->rodata->nr_cpu_ids = p->ncpus;
	if (o->cpu_filter) {
		s->rodata->filter_on = 1;
		for (unsigned w = 0; w < 16; w++)
			s->rodata->cpu_filter[w] = o->cpu_filter[w];
	}
	if (bpf_map__set_max_entries(s->maps.events, o->ring_bytes)) {
		snprintf(err, errlen, "ring size %llu bytes refused (must be a power of two "
			 "multiple of the page size)", (unsigned long long)o->ring_bytes);
		tracepoints_bpf__destroy(s);
		return EXIT_USAGE;
	}
	p->skel = s;
	return 0;
}

static void finish_kinds(struct plan *p)
{
	int entry = 0, exit_ = 0;

	memset(p->have_receive, 0, sizeof(p->have_receive));
	for (unsigned i = 0; i < p->nrows; i++) {
		const struct hook_row *r = &p->rows[i];

		if (r->fl == FL_NONE)
			continue;
		if (r->tp->recv_kind >= 0)
			p->have_receive[r->tp->recv_kind] = 1;
		if (!strcmp(r->tp->name, "csd_function_entry"))
			entry = 1;
		if (!strcmp(r->tp->name, "csd_function_exit"))
			exit_ = 1;
	}
	/* Both vectors flush the same queue, but a send can target either:
	 * call-function sends are verifiable only with both hooked. */
	if (p->have_receive[IPT_MSG_CALL_FUNCTION]) {
		int n = 0;

		for (unsigned i = 0; i < p->nrows; i++)
			if (p->rows[i].fl != FL_NONE && p->rows[i].tp->recv_kind == IPT_MSG_CALL_FUNCTION)
				n++;
		p->have_receive[IPT_MSG_CALL_FUNCTION] = n == 2;
	}
	p->have_csd_entry = entry && exit_;
}

int plan_build(struct plan *p, const struct plan_opts *o, char *err, size_t errlen)
{
	struct btf *vmlinux;
	struct utsname u;
	int ret;

	memset(p, 0, sizeof(*p));
	libbpf_set_print(print_fn);
	uname(&u);
	snprintf(p->release, sizeof(p->release), "%s", u.release);
	snprintf(p->machine, sizeof(p->machine), "%s", u.machine);
	p->ncpus = possible_cpus();

	p->ksyms_ok = !ksyms_load_kallsyms(&p->ksyms, NULL);
	if (p->ksyms_ok) {
		const struct ksym *s = ksyms_by_name(&p->ksyms,
						     "generic_smp_call_function_single_interrupt");

		if (s && !p->ksyms.restricted)
			p->addr_call_func_ipi = s->addr;
	}

	vmlinux = btf__load_vmlinux_btf();
	p->kernel_btf = vmlinux != NULL;
	probe_kprobes(p);
	probe_fentry(p);

	p->nrows = NTP;
	p->rows = xcalloc(NTP, sizeof(*p->rows));
	for (unsigned i = 0; i < NTP; i++) {
		struct hook_row *r = &p->rows[i];

		r->tp = &tps[i];
		if (r->tp->func) {
			/* Decided below, once the tracepoint rows are known. */
			r->exists = vmlinux ? btf__find_by_name_kind(vmlinux, r->tp->name,
								     BTF_KIND_FUNC) > 0
					    : !!ksyms_by_name(&p->ksyms, r->tp->name);
			continue;
		}
		r->exists = vmlinux ? btf_has_tracepoint(vmlinux, r->tp->name)
				    : tracefs_has_tracepoint(r->tp);
		if (!r->exists) {
			snprintf(r->why, sizeof(r->why), "tracepoint %s:%s is not in this kernel",
				 r->tp->cat, r->tp->name);
			r->fl = FL_NONE;
		} else if (vmlinux) {
			r->fl = FL_TP_BTF;
		} else {
			snprintf(r->why, sizeof(r->why), "tp_btf needs kernel BTF, which this kernel lacks");
			r->fl = FL_RAW_TP;
		}
	}
	/* Linux 6.4 had ipi:ipi_send_* but fired them for every queued call, not
	 * per IPI; 6.5 (with csd:*) made them per IPI.  Without csd:* they would
	 * double-count, so they are not a SEND rung there. */
	if (!p->rows[row_index("csd_queue_cpu")].exists) {
		for (unsigned i = 0; i < NTP; i++) {
			if (p->rows[i].tp->evk == EVK_SEND && p->rows[i].exists) {
				p->rows[i].fl = FL_NONE;
				snprintf(p->rows[i].why, sizeof(p->rows[i].why),
					 "present without csd:* (Linux 6.4): fires for every queued "
					 "call rather than per IPI, so it cannot count sends");
			}
		}
	}
	/* Function rungs stand in for the send tracepoints only where those
	 * are missing: both at once would count every send twice. */
	{
		int send_tp = 0;

		for (unsigned i = 0; i < NTP; i++)
			if (!tps[i].func && tps[i].evk == EVK_SEND && p->rows[i].fl != FL_NONE)
				send_tp = 1;
		for (unsigned i = 0; i < NTP; i++) {
			struct hook_row *r = &p->rows[i];

			if (!r->tp->func)
				continue;
			if (send_tp && r->tp->evk == EVK_SEND) {
				snprintf(r->why, sizeof(r->why), "not needed: the ipi:* tracepoints "
					 "see every send here");
				r->fl = FL_NONE;
				r->redundant = 1;
			} else if (!r->exists) {
				snprintf(r->why, sizeof(r->why), "function %s is not in this kernel",
					 r->tp->name);
				r->fl = FL_NONE;
			} else if (!o->no_fentry && !p->fentry[0]) {
				r->fl = FL_FENTRY;
			} else if (!p->kprobes[0]) {
				snprintf(r->why, sizeof(r->why), "fentry %s",
					 o->no_fentry ? "disabled by --no-fentry" : p->fentry);
				r->fl = FL_KPROBE;
			} else {
				snprintf(r->why, sizeof(r->why), "fentry %s; kprobes %s",
					 o->no_fentry ? "disabled by --no-fentry" : p->fentry,
					 p->kprobes);
				r->fl = FL_NONE;
				r->redundant = 1;
			}
		}
	}
	btf__free(vmlinux);

	/* Load; when a flavour is refused, step down a rung and load again. */
	for (unsigned attempt = 0; attempt <= 2 * NTP; attempt++) {
		char failed[96];

		ret = open_configured(p, o, err, errlen);
		if (ret)
			return ret;
		cap_reset();
		if (!tracepoints_bpf__load(p->skel)) {
			finish_kinds(p);
			if (!plan_usable(p)) {
				const struct hook_row *r = NULL;

				for (unsigned i = 0; i < p->nrows && !r; i++)
					if (p->rows[i].exists)
						r = &p->rows[i];
				snprintf(err, errlen, "no event can be hooked on this kernel%s%s%s%s%s; "
					 "see `ipitrace probe` for every rung", r ? " (" : "",
					 r ? r->tp->name : "", r ? ": " : "", r ? r->why : "",
					 r ? ")" : "");
				return EXIT_BPF;
			}
			return 0;
		}
		ret = -errno;
		tracepoints_bpf__destroy(p->skel);
		p->skel = NULL;
		if (ret == -EPERM) {
			snprintf(err, errlen, "permission denied loading BPF programs: run as root, "
				 "or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8)");
			return EXIT_BPF;
		}
		if (cap_failed_prog(failed, sizeof(failed))) {
			char why[256];

			cap_reason(why, sizeof(why));
			snprintf(err, errlen, "loading BPF failed: %s (%s)", why, strerror(-ret));
			return EXIT_BPF;
		}
		for (unsigned i = 0; i < p->nrows; i++) {
			struct hook_row *r = &p->rows[i];
			char why[256], mine[96];
			size_t l = strlen(r->why);

			if (r->fl == FL_NONE)
				continue;
			snprintf(mine, sizeof(mine), "%s_%s", prog_prefix(r->fl, r->tp->exit),
				 r->tp->name);
			if (strcmp(failed, mine))
				continue;
			cap_reason(why, sizeof(why));
			snprintf(r->why + l, sizeof(r->why) - l, "%s%s refused: %s", l ? "; " : "",
				 flavour_name(r->fl), why);
			/* One rung down: tp_btf > raw_tp, fentry > kprobe. */
			if (r->fl == FL_TP_BTF)
				r->fl = FL_RAW_TP;
			else if (r->fl == FL_FENTRY && !p->kprobes[0])
				r->fl = FL_KPROBE;
			else
				r->fl = FL_NONE;
		}
	}
	snprintf(err, errlen, "could not settle on a set of hooks that loads");
	return EXIT_BPF;
}

unsigned plan_usable(const struct plan *p)
{
	int have[EVK__MAX] = {0};
	unsigned n = 0;

	for (unsigned i = 0; i < p->nrows; i++)
		if (p->rows[i].fl != FL_NONE)
			have[p->rows[i].tp->evk] = 1;
	for (int k = 0; k < EVK__MAX; k++)
		n += have[k];
	return n;
}

int plan_attach(struct plan *p, char *err, size_t errlen)
{
	p->links = xcalloc(p->nrows, sizeof(*p->links));
	for (unsigned i = 0; i < p->nrows; i++) {
		struct hook_row *r = &p->rows[i];
		struct bpf_link *l;

		if (r->fl == FL_NONE)
			continue;
		l = bpf_program__attach(prog_of(p->skel, r->tp, r->fl));
		if (!l) {
			snprintf(err, errlen, "attaching %s %s:%s failed: %s", flavour_name(r->fl),
				 r->tp->cat, r->tp->name, strerror(errno));
			plan_detach(p);
			return EXIT_BPF;
		}
		p->links[p->nlinks++] = l;
	}
	return 0;
}

void plan_detach(struct plan *p)
{
	/* Links were made receive side first: undo in reverse. */
	while (p->nlinks)
		bpf_link__destroy(p->links[--p->nlinks]);
	free(p->links);
	p->links = NULL;
}

void plan_destroy(struct plan *p)
{
	if (p->links)
		plan_detach(p);
	tracepoints_bpf__destroy(p->skel);
	ksyms_free(&p->ksyms);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

int plan_ring_fd(const struct plan *p) { return bpf_map__fd(p->skel->maps.events); }
int plan_stats_fd(const struct plan *p) { return bpf_map__fd(p->skel->maps.stats); }

uint64_t plan_recursion_misses(const struct plan *p)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->nrows; i++) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		struct bpf_program *prog;

		if (p->rows[i].fl == FL_NONE)
			continue;
		prog = prog_of(p->skel, p->rows[i].tp, p->rows[i].fl);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

/*
 * Another tracer on the same tracepoints matters: while any probe is added
 * to or removed from a tracepoint the kernel can skip the others (measured
 * on 6.18: a second recorder attaching and detaching in a loop cost a steady
 * one 64 of 19255 call-function receives, with no drop or miss counted).
 */
unsigned plan_foreign_links(const struct plan *p, char *buf, size_t len)
{
	__u32 id = 0;
	unsigned n = 0;
	size_t used = 0;

	buf[0] = '\0';
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {0};
		__u32 ilen = sizeof(info);
		char tp[128] = "";
		int fd = bpf_link_get_fd_by_id(id), ours = 0, used_tp = 0;

		if (fd < 0)
			continue;
		info.raw_tracepoint.tp_name = (__u64)(unsigned long)tp;
		info.raw_tracepoint.tp_name_len = sizeof(tp);
		if (bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
		    (info.type != BPF_LINK_TYPE_RAW_TRACEPOINT && info.type != BPF_LINK_TYPE_TRACING)) {
			close(fd);
			continue;
		}
		for (unsigned i = 0; i < p->nlinks; i++) {
			struct bpf_link_info mine = {0};
			__u32 mlen = sizeof(mine);

			if (!bpf_obj_get_info_by_fd(bpf_link__fd(p->links[i]), &mine, &mlen) &&
			    mine.id == info.id)
				ours = 1;
		}
		for (unsigned i = 0; i < p->nrows && info.type == BPF_LINK_TYPE_RAW_TRACEPOINT; i++)
			if (p->rows[i].fl != FL_NONE && !strcmp(p->rows[i].tp->name, tp))
				used_tp = 1;
		close(fd);
		if (ours || !used_tp)
			continue;
		n++;
		if (used < len && !strstr(buf, tp))
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", tp);
	}
	return n;
}

/* ---- describing the plan */

static void kind_note(const struct plan *p, enum evk k, char *out, size_t len)
{
	out[0] = '\0';
	switch (k) {
	case EVK_DEMUX:
		if (!strcmp(p->machine, "x86_64"))
			snprintf(out, len, "not applicable: x86 gives each message kind its own "
				 "vector, so the vector's entry (RECEIVE) is the demux");
		else
			snprintf(out, len, "no demux rung on this architecture yet");
		break;
	case EVK_CSD_WAIT:
		for (unsigned i = 0; i < p->nrows; i++)
			if (p->rows[i].tp->evk == EVK_CSD_WAIT && p->rows[i].fl != FL_NONE)
				return;
		snprintf(out, len, "csd_lock_wait() is __always_inline and has no tracepoint; it "
			 "is timed at its callers with fentry/fexit (%s) or kprobes (%s)",
			 p->fentry[0] ? p->fentry : "available", p->kprobes[0] ? p->kprobes : "available");
		break;
	default:
		break;
	}
}

static void row_hook(const struct hook_row *r, char *out, size_t len)
{
	snprintf(out, len, "%s:%s%s", r->tp->cat, r->tp->name, r->tp->exit ? " (return)" : "");
}

void plan_print(const struct plan *p, FILE *f)
{
	fprintf(f, "kernel   %s %s, %u possible CPUs\n", p->release, p->machine, p->ncpus);
	fprintf(f, "BTF      %s\n", p->kernel_btf ? "yes (/sys/kernel/btf/vmlinux)" : "no");
	fprintf(f, "fentry   %s\n", p->fentry[0] ? p->fentry : "available");
	fprintf(f, "kprobes  %s\n", p->kprobes[0] ? p->kprobes : "available");
	fprintf(f, "\n%-10s %-7s %-45s %s\n", "EVENT", "RUNG", "HOOK", "NOTES");
	for (int k = 0; k < EVK__MAX; k++) {
		int any = 0;
		char note[400];

		for (unsigned i = 0; i < p->nrows; i++) {
			const struct hook_row *r = &p->rows[i];
			char hook[96];

			if (r->tp->evk != (enum evk)k)
				continue;
			any = 1;
			row_hook(r, hook, sizeof(hook));
			fprintf(f, "%-10s %-7s %-45s %s\n", evk_name(k), flavour_name(r->fl), hook,
				r->why);
		}
		kind_note(p, k, note, sizeof(note));
		if (!any || note[0])
			fprintf(f, "%-10s %-7s %-45s %s\n", evk_name(k), "none", "-", note);
	}
	fprintf(f, "\nsends verifiable by a receive hook:");
	for (int m = 0; m < IPT_MSG__MAX; m++) {
		static const char *const names[] = { "CALL_FUNCTION", "RESCHEDULE", "TICK_BROADCAST",
						     "NMI", "RM_HOST_ACTION", "IRQ_WORK", "OTHER" };
		if (p->have_receive[m])
			fprintf(f, " %s", names[m]);
	}
	fprintf(f, "\ncsd execution hooked: %s\n", p->have_csd_entry ? "yes" : "no");
}

char *plan_text(const struct plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	plan_print(p, f);
	fclose(f);
	return buf;
}

void plan_json(const struct plan *p, struct json *j)
{
	json_obj_begin(j);
	json_kstr(j, "kernel", p->release);
	json_kstr(j, "arch", p->machine);
	json_ku64(j, "possible_cpus", p->ncpus);
	json_kbool(j, "btf", p->kernel_btf);
	json_key(j, "fentry");
	p->fentry[0] ? json_str(j, p->fentry) : json_str(j, "available");
	json_key(j, "kprobes");
	p->kprobes[0] ? json_str(j, p->kprobes) : json_str(j, "available");
	json_key(j, "hooks");
	json_arr_begin(j);
	for (unsigned i = 0; i < p->nrows; i++) {
		const struct hook_row *r = &p->rows[i];
		char hook[96];

		row_hook(r, hook, sizeof(hook));
		json_obj_begin(j);
		json_kstr(j, "event", evk_name(r->tp->evk));
		json_kstr(j, "hook", hook);
		json_kstr(j, "rung", flavour_name(r->fl));
		json_kbool(j, "present", r->exists);
		json_kstr(j, "why", r->why);
		json_obj_end(j);
	}
	for (int k = 0; k < EVK__MAX; k++) {
		char note[400];

		kind_note(p, k, note, sizeof(note));
		if (!note[0])
			continue;
		json_obj_begin(j);
		json_kstr(j, "event", evk_name(k));
		json_kstr(j, "hook", "-");
		json_kstr(j, "rung", "none");
		json_kbool(j, "present", 0);
		json_kstr(j, "why", note);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_ku64(j, "usable_event_kinds", plan_usable(p));
	if (p->json_extra)
		p->json_extra(j, p->json_extra_arg);
	json_obj_end(j);
}
