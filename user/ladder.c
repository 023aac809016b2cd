// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The hook ladder.  Rungs per event kind, best first:
 *
 *   SEND       tp_btf ipi:ipi_send_cpu{,mask} > raw_tp > (fentry/kprobe on the
 *              arch send functions: later rungs, see docs/hooks.md)
 *   RECEIVE    tp_btf arch tracepoints (x86 irq_vectors:*) > raw_tp
 *   CSD_QUEUE  tp_btf csd:csd_queue_cpu > raw_tp > fentry > kprobe on
 *              __smp_call_single_queue (single calls and wake-ups)
 *   CSD_FUNC   tp_btf csd:csd_function_{entry,exit} > raw_tp > fentry >
 *              kprobe on __flush_smp_call_function_queue (queue walk)
 *   CSD_WAIT   fentry/fexit smp_call_function_single and
 *              smp_call_function_many_cond > kprobe/kretprobe
 *   IDLE_WAKE  tp_btf sched:sched_wake_idle_without_ipi > raw_tp
 *
 * powerpc (muxed IPIs, DESIGN.md section 3): SEND at
 * smp_muxed_ipi_message_pass with its inlined-into callers on standby;
 * RECEIVE at doorbell_exception (blacklisted: the powerpc:doorbell_*
 * tracepoints on standby) and the XIVE/XICS IPI actions; DEMUX at
 * smp_ipi_demux_relaxed.  Calibration (plan_calibrate) switches a rung that
 * is refused at attach or never fires to its standby.
 *
 * Nothing is assumed from the kernel version: every flavour is trial-loaded
 * and the verifier's own words are kept as the reason when one is refused.
 */
#include "ladder.h"
#include "ksym.h"
#include "ppc.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "feature.skel.h"
#include "tracepoints.skel.h"
#ifdef IPT_HAVE_MIN_BTF
/* Cross builds: the BTF of just the types the BPF programs relocate
 * against (bpftool gen min_core_btf, from the newest kernel of the arch),
 * for kernels that have no BTF of their own (Debian 12 ppc64le). */
#include "min_btf.h"
#endif

static const struct tp_def tps[] = {
	/* receive side first: attach order */
	{ "irq_vectors", "call_function_entry", EVK_RECEIVE, IPT_MSG_CALL_FUNCTION, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "call_function_exit", EVK_RECEIVE, -1, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "call_function_single_entry", EVK_RECEIVE, IPT_MSG_CALL_FUNCTION, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "call_function_single_exit", EVK_RECEIVE, -1, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "reschedule_entry", EVK_RECEIVE, IPT_MSG_RESCHEDULE, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "reschedule_exit", EVK_RECEIVE, -1, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "irq_work_entry", EVK_RECEIVE, IPT_MSG_IRQ_WORK, 0, 0, 0, NULL, NULL },
	{ "irq_vectors", "irq_work_exit", EVK_RECEIVE, -1, 0, 0, 0, NULL, NULL },
	/* powerpc receive side (bpf/powerpc.bpf.h): the doorbell handler, on
	 * the kprobe blacklist since about 5.12 (its tracepoints stand by), and
	 * the interrupt controllers' IPI actions; then the demux. */
	{ "func", "doorbell_exception", EVK_RECEIVE, -1, 0, 1, 0, NULL, NULL },
	{ "powerpc", "doorbell_entry", EVK_RECEIVE, -1, 0, 0, 0, NULL, NULL },
	{ "powerpc", "doorbell_exit", EVK_RECEIVE, -1, 0, 0, 0, NULL, NULL },
	{ "func", "xive_muxed_ipi_action", EVK_RECEIVE, -1, 0, 1, 0, NULL, NULL },
	{ "func", "icp_hv_ipi_action", EVK_RECEIVE, -1, 0, 1, 0, NULL, NULL },
	{ "func", "icp_native_ipi_action", EVK_RECEIVE, -1, 0, 1, 0, NULL, NULL },
	{ "func", "icp_opal_ipi_action", EVK_RECEIVE, -1, 0, 1, 0, NULL, NULL },
	{ "func", "smp_ipi_demux_relaxed", EVK_DEMUX, -1, 0, 1, 0, NULL, NULL },
	/* ... and, where its message word cannot be located, the handlers it
	 * runs (standbys of the demux). */
	{ "func", "generic_smp_call_function_single_interrupt", EVK_RECEIVE, IPT_MSG_CALL_FUNCTION,
	  0, 1, 0, "the demux's CALL_FUNCTION handler", NULL },
	{ "func", "timer_broadcast_interrupt", EVK_RECEIVE, IPT_MSG_TICK_BROADCAST, 0, 1, 0,
	  "the demux's TICK_BROADCAST handler", NULL },
	{ "func", "nmi_ipi_action", EVK_RECEIVE, IPT_MSG_NMI, 0, 1, 0,
	  "the demux's NMI handler", NULL },
	{ "csd", "csd_function_entry", EVK_CSD_FUNC, -1, 0, 0, 0, NULL, NULL },
	{ "csd", "csd_function_exit", EVK_CSD_FUNC, -1, 0, 0, 0, NULL, NULL },
	/* Kernels without csd:* (before 6.5): the queue, walked as the flush
	 * takes it (bpf/tracepoints.bpf.c). */
	{ "func", "__flush_smp_call_function_queue", EVK_CSD_FUNC, -1, 0, 1, 0,
	  "walks call_single_queue as the flush starts: one entry per csd (one per "
	  "TTWU batch), stamped then; no exit event", NULL },
	/* send side */
	/* CSD_WAIT: csd_lock_wait() is always inlined; time its callers.
	 * First of the send side, so detached last: a csd queued while its
	 * waiter's hooks are gone would be credited to a stale wait. */
	{ "func", "smp_call_function_single", EVK_CSD_WAIT, -1, 1, 1, 0, NULL, NULL },
	{ "func", "smp_call_function_single", EVK_CSD_WAIT, -1, 1, 1, 1, NULL, NULL },
	{ "func", "smp_call_function_many_cond", EVK_CSD_WAIT, -1, 1, 1, 0,
	  "smp_call_function_many(), on_each_cpu_cond_mask() (TLB shootdowns), "
	  "on_each_cpu_mask()", "wait" },
	{ "func", "smp_call_function_many_cond", EVK_CSD_WAIT, -1, 1, 1, 1, NULL, "wait" },
	/* Kernels without csd:*: single calls at generic_exec_single(), wake-ups
	 * at __smp_call_single_queue(); smp_call_function_many_cond() queues with
	 * an inlined llist_add() (llist_add_batch is notrace on 6.1), so its
	 * csds are read from cfd_data at the IPI send after its loop
	 * (bpf/tracepoints.bpf.c).  Before the
	 * SEND rows: on the same functions, they run first. */
	{ "func", "generic_exec_single", EVK_CSD_QUEUE, -1, 1, 1, 0,
	  "smp_call_function_single{,_async}(), which inline the next", NULL },
	{ "func", "__smp_call_single_queue", EVK_CSD_QUEUE, -1, 1, 1, 0,
	  "wake-ups (TTWU) and other callers", NULL },
	{ "func", "smp_call_function_many_cond", EVK_CSD_QUEUE, -1, 1, 1, 0,
	  "marks the call; its csds are read from cfd_data as it sends", "mark" },
	{ "func", "native_send_call_func_ipi", EVK_CSD_QUEUE, -1, 1, 1, 0,
	  "the csds of smp_call_function_many_cond(), as it sends", "csd" },
	{ "func", "native_send_call_func_single_ipi", EVK_CSD_QUEUE, -1, 1, 1, 0,
	  "the csds of smp_call_function_many_cond(), as it sends", "csd" },
	{ "func", "smp_call_function_many_cond", EVK_CSD_QUEUE, -1, 1, 1, 1,
	  "ends the mark", "mark" },
	{ "ipi", "ipi_send_cpu", EVK_SEND, -1, 1, 0, 0, NULL, NULL },
	{ "ipi", "ipi_send_cpumask", EVK_SEND, -1, 1, 0, 0, NULL, NULL },
	/* Kernels without ipi:*: the x86 send functions (fentry, then kprobe). */
	{ "func", "native_send_call_func_single_ipi", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "native_send_call_func_ipi", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "native_smp_send_reschedule", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	/* powerpc: the muxed send, then the callers it is inlined into. */
	{ "func", "smp_muxed_ipi_message_pass", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "arch_send_call_function_single_ipi", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "arch_send_call_function_ipi_mask", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "smp_send_reschedule", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "arch_smp_send_reschedule", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "func", "tick_broadcast", EVK_SEND, -1, 1, 1, 0, NULL, NULL },
	{ "csd", "csd_queue_cpu", EVK_CSD_QUEUE, -1, 1, 0, 0, NULL, NULL },
	{ "sched", "sched_wake_idle_without_ipi", EVK_IDLE_WAKE, -1, 1, 0, 0, NULL, NULL },
};
#define NTP (sizeof(tps) / sizeof(tps[0]))

/* Standby rungs: each row named first is off while the second is on. */
static const struct {
	const char *row, *for_row;
} standbys[] = {
	/* Measured on Debian 12 ppc64le (6.1): smp_muxed_ipi_message_pass
	 * attaches and never fires; its body is inlined into these callers,
	 * each implying the message kind. */
	{ "arch_send_call_function_single_ipi", "smp_muxed_ipi_message_pass" },
	{ "arch_send_call_function_ipi_mask", "smp_muxed_ipi_message_pass" },
	{ "smp_send_reschedule", "smp_muxed_ipi_message_pass" },
	{ "arch_smp_send_reschedule", "smp_muxed_ipi_message_pass" },
	{ "tick_broadcast", "smp_muxed_ipi_message_pass" },
	/* Measured on 6.1 and 6.12: doorbell_exception is NOKPROBE (EINVAL). */
	{ "doorbell_entry", "doorbell_exception" },
	{ "doorbell_exit", "doorbell_exception" },
	/* The demux's handlers, where its message word cannot be read. */
	{ "generic_smp_call_function_single_interrupt", "smp_ipi_demux_relaxed" },
	{ "timer_broadcast_interrupt", "smp_ipi_demux_relaxed" },
	{ "nmi_ipi_action", "smp_ipi_demux_relaxed" },
};

/* Rows that exist only on powerpc: hidden elsewhere. */
static int ppc_only(const struct tp_def *t)
{
	static const char *const n[] = {
		"doorbell_exception", "xive_muxed_ipi_action", "icp_hv_ipi_action",
		"icp_native_ipi_action", "icp_opal_ipi_action", "smp_ipi_demux_relaxed",
		"smp_muxed_ipi_message_pass", "arch_send_call_function_single_ipi",
		"arch_send_call_function_ipi_mask", "smp_send_reschedule",
		"arch_smp_send_reschedule", "tick_broadcast",
		"generic_smp_call_function_single_interrupt", "timer_broadcast_interrupt",
		"nmi_ipi_action",
	};

	if (!strcmp(t->cat, "powerpc"))
		return 1;
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (!strcmp(t->name, n[i]))
			return 1;
	return 0;
}

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
static char failed_prog[128];

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	if (ipt_verbose && (level != LIBBPF_DEBUG || ipt_verbose > 1))
		vfprintf(stderr, fmt, ap);
	/* The name of a refused program, kept apart: a long verifier log can
	 * fill capbuf before libbpf names it. */
	if (level == LIBBPF_WARN) {
		/* libbpf's format: "libbpf: prog '%s': failed to load: %d\n" */
		const char *q = strstr(fmt, "prog '%s': failed to load");

		/* ... with the name as the first argument */
		if (q && strchr(fmt, '%') == q + 6) {
			va_list ap3;

			va_copy(ap3, ap);
			snprintf(failed_prog, sizeof(failed_prog), "%s", va_arg(ap3, const char *));
			va_end(ap3);
		}
	}
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
	failed_prog[0] = '\0';
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

/* The program libbpf named in "prog 'X': failed to load". */
static int cap_failed_prog(char *name, size_t len)
{
	if (!failed_prog[0])
		return -1;
	snprintf(name, len, "%s", failed_prog);
	return 0;
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
	if (err == -524)	/* ENOTSUPP, kernel-internal: no strerror() text */
		snprintf(p->fentry, sizeof(p->fentry), "refused at attach: ENOTSUPP (no BPF "
			 "trampoline on this architecture: powerpc has one from about 6.13)");
	else if (err)
		snprintf(p->fentry, sizeof(p->fentry), "refused at attach: %s", strerror(-err));
	else
		p->fentry[0] = '\0';
	feature_bpf__destroy(f);
}

/* ---- building the plan */

static void prog_name(const struct tp_def *t, enum flavour fl, char *name, size_t len)
{
	snprintf(name, len, "%s_%s%s%s", prog_prefix(fl, t->exit), t->name,
		 t->variant ? "__" : "", t->variant ? t->variant : "");
}

static int plan_load(struct plan *p, const struct plan_opts *o, char *err, size_t errlen);

static struct bpf_program *prog_of(struct tracepoints_bpf *s, const struct tp_def *t,
				   enum flavour fl)
{
	char name[96];

	prog_name(t, fl, name, sizeof(name));
	return bpf_object__find_program_by_name(s->obj, name);
}

/* The flavours a row can have, best first. */
static const enum flavour tp_flavours[] = { FL_TP_BTF, FL_RAW_TP };
static const enum flavour fn_flavours[] = { FL_FENTRY, FL_KPROBE };

/* The embedded minimal BTF as a file libbpf can open (a memfd). */
const char *ipt_min_btf_path(void)
{
#ifdef IPT_HAVE_MIN_BTF
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = (int)syscall(SYS_memfd_create, "ipitrace-min-btf", 0);
		if (fd < 0 || write(fd, min_btf, sizeof(min_btf)) != (ssize_t)sizeof(min_btf))
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	return path;
#else
	return NULL;
#endif
}

static int open_configured(struct plan *p, const struct plan_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct tracepoints_bpf *s;

	/* Without kernel BTF, libbpf would refuse the whole object for its CO-RE
	 * relocations (ESRCH), although the programs that load there (kprobes,
	 * raw_tp) relocate only against stable layouts (struct pt_regs, the
	 * csd's u_flags): give it the embedded minimal BTF. */
	if (!p->kernel_btf)
		oo.btf_custom_path = ipt_min_btf_path();
	s = tracepoints_bpf__open_opts(&oo);
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
	s->rodata->addr_ipi_message = p->addr_ipi_message;
	s->rodata->addr_per_cpu_offset = p->addr_per_cpu_offset ? p->addr_per_cpu_offset
							       : p->addr_pcpu_kallsyms;
	s->rodata->nr_cpu_ids = p->ncpus;
	s->rodata->addr_sched_ttwu_pending = p->addr_sched_ttwu_pending;
	s->rodata->addr_cfd_data = p->addr_cfd_data;
	s->rodata->addr_call_single_queue = p->addr_call_single_queue;
	if (o->cpu_filter) {
		s->rodata->filter_on = 1;
		for (unsigned w = 0; w < 16; w++)
			s->rodata->cpu_filter[w] = o->cpu_filter[w];
	}
	/* A ring per possible CPU (bpf/emit.bpf.h), made after load by
	 * plan_make_rings().  The inner template keeps its own small size:
	 * since 5.10 (134fede4eecf "bpf: Relax max_entries check for most of
	 * the inner map types") a ring of any size fits the slot, and libbpf
	 * 1.1 cannot resize an inner template (bpf_map__set_max_entries()
	 * dereferences its NULL obj: measured, a crash). */
	if (bpf_map__set_max_entries(s->maps.rings, p->ncpus ? p->ncpus : 1)) {
		snprintf(err, errlen, "cannot size the ring array for %u CPUs", p->ncpus);
		tracepoints_bpf__destroy(s);
		return EXIT_FAIL;
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
		/* The flush walk: entries only, but every one of them. */
		if (!strcmp(r->tp->name, "__flush_smp_call_function_queue"))
			entry = exit_ = 1;
	}
	/* Both vectors flush the same queue, but a send can target either:
	 * call-function sends are verifiable only with both hooked. */
	if (p->have_receive[IPT_MSG_CALL_FUNCTION]) {
		int n = 0;

		for (unsigned i = 0; i < p->nrows; i++)
			if (p->rows[i].fl != FL_NONE && p->rows[i].tp->recv_kind == IPT_MSG_CALL_FUNCTION &&
			    !strcmp(p->rows[i].tp->cat, "irq_vectors"))
				n++;
		/* (x86's two vectors; powerpc's demux handler is one hook.) */
		p->have_receive[IPT_MSG_CALL_FUNCTION] = n == 2 || n == 0;
	}
	p->have_csd_entry = entry && exit_;
	/* powerpc: a DEMUX reports the message set it took, so every muxed kind
	 * is verifiable through it (NMI mostly travels outside the demux; KVM's
	 * RM_HOST_ACTION has no sender event: DESIGN.md section 4). */
	for (unsigned i = 0; i < p->nrows; i++)
		if (p->rows[i].tp->evk == EVK_DEMUX && p->rows[i].fl != FL_NONE) {
			p->have_receive[IPT_MSG_CALL_FUNCTION] = 1;
			p->have_receive[IPT_MSG_RESCHEDULE] = 1;
			p->have_receive[IPT_MSG_TICK_BROADCAST] = 1;
		}
}

/* The best flavour a function row can have here: fentry, else kprobe. */
static void func_rung(struct plan *p, const struct plan_opts *o, struct hook_row *r)
{
	r->redundant = 0;
	if (!r->exists) {
		snprintf(r->why, sizeof(r->why), "function %s is not in this kernel", r->tp->name);
		r->fl = FL_NONE;
	} else if (!o->no_fentry && !p->fentry[0]) {
		r->why[0] = '\0';
		r->fl = FL_FENTRY;
	} else if (!p->kprobes[0]) {
		snprintf(r->why, sizeof(r->why), "fentry %s",
			 o->no_fentry ? "disabled by --no-fentry" : p->fentry);
		r->fl = FL_KPROBE;
	} else {
		snprintf(r->why, sizeof(r->why), "fentry %s; kprobes %s",
			 o->no_fentry ? "disabled by --no-fentry" : p->fentry, p->kprobes);
		r->fl = FL_NONE;
		r->redundant = 1;
	}
}

int plan_build(struct plan *p, const struct plan_opts *o, char *err, size_t errlen)
{
	struct btf *vmlinux;
	struct utsname u;

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
		s = ksyms_by_name(&p->ksyms, "sched_ttwu_pending");
		if (s && !p->ksyms.restricted)
			p->addr_sched_ttwu_pending = s->addr;
		ksyms_data(&p->ksyms, "cfd_data", &p->addr_cfd_data);
		ksyms_data(&p->ksyms, "call_single_queue", &p->addr_call_single_queue);
		ksyms_data(&p->ksyms, "__per_cpu_offset", &p->addr_pcpu_kallsyms);
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
		if (ppc_only(r->tp) && strncmp(p->machine, "ppc", 3)) {
			r->hidden = r->redundant = 1;
			snprintf(r->why, sizeof(r->why), "powerpc only");
			continue;
		}
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
	/* Function rungs stand in for tracepoints only where those are
	 * missing: both at once would count every event twice. */
	{
		int tp_covers[EVK__MAX] = {0};

		/* Only ipi:* and csd:* stand for their function rungs: powerpc's
		 * doorbell tracepoints see doorbells, not the XIVE/XICS actions. */
		for (unsigned i = 0; i < NTP; i++)
			if (!tps[i].func && p->rows[i].fl != FL_NONE &&
			    (!strcmp(tps[i].cat, "ipi") || !strcmp(tps[i].cat, "csd")))
				tp_covers[tps[i].evk] = 1;
		for (unsigned i = 0; i < NTP; i++) {
			struct hook_row *r = &p->rows[i];

			if (!r->tp->func || r->hidden)
				continue;
			if (tp_covers[r->tp->evk]) {
				snprintf(r->why, sizeof(r->why), "not needed: the kernel's %s "
					 "tracepoints see every such event here",
					 r->tp->evk == EVK_SEND ? "ipi:*" : "csd:*");
				r->fl = FL_NONE;
				r->redundant = 1;
			} else {
				func_rung(p, o, r);
			}
		}
	}
	btf__free(vmlinux);

	/* The csd rows that read per-CPU variables by address need them in
	 * kallsyms (bpf/tracepoints.bpf.c). */
	for (unsigned i = 0; i < NTP; i++) {
		struct hook_row *r = &p->rows[i];
		const char *var = NULL;
		uint64_t addr = 0;

		if (r->fl == FL_NONE)
			continue;
		if (!strcmp(r->tp->name, "__flush_smp_call_function_queue")) {
			var = "call_single_queue";
			addr = p->addr_call_single_queue;
		} else if ((r->tp->variant && !strcmp(r->tp->variant, "csd")) ||
			   (r->tp->variant && !strcmp(r->tp->variant, "mark"))) {
			var = "cfd_data";
			addr = p->addr_cfd_data;
		}
		if (!var || (addr && p->addr_pcpu_kallsyms))
			continue;
		snprintf(r->why, sizeof(r->why), "needs %s and __per_cpu_offset in /proc/kallsyms "
			 "(data symbols: KALLSYMS_ALL)%s", var,
			 p->ksyms.restricted ? ", which shows no addresses here (kptr_restrict)" : "");
		r->fl = FL_NONE;
	}
	/* powerpc DEMUX: the message set is read from this CPU's ipi_message
	 * word, whose address must be known; an empty set read from nowhere
	 * would accuse every send, so without it the rung is not used. */
	{
		struct hook_row *r = &p->rows[row_index("smp_ipi_demux_relaxed")];

		if (!r->hidden && r->fl != FL_NONE) {
			if (ppc_ipi_message_addrs(p->ksyms_ok ? &p->ksyms : NULL, p->release,
						  &p->addr_ipi_message, &p->addr_per_cpu_offset,
						  p->demux_src, sizeof(p->demux_src))) {
				p->addr_ipi_message = p->addr_per_cpu_offset = 0;
				snprintf(r->why, sizeof(r->why), "%s; the handlers that run stand in "
					 "(CALL_FUNCTION, TICK_BROADCAST, NMI; RESCHEDULE has none: "
					 "scheduler_ipi() is inline, so those sends are unverifiable)",
					 p->demux_src);
				r->fl = FL_NONE;
			}
		}
	}
	/* Standby rungs wait behind the row they stand in for. */
	for (size_t i = 0; i < sizeof(standbys) / sizeof(standbys[0]); i++) {
		struct hook_row *sb = &p->rows[row_index(standbys[i].row)];
		const struct hook_row *pr = &p->rows[row_index(standbys[i].for_row)];
		size_t l = strlen(sb->why);

		if (sb->fl == FL_NONE || pr->fl == FL_NONE)
			continue;
		sb->standby_for = standbys[i].for_row;
		sb->standby_fl = sb->fl;
		sb->redundant = 1;
		sb->fl = FL_NONE;
		snprintf(sb->why + l, sizeof(sb->why) - l, "%sstandby for %s: used if that is "
			 "refused or never fires in calibration", l ? "; " : "", standbys[i].for_row);
	}
	p->opts = *o;
	return plan_load(p, o, err, errlen);
}

/* Switch on the standby rungs of a row that was just turned off; the row
 * is then covered (no "events will be missing" warning). */
static void activate_standbys(struct plan *p, const char *name, const char *reason)
{
	int n = 0;

	for (unsigned i = 0; i < p->nrows; i++) {
		struct hook_row *r = &p->rows[i];

		if (!r->standby_for || strcmp(r->standby_for, name))
			continue;
		r->fl = r->standby_fl;
		r->standby_for = NULL;
		r->redundant = 0;
		snprintf(r->why, sizeof(r->why), "instead of %s, which %s", name, reason);
		n++;
	}
	if (n)
		p->rows[row_index(name)].redundant = 1;
}

static void plan_close_rings(struct plan *p)
{
	for (unsigned c = 0; c < p->nrings; c++)
		if (p->ring_fds[c] >= 0)
			close(p->ring_fds[c]);
	free(p->ring_fds);
	p->ring_fds = NULL;
	p->nrings = 0;
}

/* After load: one ring per possible CPU, put in slot CPU of `rings`.  The
 * outer map holds a reference, but userspace keeps the fds to read them. */
static int plan_make_rings(struct plan *p, const struct plan_opts *o, char *err, size_t errlen)
{
	int outer = bpf_map__fd(p->skel->maps.rings);
	unsigned n = p->ncpus ? p->ncpus : 1;

	plan_close_rings(p);
	p->ring_fds = xcalloc(n, sizeof(*p->ring_fds));
	for (unsigned c = 0; c < n; c++)
		p->ring_fds[c] = -1;
	p->nrings = n;
	for (__u32 c = 0; c < n; c++) {
		char name[16];
		int fd;

		snprintf(name, sizeof(name), "ipt_ring%u", c);
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, o->ring_bytes, NULL);
		if (fd < 0 || bpf_map_update_elem(outer, &c, &fd, BPF_ANY)) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "cannot create the ring buffer of CPU %u (%llu bytes): %s%s",
				 c, (unsigned long long)o->ring_bytes, strerror(e),
				 e == ENOMEM || e == EPERM ?
				 " (a smaller --ring-size, or a higher RLIMIT_MEMLOCK on kernels before 5.11)" : "");
			plan_close_rings(p);
			return EXIT_BPF;
		}
		p->ring_fds[c] = fd;
	}
	return 0;
}

static int plan_load(struct plan *p, const struct plan_opts *o, char *err, size_t errlen)
{
	int ret;

	/* Load; when a flavour is refused, step down a rung and load again. */
	for (unsigned attempt = 0; attempt <= 2 * NTP; attempt++) {
		char failed[96];

		ret = open_configured(p, o, err, errlen);
		if (ret)
			return ret;
		cap_reset();
		if (!tracepoints_bpf__load(p->skel)) {
			ret = plan_make_rings(p, o, err, errlen);
			if (ret)
				return ret;
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
			prog_name(r->tp, r->fl, mine, sizeof(mine));
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
			else {
				r->fl = FL_NONE;
				activate_standbys(p, r->tp->name, "the verifier refused");
			}
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

/* ---- calibration */

struct calib_load {
	volatile int stop;
	int cpu;
	int pipe_in, pipe_out;	/* the echo thread's ends */
};

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A thread running on its CPU: membarrier IPIs go to CPUs that run a
 * thread of this process. */
static void *calib_spin(void *arg)
{
	struct calib_load *c = arg;

	pin_self(c->cpu);
	while (!c->stop)
		__asm__ __volatile__("" ::: "memory");
	return NULL;
}

/* A thread that sleeps in read() on a CPU where a spinner runs: each byte
 * written wakes it across CPUs (a wake-up IPI: TTWU call-function or
 * reschedule). */
static void *calib_echo(void *arg)
{
	struct calib_load *c = arg;
	char b;

	pin_self(c->cpu);
	while (read(c->pipe_in, &b, 1) == 1 && b)
		if (write(c->pipe_out, &b, 1) != 1)
			break;
	return NULL;
}

/* Known IPIs for about `ms` milliseconds.  Returns how many membarrier
 * calls and wake-up round trips were made. */
static unsigned calib_make_ipis(unsigned ms)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct calib_load *spin;
	pthread_t *th, echo_th;
	struct calib_load echo = { 0 };
	int to_echo[2], from_echo[2], have_echo = 0, mb;
	cpu_set_t saved;
	unsigned n = 0;
	uint64_t end;

	if (ncpu < 2)
		return 0;
	/* A few partner CPUs are enough to see every rung fire; a big host
	 * gets no more than 8 spinning threads. */
	if (ncpu > 9)
		ncpu = 9;
	sched_getaffinity(0, sizeof(saved), &saved);
	pin_self(0);
	spin = xcalloc((size_t)ncpu, sizeof(*spin));
	th = xcalloc((size_t)ncpu, sizeof(*th));
	for (long c = 1; c < ncpu; c++) {
		spin[c].cpu = (int)c;
		if (pthread_create(&th[c], NULL, calib_spin, &spin[c]))
			spin[c].cpu = -1;
	}
	if (!pipe(to_echo) && !pipe(from_echo)) {
		echo.cpu = (int)(ncpu - 1);
		echo.pipe_in = to_echo[0];
		echo.pipe_out = from_echo[1];
		have_echo = !pthread_create(&echo_th, NULL, calib_echo, &echo);
	}
	mb = !syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
	end = mono_ns() + ms * 1000000ull;
	while (mono_ns() < end) {
		char b = 1;

		if (mb && !syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
			n++;
		if (have_echo && write(to_echo[1], &b, 1) == 1 && read(from_echo[0], &b, 1) == 1)
			n++;
	}
	if (have_echo) {
		char z = 0;

		if (write(to_echo[1], &z, 1) == 1)
			pthread_join(echo_th, NULL);
		close(to_echo[0]); close(to_echo[1]); close(from_echo[0]); close(from_echo[1]);
	}
	for (long c = 1; c < ncpu; c++)
		spin[c].stop = 1;
	for (long c = 1; c < ncpu; c++)
		if (spin[c].cpu >= 0)
			pthread_join(th[c], NULL);
	free(spin);
	free(th);
	sched_setaffinity(0, sizeof(saved), &saved);
	return n;
}

static uint64_t prog_runs(const struct plan *p, const struct hook_row *r)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog_of(p->skel, r->tp, r->fl)), &info, &len))
		return 0;
	return info.run_cnt;
}

static int ring_discard(void *ctx, void *data, size_t len)
{
	(void)ctx; (void)data; (void)len;
	return 0;
}

/* Calibration's events are not the recording's: empty the ring and zero
 * the counters. */
static void plan_reset_ring(struct plan *p)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;

	for (unsigned c = 0; c < p->nrings; c++) {
		struct ring_buffer *rb = ring_buffer__new(p->ring_fds[c], ring_discard, NULL, NULL);

		if (rb) {
			ring_buffer__consume(rb);
			ring_buffer__free(rb);
		}
	}
	if (ncpu > 0) {
		struct ipt_cpu_stats *z = xcalloc((size_t)ncpu, sizeof(*z));

		bpf_map_update_elem(plan_stats_fd(p), &zero, z, BPF_ANY);
		free(z);
	}
}

/* Calibration load, in milliseconds: long enough under qemu TCG for every
 * kind to show, short on a real host. */
#define CALIB_MS 300

static int calibrate_once(struct plan *p, int *changed);

int plan_calibrate(struct plan *p, char *err, size_t errlen)
{
	/* A replaced rung's standby is itself calibrated in the next round. */
	for (int round = 0; round < 3; round++) {
		int changed = 0, ret = calibrate_once(p, &changed);

		if (ret || !changed)
			break;
		tracepoints_bpf__destroy(p->skel);
		p->skel = NULL;
		ret = plan_load(p, &p->opts, err, errlen);
		if (ret)
			return ret;
	}
	plan_reset_ring(p);
	return 0;
}

static int calibrate_once(struct plan *p, int *changed_out)
{
	int stats_fd, changed = 0;
	uint64_t *before, other = 0;
	unsigned made;

	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		snprintf(p->calib, sizeof(p->calib), "not run: cannot enable BPF run counts (%s)",
			 strerror(errno));
		return 0;
	}
	p->links = xcalloc(p->nrows, sizeof(*p->links));
	before = xcalloc(p->nrows, sizeof(*before));
	for (unsigned i = 0; i < p->nrows; i++) {
		struct hook_row *r = &p->rows[i];
		struct bpf_link *l;
		size_t n;

		/* A standby switched on in this pass is not loaded yet. */
		if (r->fl == FL_NONE || bpf_program__fd(prog_of(p->skel, r->tp, r->fl)) < 0)
			continue;
		l = bpf_program__attach(prog_of(p->skel, r->tp, r->fl));
		if (!l) {
			char reason[200];
			int e = errno;
			/* A kprobe on a NOKPROBE_SYMBOL function is refused with
			 * EINVAL; the blacklist says so where debugfs is mounted. */
			char *bl = read_file("/sys/kernel/debug/kprobes/blacklist", NULL);
			char needle[128];

			snprintf(needle, sizeof(needle), "\t%s\n", r->tp->name);
			snprintf(reason, sizeof(reason), "was refused at attach (%s%s)",
				 e == EINVAL ? "EINVAL" : strerror(e),
				 bl && strstr(bl, needle) ? ": on the kprobe blacklist" : "");
			free(bl);
			n = strlen(r->why);
			snprintf(r->why + n, sizeof(r->why) - n, "%s%s %s", n ? "; " : "",
				 flavour_name(r->fl), reason);
			r->fl = FL_NONE;
			activate_standbys(p, r->tp->name, reason);
			changed = 1;
			continue;
		}
		p->links[p->nlinks++] = l;
		before[i] = prog_runs(p, r);
	}
	made = calib_make_ipis(CALIB_MS);
	for (unsigned i = 0; i < p->nrows; i++) {
		struct hook_row *r = &p->rows[i];

		if (r->fl == FL_NONE || bpf_program__fd(prog_of(p->skel, r->tp, r->fl)) < 0)
			continue;
		r->calibrated = 1;
		r->calib_hits = prog_runs(p, r) - before[i];
		if (r->tp->evk == EVK_SEND || r->tp->evk == EVK_RECEIVE || r->tp->evk == EVK_DEMUX)
			other += r->calib_hits;
	}
	plan_detach(p);
	close(stats_fd);
	free(before);
	/* A rung with a standby that stayed silent while the IPI rungs fired
	 * is useless here (an inlined function): its standby takes over. */
	for (unsigned i = 0; i < p->nrows; i++) {
		struct hook_row *r = &p->rows[i];
		int has_standby = 0;

		for (unsigned j = 0; j < p->nrows; j++)
			if (p->rows[j].standby_for && !strcmp(p->rows[j].standby_for, r->tp->name))
				has_standby = 1;
		if (r->fl == FL_NONE || !r->calibrated || r->calib_hits || !has_standby || other < 10)
			continue;
		{
			char reason[160];
			size_t n = strlen(r->why);

			snprintf(reason, sizeof(reason), "attached but never fired in calibration "
				 "while the other IPI rungs fired %llu times (inlined into its callers)",
				 (unsigned long long)other);
			snprintf(r->why + n, sizeof(r->why) - n, "%s%s %s", n ? "; " : "",
				 flavour_name(r->fl), reason);
			r->fl = FL_NONE;
			activate_standbys(p, r->tp->name, reason);
			changed = 1;
		}
	}
	{
		size_t n = strlen(p->calib);

		snprintf(p->calib + n, sizeof(p->calib) - n, "%sround %u: %u membarrier calls and "
			 "wake-ups in %d ms, %llu IPI-rung hits%s", n ? "; " : "", p->calib_rounds + 1,
			 made, CALIB_MS, (unsigned long long)other,
			 changed ? ", rungs replaced (see NOTES)" : "");
		p->calib_rounds++;
	}
	*changed_out = changed;
	return 0;
}

int plan_has_standby(const struct plan *p)
{
	for (unsigned i = 0; i < p->nrows; i++)
		if (p->rows[i].standby_for)
			return 1;
	return 0;
}

const char *plan_irq_rows(const struct plan *p)
{
	/* powerpc's IPI interrupts: the IPI irq row (XIVE "IPI-0", XICS "IPI")
	 * and the doorbells (DBL), against the receive rungs that see them. */
	for (unsigned i = 0; i < p->nrows; i++) {
		const struct hook_row *r = &p->rows[i];

		if (r->fl != FL_NONE && r->tp->evk == EVK_RECEIVE && ppc_only(r->tp))
			return "IPI+DBL";
	}
	return NULL;
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
	plan_close_rings(p);
	tracepoints_bpf__destroy(p->skel);
	ksyms_free(&p->ksyms);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

const int *plan_ring_fds(const struct plan *p, unsigned *n)
{
	*n = p->nrings;
	return p->ring_fds;
}

uint64_t plan_default_ring_bytes(unsigned ncpus)
{
	/* 16 MiB in all (the 48-byte events of ~0.7 s at the 400k events/s
	 * measured here), shared out among the CPUs: no less than 1 MiB per
	 * CPU (a burst on one CPU), no more than 8 MiB. */
	uint64_t per = 16ull << 20;

	while (per > (1ull << 20) && per * (ncpus ? ncpus : 1) > (16ull << 20))
		per >>= 1;
	return per > (8ull << 20) ? 8ull << 20 : per;
}
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
		for (unsigned i = 0; i < p->nrows; i++)
			if (p->rows[i].tp->evk == EVK_DEMUX && !p->rows[i].hidden)
				return;
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
	const char *v = r->tp->variant;

	/* "wait" rows are the function's own; the others say what they add. */
	snprintf(out, len, "%s:%s%s%s", r->tp->cat, r->tp->name, r->tp->exit ? " (return)" : "",
		 !v || !strcmp(v, "wait") ? "" : !strcmp(v, "csd") ? " (csds)" : " (csd mark)");
}

/* A used row says what it stands for; any other says why it is not used. */
static const char *row_notes(const struct hook_row *r)
{
	static char buf[640];

	if (r->fl == FL_NONE || !r->tp->about)
		return r->why;
	snprintf(buf, sizeof(buf), "%s%s%s", r->tp->about, r->why[0] ? "; " : "", r->why);
	return buf;
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

			if (r->tp->evk != (enum evk)k || r->hidden)
				continue;
			any = 1;
			row_hook(r, hook, sizeof(hook));
			fprintf(f, "%-10s %-7s %-45s %s", evk_name(k), flavour_name(r->fl), hook,
				row_notes(r));
			if (r->calibrated && r->fl != FL_NONE)
				fprintf(f, "%scalibration: %llu hits", row_notes(r)[0] ? "; " : "",
					(unsigned long long)r->calib_hits);
			fputc('\n', f);
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
	if (p->demux_src[0])
		fprintf(f, "demux message word: %s\n", p->demux_src);
	if (p->calib[0])
		fprintf(f, "calibration: %s\n", p->calib);
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

		if (r->hidden)
			continue;
		row_hook(r, hook, sizeof(hook));
		json_obj_begin(j);
		json_kstr(j, "event", evk_name(r->tp->evk));
		json_kstr(j, "hook", hook);
		json_kstr(j, "rung", flavour_name(r->fl));
		json_kbool(j, "present", r->exists);
		json_kstr(j, "why", r->why);
		if (r->fl != FL_NONE && r->tp->about)
			json_kstr(j, "about", r->tp->about);
		if (r->standby_for)
			json_kstr(j, "standby_for", r->standby_for);
		if (r->calibrated)
			json_ku64(j, "calib_hits", r->calib_hits);
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
	if (p->demux_src[0])
		json_kstr(j, "demux_message_word", p->demux_src);
	json_kstr(j, "calibration", p->calib[0] ? p->calib : "not run");
	if (p->json_extra)
		p->json_extra(j, p->json_extra_arg);
	json_obj_end(j);
}
