// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The correlator on synthetic event streams: every non-loss of DESIGN.md
 * section 4 that applies to a tracepoint kernel must give no verdict, and a
 * real loss must be flagged.
 */
#include "correlate.h"
#include "unit.h"

#define US 1000ull
#define MS 1000000ull
#define S 1000000000ull

#define F_CALLFN 0xffffffff81100000ull	/* generic_smp_call_function_single_interrupt */
#define F_TTWU 0xffffffff81200000ull	/* sched_ttwu_pending */
#define F_MB 0xffffffff81300000ull	/* ipi_mb */

static struct corr_opts opts;

static struct corr *mk(unsigned ncpus)
{
	corr_opts_default(&opts, ncpus);
	return corr_new(&opts);
}

static void ev(struct corr *c, uint32_t type, uint64_t ts, uint32_t cpu, uint32_t target,
	       uint32_t kind, uint64_t func, uint64_t csd)
{
	struct ipt_event e = {
		.type = type, .cpu = cpu, .ts = ts, .target = target, .kind = kind,
		.func = func, .callsite = 0xffffffff81000010ull, .csd = csd,
	};
	corr_feed(c, &e);
}

#define SEND(c, t, from, to, k) ev(c, IPT_EV_SEND, t, from, to, k, F_CALLFN, 0)
#define RECV(c, t, cpu, k) ev(c, IPT_EV_IPI_ENTRY, t, cpu, IPT_NO_CPU, k, 0, 0)
#define QUEUE(c, t, from, to, type, csd) ev(c, IPT_EV_CSD_QUEUE, t, from, to, type, F_MB, csd)
#define ENTRY(c, t, cpu, func, csd) ev(c, IPT_EV_CSD_FUNC_ENTRY, t, cpu, IPT_NO_CPU, 0, func, csd)
#define EXIT(c, t, cpu, func, csd) ev(c, IPT_EV_CSD_FUNC_EXIT, t, cpu, IPT_NO_CPU, 0, func, csd)
#define TICK(c, t, cpu) RECV(c, t, cpu, IPT_MSG_RESCHEDULE)	/* "CPU is alive" */

static size_t anomalies(struct corr *c, int kind, int uncertain)
{
	size_t n, k = 0;
	const struct corr_anomaly *a = corr_anomalies(c, &n);

	for (size_t i = 0; i < n; i++)
		if ((int)a[i].kind == kind && (int)a[i].uncertain == uncertain)
			k++;
	return k;
}

static size_t all_anomalies(struct corr *c)
{
	size_t n;

	corr_anomalies(c, &n);
	return n;
}

static void basic_match(void)
{
	struct corr *c = mk(2);

	SEND(c, 1 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1 * MS + 2 * US, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_pair(c, 0, 1)->ipi[IPT_MSG_CALL_FUNCTION].max, 2 * US);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* DESIGN 4.1: several sends of one message before the receive: one IPI. */
static void coalescing(void)
{
	struct corr *c = mk(3);

	SEND(c, 1 * MS, 0, 2, IPT_MSG_RESCHEDULE);
	SEND(c, 1 * MS + 100, 1, 2, IPT_MSG_RESCHEDULE);
	RECV(c, 1 * MS + 5 * US, 2, IPT_MSG_RESCHEDULE);
	RECV(c, 1 * MS + 9 * US, 2, IPT_MSG_RESCHEDULE);	/* finds nothing: fine */
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->matched, 2);
	CHECK_EQ(corr_counts(c)->coalesced, 1);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* The real loss: CPU 1 keeps running, the send is never received. */
static void real_loss_flagged(void)
{
	struct corr *c = mk(2);
	size_t n;

	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	for (int i = 1; i < 50; i++)
		ENTRY(c, 10 * MS + i * MS, 1, F_MB, 0);		/* local calls: alive */
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 1);
	CHECK_EQ(anomalies(c, CORR_A_NEVER_DEMUXED, 0), 1);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK(n == 1 && a[0].src == 0 && a[0].dst == 1 && a[0].target_active,
	      "anomaly src %u dst %u active %u", a[0].src, a[0].dst, a[0].target_active);
	CHECK_EQ(a[0].age_ns, 990 * MS);
	corr_free(c);
}

/* DESIGN 4.10: the same loss inside a window with drops is uncertain. */
static void drops_make_uncertain(void)
{
	struct corr *c = mk(2);
	struct ipt_event lost = { .type = IPT_EV_LOST, .cpu = 1, .ts = 5 * MS,
				  .target = IPT_NO_CPU, .func = 17, .callsite = 12 * MS };

	corr_feed(c, &lost);
	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_counts(c)->ipi_uncertain, 1);
	CHECK_EQ(corr_counts(c)->lost_events, 17);
	CHECK_EQ(anomalies(c, CORR_A_NEVER_DEMUXED, 1), 1);
	corr_free(c);
}

/* A loss long before the send does not excuse it. */
static void old_drops_do_not_excuse(void)
{
	struct corr *c = mk(2);
	struct ipt_event lost = { .type = IPT_EV_LOST, .cpu = 1, .ts = 1 * MS,
				  .target = IPT_NO_CPU, .func = 3, .callsite = 2 * MS };

	corr_feed(c, &lost);
	SEND(c, 100 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 1);
	corr_free(c);
}

static void recursion_misses_uncertain(void)
{
	struct corr *c;

	corr_opts_default(&opts, 2);
	opts.unknown_loss = 1;
	c = corr_new(&opts);
	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_counts(c)->ipi_uncertain, 1);
	corr_free(c);
}

/* A recursion miss (CPU unknown) near a never_demuxed send from CPU 0 to
 * CPU 1 is one lost event for the anomaly, not one per CPU; a miss that
 * names each CPU counts for each. */
static void recursion_window_counted_once(void)
{
	struct corr *c = mk(2);
	struct ipt_event rec = { .type = IPT_EV_LOST, .cpu = 0, .ts = 5 * MS, .target = IPT_NO_CPU,
				 .kind = IPT_LOST_RECURSION, .func = 1, .callsite = 12 * MS };
	struct ipt_event d0 = { .type = IPT_EV_LOST, .cpu = 0, .ts = 6 * MS, .target = IPT_NO_CPU,
				.func = 2, .callsite = 13 * MS };
	struct ipt_event d1 = { .type = IPT_EV_LOST, .cpu = 1, .ts = 7 * MS, .target = IPT_NO_CPU,
				.func = 4, .callsite = 14 * MS };
	size_t n;

	corr_feed(c, &rec);
	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK(n == 1 && a[0].uncertain, "one uncertain anomaly (%zu)", n);
	CHECK_EQ(a[0].lost, 1);
	corr_free(c);

	c = mk(2);
	corr_feed(c, &rec);
	corr_feed(c, &d0);
	corr_feed(c, &d1);
	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	a = corr_anomalies(c, &n);
	CHECK(n == 1, "one anomaly (%zu)", n);
	CHECK_EQ(a[0].lost, 1 + 2 + 4);
	corr_free(c);

	/* record writes a loss at its next tick, stamped with the window's
	 * start: behind newer events, yet not an event out of order, and
	 * still a window that makes the send uncertain. */
	c = mk(2);
	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	for (int i = 1; i <= 30; i++)
		TICK(c, 10 * MS + i * 10 * MS, 0);
	corr_feed(c, &rec);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->events_late, 0);
	CHECK_EQ(corr_counts(c)->ipi_uncertain, 1);
	corr_free(c);
}

/* Sent just before the trace ended: in flight, not lost. */
static void in_flight_at_end(void)
{
	struct corr *c = mk(2);

	SEND(c, 1 * S - 1 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	QUEUE(c, 1 * S - 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0xa0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_counts(c)->ipi_inflight_end, 1);
	CHECK_EQ(corr_counts(c)->csd_inflight_end, 1);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* DESIGN 4.3: target polling in idle: no IPI, the idle loop flushes. */
static void idle_polling_no_ipi(void)
{
	struct corr *c = mk(2);

	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0xa0);
	ev(c, IPT_EV_IDLE_WAKE, 1 * MS + 100, 0, 1, 0, 0, 0);
	ENTRY(c, 1 * MS + 30 * US, 1, F_MB, 0xa0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 1);
	CHECK_EQ(corr_counts(c)->idle_wakes, 1);
	CHECK_EQ(corr_counts(c)->sent, 0);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* DESIGN 4.2: llist_add() returned false, so no second IPI; the first
 * IPI's flush runs both. */
static void queue_not_empty_no_ipi(void)
{
	struct corr *c = mk(3);

	QUEUE(c, 1 * MS, 0, 2, IPT_CSD_TYPE_SYNC, 0xa0);
	SEND(c, 1 * MS + 100, 0, 2, IPT_MSG_CALL_FUNCTION);
	QUEUE(c, 1 * MS + 200, 1, 2, IPT_CSD_TYPE_ASYNC, 0xb0);	/* no send */
	RECV(c, 1 * MS + 3 * US, 2, IPT_MSG_CALL_FUNCTION);
	ENTRY(c, 1 * MS + 4 * US, 2, F_MB, 0xa0);
	ENTRY(c, 1 * MS + 5 * US, 2, F_MB, 0xb0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 2);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* DESIGN 4.9: TTWU csds run as one sched_ttwu_pending(first csd). */
static void ttwu_batch(void)
{
	struct corr *c = mk(2);

	ev(c, IPT_EV_CSD_QUEUE, 1 * MS, 0, 1, IPT_CSD_TYPE_TTWU, F_TTWU, 0x10);
	SEND(c, 1 * MS + 50, 0, 1, IPT_MSG_CALL_FUNCTION);
	ev(c, IPT_EV_CSD_QUEUE, 1 * MS + 1 * US, 0, 1, IPT_CSD_TYPE_TTWU, F_TTWU, 0x20);
	ev(c, IPT_EV_CSD_QUEUE, 1 * MS + 2 * US, 0, 1, IPT_CSD_TYPE_TTWU, F_TTWU, 0x30);
	RECV(c, 1 * MS + 4 * US, 1, IPT_MSG_CALL_FUNCTION);
	ENTRY(c, 1 * MS + 5 * US, 1, F_TTWU, 0x10);
	EXIT(c, 1 * MS + 7 * US, 1, F_TTWU, 0x10);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 3);
	CHECK_EQ(corr_counts(c)->csd_drained, 2);
	CHECK_EQ(corr_cpu(c, 1)->func.max, 2 * US);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* irq_work csds never get an entry: a later flush or call-function IPI on
 * the target drains them; with no evidence they are unconfirmed, never
 * stuck. */
static void irq_work_csds(void)
{
	struct corr *c = mk(2);

	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_IRQ_WORK, 0x40);
	SEND(c, 1 * MS + 50, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1 * MS + 3 * US, 1, IPT_MSG_CALL_FUNCTION);
	QUEUE(c, 2 * MS, 0, 1, IPT_CSD_TYPE_IRQ_WORK, 0x50);	/* no evidence */
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 1);
	CHECK_EQ(corr_counts(c)->csd_unconfirmed, 1);
	CHECK_EQ(corr_counts(c)->csd_stuck, 0);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* DESIGN 4.5: cpu == self runs the function locally with csd == NULL. */
static void self_call_local(void)
{
	struct corr *c = mk(2);

	ENTRY(c, 1 * MS, 0, F_MB, 0);
	EXIT(c, 1 * MS + 500, 0, F_MB, 0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_local, 1);
	CHECK_EQ(corr_counts(c)->csd_unmatched_entries, 0);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* DESIGN 4.4: flushes without an IPI (migration_cpu_stop, hotplug's
 * smpcfd_dying_cpu): entries with no IPI entry before them. */
static void flush_without_ipi(void)
{
	struct corr *c = mk(2);

	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_ASYNC, 0x60);
	SEND(c, 1 * MS + 50, 0, 1, IPT_MSG_CALL_FUNCTION);
	ENTRY(c, 1 * MS + 2 * US, 1, F_MB, 0x60);	/* flushed before the IPI lands */
	RECV(c, 1 * MS + 6 * US, 1, IPT_MSG_CALL_FUNCTION);	/* finds an empty queue */
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 1);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* A queued csd that never runs while its target keeps running. */
static void stuck_csd_flagged(void)
{
	struct corr *c = mk(2);
	size_t n;

	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0x70);
	SEND(c, 1 * MS + 50, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1 * MS + 3 * US, 1, IPT_MSG_CALL_FUNCTION);
	for (int i = 2; i < 100; i++)
		TICK(c, i * MS, 1);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_stuck, 1);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK(n == 1 && a[0].kind == CORR_A_STUCK_CSD && a[0].func == F_MB && a[0].csd == 0x70 &&
	      a[0].target_active, "n=%zu", n);
	corr_free(c);
}

/* A receive stamped before its send (cross-CPU clock skew) still answers it. */
static void skew_tolerated(void)
{
	struct corr *c = mk(2);

	RECV(c, 1 * MS, 1, IPT_MSG_CALL_FUNCTION);
	SEND(c, 1 * MS + 3 * US, 0, 1, IPT_MSG_CALL_FUNCTION);
	QUEUE(c, 5 * MS + 4 * US, 0, 1, IPT_CSD_TYPE_SYNC, 0x80);
	ENTRY(c, 5 * MS, 1, F_MB, 0x80);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(corr_counts(c)->csd_stuck, 0);
	CHECK_EQ(corr_counts(c)->skewed, 2);
	CHECK_EQ(corr_counts(c)->received_unmatched, 0);
	corr_free(c);
}

/* ...but an earlier unrelated receive must not steal a send whose own
 * receive comes after it: latency is the real one. */
static void skew_does_not_steal(void)
{
	struct corr *c = mk(2);

	RECV(c, 1 * MS, 1, IPT_MSG_CALL_FUNCTION);
	SEND(c, 1 * MS + 3 * US, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1 * MS + 13 * US, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(corr_counts(c)->skewed, 0);
	CHECK_EQ(corr_pair(c, 0, 1)->ipi[IPT_MSG_CALL_FUNCTION].max, 10 * US);
	corr_free(c);
}

/* Fast synchronous round trips (3.5 us): each receive takes one send. */
static void fast_round_trips(void)
{
	struct corr *c = mk(2);

	for (int i = 0; i < 10000; i++) {
		uint64_t t = 1 * MS + i * 3500ull;

		QUEUE(c, t, 0, 1, IPT_CSD_TYPE_SYNC, 0x90);
		SEND(c, t + 100, 0, 1, IPT_MSG_CALL_FUNCTION);
		RECV(c, t + 1500, 1, IPT_MSG_CALL_FUNCTION);
		ENTRY(c, t + 1800, 1, F_MB, 0x90);
		EXIT(c, t + 2000, 1, F_MB, 0x90);
	}
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->matched, 10000);
	CHECK_EQ(corr_counts(c)->coalesced, 0);
	CHECK_EQ(corr_counts(c)->csd_executed, 10000);
	CHECK_EQ(corr_pair(c, 0, 1)->ipi[IPT_MSG_CALL_FUNCTION].min, 1400);
	CHECK_EQ(corr_pair(c, 0, 1)->ipi[IPT_MSG_CALL_FUNCTION].max, 1400);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* Events arriving out of order (within the reorder window) change nothing. */
static void out_of_order_arrival(void)
{
	struct corr *c = mk(2);

	RECV(c, 1 * MS + 2 * US, 1, IPT_MSG_CALL_FUNCTION);
	ENTRY(c, 1 * MS + 3 * US, 1, F_MB, 0xa0);
	SEND(c, 1 * MS + 100, 0, 1, IPT_MSG_CALL_FUNCTION);
	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0xa0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(corr_counts(c)->skewed, 0);
	CHECK_EQ(corr_counts(c)->csd_executed, 1);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* Sends nothing can confirm are never called lost. */
static void unverifiable_sends(void)
{
	struct corr *c;
	uint64_t traced[1] = { 1 };	/* record --cpus 0 */

	corr_opts_default(&opts, 2);
	opts.traced = traced;
	c = corr_new(&opts);
	SEND(c, 1 * MS, 0, 0, IPT_MSG_OTHER);
	SEND(c, 1 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0xa0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->sent_unverifiable, 2);
	CHECK_EQ(corr_counts(c)->csd_unverifiable, 1);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* Async csds are unlocked before they run, so one csd can be queued again
 * before its first entry is seen: FIFO per (CPU, csd). */
static void csd_reuse_fifo(void)
{
	struct corr *c = mk(3);

	QUEUE(c, 1 * MS, 0, 2, IPT_CSD_TYPE_ASYNC, 0xc0);
	QUEUE(c, 1 * MS + 1 * US, 1, 2, IPT_CSD_TYPE_ASYNC, 0xc0);
	ENTRY(c, 1 * MS + 2 * US, 2, F_MB, 0xc0);
	ENTRY(c, 1 * MS + 3 * US, 2, F_MB, 0xc0);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 2);
	CHECK_EQ(corr_pair(c, 0, 2)->csd.max, 2 * US);
	CHECK_EQ(corr_pair(c, 1, 2)->csd.max, 2 * US);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

static void slow_delivery(void)
{
	struct corr *c = mk(2);

	SEND(c, 1 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1 * MS + 2 * S, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 3 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(anomalies(c, CORR_A_SLOW_IPI, 0), 1);
	corr_free(c);
}

/* Many identical stuck items fold into one anomaly with a count. */
static void folding(void)
{
	struct corr *c = mk(2);
	size_t n;

	for (int i = 0; i < 500; i++)
		SEND(c, 1 * MS + i * US, 0, 1, IPT_MSG_RESCHEDULE);
	corr_finish(c, 1 * S);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK_EQ(n, 1);
	CHECK_EQ(a[0].count, 500);
	CHECK_EQ(corr_counts(c)->undelivered, 500);
	corr_free(c);
}


/* A tentative (skewed) answer is kept when the next receive comes far
 * later: no false slow_ipi. */
static void tentative_beats_far_receive(void)
{
	struct corr *c = mk(2);

	RECV(c, 1 * MS, 1, IPT_MSG_CALL_FUNCTION);
	SEND(c, 1 * MS + 3 * US, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1300 * MS, 1, IPT_MSG_CALL_FUNCTION);
	corr_finish(c, 2 * S);
	CHECK_EQ(corr_counts(c)->matched, 1);
	CHECK_EQ(corr_counts(c)->skewed, 1);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* A sync csd reused while an earlier use is pending proves the earlier use
 * ran (csd_lock waits for it): one lost entry event must not shift every
 * later match by one call, nor end as a stuck csd. */
static void sync_csd_reuse_after_lost_entry(void)
{
	struct corr *c = mk(2);

	for (int i = 0; i < 100; i++) {
		uint64_t t = 1 * MS + i * 10 * US;

		QUEUE(c, t, 0, 1, IPT_CSD_TYPE_SYNC, 0x90);
		if (i != 40)	/* this entry event is lost */
			ENTRY(c, t + 2 * US, 1, F_MB, 0x90);
	}
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 100);
	CHECK_EQ(corr_counts(c)->csd_entry_not_seen, 1);
	CHECK_EQ(corr_counts(c)->csd_stuck, 0);
	CHECK_EQ(corr_pair(c, 0, 1)->csd.max, 2 * US);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}

/* The recorder stamps a LOST record at the previous 100 ms tick, so it
 * arrives long after the events it covers: still uncertain. */
static void late_lost_record(void)
{
	struct corr *c = mk(2);
	struct ipt_event lost = { .type = IPT_EV_LOST, .cpu = 1, .ts = 100 * MS,
				  .target = IPT_NO_CPU, .func = 9, .callsite = 150 * MS };

	SEND(c, 120 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 120 * MS + 1500 * MS, 1, IPT_MSG_CALL_FUNCTION);	/* slow */
	corr_feed(c, &lost);
	corr_finish(c, 3 * S);
	CHECK_EQ(anomalies(c, CORR_A_SLOW_IPI, 1), 1);
	CHECK_EQ(anomalies(c, CORR_A_SLOW_IPI, 0), 0);
	corr_free(c);
}

/* Only sends older than the grace are folded into an undelivered verdict;
 * a young one from the same source is in flight. */
static void young_sends_not_folded(void)
{
	struct corr *c = mk(2);
	size_t n;

	SEND(c, 10 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	SEND(c, 1 * S - 5 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	corr_finish(c, 1 * S);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK(n == 1 && a[0].count == 1, "n=%zu count=%" PRIu64, n, n ? a[0].count : 0);
	CHECK_EQ(corr_counts(c)->undelivered, 1);
	CHECK_EQ(corr_counts(c)->ipi_inflight_end, 1);
	corr_free(c);
}

/* The kernel counted receives the trace lacks (another tracer attaching
 * makes the kernel skip probes): verdicts on that CPU are uncertain. */
static void kernel_counted_more(void)
{
	struct corr *c = mk(2);

	SEND(c, 10 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	corr_flush(c);
	corr_note_unseen(c, 1, 4);
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_counts(c)->ipi_uncertain, 1);
	CHECK_EQ(anomalies(c, CORR_A_NEVER_DEMUXED, 1), 1);
	corr_free(c);
}

/* Hooks are attached one after another: what happened before every hook
 * was on (start_ns) is never judged nor counted as unmatched. */
static void before_start_not_judged(void)
{
	struct corr *c;

	corr_opts_default(&opts, 2);
	opts.start_ns = 5 * MS;
	c = corr_new(&opts);
	SEND(c, 1 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);		/* receive hook not yet on */
	QUEUE(c, 2 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0x10);
	RECV(c, 3 * MS, 1, IPT_MSG_RESCHEDULE);			/* its send not traced */
	ENTRY(c, 4 * MS, 1, F_MB, 0x20);
	corr_finish(c, 1 * S);
	CHECK_EQ(all_anomalies(c), 0);
	CHECK_EQ(corr_counts(c)->received_unmatched, 0);
	CHECK_EQ(corr_counts(c)->csd_unmatched_entries, 0);
	corr_free(c);
}

/* A csd queued while hooks attached, whose own run was missed: the entry of
 * a later use of the same csd (an entry whose queue event was lost too)
 * must not make it "stuck for 3 s" (seen in the 6.1 guest); and entries
 * after stop_ns (hooks detaching) with no queue are not unmatched. */
static void before_start_csd_not_judged(void)
{
	struct corr *c;

	corr_opts_default(&opts, 2);
	opts.start_ns = 5 * MS;
	opts.stop_ns = 4 * S;
	c = corr_new(&opts);
	QUEUE(c, 2 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0x10);
	ENTRY(c, 3 * S, 1, F_MB, 0x10);
	ENTRY(c, 4 * S + 1 * MS, 1, F_MB, 0x30);
	corr_finish(c, 5 * S);
	CHECK_EQ(all_anomalies(c), 0);
	CHECK_EQ(corr_counts(c)->csd_executed, 1);
	CHECK_EQ(corr_counts(c)->csd_unmatched_entries, 0);
	CHECK_EQ(corr_pair(c, 0, 1)->csd.count, 0);	/* not timed */
	corr_free(c);
}

/* The csd the kernel's text patching sends (do_sync_core): probes can be
 * skipped while tracepoints are switched, so its anomalies are uncertain;
 * the same pattern on another function is an accusation. */
static void patch_sync_uncertain(void)
{
	struct corr *c;
	const struct corr_anomaly *a;
	size_t n;

	corr_opts_default(&opts, 2);
	opts.patch_sync_func = F_MB;
	c = corr_new(&opts);
	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0x10);	/* F_MB: the patch sync */
	ENTRY(c, 1500 * MS, 1, F_MB, 0x10);			/* 1.5 s: stuck */
	corr_finish(c, 3 * S);
	a = corr_anomalies(c, &n);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && a[0].uncertain, "a patch-sync anomaly is uncertain");
	CHECK_EQ(corr_counts(c)->anomalies_by_kind[CORR_A_STUCK_CSD], 0);
	corr_free(c);
	opts.patch_sync_func = F_TTWU;
	c = corr_new(&opts);
	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0x10);
	ENTRY(c, 1500 * MS, 1, F_MB, 0x10);
	corr_finish(c, 3 * S);
	CHECK_EQ(corr_counts(c)->anomalies_by_kind[CORR_A_STUCK_CSD], 1);
	corr_free(c);
}

/* A timed recursion miss (CPU unknown) makes verdicts uncertain on every
 * CPU, but only inside its window. */
static void recursion_window(void)
{
	struct corr *c = mk(3);
	struct ipt_event lost = { .type = IPT_EV_LOST, .cpu = 0, .ts = 100 * MS,
				  .target = IPT_NO_CPU, .kind = IPT_LOST_RECURSION, .func = 1,
				  .callsite = 200 * MS };

	corr_feed(c, &lost);
	SEND(c, 150 * MS, 1, 2, IPT_MSG_CALL_FUNCTION);	/* inside: uncertain */
	SEND(c, 500 * MS, 1, 2, IPT_MSG_RESCHEDULE);		/* outside: a loss */
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->ipi_uncertain, 1);
	CHECK_EQ(corr_counts(c)->undelivered, 1);
	CHECK_EQ(corr_counts(c)->lost_recursion, 1);
	corr_free(c);
}


/* An async csd reused while an earlier use's entry was never traced: the
 * later entries must not each take the previous use and leave the last one
 * "stuck". */
static void async_csd_reuse_after_lost_entry(void)
{
	struct corr *c = mk(2);

	for (int i = 0; i < 20; i++) {
		uint64_t t = 1 * MS + i * 100 * US;

		QUEUE(c, t, 0, 1, IPT_CSD_TYPE_ASYNC, 0x88);
		if (i != 7)	/* this entry event is lost */
			ENTRY(c, t + 5 * US, 1, F_MB, 0x88);
	}
	corr_finish(c, 1 * S);
	CHECK_EQ(corr_counts(c)->csd_executed, 20);
	CHECK_EQ(corr_counts(c)->csd_stuck, 0);
	CHECK_EQ(corr_counts(c)->csd_entry_not_seen, 1);
	CHECK_EQ(corr_pair(c, 0, 1)->csd.max, 5 * US);
	CHECK_EQ(all_anomalies(c), 0);
	corr_free(c);
}


#define DEMUX(c, t, cpu, set) ev(c, IPT_EV_DEMUX, t, cpu, IPT_NO_CPU, 0, set, 0)
#define BIT(k) IPT_DEMUX_BIT(IPT_MSG_##k)

/* Flagged never_demuxed while pending (the target kept demuxing other
 * messages past the threshold), then taken: resolved, not a loss. */
static void never_demuxed_then_taken(void)
{
	struct corr *c = mk(2);
	size_t n;

	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	SEND(c, 1500 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	DEMUX(c, 1500 * MS + 5 * US, 1, BIT(RESCHEDULE));	/* flags it */
	DEMUX(c, 2 * S, 1, BIT(CALL_FUNCTION));		/* takes it */
	corr_finish(c, 3 * S);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK(n == 1 && a[0].kind == CORR_A_NEVER_DEMUXED && a[0].resolved &&
	      a[0].age_ns == 1990 * MS, "n=%zu", n);
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	CHECK_EQ(corr_counts(c)->matched, 2);
	corr_free(c);
}

/* An empty demux right after a send (within the skew tolerance: the SEND
 * event precedes the store of the message) is not an anomaly; one later is. */
static void empty_demux_margin(void)
{
	struct corr *c = mk(2);

	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	DEMUX(c, 10 * MS + 5 * US, 1, 0);
	DEMUX(c, 10 * MS + 8 * US, 1, BIT(CALL_FUNCTION));
	CHECK_EQ(all_anomalies(c), 0);
	SEND(c, 20 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	DEMUX(c, 20 * MS + 100 * US, 1, 0);
	DEMUX(c, 20 * MS + 108 * US, 1, BIT(CALL_FUNCTION));
	corr_finish(c, 1 * S);
	CHECK_EQ(anomalies(c, CORR_A_EMPTY_DEMUX, 0), 1);
	CHECK_EQ(all_anomalies(c), 1);
	corr_free(c);
}

/* On kernels since 5.8 only CALL_FUNCTION flushes the csd queue: a wake-up
 * queued before a RESCHEDULE that ran at a later call-function IPI is
 * healthy, not handled_work_not_seen. */
static void reschedule_is_no_flush(void)
{
	struct corr *c = mk(2);

	ev(c, IPT_EV_CSD_QUEUE, 1 * MS, 0, 1, IPT_CSD_TYPE_TTWU, F_TTWU, 0x10);
	SEND(c, 1 * MS + 1 * US, 0, 1, IPT_MSG_RESCHEDULE);
	RECV(c, 1 * MS + 5 * US, 1, IPT_MSG_RESCHEDULE);
	SEND(c, 2 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	RECV(c, 2 * MS + 5 * US, 1, IPT_MSG_RESCHEDULE);
	SEND(c, 3 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 3 * MS + 5 * US, 1, IPT_MSG_CALL_FUNCTION);
	ENTRY(c, 3 * MS + 6 * US, 1, F_TTWU, 0x10);
	corr_finish(c, 1 * S);
	CHECK_EQ(all_anomalies(c), 0);
	CHECK_EQ(corr_counts(c)->csd_executed, 1);
	corr_free(c);
}

/* A CPU spinning in csd_lock_wait() past the threshold, and one still
 * spinning when the trace ends. */
static void waiters(void)
{
	struct corr *c = mk(3);

	ev(c, IPT_EV_CSD_WAIT_BEGIN, 1 * MS, 0, 1, 0, F_MB, 0x10);
	ev(c, IPT_EV_CSD_WAIT_END, 1 * MS + 20 * US, 0, IPT_NO_CPU, 0, 0, 0);
	ev(c, IPT_EV_CSD_WAIT_BEGIN, 10 * MS, 0, 1, 0, F_MB, 0x10);
	ev(c, IPT_EV_CSD_WAIT_END, 1510 * MS, 0, IPT_NO_CPU, 0, 0, 0);
	ev(c, IPT_EV_CSD_WAIT_BEGIN, 2 * S, 2, 1, 0, F_MB, 0x20);
	corr_finish(c, 3 * S);
	CHECK_EQ(anomalies(c, CORR_A_STUCK_CSD, 0), 2);
	CHECK_EQ(corr_counts(c)->csd_stuck, 0);		/* waiters, not csds */
	CHECK_EQ(corr_pair(c, 0, 1)->wait.count, 2);
	CHECK_EQ(corr_pair(c, 0, 1)->wait.max, 1500 * MS);
	corr_free(c);
}

/* A wait for several CPUs (membarrier's smp_call_function_many): with the
 * csd queue events it is split per target, until each ran its csd, and
 * named by function; a waiter still spinning at the end names the target
 * whose csd never ran, not the first one. */
static void waits_per_target(void)
{
	struct corr *c = mk(4);
	const struct corr_wait_fn *w;
	const struct corr_anomaly *a;
	size_t n;

	ev(c, IPT_EV_CSD_WAIT_BEGIN, 1 * MS, 0, IPT_NO_CPU, 0, 0, 0);
	QUEUE(c, 1 * MS + 1 * US, 0, 1, IPT_CSD_TYPE_SYNC, 0x10);
	QUEUE(c, 1 * MS + 2 * US, 0, 2, IPT_CSD_TYPE_SYNC, 0x20);
	ENTRY(c, 1 * MS + 30 * US, 1, F_MB, 0x10);
	ENTRY(c, 1 * MS + 50 * US, 2, F_MB, 0x20);
	ev(c, IPT_EV_CSD_WAIT_END, 1 * MS + 60 * US, 0, IPT_NO_CPU, 0, 0, 0);
	/* CPU 3 waits for 1 and 2; 2 never runs it. */
	ev(c, IPT_EV_CSD_WAIT_BEGIN, 2 * S, 3, IPT_NO_CPU, 0, 0, 0);
	QUEUE(c, 2 * S + 1 * US, 3, 1, IPT_CSD_TYPE_SYNC, 0x30);
	QUEUE(c, 2 * S + 2 * US, 3, 2, IPT_CSD_TYPE_SYNC, 0x40);
	ENTRY(c, 2 * S + 40 * US, 1, F_MB, 0x30);
	corr_finish(c, 4 * S);
	CHECK_EQ(corr_pair(c, 0, 1)->wait.count, 1);
	CHECK_EQ(corr_pair(c, 0, 1)->wait.max, 30 * US);
	CHECK_EQ(corr_pair(c, 0, 2)->wait.max, 50 * US);
	CHECK_EQ(corr_cpu(c, 0)->wait.count, 1);
	CHECK_EQ(corr_cpu(c, 0)->wait.max, 60 * US);
	w = corr_wait_fns(c, &n, NULL);
	CHECK_EQ(n, 3);
	CHECK(n == 3 && w[0].waiter == 0 && w[0].target == 1 && w[0].func == F_MB, "by function");
	a = corr_anomalies(c, &n);
	CHECK_EQ(n, 2);	/* the waiter, and the csd 2 never ran */
	for (size_t i = 0; i < n; i++)
		CHECK(a[i].kind == CORR_A_STUCK_CSD && a[i].src == 3 && a[i].dst == 2 &&
		      a[i].func == F_MB, "stuck: %u -> %u", a[i].src, a[i].dst);
	corr_free(c);
}

/* Each send lands in exactly one outcome: matched, undelivered, uncertain,
 * unverifiable or in flight.  With --threshold below --grace a send flagged
 * during the trace must not also count as in flight at the end. */
static void outcomes_add_up(void)
{
	struct corr *c;
	const struct corr_counts *k;

	corr_opts_default(&opts, 2);
	opts.threshold_ns = 50 * MS;
	opts.grace_ns = 100 * MS;
	c = corr_new(&opts);
	SEND(c, 900 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);	/* never taken */
	SEND(c, 960 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	RECV(c, 960 * MS + 5 * US, 1, IPT_MSG_RESCHEDULE);	/* flags the first */
	SEND(c, 990 * MS, 0, 1, IPT_MSG_RESCHEDULE);		/* in flight */
	corr_finish(c, 1 * S);
	k = corr_counts(c);
	CHECK_EQ(k->undelivered, 1);
	CHECK_EQ(k->ipi_inflight_end, 1);
	CHECK_EQ(k->matched + k->undelivered + k->ipi_uncertain + k->sent_unverifiable +
		 k->ipi_inflight_end, k->sent);
	CHECK_EQ(all_anomalies(c), 1);
	corr_free(c);
}

/* Taken late while the target was taking other IPIs: the message sat
 * unseen (never_demuxed, resolved), not an unresponsive CPU (slow_ipi). */
static void late_but_receiving_is_never_demuxed(void)
{
	struct corr *c = mk(2);
	size_t n;

	SEND(c, 10 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	SEND(c, 1200 * MS, 0, 1, IPT_MSG_RESCHEDULE);
	RECV(c, 1200 * MS + 5 * US, 1, IPT_MSG_RESCHEDULE);	/* flags it (>1 s) */
	SEND(c, 1300 * MS, 0, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1300 * MS + 5 * US, 1, IPT_MSG_CALL_FUNCTION);	/* takes both */
	SEND(c, 1500 * MS, 1, 0, IPT_MSG_CALL_FUNCTION);
	RECV(c, 2600 * MS, 0, IPT_MSG_CALL_FUNCTION);		/* CPU 0 took nothing else */
	corr_finish(c, 3 * S);
	const struct corr_anomaly *a = corr_anomalies(c, &n);
	CHECK_EQ(n, 2);
	CHECK(a[0].kind == CORR_A_NEVER_DEMUXED && a[0].resolved && a[0].dst == 1, "first");
	CHECK(n > 1 && a[1].kind == CORR_A_SLOW_IPI && a[1].dst == 0, "second");
	CHECK_EQ(corr_counts(c)->undelivered, 0);
	corr_free(c);
}

static void percentiles(void)
{
	struct lat l = {0};
	uint64_t p50, p99;

	for (uint64_t v = 1; v <= 100000; v++)
		lat_add(&l, v);
	p50 = lat_percentile(&l, 50);
	p99 = lat_percentile(&l, 99);
	CHECK(p50 > 50000 * 0.94 && p50 < 50000 * 1.06, "p50 %" PRIu64, p50);
	CHECK(p99 > 99000 * 0.94 && p99 < 99000 * 1.06, "p99 %" PRIu64, p99);
	CHECK_EQ(lat_percentile(&l, 100), 100000);
	CHECK_EQ(l.min, 1);
	free(l.hist);
}

/* The link hook (timeline): every pairing reported once, with both ends
 * named by CPU, time and type; a coalesced receive answers two sends; a
 * never-taken send gets no link. */
struct links {
	struct corr_link l[8];
	size_t n;
};

static void on_link(void *ctx, const struct corr_link *l)
{
	struct links *ls = ctx;

	if (ls->n < 8)
		ls->l[ls->n] = *l;
	ls->n++;
}

static void links_reported(void)
{
	struct links ls = {0};
	struct corr *c;

	corr_opts_default(&opts, 3);
	opts.on_link = on_link;
	opts.link_ctx = &ls;
	c = corr_new(&opts);
	QUEUE(c, 1 * MS, 0, 1, IPT_CSD_TYPE_SYNC, 0x1000);
	SEND(c, 1 * MS + 1 * US, 0, 1, IPT_MSG_CALL_FUNCTION);
	SEND(c, 1 * MS + 2 * US, 2, 1, IPT_MSG_CALL_FUNCTION);
	RECV(c, 1 * MS + 5 * US, 1, IPT_MSG_CALL_FUNCTION);
	ENTRY(c, 1 * MS + 6 * US, 1, F_MB, 0x1000);
	EXIT(c, 1 * MS + 7 * US, 1, F_MB, 0x1000);
	SEND(c, 2 * MS, 0, 2, IPT_MSG_CALL_FUNCTION);	/* never received */
	for (int i = 1; i <= 3; i++)
		TICK(c, 2 * MS + i * S, 2);
	corr_finish(c, 5 * S);
	CHECK_EQ(ls.n, 3);
	CHECK_EQ(ls.l[0].kind, CORR_L_IPI);
	CHECK_EQ(ls.l[0].src, 0);
	CHECK_EQ(ls.l[0].dst, 1);
	CHECK_EQ(ls.l[0].from_ts, 1 * MS + 1 * US);
	CHECK_EQ(ls.l[0].to_ts, 1 * MS + 5 * US);
	CHECK_EQ(ls.l[0].to_type, IPT_EV_IPI_ENTRY);
	CHECK_EQ(ls.l[1].src, 2);
	CHECK_EQ(ls.l[1].to_ts, 1 * MS + 5 * US);
	CHECK_EQ(ls.l[2].kind, CORR_L_CSD);
	CHECK_EQ(ls.l[2].from_ts, 1 * MS);
	CHECK_EQ(ls.l[2].to_ts, 1 * MS + 6 * US);
	CHECK_EQ(ls.l[2].to_type, IPT_EV_CSD_FUNC_ENTRY);
	CHECK_EQ(ls.l[2].msg, IPT_CSD_TYPE_SYNC);
	CHECK_EQ(anomalies(c, CORR_A_NEVER_DEMUXED, 0), 1);
	corr_free(c);
}

UNIT_MAIN(CASE(basic_match), CASE(coalescing), CASE(real_loss_flagged),
	  CASE(drops_make_uncertain), CASE(old_drops_do_not_excuse),
	  CASE(recursion_misses_uncertain), CASE(recursion_window_counted_once), CASE(in_flight_at_end), CASE(idle_polling_no_ipi),
	  CASE(queue_not_empty_no_ipi), CASE(ttwu_batch), CASE(irq_work_csds),
	  CASE(self_call_local), CASE(flush_without_ipi), CASE(stuck_csd_flagged),
	  CASE(skew_tolerated), CASE(skew_does_not_steal), CASE(fast_round_trips),
	  CASE(out_of_order_arrival), CASE(unverifiable_sends), CASE(csd_reuse_fifo),
	  CASE(slow_delivery), CASE(folding), CASE(percentiles),
	  CASE(tentative_beats_far_receive), CASE(sync_csd_reuse_after_lost_entry),
	  CASE(late_lost_record), CASE(young_sends_not_folded), CASE(kernel_counted_more),
	  CASE(before_start_not_judged), CASE(before_start_csd_not_judged), CASE(patch_sync_uncertain), CASE(recursion_window),
	  CASE(async_csd_reuse_after_lost_entry), CASE(never_demuxed_then_taken),
	  CASE(empty_demux_margin), CASE(reschedule_is_no_flush), CASE(waiters), CASE(waits_per_target),
	  CASE(outcomes_add_up), CASE(late_but_receiving_is_never_demuxed),
	  CASE(links_reported))
