/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The correlator: a streaming state machine over ipitrace events, with no
 * BPF in it, shared by `report` (and later `timeline` and `watch`).  The
 * matching rules are written down in docs/correlation.md.
 *
 * Memory is bounded by CPUs x message kinds plus what is in flight plus the
 * reorder window, never by trace length.
 */
#ifndef IPT_CORRELATE_H
#define IPT_CORRELATE_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "ipitrace/events.h"
#include "ipitrace/format.h"

/* Log-linear latency histogram: 8 sub-buckets per power of two, so a
 * percentile read from it is within 1/16 (~6%) of the true value. */
#define LAT_BUCKETS 496

struct lat {
	uint64_t count, sum, min, max;
	uint32_t *hist;		/* LAT_BUCKETS, allocated on first use */
};

uint64_t lat_percentile(const struct lat *l, double p);	/* p in [0,100] */
void lat_add(struct lat *l, uint64_t v);
/* log2 bucket counts (bucket i: [2^i, 2^(i+1)) ns, bucket 0 also 0). */
void lat_log2(const struct lat *l, uint64_t out[64]);

/* Per (source CPU, destination CPU). */
struct corr_pair {
	uint64_t sent[IPT_MSG__MAX];
	struct lat ipi[IPT_MSG__MAX];	/* send -> receive on dst */
	uint64_t csd_queued;
	struct lat csd;			/* csd queue -> function entry on dst */
	struct lat func;		/* dst running csd functions src queued */
	struct lat wait;		/* src spinning for dst in csd_lock_wait:
					 * from the wait's start to dst running
					 * src's csd (csd queue events), else the
					 * whole wait when it had one target */
};

/* csd_lock_wait spins per (waiter, target, function): from the wait's start
 * to the target running the waiter's csd.  Needs wait and csd queue events. */
struct corr_wait_fn {
	uint32_t waiter, target;
	uint64_t func;
	struct lat lat;
};
#define CORR_WAIT_FNS 256	/* more distinct ones are counted, not kept */

struct corr_cpu {
	uint64_t events;
	uint64_t sent[IPT_MSG__MAX];		/* as sender */
	uint64_t received[IPT_MSG__MAX];	/* IPI_ENTRY events */
	uint64_t received_window[IPT_MSG__MAX];	/* IPI_ENTRY inside opts window */
	uint64_t received_wide[IPT_MSG__MAX];	/* IPI_ENTRY inside opts wide window */
	uint64_t received_inner[IPT_MSG__MAX];	/* IPI_ENTRY inside opts inner window */
	uint64_t csd_queued_to;			/* csds queued to this CPU */
	uint64_t csd_executed;			/* csd functions run here */
	uint64_t idle_wakes;			/* wake-ups that needed no IPI */
	uint64_t lost;
	uint64_t unseen;			/* missing per the kernel's counters */
	struct lat func;			/* csd function duration */
	struct lat wait;			/* csd_lock_wait spins on this CPU */
	uint64_t demuxes, empty_demuxes;
	uint64_t last_ts;			/* newest event produced here */
};

enum corr_anomaly_kind {
	/* A message sent to a CPU that kept running and receiving, yet no
	 * receive/demux took it past the threshold, or by the end. */
	CORR_A_NEVER_DEMUXED = 1,
	/* A csd not executed past the threshold (or by the end), or a waiter
	 * spinning in csd_lock_wait() that long. */
	CORR_A_STUCK_CSD,
	/* Received after more than the threshold by a CPU that received
	 * nothing else meanwhile (unresponsive, not a lost message). */
	CORR_A_SLOW_IPI,
	/* The target demuxed an empty message set while a send to it was
	 * pending (made more than the skew tolerance before). */
	CORR_A_EMPTY_DEMUX,
	/* A csd queued before its sender's IPI, the receive that took that
	 * IPI did not run it, a later one did. */
	CORR_A_HANDLED_NOT_SEEN,
	CORR_A__MAX,
};
const char *corr_anomaly_name(int kind);

struct corr_anomaly {
	uint32_t kind;		/* CORR_A_* */
	uint32_t uncertain;	/* events were lost where this happened */
	uint32_t src, dst;	/* sender / target CPU */
	uint32_t msg;		/* IPT_MSG_* (IPIs) or IPT_CSD_TYPE_* (csds) */
	uint32_t target_active;	/* target produced events after ts */
	uint32_t resolved;	/* never_demuxed, stuck_csd: it ended later (received /
				 * ran / wait ended); slow_ipi, handled_work_not_seen:
				 * always; empty_demux_while_pending: never set */
	uint32_t waiter;	/* STUCK_CSD: a CPU spinning in csd_lock_wait */
	uint32_t via;		/* HANDLED_NOT_SEEN: the message kind that should
				 * have run it */
	uint64_t ts;		/* when it was sent/queued (oldest of the group) */
	uint64_t age_ns;	/* how long it stayed pending */
	uint64_t func, callsite, csd;
	uint64_t count;		/* identical items folded into this one */
	uint64_t lost;		/* events lost on src/dst around it */
	uint64_t unseen;	/* receives the kernel counted, the trace lacks */
};

/*
 * One pairing the correlator made, for callers that draw them (timeline):
 * a send taken by a receive, or a queued csd run by a function entry (or
 * completed by a flush).  The two ends are named by (CPU, timestamp) and
 * the event type, which is what identifies an event in a recording.
 */
enum corr_link_kind {
	CORR_L_IPI = 1,		/* SEND -> IPI_ENTRY or DEMUX */
	CORR_L_CSD,		/* CSD_QUEUE -> CSD_FUNC_ENTRY (or the flush) */
};

struct corr_link {
	uint32_t kind;		/* CORR_L_* */
	uint32_t msg;		/* IPT_MSG_* (IPI) or IPT_CSD_TYPE_* (csd) */
	uint32_t src, dst;	/* sending / receiving CPU */
	uint64_t from_ts;	/* the SEND / CSD_QUEUE event's timestamp */
	uint64_t to_ts;		/* the receiving event's timestamp */
	uint32_t to_type;	/* its IPT_EV_*; 0: a receive stamped before the
				 * send (skew), type not kept */
	uint32_t skewed;	/* answered by an event stamped just before it */
};

typedef void (*corr_link_fn)(void *ctx, const struct corr_link *l);

struct corr_opts {
	unsigned ncpus;
	uint64_t skew_ns;	/* cross-CPU timestamp tolerance */
	uint64_t reorder_ns;	/* how late an event may arrive out of order */
	uint64_t grace_ns;	/* pending at the end but younger: in flight */
	uint64_t threshold_ns;	/* slower than this: an anomaly */
	int unknown_loss;	/* events lost at unknown times: all uncertain */
	/* Receive hooks exist for this kind, so its sends can be verified. */
	int have_receive[IPT_MSG__MAX];
	int have_csd_entry;	/* csd_function_entry is hooked */
	/* Message kinds whose receive flushes the csd queue: CALL_FUNCTION
	 * since 5.8 (TTWU moved to the call-single queue); earlier kernels ran
	 * the wake list on RESCHEDULE.  Bits: IPT_DEMUX_BIT(kind). */
	uint32_t flush_kinds;
	/* CPUs whose events were traced (record --cpus); NULL means all. */
	const uint64_t *traced;
	/* Count IPI_ENTRY per CPU between these times (the /proc/interrupts
	 * snapshots) into corr_cpu.received_window. */
	uint64_t window_from, window_to;
	/* A window a little wider, for corr_cpu.received_wide, and one that
	 * holds only what surely fell between the two reads, for
	 * corr_cpu.received_inner. */
	uint64_t wide_from, wide_to, inner_from, inner_to;
	/* Every hook attached (record's start): sends and queues before it are
	 * never judged, receives before it never counted as unmatched. */
	uint64_t start_ns;
	/* Hooks began to detach (record's end; 0: never): a csd entry after it
	 * whose queue was not seen is not counted as unmatched. */
	uint64_t stop_ns;
	/* The csd function the kernel's text patching sends to every CPU
	 * (x86 do_sync_core, from text_poke_sync()); 0: unknown.  Patching is
	 * what flips tracepoints on and off, and the kernel can skip probes
	 * meanwhile (another tracer attaching), so an anomaly of such a csd is
	 * uncertain, never an accusation. */
	uint64_t patch_sync_func;
	/* Optional: called for every pairing as it is made (NULL: none). */
	corr_link_fn on_link;
	void *link_ctx;
};

void corr_opts_default(struct corr_opts *o, unsigned ncpus);

struct corr_counts {
	uint64_t events, lost_events;
	uint64_t events_late;		/* arrived past the reorder window */
	uint64_t lost_recursion;	/* of lost_events: timed recursion misses */
	uint64_t unseen;		/* per the kernel's counters, no time known */
	uint64_t sent, sent_unverifiable, received, matched, coalesced, skewed;
	uint64_t undelivered, ipi_uncertain, ipi_inflight_end, idle_wakes;
	uint64_t csd_queued, csd_executed, csd_local, csd_drained;
	uint64_t csd_stuck, csd_uncertain, csd_unconfirmed, csd_inflight_end;
	uint64_t csd_unmatched_entries, csd_unverifiable, received_unmatched;
	uint64_t csd_entry_not_seen;	/* proven run (dequeued), no entry seen */
	uint64_t anomalies_by_kind[CORR_A__MAX];
	uint64_t anomalies_dropped;	/* past the list cap, counted only */
};

struct corr;

struct corr *corr_new(const struct corr_opts *o);
/* Events may arrive up to reorder_ns out of timestamp order. */
void corr_feed(struct corr *c, const struct ipt_event *e);
/* The same for n events in a row: one call per chunk, not per event. */
void corr_feed_many(struct corr *c, const struct ipt_event *ev, size_t n);
/* Process everything still in the reorder window (no verdict yet). */
void corr_flush(struct corr *c);
/* `n` events on `cpu` are known to be missing with no time known: the
 * kernel's own counters (/proc/interrupts) saw more interrupts there than
 * the trace did.  Every verdict involving that CPU becomes uncertain. */
void corr_note_unseen(struct corr *c, unsigned cpu, uint64_t n);
/* Events were lost at unknown times: every verdict is uncertain. */
void corr_set_unknown_loss(struct corr *c);
/* End of trace at end_ns: drain, then judge what is still pending. */
void corr_finish(struct corr *c, uint64_t end_ns);
void corr_free(struct corr *c);

const struct corr_counts *corr_counts(const struct corr *c);
const struct corr_anomaly *corr_anomalies(const struct corr *c, size_t *n);
const struct corr_cpu *corr_cpu(const struct corr *c, unsigned cpu);
const struct corr_pair *corr_pair(const struct corr *c, unsigned src, unsigned dst);
/* Waits per (waiter, target, function); *dropped: waits past the table. */
const struct corr_wait_fn *corr_wait_fns(const struct corr *c, size_t *n, uint64_t *dropped);

#endif
