/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The hook ladder: for every event kind, the rungs this kernel offers, the
 * one chosen and why each better one was skipped.  One ladder serves
 * `probe` and `record`.
 */
#ifndef IPT_LADDER_H
#define IPT_LADDER_H

#include <stdint.h>
#include <stdio.h>

#include "ipitrace/events.h"
#include "json.h"
#include "ksym.h"

/* Event kinds as the plan shows them. */
enum evk {
	EVK_SEND, EVK_RECEIVE, EVK_DEMUX, EVK_CSD_QUEUE, EVK_CSD_FUNC, EVK_CSD_WAIT,
	EVK_IDLE_WAKE, EVK__MAX,
};

enum flavour { FL_NONE, FL_TP_BTF, FL_RAW_TP, FL_FENTRY, FL_KPROBE };

struct tp_def {
	const char *cat, *name;
	enum evk evk;
	int recv_kind;		/* IPI_ENTRY kind it reports, -1 if none */
	int send_side;		/* attached after every receive-side hook */
	int func;		/* a kernel function (fentry/kprobe), not a tracepoint */
	int exit;		/* ... hooked at its return (fexit/kretprobe) */
	const char *about;	/* what the row stands for, shown when used */
	const char *variant;	/* a second program on the same function:
				 * named <prefix>_<name>__<variant> */
};

struct hook_row {
	const struct tp_def *tp;
	int exists;		/* the kernel has this tracepoint */
	enum flavour fl;	/* chosen */
	int redundant;		/* not used, and not worth a warning: a better hook
				 * covers it, or this kernel offers no way (probe
				 * says which) */
	char why[320];		/* why better flavours were not used, or why none */
	/* A standby rung: off while the row it stands in for (standby_for, a
	 * tp_def name) is on; switched on, as standby_fl, when that row is
	 * refused at load or attach or is silent in calibration. */
	const char *standby_for;
	enum flavour standby_fl;
	int hidden;		/* another architecture's rung: not shown */
	int calibrated;		/* calibration ran with this row attached */
	uint64_t calib_hits;	/* ... and it fired this many times */
};

struct plan_opts {
	uint64_t ring_bytes;		/* each CPU's ring */
	const uint64_t *cpu_filter;	/* NULL: all CPUs */
	int no_fentry;			/* --no-fentry: kprobes instead */
};

struct tracepoints_bpf;
struct bpf_link;

struct plan {
	struct hook_row *rows;
	unsigned nrows;
	char release[128], machine[64];
	unsigned ncpus;			/* possible CPUs */
	int kernel_btf;
	char kprobes[256];		/* "" when available, else why not */
	char fentry[256];		/* "" when available, else why not */
	char note[EVK__MAX][320];	/* per event kind, when no rung at all */
	int have_receive[IPT_MSG__MAX];
	int have_csd_entry;
	uint64_t addr_call_func_ipi;
	uint64_t addr_sched_ttwu_pending;	/* what a TTWU csd runs */
	uint64_t addr_cfd_data;			/* kallsyms: needs KALLSYMS_ALL */
	uint64_t addr_call_single_queue;	/* ditto */
	uint64_t addr_pcpu_kallsyms;		/* __per_cpu_offset, ditto */
	/* /proc/kallsyms, read once: the ladder checks function rungs in it,
	 * record symbolizes with it.  ksyms_ok: it could be read. */
	struct ksyms ksyms;
	int ksyms_ok;
	/* powerpc DEMUX: where the per-CPU ipi_message word is, and how that
	 * was found (or why not). */
	uint64_t addr_ipi_message, addr_per_cpu_offset;
	char demux_src[320];
	/* Calibration: what it did, or why it did not run. */
	char calib[640];
	unsigned calib_rounds;
	struct plan_opts opts;
	struct tracepoints_bpf *skel;	/* loaded, not attached */
	int *ring_fds;			/* one ring per possible CPU */
	unsigned nrings;
	struct bpf_link **links;
	unsigned nlinks;
	/* Extra keys for plan_json's object (probe adds watch's tier 1). */
	void (*json_extra)(struct json *j, void *arg);
	void *json_extra_arg;
};

/* Decide and load.  Returns 0, or an EXIT_* code with the reason in err. */
int plan_build(struct plan *p, const struct plan_opts *o, char *err, size_t errlen);
/* Attach receive-side hooks first, so no send is seen before its receive
 * could be.  0 or EXIT_BPF with err set. */
int plan_attach(struct plan *p, char *err, size_t errlen);
/*
 * Calibration: attach every chosen rung, make known IPIs (membarrier to
 * CPUs running our threads, cross-CPU wake-ups), detach, and check that each
 * rung fired.  A rung refused at attach (a kprobe on the blacklist: EINVAL)
 * or silent while the others saw the IPIs is replaced by its standby, and
 * the plan is loaded again.  The ring is left empty.  0, or an EXIT_* code
 * with err set; a calibration that cannot run is not an error (p->calib
 * says why).
 */
int plan_calibrate(struct plan *p, char *err, size_t errlen);
/* Some chosen rung has a standby: calibration can change this plan. */
int plan_has_standby(const struct plan *p);
/* Send-side first, then the rest. */
void plan_detach(struct plan *p);
/* The /proc/interrupts row(s) that count this plan's receive rungs of kind
 * OTHER (powerpc: "IPI+DBL"), or NULL. */
const char *plan_irq_rows(const struct plan *p);
void plan_destroy(struct plan *p);

/* Number of event kinds with a working rung. */
unsigned plan_usable(const struct plan *p);
void plan_print(const struct plan *p, FILE *f);
void plan_json(const struct plan *p, struct json *j);
/* Human text for the recording's PLAN section (caller frees). */
char *plan_text(const struct plan *p);
const char *evk_name(enum evk k);
const char *flavour_name(enum flavour f);
/* The ring of each possible CPU (n of them), created at load. */
const int *plan_ring_fds(const struct plan *p, unsigned *n);
/* --ring-size's default: the size of each CPU's ring for ncpus CPUs. */
uint64_t plan_default_ring_bytes(unsigned ncpus);
int plan_stats_fd(const struct plan *p);
/* Sum of bpf_prog_info.recursion_misses over the attached programs. */
uint64_t plan_recursion_misses(const struct plan *p);
/* Other BPF links on the tracepoints this plan uses (not ours): their
 * names, comma-separated, into buf; returns how many. */
unsigned plan_foreign_links(const struct plan *p, char *buf, size_t len);

/* The minimal BTF embedded in cross builds for kernels without BTF (see the
 * Makefile), as a path libbpf can open (btf_custom_path); NULL when the
 * build has none. */
const char *ipt_min_btf_path(void);

#endif
