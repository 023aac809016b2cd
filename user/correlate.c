// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Correlation v1.  docs/correlation.md states the rules; in short:
 *
 *  - Events are put back in timestamp order through a reorder buffer: a
 *    sorted ring (arrival is nearly in order) with a small side heap for the
 *    few events that arrive far out of order.
 *  - Cross-CPU clock skew: a receive that finds nothing pending is held for
 *    skew_ns, and a send to that CPU stamped within skew_ns after it is
 *    tentatively answered by it.  A real receive after the send still takes
 *    it; only a send that would otherwise end unanswered is counted as
 *    matched (`skewed`).  So a fast round trip (3.5 us here) never lets a
 *    receive take the next send.  csd function entries are held the same
 *    way, by csd pointer.
 *  - IPIs: a receive on CPU c takes every pending send to c made before it
 *    of the kinds it covers: an IPI entry its own kind, a DEMUX (muxed IPIs,
 *    powerpc) every kind in the message set its xchg() took.  Several sends and one receive is coalescing (the
 *    APIC or the powerpc message word merges them), not a loss.
 *  - csds: queue and function entry share the csd pointer on the target CPU.
 *    An entry proves a flush that took every csd queued to that CPU before
 *    its own: IRQ_WORK csds (run by irq_work_single(), no entry event) and
 *    TTWU csds (run as one sched_ttwu_pending batch carrying the first csd)
 *    are completed by it; SYNC/ASYNC csds wait for their own entry.
 *  - A loss window on the sender or the target makes a verdict `uncertain`,
 *    never a loss.
 */
#include "correlate.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ latency */

static unsigned lat_index(uint64_t v)
{
	unsigned o;

	if (v < 8)
		return v;
	o = 63 - __builtin_clzll(v);
	return 8 + (o - 3) * 8 + ((v >> (o - 3)) & 7);
}

static uint64_t lat_value(unsigned i)
{
	unsigned o, sub;
	uint64_t lo, width;

	if (i < 8)
		return i;
	o = (i - 8) / 8 + 3;
	sub = (i - 8) % 8;
	lo = (uint64_t)(8 + sub) << (o - 3);
	width = 1ull << (o - 3);
	return lo + width / 2;	/* the bucket's middle */
}

/* lat_add(), inline for the correlator's own per-event use. */
static inline void lat_put(struct lat *l, uint64_t v)
{
	uint32_t *h;

	if (!l->hist)
		l->hist = xcalloc(LAT_BUCKETS, sizeof(uint32_t));
	if (!l->count || v < l->min)
		l->min = v;
	if (v > l->max)
		l->max = v;
	l->count++;
	l->sum += v;
	h = &l->hist[lat_index(v)];
	if (*h != UINT32_MAX)
		(*h)++;
}

void lat_add(struct lat *l, uint64_t v)
{
	lat_put(l, v);
}

uint64_t lat_percentile(const struct lat *l, double p)
{
	uint64_t rank, seen = 0;

	if (!l->count || !l->hist)
		return 0;
	if (p >= 100)
		return l->max;
	rank = (uint64_t)(p / 100.0 * (double)l->count);
	if (rank >= l->count)
		rank = l->count - 1;
	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		seen += l->hist[i];
		if (seen > rank) {
			uint64_t v = lat_value(i);

			/* Never report outside what was measured. */
			return v < l->min ? l->min : v > l->max ? l->max : v;
		}
	}
	return l->max;
}

void lat_log2(const struct lat *l, uint64_t out[64])
{
	memset(out, 0, 64 * sizeof(uint64_t));
	if (!l->hist)
		return;
	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		uint64_t v = lat_value(i);

		out[v ? 63 - __builtin_clzll(v) : 0] += l->hist[i];
	}
}

static void lat_free(struct lat *l)
{
	free(l->hist);
	l->hist = NULL;
}

/* ------------------------------------------------------------ state */

struct heap_item {
	uint64_t key, seq;
	struct ipt_event ev;
};

struct pend_send {
	uint64_t ts, key, callsite, func;
	uint64_t early;			/* tentative receive stamped before it */
	uint32_t src;
	uint32_t flags;			/* PS_* */
	uint32_t anom;			/* its never_demuxed anomaly + 1, or 0 */
};

#define PS_NEVER	1		/* reported never_demuxed */
#define PS_EMPTY	2		/* reported with an empty demux */

#define SENDQ_CAP 1024

struct sendq {				/* per (target, kind), FIFO ring */
	struct pend_send q[SENDQ_CAP];
	unsigned head, n;
	uint64_t overflow;		/* pending beyond the ring: counted only */
};

#define NIL UINT32_MAX

struct pcsd {				/* a pending csd */
	uint64_t csd, ts, key, func, callsite;
	uint64_t drained_at;		/* a flush took it (non-zero) */
	uint64_t early;			/* tentative entry stamped before it */
	uint64_t handled_at;		/* a receive took its sender's IPI */
	uint64_t wait_from;		/* its sender spun for it since then */
	uint32_t handled_kind;		/* ... of this message kind */
	uint32_t anom;			/* its stuck_csd anomaly + 1, or 0 */
	uint32_t src, dst, type;
	uint32_t hnext;			/* hash chain */
	uint32_t prev, next;		/* per-target list, oldest first */
};

#define EARLY_CSD 8

struct early_csd {			/* an entry that found no queue yet */
	uint64_t csd, ts;
};

struct lostwin {
	uint64_t from, to, count;
	int every_cpu;			/* a recursion miss: every CPU's window */
};

#define LOSTWIN_MAX 64

struct cpu_state {
	struct corr_cpu pub;
	uint32_t csd_head, csd_tail;	/* pending csds queued to this CPU */
	uint64_t fn_csd, fn_ts;		/* csd function running, for duration */
	uint32_t fn_src;		/* who queued it (IPT_NO_CPU: unknown) */
	int fn_running;
	uint32_t sendq_live;		/* bit k: sendq (this CPU, kind k) exists */
	uint64_t last_take[IPT_MSG__MAX];	/* last receive that took a send */
	uint64_t last_take_any;			/* ... of any kind */
	uint64_t wait_ts, wait_csd, wait_func;	/* spinning in csd_lock_wait */
	uint32_t wait_target;
	int waiting;
	int wait_attributed;		/* a csd of this wait carries it */
	uint32_t wait_last_target;	/* ... the last one that ran */
	uint64_t wait_last_func;
	struct lostwin lost[LOSTWIN_MAX];
	unsigned nlost;
	uint64_t early_recv[IPT_MSG__MAX];	/* unmatched receive's ts, 0: none */
	struct early_csd early_csd[EARLY_CSD];	/* ring of unmatched entries */
	unsigned early_csd_next;
	unsigned early_csd_live;		/* entries with a ts (not cleared) */
};

#define ANOMALY_CAP 10000
/* See on_csd_entry(): how late an async csd's entry may follow its reuse. */
#define ASYNC_REUSE_NS 2000

struct corr {
	struct corr_opts o;
	struct corr_counts cnt;
	struct cpu_state *cpu;
	struct corr_pair **pairs;	/* [src * ncpus + dst], lazily */
	struct sendq **sendq;		/* [dst * IPT_MSG__MAX + kind], lazily */
	/* pending csds: pool + hash on (dst, csd) */
	struct pcsd *pool;
	uint32_t pool_cap, free_head, npending;
	uint32_t *buckets;
	uint32_t nbuckets;
	/* reorder buffer: sorted ring + side heap (see corr_feed) */
	struct ipt_event *ring;
	size_t rhead, rn, rcap;		/* rcap a power of two */
	struct heap_item *heap;
	size_t nheap, heapcap;
	uint64_t seq, max_key;
	struct corr_anomaly *anom;
	size_t nanom;
	struct corr_wait_fn wait_fns[CORR_WAIT_FNS];
	size_t nwait_fns;
	uint64_t wait_fns_dropped;
	int finished;
	uint32_t cur_type;		/* IPT_EV_* of the event being processed */
};

const char *corr_anomaly_name(int kind)
{
	switch (kind) {
	case CORR_A_NEVER_DEMUXED: return "never_demuxed";
	case CORR_A_STUCK_CSD: return "stuck_csd";
	case CORR_A_SLOW_IPI: return "slow_ipi";
	case CORR_A_EMPTY_DEMUX: return "empty_demux_while_pending";
	case CORR_A_HANDLED_NOT_SEEN: return "handled_work_not_seen";
	}
	return "unknown";
}

void corr_opts_default(struct corr_opts *o, unsigned ncpus)
{
	memset(o, 0, sizeof(*o));
	o->ncpus = ncpus;
	o->skew_ns = 20000;		/* 20 us */
	o->reorder_ns = 10000000;	/* 10 ms */
	o->grace_ns = 100000000;	/* 100 ms */
	o->threshold_ns = 1000000000;	/* 1 s */
	o->have_csd_entry = 1;
	o->flush_kinds = IPT_DEMUX_BIT(IPT_MSG_CALL_FUNCTION);
	for (int k = 0; k < IPT_MSG__MAX; k++)
		o->have_receive[k] = 1;
	o->have_receive[IPT_MSG_OTHER] = 0;
}

struct corr *corr_new(const struct corr_opts *o)
{
	struct corr *c = xcalloc(1, sizeof(*c));

	c->o = *o;
	if (!c->o.ncpus)
		c->o.ncpus = 1;
	c->cpu = xcalloc(c->o.ncpus, sizeof(*c->cpu));
	for (unsigned i = 0; i < c->o.ncpus; i++)
		c->cpu[i].csd_head = c->cpu[i].csd_tail = NIL;
	c->pairs = xcalloc((size_t)c->o.ncpus * c->o.ncpus, sizeof(*c->pairs));
	c->sendq = xcalloc((size_t)c->o.ncpus * IPT_MSG__MAX, sizeof(*c->sendq));
	c->nbuckets = 256;
	c->buckets = xcalloc(c->nbuckets, sizeof(uint32_t));
	memset(c->buckets, 0xff, c->nbuckets * sizeof(uint32_t));
	c->free_head = NIL;
	return c;
}

static int traced(const struct corr *c, unsigned cpu)
{
	return !c->o.traced || test_bit64(c->o.traced, cpu);
}

static struct corr_pair *pair(struct corr *c, unsigned src, unsigned dst)
{
	struct corr_pair **p = &c->pairs[(size_t)src * c->o.ncpus + dst];

	if (!*p)
		*p = xcalloc(1, sizeof(**p));
	return *p;
}

/* Tell the caller (o.on_link) of one pairing. */
static void link(struct corr *c, uint32_t kind, uint32_t msg, uint32_t src, uint32_t dst,
		 uint64_t from_ts, uint64_t to_ts, uint32_t to_type, uint32_t skewed)
{
	if (c->o.on_link) {
		struct corr_link l = {
			.kind = kind, .msg = msg, .src = src, .dst = dst, .from_ts = from_ts,
			.to_ts = to_ts, .to_type = to_type, .skewed = skewed,
		};

		c->o.on_link(c->o.link_ctx, &l);
	}
}

/* Events lost on `cpu` overlapping [from, to]; with own_only, not those of
 * windows every CPU shares (a recursion miss, CPU unknown), so that an
 * anomaly adding its source's and its target's losses counts such a miss
 * once. */
static uint64_t lost_between(const struct corr *c, unsigned cpu, uint64_t from, uint64_t to,
			     int own_only)
{
	const struct cpu_state *s = &c->cpu[cpu];
	uint64_t n = 0;

	for (unsigned i = 0; i < s->nlost; i++)
		if (s->lost[i].to + c->o.skew_ns >= from && s->lost[i].from <= to + c->o.skew_ns &&
		    !(own_only && s->lost[i].every_cpu))
			n += s->lost[i].count;
	return n;
}

/* Returns a reference to update it later (index + 1), 0 past the cap. */
static uint32_t add_anomaly(struct corr *c, uint32_t kind, uint32_t src, uint32_t dst,
			    uint32_t msg, uint64_t ts, uint64_t age, uint64_t func,
			    uint64_t callsite, uint64_t csd, uint64_t count)
{
	struct corr_anomaly *a;

	/* Only recorded here: whether it is certain is decided in
	 * judge_anomalies(), once every loss window and the kernel's own
	 * counters are known (a LOST record can arrive 100 ms late). */
	if (c->nanom >= ANOMALY_CAP) {
		c->cnt.anomalies_dropped++;
		return 0;
	}
	if (c->nanom % 256 == 0)
		c->anom = xrealloc(c->anom, (c->nanom + 256) * sizeof(*c->anom));
	a = &c->anom[c->nanom++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->src = src;
	a->dst = dst;
	a->msg = msg;
	a->ts = ts;
	a->age_ns = age;
	a->func = func;
	a->callsite = callsite;
	a->csd = csd;
	a->count = count;
	a->target_active = c->cpu[dst].pub.last_ts > ts;
	return c->nanom;
}

static void judge_anomalies(struct corr *c)
{
	for (size_t i = 0; i < c->nanom; i++) {
		struct corr_anomaly *a = &c->anom[i];
		uint64_t end = a->ts + a->age_ns;

		a->lost = lost_between(c, a->src, a->ts, end, 0) +
			  (a->src != a->dst ? lost_between(c, a->dst, a->ts, end, 1) : 0);
		a->unseen = c->cpu[a->src].pub.unseen +
			    (a->src != a->dst ? c->cpu[a->dst].pub.unseen : 0);
		a->uncertain = a->lost || a->unseen || c->o.unknown_loss ||
			       (c->o.patch_sync_func && a->func == c->o.patch_sync_func);
		/* The outcome counts are of what never happened: resolved ones
		 * (received / ran late) and waiters are anomalies, not losses. */
		int ipi_lost = a->kind == CORR_A_NEVER_DEMUXED && !a->resolved;
		int csd_lost = a->kind == CORR_A_STUCK_CSD && !a->resolved && !a->waiter;

		if (a->uncertain) {
			if (ipi_lost)
				c->cnt.ipi_uncertain += a->count;
			else if (csd_lost)
				c->cnt.csd_uncertain += a->count;
			continue;
		}
		c->cnt.anomalies_by_kind[a->kind]++;
		if (ipi_lost)
			c->cnt.undelivered += a->count;
		else if (csd_lost)
			c->cnt.csd_stuck += a->count;
	}
}

/* ------------------------------------------------------------ IPIs */

static void csd_drain(struct corr *c, unsigned cpu, uint64_t before, uint64_t ts, int ttwu_too,
		      int proof);

static struct sendq *sendq(struct corr *c, unsigned dst, unsigned kind, int create)
{
	struct sendq **q = &c->sendq[(size_t)dst * IPT_MSG__MAX + kind];

	if (!*q && create) {
		*q = xcalloc(1, sizeof(**q));
		c->cpu[dst].sendq_live |= 1u << kind;
	}
	return *q;
}

static void on_send(struct corr *c, const struct ipt_event *e, uint64_t key)
{
	unsigned k = e->kind;
	struct sendq *q;

	c->cnt.sent++;
	c->cpu[e->cpu].pub.sent[k]++;
	pair(c, e->cpu, e->target)->sent[k]++;
	if (!c->o.have_receive[k] || !traced(c, e->target)) {
		c->cnt.sent_unverifiable++;
		return;
	}
	uint64_t *early = &c->cpu[e->target].early_recv[k], tentative = 0;

	if (*early && e->ts <= *early + c->o.skew_ns)
		tentative = *early;
	*early = 0;
	q = sendq(c, e->target, k, 1);
	if (q->n == SENDQ_CAP) {
		q->overflow++;
		return;
	}
	q->q[(q->head + q->n++) % SENDQ_CAP] = (struct pend_send){
		.ts = e->ts, .key = key, .callsite = e->callsite, .func = e->func, .src = e->cpu,
		.early = tentative,
	};
}

/* A send answered by a receive stamped just before it (cross-CPU skew):
 * matched with no latency, and that receive is no longer unmatched. */
static void match_skewed_send(struct corr *c, uint32_t src, unsigned dst, unsigned k,
			      uint64_t send_ts, uint64_t recv_ts)
{
	link(c, CORR_L_IPI, k, src, dst, send_ts, recv_ts, 0, 1);
	lat_put(&pair(c, src, dst)->ipi[k], 0);
	c->cnt.skewed++;
	c->cnt.matched++;
	c->cnt.received_unmatched--;
}

/* csds the sender `src` queued to `cpu` before its send at `sent` are the
 * work this receive of kind k should run (handled_work_not_seen). */
static void mark_handled(struct corr *c, unsigned cpu, uint32_t src, uint64_t sent, uint64_t at,
			 unsigned k)
{
	for (uint32_t i = c->cpu[cpu].csd_head; i != NIL; i = c->pool[i].next) {
		struct pcsd *p = &c->pool[i];

		if (p->ts > sent)
			break;
		if (p->src == src && !p->handled_at) {
			p->handled_at = at;
			p->handled_kind = k;
		}
	}
}

static struct corr_anomaly *anomaly_of(struct corr *c, uint32_t ref)
{
	return ref && ref <= c->nanom ? &c->anom[ref - 1] : NULL;
}

/*
 * A receive on e->cpu that takes every pending send of the kinds in `mask`
 * made before it: an IPI_ENTRY (mask = its kind) or a DEMUX (mask = the set
 * its xchg() took).
 */
static void on_receive(struct corr *c, const struct ipt_event *e, uint64_t key, uint32_t mask)
{
	struct cpu_state *s = &c->cpu[e->cpu];
	int demux = e->type == IPT_EV_DEMUX, any_taken = 0;

	if (demux) {
		s->pub.demuxes++;
		if (!mask)
			s->pub.empty_demuxes++;
	} else {
		c->cnt.received++;
		s->pub.received[e->kind]++;
		if (e->ts >= c->o.window_from && e->ts <= c->o.window_to)
			s->pub.received_window[e->kind]++;
		if (e->ts >= c->o.wide_from && e->ts <= c->o.wide_to)
			s->pub.received_wide[e->kind]++;
		if (e->ts >= c->o.inner_from && e->ts <= c->o.inner_to)
			s->pub.received_inner[e->kind]++;
	}
	/* Each kind in the mask, in ascending order. */
	for (uint32_t m = mask; m; m &= m - 1) {
		unsigned k = __builtin_ctz(m);
		struct sendq *q;
		unsigned taken = 0;

		q = sendq(c, e->cpu, k, 0);
		/* Take every pending send made before this receive. */
		while (q && q->n && q->q[q->head].key <= key) {
			struct pend_send *p = &q->q[q->head];
			uint64_t lat = e->ts > p->ts ? e->ts - p->ts : 0;
			struct corr_anomaly *a = anomaly_of(c, p->anom);

			if (p->early && lat > c->o.threshold_ns && !a) {
				/* A receive stamped just before it (skew) could have
				 * answered it: never call a send slow when it may not
				 * be. */
				match_skewed_send(c, p->src, e->cpu, k, p->ts, p->early);
				q->head = (q->head + 1) % SENDQ_CAP;
				q->n--;
				continue;
			}
			lat_put(&pair(c, p->src, e->cpu)->ipi[k], lat);
			link(c, CORR_L_IPI, k, p->src, e->cpu, p->ts, e->ts, e->type, 0);
			if (a) {
				/* Reported never_demuxed while pending: now it was. */
				a->resolved = 1;
				a->age_ns = lat;
			} else if (lat > c->o.threshold_ns) {
				/* Did the target take other IPIs meanwhile?  Then this
				 * message sat there unseen: never_demuxed, resolved now.
				 * Otherwise the CPU was just unresponsive: slow_ipi. */
				uint32_t ref = add_anomaly(c, s->last_take_any > p->ts ?
							   CORR_A_NEVER_DEMUXED : CORR_A_SLOW_IPI,
							   p->src, e->cpu, k, p->ts, lat, p->func,
							   p->callsite, 0, 1);

				if (anomaly_of(c, ref))
					anomaly_of(c, ref)->resolved = 1;
			}
			if (c->o.flush_kinds & IPT_DEMUX_BIT(k))
				mark_handled(c, e->cpu, p->src, p->ts, e->ts, k);
			q->head = (q->head + 1) % SENDQ_CAP;
			q->n--;
			taken++;
			c->cnt.matched++;
		}
		if (q && !q->n && q->overflow) {
			c->cnt.matched += q->overflow;
			taken += q->overflow;
			q->overflow = 0;
		}
		if (taken > 1)
			c->cnt.coalesced += taken - 1;
		if (taken)
			s->last_take[k] = e->ts;
		if (taken)
			any_taken = 1;
		/* Receives before start_ns (while hooks were being attached) may
		 * answer sends that were never traced: neither counted nor held. */
		if (!taken && e->ts >= c->o.start_ns) {
			c->cnt.received_unmatched++;
			s->early_recv[k] = e->ts ? e->ts : 1;
		}
	}
	if (any_taken)
		s->last_take_any = e->ts;
	/* A receive of a flush kind (CALL_FUNCTION on current kernels) flushes
	 * the whole csd queue: irq_work csds queued before it ran then, with no
	 * event of their own. */
	if (mask & c->o.flush_kinds)
		csd_drain(c, e->cpu, key, e->ts, 0, 0);

	/* The CPU is alive and receiving: a send of another kind pending past
	 * the threshold was never demuxed; an empty demux with a send pending
	 * (older than the skew tolerance: the SEND event precedes the store of
	 * the message) means the message was not visible to it. */
	for (uint32_t m = s->sendq_live & ~mask; m; m &= m - 1) {
		unsigned k = __builtin_ctz(m);
		struct sendq *q = sendq(c, e->cpu, k, 0);
		struct pend_send *p;

		if (!q->n)
			continue;
		p = &q->q[q->head];
		if (e->ts < p->ts)
			continue;
		/* A send a skewed receive may have answered, or one made while
		 * hooks were attaching, is never accused. */
		if (!(p->flags & PS_NEVER) && !p->early && p->ts >= c->o.start_ns &&
		    e->ts - p->ts > c->o.threshold_ns) {
			p->flags |= PS_NEVER;
			p->anom = add_anomaly(c, CORR_A_NEVER_DEMUXED, p->src, e->cpu, k, p->ts,
					      e->ts - p->ts, p->func, p->callsite, 0, 1);
		}
		if (demux && !mask && !(p->flags & PS_EMPTY) && e->ts - p->ts > c->o.skew_ns &&
		    p->ts >= c->o.start_ns) {
			p->flags |= PS_EMPTY;
			add_anomaly(c, CORR_A_EMPTY_DEMUX, p->src, e->cpu, k, p->ts, e->ts - p->ts,
				    p->func, p->callsite, 0, 1);
		}
	}
}

/* ------------------------------------------------------------ csds */

static uint32_t hash_csd(const struct corr *c, uint32_t dst, uint64_t csd)
{
	uint64_t h = (csd ^ ((uint64_t)dst << 48)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & (c->nbuckets - 1);
}

static void rehash(struct corr *c)
{
	uint32_t nb = c->nbuckets * 2;

	free(c->buckets);
	c->nbuckets = nb;
	c->buckets = xcalloc(nb, sizeof(uint32_t));
	memset(c->buckets, 0xff, nb * sizeof(uint32_t));
	/* Walk every target list: that visits exactly the pending entries. */
	for (unsigned cpu = 0; cpu < c->o.ncpus; cpu++)
		for (uint32_t i = c->cpu[cpu].csd_head; i != NIL; i = c->pool[i].next) {
			uint32_t b = hash_csd(c, c->pool[i].dst, c->pool[i].csd);

			c->pool[i].hnext = c->buckets[b];
			c->buckets[b] = i;
		}
}

static uint32_t pcsd_alloc(struct corr *c)
{
	uint32_t i;

	if (c->free_head == NIL) {
		uint32_t old = c->pool_cap;

		c->pool_cap = old ? old * 2 : 1024;
		c->pool = xrealloc(c->pool, c->pool_cap * sizeof(*c->pool));
		for (i = old; i < c->pool_cap; i++)
			c->pool[i].next = i + 1 < c->pool_cap ? i + 1 : NIL;
		c->free_head = old;
	}
	i = c->free_head;
	c->free_head = c->pool[i].next;
	return i;
}

static void pcsd_remove(struct corr *c, uint32_t i)
{
	struct pcsd *p = &c->pool[i];
	struct cpu_state *s = &c->cpu[p->dst];
	uint32_t *link = &c->buckets[hash_csd(c, p->dst, p->csd)];

	while (*link != i)
		link = &c->pool[*link].hnext;
	*link = p->hnext;
	if (p->prev != NIL)
		c->pool[p->prev].next = p->next;
	else
		s->csd_head = p->next;
	if (p->next != NIL)
		c->pool[p->next].prev = p->prev;
	else
		s->csd_tail = p->prev;
	p->next = c->free_head;
	c->free_head = i;
	c->npending--;
}

/* A pending csd proven dequeued (it ran) whose entry event was not seen. */
static void csd_done_unseen(struct corr *c, uint32_t i)
{
	c->cnt.csd_entry_not_seen++;
	c->cnt.csd_executed++;
	pcsd_remove(c, i);
}

/* A pending csd whose entry was stamped just before its queue (skew). */
static void csd_done_skewed(struct corr *c, uint32_t i)
{
	link(c, CORR_L_CSD, c->pool[i].type, c->pool[i].src, c->pool[i].dst, c->pool[i].ts,
	     c->pool[i].early, 0, 1);
	lat_put(&pair(c, c->pool[i].src, c->pool[i].dst)->csd, 0);
	c->cnt.csd_executed++;
	/* Its entry was counted unmatched, unless after stop_ns. */
	if (!c->o.stop_ns || c->pool[i].early <= c->o.stop_ns)
		c->cnt.csd_unmatched_entries--;
	c->cnt.skewed++;
	pcsd_remove(c, i);
}

static void on_csd_queue(struct corr *c, const struct ipt_event *e, uint64_t key)
{
	struct cpu_state *s;
	struct pcsd *p;
	uint32_t i, b, next_i;

	c->cnt.csd_queued++;
	pair(c, e->cpu, e->target)->csd_queued++;
	c->cpu[e->target].pub.csd_queued_to++;
	if (!c->o.have_csd_entry || !traced(c, e->target)) {
		c->cnt.csd_unverifiable++;
		return;
	}
	uint64_t tentative = 0;

	s = &c->cpu[e->target];
	/* A csd node cannot be on a queue twice, so a pending earlier use of
	 * this csd was dequeued by a flush by now.  All but ASYNC csds are
	 * unlocked only after their function ran (csd_lock() waits for that
	 * before reuse; TTWU and irq_work csds are re-armed only once run), so
	 * the earlier use is done even if its entry event is missing; an ASYNC
	 * one runs in the flush that took it, maybe after this event. */
	for (i = c->buckets[hash_csd(c, e->target, e->csd)]; e->csd && i != NIL; i = next_i) {
		next_i = c->pool[i].hnext;
		if (c->pool[i].dst != e->target || c->pool[i].csd != e->csd)
			continue;
		if (c->pool[i].type == IPT_CSD_TYPE_ASYNC) {
			if (!c->pool[i].drained_at)
				c->pool[i].drained_at = e->ts;
			continue;
		}
		csd_done_unseen(c, i);
	}
	for (unsigned j = 0; s->early_csd_live && j < EARLY_CSD; j++) {
		struct early_csd *x = &s->early_csd[j];

		if (x->csd == e->csd && x->ts && e->ts <= x->ts + c->o.skew_ns) {
			tentative = x->ts;
			x->csd = 0;
			x->ts = 0;
			s->early_csd_live--;
		}
	}
	if (c->npending + 1 > c->nbuckets)
		rehash(c);
	i = pcsd_alloc(c);
	p = &c->pool[i];
	/* Field by field: a compound literal compiled to a `rep stos` of the
	 * whole struct, a tenth of process()'s time.  Every field is set
	 * (hnext below); the assert is a reminder to set a new one here. */
	_Static_assert(sizeof(struct pcsd) == 9 * 8 + 8 * 4, "set every pcsd field");
	p->csd = e->csd;
	p->ts = e->ts;
	p->key = key;
	p->func = e->func;
	p->callsite = e->callsite;
	p->drained_at = 0;
	p->early = tentative;
	p->handled_at = 0;
	p->wait_from = 0;
	p->handled_kind = 0;
	p->anom = 0;
	p->src = e->cpu;
	p->dst = e->target;
	p->type = e->kind;
	p->prev = s->csd_tail;
	p->next = NIL;
	/* A SYNC csd queued by a CPU spinning in csd_lock_wait(): that wait
	 * is for this target, until it runs this csd.  Not a wait begun while
	 * hooks were still being attached, nor one whose function is another:
	 * its end was missed, the CPU spins no more. */
	if (p->type == IPT_CSD_TYPE_SYNC && c->cpu[e->cpu].waiting && e->target != e->cpu &&
	    c->cpu[e->cpu].wait_ts >= c->o.start_ns &&
	    (!c->cpu[e->cpu].wait_func || c->cpu[e->cpu].wait_func == e->func)) {
		struct cpu_state *w = &c->cpu[e->cpu];

		p->wait_from = w->wait_ts;
		w->wait_attributed = 1;
		if (!w->wait_func)
			w->wait_func = e->func;
	}
	b = hash_csd(c, p->dst, p->csd);
	p->hnext = c->buckets[b];
	c->buckets[b] = i;
	if (s->csd_tail != NIL)
		c->pool[s->csd_tail].next = i;
	else
		s->csd_head = i;
	s->csd_tail = i;
	c->npending++;
}

static void wait_fn_add(struct corr *c, uint32_t waiter, uint32_t target, uint64_t func,
			uint64_t d)
{
	size_t i;

	lat_put(&pair(c, waiter, target)->wait, d);
	for (i = 0; i < c->nwait_fns; i++)
		if (c->wait_fns[i].waiter == waiter && c->wait_fns[i].target == target &&
		    c->wait_fns[i].func == func)
			break;
	if (i == c->nwait_fns) {
		if (i == CORR_WAIT_FNS) {
			c->wait_fns_dropped++;
			return;
		}
		c->wait_fns[c->nwait_fns++] = (struct corr_wait_fn){ waiter, target, func, {0} };
	}
	lat_put(&c->wait_fns[i].lat, d);
}

static void csd_complete(struct corr *c, uint32_t i, uint64_t ts)
{
	struct pcsd *p = &c->pool[i];
	struct cpu_state *s = &c->cpu[p->dst];
	uint64_t lat = ts > p->ts ? ts - p->ts : 0;

	/* Queued while hooks were being attached: not judged, not timed (its
	 * own run may have been missed, so this "run" can be a later use's). */
	if (p->ts < c->o.start_ns) {
		c->cnt.csd_executed++;
		pcsd_remove(c, i);
		return;
	}
	lat_put(&pair(c, p->src, p->dst)->csd, lat);
	link(c, CORR_L_CSD, p->type, p->src, p->dst, p->ts, ts, c->cur_type, 0);
	if (p->wait_from && ts >= p->wait_from) {
		wait_fn_add(c, p->src, p->dst, p->func, ts - p->wait_from);
		c->cpu[p->src].wait_last_target = p->dst;
		c->cpu[p->src].wait_last_func = p->func;
	}
	if (lat > c->o.threshold_ns) {
		uint32_t ref = add_anomaly(c, CORR_A_STUCK_CSD, p->src, p->dst, p->type, p->ts, lat,
					   p->func, p->callsite, p->csd, 1);

		if (anomaly_of(c, ref))
			anomaly_of(c, ref)->resolved = 1;
	}
	/* The receive that took its sender's IPI should have run it; a later
	 * receive of the same kind came before it ran (the 2012 powerpc
	 * wake_list bug). */
	if (p->handled_at && s->last_take[p->handled_kind] > p->handled_at &&
	    s->last_take[p->handled_kind] <= ts) {
		uint32_t ref = add_anomaly(c, CORR_A_HANDLED_NOT_SEEN, p->src, p->dst, p->type,
					   p->ts, ts - p->ts, p->func, p->callsite, p->csd, 1);

		if (anomaly_of(c, ref)) {
			anomaly_of(c, ref)->via = p->handled_kind;
			anomaly_of(c, ref)->resolved = 1;
		}
	}
	c->cnt.csd_executed++;
	pcsd_remove(c, i);
}

/* csd_lock_wait() spins, timed at its callers (CSD_WAIT_BEGIN/END). */
static void on_wait_begin(struct corr *c, const struct ipt_event *e)
{
	struct cpu_state *s = &c->cpu[e->cpu];

	s->waiting = 1;
	s->wait_ts = e->ts;
	s->wait_target = e->target;
	s->wait_csd = e->csd;
	s->wait_func = e->func;
	s->wait_attributed = 0;
}

static void on_wait_end(struct corr *c, const struct ipt_event *e)
{
	struct cpu_state *s = &c->cpu[e->cpu];
	uint64_t d;

	if (!s->waiting || e->ts < s->wait_ts) {
		s->waiting = 0;
		return;
	}
	d = e->ts - s->wait_ts;
	s->waiting = 0;
	lat_put(&s->pub.wait, d);
	/* Per target: by its csds (csd_complete) when they were seen. */
	if (s->wait_target < c->o.ncpus && !s->wait_attributed)
		lat_put(&pair(c, e->cpu, s->wait_target)->wait, d);
	if (d > c->o.threshold_ns) {
		/* The target that ran its csd last held the wait longest. */
		uint32_t t = s->wait_attributed ? s->wait_last_target : s->wait_target;
		uint64_t fn = s->wait_attributed ? s->wait_last_func : s->wait_func;
		uint32_t ref = add_anomaly(c, CORR_A_STUCK_CSD, e->cpu, t < c->o.ncpus ? t : e->cpu,
					   IPT_CSD_TYPE_SYNC, s->wait_ts, d, fn, 0, s->wait_csd, 1);

		if (anomaly_of(c, ref)) {
			anomaly_of(c, ref)->waiter = 1;
			anomaly_of(c, ref)->resolved = 1;
		}
	}
}

/*
 * A flush ran on `cpu` at `ts`; csds queued there before `before` were on
 * its list.  IRQ_WORK csds (and, for a TTWU batch, TTWU ones) never get an
 * entry of their own: complete them.  With `proof` (the flush ran a csd
 * queued after them, more than skew_ns later) SYNC/ASYNC ones are marked as
 * dequeued; an IPI entry alone is no proof: an IPI that arrives without
 * its work being seen is the very bug this tool looks for.
 */
static void csd_drain(struct corr *c, unsigned cpu, uint64_t before, uint64_t ts, int ttwu_too,
		      int proof)
{
	uint32_t i = c->cpu[cpu].csd_head, next;

	for (; i != NIL && c->pool[i].key <= before; i = next) {
		struct pcsd *p = &c->pool[i];

		next = p->next;
		if (p->type == IPT_CSD_TYPE_IRQ_WORK || (ttwu_too && p->type == IPT_CSD_TYPE_TTWU)) {
			c->cnt.csd_drained++;
			csd_complete(c, i, ts);
		} else if (proof && !p->drained_at && p->key + c->o.skew_ns < before) {
			p->drained_at = ts;
		}
	}
}

/* Is another use of the same csd on the same CPU pending? */
static int has_newer_use(const struct corr *c, uint32_t idx)
{
	const struct pcsd *p = &c->pool[idx];

	for (uint32_t i = c->buckets[hash_csd(c, p->dst, p->csd)]; i != NIL; i = c->pool[i].hnext)
		if (i != idx && c->pool[i].dst == p->dst && c->pool[i].csd == p->csd)
			return 1;
	return 0;
}

static void on_csd_entry(struct corr *c, const struct ipt_event *e, uint64_t key)
{
	struct cpu_state *s = &c->cpu[e->cpu];
	uint32_t i, best = NIL;

	s->fn_running = 1;
	s->fn_csd = e->csd;
	s->fn_ts = e->ts;
	s->fn_src = IPT_NO_CPU;
	if (!e->csd) {
		/* cpu == self: run locally, never queued (DESIGN.md 4.5). */
		c->cnt.csd_local++;
		return;
	}
	s->pub.csd_executed++;
	for (;;) {
		/* The oldest pending csd with this pointer on this CPU. */
		best = NIL;
		for (i = c->buckets[hash_csd(c, e->cpu, e->csd)]; i != NIL; i = c->pool[i].hnext) {
			const struct pcsd *p = &c->pool[i];

			if (p->dst == e->cpu && p->csd == e->csd && p->key <= key &&
			    (best == NIL || p->key < c->pool[best].key))
				best = i;
		}
		if (best != NIL && c->pool[best].drained_at &&
		    e->ts > c->pool[best].drained_at + ASYNC_REUSE_NS &&
		    has_newer_use(c, best)) {
			/* The oldest use was dequeued before a newer use was queued
			 * (an async csd reused); an entry of the old use follows its
			 * unlock within ns, one of the new use needs an IPI round:
			 * this one is the new use's, the old one's was missed.  Wrong
			 * only towards "entry not seen", never towards stuck. */
			csd_done_unseen(c, best);
			continue;
		}
		if (best == NIL || !c->pool[best].early ||
		    e->ts - c->pool[best].ts <= c->o.threshold_ns)
			break;
		/* Its entry stamped just before the queue (skew) may have been
		 * the one: rather that than calling it slow. */
		csd_done_skewed(c, best);
	}
	if (best == NIL) {
		/* Queued before the trace started, its queue event was lost, or its
		 * queue is stamped a little later (skew): hold it for skew_ns. */
		if (e->ts < c->o.start_ns)
			return;
		if (!c->o.stop_ns || e->ts <= c->o.stop_ns)
			c->cnt.csd_unmatched_entries++;
		if (!s->early_csd[s->early_csd_next].ts)
			s->early_csd_live++;
		s->early_csd[s->early_csd_next] = (struct early_csd){ e->csd, e->ts ? e->ts : 1 };
		s->early_csd_next = (s->early_csd_next + 1) % EARLY_CSD;
		return;
	}
	s->fn_src = c->pool[best].src;
	if (c->pool[best].type == IPT_CSD_TYPE_TTWU) {
		/* One sched_ttwu_pending() runs the whole batch. */
		csd_complete(c, best, e->ts);
		csd_drain(c, e->cpu, key, e->ts, 1, 1);
	} else {
		uint64_t qkey = c->pool[best].key;

		csd_complete(c, best, e->ts);
		csd_drain(c, e->cpu, qkey, e->ts, 0, 1);
	}
}

static void on_csd_exit(struct corr *c, const struct ipt_event *e)
{
	struct cpu_state *s = &c->cpu[e->cpu];

	if (s->fn_running && s->fn_csd == e->csd && e->ts >= s->fn_ts) {
		lat_put(&s->pub.func, e->ts - s->fn_ts);
		if (s->fn_src < c->o.ncpus)
			lat_put(&pair(c, s->fn_src, e->cpu)->func, e->ts - s->fn_ts);
	}
	s->fn_running = 0;
}

/* ------------------------------------------------------------ dispatch */

static void lost_window(struct corr *c, unsigned cpu, uint64_t from, uint64_t to, uint64_t n,
			int every_cpu)
{
	struct cpu_state *s = &c->cpu[cpu];

	if (s->nlost == LOSTWIN_MAX) {
		/* Merge into the last window: wider, never narrower; shared
		 * only while everything merged into it is. */
		struct lostwin *w = &s->lost[LOSTWIN_MAX - 1];

		w->to = to > w->to ? to : w->to;
		w->count += n;
		w->every_cpu = w->every_cpu && every_cpu;
		return;
	}
	s->lost[s->nlost++] = (struct lostwin){ from, to, n, every_cpu };
}

static void on_lost(struct corr *c, const struct ipt_event *e)
{
	uint64_t to = e->callsite > e->ts ? e->callsite : e->ts;

	c->cnt.lost_events += e->func;
	if (e->kind == IPT_LOST_RECURSION) {
		/* Which CPU missed is not known: the window is every CPU's. */
		c->cnt.lost_recursion += e->func;
		for (unsigned cpu = 0; cpu < c->o.ncpus; cpu++)
			lost_window(c, cpu, e->ts, to, e->func, 1);
		return;
	}
	c->cpu[e->cpu].pub.lost += e->func;
	lost_window(c, e->cpu, e->ts, to, e->func, 0);
}

static void process(struct corr *c, const struct ipt_event *e, uint64_t key)
{
	if (e->type == IPT_EV_LOST) {
		on_lost(c, e);
		return;
	}
	c->cur_type = e->type;
	c->cnt.events++;
	c->cpu[e->cpu].pub.events++;
	if (e->ts > c->cpu[e->cpu].pub.last_ts)
		c->cpu[e->cpu].pub.last_ts = e->ts;
	switch (e->type) {
	case IPT_EV_SEND:
		if (e->target < c->o.ncpus && e->kind < IPT_MSG__MAX)
			on_send(c, e, key);
		break;
	case IPT_EV_IPI_ENTRY:
		if (e->kind < IPT_MSG__MAX)
			on_receive(c, e, key, IPT_DEMUX_BIT(e->kind));
		break;
	case IPT_EV_DEMUX:
		on_receive(c, e, key, (uint32_t)e->func & (IPT_DEMUX_BIT(IPT_MSG__MAX) - 1));
		break;
	case IPT_EV_CSD_WAIT_BEGIN:
		on_wait_begin(c, e);
		break;
	case IPT_EV_CSD_WAIT_END:
		on_wait_end(c, e);
		break;
	case IPT_EV_CSD_QUEUE:
		if (e->target < c->o.ncpus)
			on_csd_queue(c, e, key);
		break;
	case IPT_EV_CSD_FUNC_ENTRY:
		on_csd_entry(c, e, key);
		break;
	case IPT_EV_CSD_FUNC_EXIT:
		on_csd_exit(c, e);
		break;
	case IPT_EV_IDLE_WAKE:
		c->cnt.idle_wakes++;
		if (e->target < c->o.ncpus)
			c->cpu[e->target].pub.idle_wakes++;
		break;
	default:
		break;
	}
}

/* Min-heap on (key, seq). */
static int hless(const struct heap_item *a, const struct heap_item *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void heap_push(struct corr *c, const struct heap_item *it)
{
	size_t i;

	if (c->nheap == c->heapcap) {
		c->heapcap = c->heapcap ? c->heapcap * 2 : 4096;
		c->heap = xrealloc(c->heap, c->heapcap * sizeof(*c->heap));
	}
	i = c->nheap++;
	while (i && hless(it, &c->heap[(i - 1) / 2])) {
		c->heap[i] = c->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	c->heap[i] = *it;
}

static void heap_pop(struct corr *c, struct heap_item *out)
{
	struct heap_item last;
	size_t i = 0;

	*out = c->heap[0];
	last = c->heap[--c->nheap];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < c->nheap && hless(&c->heap[l], &last))
			m = l;
		if (l + 1 < c->nheap && hless(&c->heap[l + 1], m == i ? &last : &c->heap[l]))
			m = l + 1;
		if (m == i)
			break;
		c->heap[i] = c->heap[m];
		i = m;
	}
	if (c->nheap)
		c->heap[i] = last;
}

#define RING_SHIFTS 32	/* more out of order than this: the side heap */

static void ring_grow(struct corr *c)
{
	size_t ncap = c->rcap ? c->rcap * 2 : 4096;
	struct ipt_event *n = xcalloc(ncap, sizeof(*n));

	for (size_t i = 0; i < c->rn; i++)
		n[i] = c->ring[(c->rhead + i) & (c->rcap - 1)];
	free(c->ring);
	c->ring = n;
	c->rcap = ncap;
	c->rhead = 0;
}

/* Put e in order: append, or shift a few newer ones up; an event that
 * would need more shifts goes to the side heap instead, so a badly ordered
 * input costs log n per event, never n. */
static __attribute__((noinline)) void reorder_insert(struct corr *c, const struct ipt_event *e)
{
	size_t pos, mask, shifts = 0;

	if (c->rn == c->rcap)
		ring_grow(c);
	mask = c->rcap - 1;
	pos = c->rn;
	while (pos && c->ring[(c->rhead + pos - 1) & mask].ts > e->ts) {
		if (++shifts > RING_SHIFTS) {
			struct heap_item it = { .key = e->ts, .seq = c->seq++, .ev = *e };

			/* Undo the shifts made so far, then use the heap. */
			for (size_t p = pos; p < c->rn; p++)
				c->ring[(c->rhead + p) & mask] = c->ring[(c->rhead + p + 1) & mask];
			heap_push(c, &it);
			return;
		}
		c->ring[(c->rhead + pos) & mask] = c->ring[(c->rhead + pos - 1) & mask];
		pos--;
	}
	c->ring[(c->rhead + pos) & mask] = *e;
	c->rn++;
}

/* The usual case, inline: room in the ring and e not older than its
 * newest event, so it goes at the end. */
static inline void reorder_push(struct corr *c, const struct ipt_event *e)
{
	size_t mask = c->rcap - 1;

	if (c->rn && c->rn < c->rcap && c->ring[(c->rhead + c->rn - 1) & mask].ts <= e->ts) {
		c->ring[(c->rhead + c->rn) & mask] = *e;
		c->rn++;
		return;
	}
	reorder_insert(c, e);
}

/* Process the oldest buffered event if it is older than `limit`; 0 if
 * there is none. */
static int reorder_release(struct corr *c, uint64_t limit)
{
	const struct ipt_event *r = c->rn ? &c->ring[c->rhead] : NULL;
	int use_heap = c->nheap && (!r || c->heap[0].key < r->ts);

	if (use_heap && c->heap[0].key < limit) {
		struct heap_item top;

		heap_pop(c, &top);
		process(c, &top.ev, top.key);
		return 1;
	}
	if (!use_heap && r && r->ts < limit) {
		/* Processed in place: process() never pushes, so the slot
		 * stays intact while it runs. */
		c->rhead = (c->rhead + 1) & (c->rcap - 1);
		c->rn--;
		process(c, r, r->ts);
		return 1;
	}
	return 0;
}

static inline void feed_one(struct corr *c, const struct ipt_event *e)
{
	uint64_t limit;

	if (e->cpu >= c->o.ncpus)
		return;
	if (e->type == IPT_EV_LOST) {
		/* A loss is a window [ts, callsite], judged after the whole
		 * trace: never late.  record writes it at its 100 ms tick with
		 * the window's start, already behind the events it read (seen:
		 * one recursion miss counted as an event out of order). */
		process(c, e, e->ts);
		return;
	}
	if (e->ts + c->o.reorder_ns < c->max_key) {
		/* Later than the reorder window: everything buffered is newer
		 * than the window's start, so this is still in order.  Counted:
		 * what came before it was judged without it. */
		c->cnt.events_late++;
		process(c, e, e->ts);
		return;
	}
	reorder_push(c, e);
	if (e->ts > c->max_key)
		c->max_key = e->ts;
	if (c->max_key <= c->o.reorder_ns)
		return;
	limit = c->max_key - c->o.reorder_ns;
	if (c->nheap) {
		while (reorder_release(c, limit))
			;
		return;
	}
	/* No side heap (the usual case): release from the ring alone, as
	 * reorder_release() would, without asking it once more per event.
	 * process() never touches the ring, so its place stays in registers.
	 * The ring outgrows the caches (10 ms of events), hence the prefetch
	 * of what comes next. */
	struct ipt_event *ring = c->ring;
	size_t mask = c->rcap - 1, head = c->rhead, n = c->rn;

	while (n && ring[head].ts < limit) {
		const struct ipt_event *r = &ring[head];

		__builtin_prefetch(&ring[(head + 8) & mask]);
		head = (head + 1) & mask;
		n--;
		c->rhead = head;
		c->rn = n;
		process(c, r, r->ts);
	}
}

void corr_feed(struct corr *c, const struct ipt_event *e)
{
	if (!c->finished)
		feed_one(c, e);
}

void corr_feed_many(struct corr *c, const struct ipt_event *ev, size_t n)
{
	if (c->finished)
		return;
	for (size_t i = 0; i < n; i++)
		feed_one(c, &ev[i]);
}

void corr_flush(struct corr *c)
{
	while (reorder_release(c, UINT64_MAX))
		;
}

void corr_set_unknown_loss(struct corr *c)
{
	c->o.unknown_loss = 1;
}

void corr_note_unseen(struct corr *c, unsigned cpu, uint64_t n)
{
	if (cpu < c->o.ncpus) {
		c->cpu[cpu].pub.unseen += n;
		c->cnt.unseen += n;
	}
}

/* Fold pending items of one (src, dst, msg) into one anomaly each. */
/* A csd that waiter `w`, still spinning, queued and is waiting for. */
static const struct pcsd *waited_csd(const struct corr *c, unsigned w)
{
	const struct cpu_state *s = &c->cpu[w];

	if (!s->wait_attributed)
		return NULL;
	for (unsigned dst = 0; dst < c->o.ncpus; dst++)
		for (uint32_t i = c->cpu[dst].csd_head; i != NIL; i = c->pool[i].next)
			if (c->pool[i].src == w && c->pool[i].wait_from == s->wait_ts)
				return &c->pool[i];
	return NULL;
}

void corr_finish(struct corr *c, uint64_t end_ns)
{
	if (c->finished)
		return;
	corr_flush(c);
	c->finished = 1;

	/* IPIs still pending. */
	for (unsigned dst = 0; dst < c->o.ncpus; dst++) {
		for (unsigned k = 0; k < IPT_MSG__MAX; k++) {
			struct sendq *q = sendq(c, dst, k, 0);
			/* Per source: oldest item and how many. */
			if (!q)
				continue;
			/* Sends answered only by a receive stamped just before them. */
			for (unsigned j = 0, cnt = q->n; j < cnt; j++) {
				struct pend_send p = q->q[q->head];

				q->head = (q->head + 1) % SENDQ_CAP;
				q->n--;
				if (p.early) {
					match_skewed_send(c, p.src, dst, k, p.ts, p.early);
				} else {
					q->q[(q->head + q->n++) % SENDQ_CAP] = p;
				}
			}
			while (q->n) {
				struct pend_send first = q->q[q->head];
				uint64_t n = 0;

				if (first.ts + c->o.grace_ns > end_ns && !(first.flags & PS_NEVER)) {
					c->cnt.ipi_inflight_end += q->n + q->overflow;
					q->n = 0;
					q->overflow = 0;
					break;
				}
				if (first.ts < c->o.start_ns) {
					/* Sent while hooks were still being attached. */
					c->cnt.ipi_inflight_end++;
					q->head = (q->head + 1) % SENDQ_CAP;
					q->n--;
					continue;
				}
				/* Take every aged pending item from the same source. */
				for (unsigned j = 0, cnt = q->n; j < cnt; j++) {
					struct pend_send p = q->q[q->head];

					q->head = (q->head + 1) % SENDQ_CAP;
					q->n--;
					if (p.src == first.src &&
					    (p.ts + c->o.grace_ns <= end_ns || (p.flags & PS_NEVER)))
						n++;
					else
						q->q[(q->head + q->n++) % SENDQ_CAP] = p;
				}
				if (!q->n) {
					n += q->overflow;
					q->overflow = 0;
				}
				if (anomaly_of(c, first.anom)) {
					/* Reported while pending: it stayed so to the end. */
					anomaly_of(c, first.anom)->age_ns = end_ns - first.ts;
					anomaly_of(c, first.anom)->count = n;
				} else {
					add_anomaly(c, CORR_A_NEVER_DEMUXED, first.src, dst, k, first.ts,
						    end_ns - first.ts, first.func, first.callsite, 0, n);
				}
			}
		}
	}
	/* Waiters still spinning in csd_lock_wait(), while the csds they
	 * wait for are still pending (named by them). */
	for (unsigned w = 0; w < c->o.ncpus; w++) {
		struct cpu_state *s = &c->cpu[w];
		const struct pcsd *p;
		uint32_t ref, t;

		if (!s->waiting || s->wait_ts + c->o.grace_ns > end_ns || s->wait_ts < c->o.start_ns)
			continue;
		p = waited_csd(c, w);
		t = p ? p->dst : s->wait_target;
		ref = add_anomaly(c, CORR_A_STUCK_CSD, w, t < c->o.ncpus ? t : w, IPT_CSD_TYPE_SYNC,
				  s->wait_ts, end_ns - s->wait_ts, p ? p->func : s->wait_func, 0,
				  p ? p->csd : s->wait_csd, 1);
		if (anomaly_of(c, ref))
			anomaly_of(c, ref)->waiter = 1;
	}
	/* csds still pending, oldest first per target. */
	for (unsigned dst = 0; dst < c->o.ncpus; dst++) {
		while (c->cpu[dst].csd_head != NIL) {
			uint32_t i = c->cpu[dst].csd_head, j, next;
			struct pcsd first = c->pool[i];
			uint64_t n = 0;

			if (first.early) {
				/* Its entry was stamped just before the queue: skew. */
				csd_done_skewed(c, i);
				continue;
			}
			if (first.drained_at) {
				/* A flush (or a later reuse of the csd) proves it left the
				 * queue: it ran, unseen. */
				csd_done_unseen(c, i);
				continue;
			}
			if (first.type == IPT_CSD_TYPE_IRQ_WORK) {
				/* Run by irq_work_single(): no hook can see it run. */
				c->cnt.csd_unconfirmed++;
				pcsd_remove(c, i);
				continue;
			}
			if (first.ts + c->o.grace_ns > end_ns || first.ts < c->o.start_ns) {
				c->cnt.csd_inflight_end++;
				pcsd_remove(c, i);
				continue;
			}
			for (j = i; j != NIL; j = next) {
				next = c->pool[j].next;
				if (c->pool[j].src == first.src && c->pool[j].func == first.func &&
				    !c->pool[j].early && !c->pool[j].drained_at &&
				    c->pool[j].type != IPT_CSD_TYPE_IRQ_WORK &&
				    c->pool[j].ts + c->o.grace_ns <= end_ns) {
					n++;
					pcsd_remove(c, j);
				}
			}
			add_anomaly(c, CORR_A_STUCK_CSD, first.src, dst, first.type, first.ts,
				    end_ns - first.ts, first.func, first.callsite, first.csd, n);
		}
	}
	judge_anomalies(c);
}

void corr_free(struct corr *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < (size_t)c->o.ncpus * c->o.ncpus; i++) {
		if (!c->pairs[i])
			continue;
		for (int k = 0; k < IPT_MSG__MAX; k++)
			lat_free(&c->pairs[i]->ipi[k]);
		lat_free(&c->pairs[i]->csd);
		lat_free(&c->pairs[i]->func);
		lat_free(&c->pairs[i]->wait);
		free(c->pairs[i]);
	}
	for (size_t i = 0; i < (size_t)c->o.ncpus * IPT_MSG__MAX; i++)
		free(c->sendq[i]);
	for (unsigned i = 0; i < c->o.ncpus; i++) {
		lat_free(&c->cpu[i].pub.func);
		lat_free(&c->cpu[i].pub.wait);
	}
	for (size_t i = 0; i < c->nwait_fns; i++)
		lat_free(&c->wait_fns[i].lat);
	free(c->pairs);
	free(c->sendq);
	free(c->cpu);
	free(c->pool);
	free(c->buckets);
	free(c->heap);
	free(c->ring);
	free(c->anom);
	free(c);
}

const struct corr_counts *corr_counts(const struct corr *c) { return &c->cnt; }

const struct corr_anomaly *corr_anomalies(const struct corr *c, size_t *n)
{
	*n = c->nanom;
	return c->anom;
}

const struct corr_cpu *corr_cpu(const struct corr *c, unsigned cpu)
{
	return cpu < c->o.ncpus ? &c->cpu[cpu].pub : NULL;
}

const struct corr_pair *corr_pair(const struct corr *c, unsigned src, unsigned dst)
{
	if (src >= c->o.ncpus || dst >= c->o.ncpus)
		return NULL;
	return c->pairs[(size_t)src * c->o.ncpus + dst];
}

const struct corr_wait_fn *corr_wait_fns(const struct corr *c, size_t *n, uint64_t *dropped)
{
	*n = c->nwait_fns;
	if (dropped)
		*dropped = c->wait_fns_dropped;
	return c->wait_fns;
}
