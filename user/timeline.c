// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipitrace timeline: what each CPU did, side by side, with every send
 * linked to the receive that took it, as text, JSON, Perfetto (Chrome
 * trace-event JSON) or an SVG picture.
 *
 * The whole recording is correlated with the same analysis `report` runs
 * (report_run()), so verdicts and anomaly numbers agree with it; only the
 * events of the window, and the links with an end in it, are kept in
 * memory.  --around N needs the anomaly's time before it knows the window:
 * that takes one more pass over the file, never more memory.
 */
#include "cli.h"
#include "correlate.h"
#include "json.h"
#include "recording.h"
#include "report.h"
#include "util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum tl_format { FMT_TEXT, FMT_JSON, FMT_PERFETTO, FMT_SVG };

/* What became of a send or a csd queue (JSON "verdict"). */
enum tl_verdict {
	V_NONE,
	V_DELIVERED,	/* a receive took it (csd: its function ran) */
	V_UNDELIVERED,	/* never_demuxed, not taken by the end */
	V_NEVER_RAN,	/* stuck_csd, never ran by the end */
	V_UNCERTAIN,	/* would be one of those two, but events were lost */
	V_IN_FLIGHT,	/* younger than --grace at the end */
	V_UNVERIFIED,	/* no receive hook, target not traced, before start, ... */
};

static const char *const verdict_names[] = {
	"", "delivered", "undelivered", "never_ran", "uncertain", "in_flight", "unverified",
};

static const char *const msg_names[IPT_MSG__MAX] = {
	"CALL_FUNCTION", "RESCHEDULE", "TICK_BROADCAST", "NMI", "RM_HOST_ACTION",
	"IRQ_WORK", "OTHER",
};

static const char *const msg_short[IPT_MSG__MAX] = {
	"CALL", "RESC", "TICK", "NMI", "RMHA", "IRQW", "OTHR",
};

#define NO_LINK (-1)

struct tl_link {
	struct corr_link l;
	uint32_t id;		/* 1.. in send order; 0 until numbered */
	int64_t from, to;	/* event indexes in the window, NO_LINK: outside */
	int64_t next_in;	/* next link into the same event */
};

struct tev {
	struct ipt_event e;
	uint64_t seq;		/* file order, for a stable sort */
	int64_t out;		/* link index out of it (SEND, CSD_QUEUE) */
	int64_t in_head;	/* first link into it (receives, csd entries) */
	uint32_t nin;
	uint32_t anom[2];	/* anomaly ids marking it, 0: none */
	uint32_t verdict;	/* V_* for SEND and CSD_QUEUE */
};

struct tl {
	const char *path;
	enum tl_format fmt;
	uint64_t from, to;		/* window, absolute ns, inclusive */
	uint64_t start_ns, end_ns;	/* the recording */
	unsigned ncpus;
	uint64_t *cpus;			/* --cpus bitmap, NULL: every CPU */
	int compact;			/* text: one line per event */
	size_t around;			/* --around N, 0: none */
	struct tev *ev;
	size_t nev, evcap;
	struct tl_link *lk;
	size_t nlk, lkcap;
	uint64_t seq;
	struct report *rp;
	const struct ksyms *ks;
	/* lanes: the CPUs shown, in order */
	unsigned *lane_cpu, nlanes;
	int *lane_of;			/* per CPU: lane index or -1 */
	uint64_t grace_ns;
	unsigned char *anom_shown;	/* per anomaly: marks an event shown */
	size_t nanom;
};

static int shown(const struct tl *t, unsigned cpu)
{
	return cpu < t->ncpus && (!t->cpus || test_bit64(t->cpus, cpu));
}

static int in_window(const struct tl *t, uint64_t ts)
{
	return ts >= t->from && ts <= t->to;
}

/* ------------------------------------------------------------ collection */

static void on_events(void *ctx, const struct ipt_event *ev, size_t n)
{
	struct tl *t = ctx;

	for (size_t i = 0; i < n; i++) {
		const struct ipt_event *e = &ev[i];
		struct tev *x;

		t->seq++;
		if (!in_window(t, e->ts))
			continue;
		/* A recursion loss has no CPU of its own: it belongs to all. */
		if (!(e->type == IPT_EV_LOST && e->kind == IPT_LOST_RECURSION) && !shown(t, e->cpu))
			continue;
		if (t->nev == t->evcap) {
			t->evcap = t->evcap ? t->evcap * 2 : 1024;
			t->ev = xrealloc(t->ev, t->evcap * sizeof(*t->ev));
		}
		x = &t->ev[t->nev++];
		memset(x, 0, sizeof(*x));
		x->e = *e;
		x->seq = t->seq;
		x->out = x->in_head = NO_LINK;
	}
}

static void on_link(void *ctx, const struct corr_link *l)
{
	struct tl *t = ctx;

	if (!((in_window(t, l->from_ts) && shown(t, l->src)) ||
	      (in_window(t, l->to_ts) && shown(t, l->dst))))
		return;
	if (t->nlk == t->lkcap) {
		t->lkcap = t->lkcap ? t->lkcap * 2 : 256;
		t->lk = xrealloc(t->lk, t->lkcap * sizeof(*t->lk));
	}
	t->lk[t->nlk++] = (struct tl_link){ .l = *l, .from = NO_LINK, .to = NO_LINK,
					    .next_in = NO_LINK };
}

static int cmp_ev(const void *a, const void *b)
{
	const struct tev *x = a, *y = b;

	if (x->e.ts != y->e.ts)
		return x->e.ts < y->e.ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_link(const void *a, const void *b)
{
	const struct tl_link *x = a, *y = b;

	if (x->l.from_ts != y->l.from_ts)
		return x->l.from_ts < y->l.from_ts ? -1 : 1;
	if (x->l.src != y->l.src)
		return x->l.src < y->l.src ? -1 : 1;
	if (x->l.to_ts != y->l.to_ts)
		return x->l.to_ts < y->l.to_ts ? -1 : 1;
	return 0;
}

/* First event index with ts >= `ts`. */
static size_t lower_bound(const struct tl *t, uint64_t ts)
{
	size_t lo = 0, hi = t->nev;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ev[mid].e.ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int is_receive(uint32_t type)
{
	return type == IPT_EV_IPI_ENTRY || type == IPT_EV_DEMUX;
}

/* The event at (cpu, ts) of `type` (0: a receive for an IPI link, a csd
 * entry or a receive for a csd link), to `target` unless that is
 * IPT_NO_CPU, and with no link out yet if `want_free_out`. */
static int64_t find_event(const struct tl *t, unsigned cpu, uint64_t ts, uint32_t type,
			  uint32_t link_kind, uint32_t target, int want_free_out)
{
	for (size_t i = lower_bound(t, ts); i < t->nev && t->ev[i].e.ts == ts; i++) {
		const struct tev *x = &t->ev[i];

		if (x->e.cpu != cpu)
			continue;
		if (type && x->e.type != type)
			continue;
		if (!type && !(is_receive(x->e.type) ||
			       (link_kind == CORR_L_CSD && x->e.type == IPT_EV_CSD_FUNC_ENTRY)))
			continue;
		if ((target != IPT_NO_CPU && x->e.target != target) ||
		    (want_free_out && x->out != NO_LINK))
			continue;
		return (int64_t)i;
	}
	return NO_LINK;
}

static const struct tl *id_sort_tl;	/* qsort has no context argument */

/* Link ids in the order their sends appear: by time, then by the send's
 * place in the window (file order for equal times). */
static int cmp_link_id(const void *a, const void *b)
{
	const struct tl_link *x = &id_sort_tl->lk[*(const size_t *)a];
	const struct tl_link *y = &id_sort_tl->lk[*(const size_t *)b];

	if (x->l.from_ts != y->l.from_ts)
		return x->l.from_ts < y->l.from_ts ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return cmp_link(x, y);
}

static void resolve_links(struct tl *t)
{
	size_t *order;

	if (t->nev)
		qsort(t->ev, t->nev, sizeof(*t->ev), cmp_ev);
	if (t->nlk)
		qsort(t->lk, t->nlk, sizeof(*t->lk), cmp_link);
	for (size_t i = 0; i < t->nlk; i++) {
		struct tl_link *k = &t->lk[i];
		uint32_t from_type = k->l.kind == CORR_L_IPI ? IPT_EV_SEND : IPT_EV_CSD_QUEUE;

		k->id = i + 1;
		if (shown(t, k->l.src) && in_window(t, k->l.from_ts)) {
			k->from = find_event(t, k->l.src, k->l.from_ts, from_type, k->l.kind, k->l.dst, 1);
			if (k->from != NO_LINK)
				t->ev[k->from].out = i;
		}
		if (shown(t, k->l.dst) && in_window(t, k->l.to_ts)) {
			k->to = find_event(t, k->l.dst, k->l.to_ts, k->l.to_type, k->l.kind, IPT_NO_CPU, 0);
			if (k->to != NO_LINK) {
				struct tev *x = &t->ev[k->to];
				int64_t *p = &x->in_head;

				/* Append: the list stays in id order. */
				while (*p != NO_LINK)
					p = &t->lk[*p].next_in;
				*p = i;
				x->nin++;
			}
		}
	}
	order = xcalloc(t->nlk ? t->nlk : 1, sizeof(*order));
	for (size_t i = 0; i < t->nlk; i++)
		order[i] = i;
	id_sort_tl = t;
	qsort(order, t->nlk, sizeof(*order), cmp_link_id);
	for (size_t i = 0; i < t->nlk; i++)
		t->lk[order[i]].id = i + 1;
	free(order);
}

static void mark(struct tev *x, uint32_t id)
{
	if (!x->anom[0])
		x->anom[0] = id;
	else if (!x->anom[1] && x->anom[0] != id)
		x->anom[1] = id;
}

/* Does anomaly `id` mark an event in the window? */
static int anomaly_shown(const struct tl *t, size_t id)
{
	return id && id <= t->nanom && t->anom_shown[id - 1];
}

/* Which event an anomaly is about, and what became of unlinked sends. */
static void apply_anomalies(struct tl *t)
{
	size_t na;
	const struct corr_anomaly *an = corr_anomalies(report_corr(t->rp), &na);

	for (size_t i = 0; i < na; i++) {
		const struct corr_anomaly *a = &an[i];
		int ipi = a->kind == CORR_A_NEVER_DEMUXED || a->kind == CORR_A_SLOW_IPI ||
			  a->kind == CORR_A_EMPTY_DEMUX;
		uint32_t type = ipi ? IPT_EV_SEND : a->waiter ? IPT_EV_CSD_WAIT_BEGIN
							    : IPT_EV_CSD_QUEUE;
		int64_t at = find_event(t, a->src, a->ts, type, 0, a->waiter ? IPT_NO_CPU : a->dst, 0);

		if (at != NO_LINK)
			mark(&t->ev[at], i + 1);
		if (a->kind == CORR_A_EMPTY_DEMUX) {
			for (size_t j = lower_bound(t, a->ts + a->age_ns);
			     j < t->nev && t->ev[j].e.ts == a->ts + a->age_ns; j++)
				if (t->ev[j].e.cpu == a->dst && t->ev[j].e.type == IPT_EV_DEMUX)
					mark(&t->ev[j], i + 1);
		}
		/* Folded sends (count > 1): every unlinked one of the group. */
		if ((a->kind == CORR_A_NEVER_DEMUXED || (a->kind == CORR_A_STUCK_CSD && !a->waiter)) &&
		    !a->resolved) {
			for (size_t j = lower_bound(t, a->ts); j < t->nev; j++) {
				struct tev *x = &t->ev[j];

				if (x->e.ts > a->ts + a->age_ns)
					break;
				if (x->e.type != type || x->e.cpu != a->src || x->e.target != a->dst ||
				    x->out != NO_LINK || x->verdict)
					continue;
				if (ipi && x->e.kind != a->msg)
					continue;
				x->verdict = a->uncertain ? V_UNCERTAIN
					     : ipi ? V_UNDELIVERED : V_NEVER_RAN;
				mark(x, i + 1);
			}
		}
	}
	t->nanom = na;
	t->anom_shown = xcalloc(na ? na : 1, 1);
	for (size_t j = 0; j < t->nev; j++)
		for (int k = 0; k < 2; k++)
			if (t->ev[j].anom[k])
				t->anom_shown[t->ev[j].anom[k] - 1] = 1;
	for (size_t j = 0; j < t->nev; j++) {
		struct tev *x = &t->ev[j];

		if ((x->e.type != IPT_EV_SEND && x->e.type != IPT_EV_CSD_QUEUE) || x->verdict)
			continue;
		if (x->out != NO_LINK)
			x->verdict = V_DELIVERED;
		else if (x->e.ts + t->grace_ns > t->end_ns)
			x->verdict = V_IN_FLIGHT;
		else
			x->verdict = V_UNVERIFIED;
	}
}

/* The CPUs shown: --cpus, or every CPU with an event in the window or
 * targeted by one. */
static void choose_lanes(struct tl *t)
{
	uint64_t *used = xcalloc((t->ncpus + 63) / 64, sizeof(uint64_t));

	t->lane_of = xcalloc(t->ncpus, sizeof(int));
	t->lane_cpu = xcalloc(t->ncpus, sizeof(unsigned));
	for (size_t i = 0; i < t->nev; i++) {
		const struct ipt_event *e = &t->ev[i].e;

		if (e->cpu < t->ncpus && e->type != IPT_EV_LOST)
			used[e->cpu / 64] |= 1ull << (e->cpu % 64);
		if (e->target < t->ncpus && shown(t, e->target))
			used[e->target / 64] |= 1ull << (e->target % 64);
	}
	for (unsigned c = 0; c < t->ncpus; c++) {
		t->lane_of[c] = -1;
		if (t->cpus ? test_bit64(t->cpus, c) : test_bit64(used, c)) {
			t->lane_of[c] = t->nlanes;
			t->lane_cpu[t->nlanes++] = c;
		}
	}
	free(used);
}

/* ------------------------------------------------------------ helpers */

/* ns since the recording's start as "S.ssssss" (signed). */
static const char *fmt_rel_s(const struct tl *t, uint64_t ts, char *buf, size_t len)
{
	int64_t d = (int64_t)(ts - t->start_ns);
	uint64_t a = d < 0 ? -(uint64_t)d : (uint64_t)d;

	snprintf(buf, len, "%s%" PRIu64 ".%06" PRIu64, d < 0 ? "-" : "", a / 1000000000ull,
		 a % 1000000000ull / 1000);
	return buf;
}

/* ns since the recording's start in us, exact: "S.nnn" (Perfetto's unit). */
static void put_us(FILE *f, const struct tl *t, uint64_t ts)
{
	int64_t d = (int64_t)(ts - t->start_ns);
	uint64_t a = d < 0 ? -(uint64_t)d : (uint64_t)d;

	fprintf(f, "%s%" PRIu64 ".%03" PRIu64, d < 0 ? "-" : "", a / 1000, a % 1000);
}

static double rel_s(const struct tl *t, uint64_t ts)
{
	return (double)(int64_t)(ts - t->start_ns) / 1e9;
}

static const char *csd_type_name(uint32_t k)
{
	switch (k) {
	case IPT_CSD_TYPE_ASYNC: return "async";
	case IPT_CSD_TYPE_SYNC: return "sync";
	case IPT_CSD_TYPE_IRQ_WORK: return "irq_work";
	case IPT_CSD_TYPE_TTWU: return "ttwu";
	}
	return "unknown";
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case IPT_EV_SEND: return "send";
	case IPT_EV_IPI_ENTRY: return "ipi_entry";
	case IPT_EV_IPI_EXIT: return "ipi_exit";
	case IPT_EV_DEMUX: return "demux";
	case IPT_EV_CSD_QUEUE: return "csd_queue";
	case IPT_EV_CSD_FUNC_ENTRY: return "csd_entry";
	case IPT_EV_CSD_FUNC_EXIT: return "csd_exit";
	case IPT_EV_CSD_WAIT_BEGIN: return "csd_wait_begin";
	case IPT_EV_CSD_WAIT_END: return "csd_wait_end";
	case IPT_EV_IDLE_WAKE: return "idle_wake";
	case IPT_EV_LOST: return "lost";
	}
	return "unknown";
}

static const char *kind_name(uint32_t k)
{
	return k < IPT_MSG__MAX ? msg_names[k] : "OTHER";
}

/* "CALL_FUNCTION|RESCHEDULE" from a demux set, "" for the empty set. */
static const char *set_names(uint64_t set, int sh, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (int k = 0; k < IPT_MSG__MAX && o < len; k++)
		if (set & IPT_DEMUX_BIT(k))
			o += snprintf(buf + o, len - o, "%s%s", o ? "|" : "",
				      sh ? msg_short[k] : msg_names[k]);
	return buf;
}

static const char *func_name(const struct tl *t, uint64_t addr, char *buf, size_t len)
{
	char *p;

	ksyms_fmt(t->ks, addr, buf, len);
	/* Short form: drop "+0x..". */
	p = strstr(buf, "+0x");
	if (p)
		*p = 0;
	return buf;
}

/* ------------------------------------------------------------ text */

/* Ids of the links into x: "#3", "#3,#4", or "#3+5" past `max` chars. */
static void in_ids(const struct tl *t, const struct tev *x, char *buf, size_t len, size_t max)
{
	size_t o = 0;
	int64_t i;

	buf[0] = 0;
	for (i = x->in_head; i != NO_LINK; i = t->lk[i].next_in) {
		char one[24];
		int n = snprintf(one, sizeof(one), "%s#%u", o ? "," : "", t->lk[i].id);

		if (o && o + n > max) {
			snprintf(buf, len, "#%u+%u", t->lk[x->in_head].id, x->nin - 1);
			return;
		}
		o += snprintf(buf + o, len - o, "%s", one);
	}
}

static void anom_ids(const struct tev *x, char *buf, size_t len)
{
	buf[0] = 0;
	if (x->anom[0] && x->anom[1])
		snprintf(buf, len, " !%u!%u", x->anom[0], x->anom[1]);
	else if (x->anom[0])
		snprintf(buf, len, " !%u", x->anom[0]);
}

/* What an event says about its link out: "#3", or x (never taken), ?
 * (uncertain), ~ (in flight at the end), - (not verified). */
static void out_token(const struct tl *t, const struct tev *x, char *buf, size_t len)
{
	switch (x->verdict) {
	case V_DELIVERED: snprintf(buf, len, "#%u", t->lk[x->out].id); break;
	case V_UNDELIVERED: case V_NEVER_RAN: snprintf(buf, len, "x"); break;
	case V_UNCERTAIN: snprintf(buf, len, "?"); break;
	case V_IN_FLIGHT: snprintf(buf, len, "~"); break;
	default: snprintf(buf, len, "-"); break;
	}
}

/* One event as a cell of at most `w` characters (long: more words). */
static void cell(const struct tl *t, const struct tev *x, int lng, char *buf, size_t len, size_t w)
{
	const struct ipt_event *e = &x->e;
	char ids[64], an[32], tok[24], fn[128], set[96];
	const char *k = e->kind < IPT_MSG__MAX ? msg_short[e->kind] : "OTHR";

	anom_ids(x, an, sizeof(an));
	in_ids(t, x, ids, sizeof(ids), w > 12 ? w - 10 : 4);
	switch (e->type) {
	case IPT_EV_SEND:
		out_token(t, x, tok, sizeof(tok));
		snprintf(buf, len, lng ? "send %s>%u %s%s" : "%s>%u %s%s", k, e->target, tok, an);
		break;
	case IPT_EV_IPI_ENTRY:
		snprintf(buf, len, "ipi[%s%s%s%s", e->kind == IPT_MSG_OTHER ? "" : k, *ids ? " " : "",
			 ids, an);
		break;
	case IPT_EV_IPI_EXIT:
		snprintf(buf, len, "]ipi");
		break;
	case IPT_EV_DEMUX:
		set_names(e->func, 1, set, sizeof(set));
		snprintf(buf, len, "dmx %s%s%s%s", *set ? set : "EMPTY", *ids ? " " : "", ids, an);
		break;
	case IPT_EV_CSD_QUEUE:
		out_token(t, x, tok, sizeof(tok));
		if (lng)
			snprintf(buf, len, "csd %s>%u %s%s", func_name(t, e->func, fn, sizeof(fn)),
				 e->target, tok, an);
		else
			snprintf(buf, len, "csd>%u %s%s", e->target, tok, an);
		break;
	case IPT_EV_CSD_FUNC_ENTRY:
		if (lng)
			snprintf(buf, len, "fn[%s%s%s%s", func_name(t, e->func, fn, sizeof(fn)),
				 *ids ? " " : "", ids, an);
		else
			snprintf(buf, len, "fn[%s%s%s", *ids ? " " : "", ids, an);
		break;
	case IPT_EV_CSD_FUNC_EXIT:
		snprintf(buf, len, "]fn");
		break;
	case IPT_EV_CSD_WAIT_BEGIN:
		if (e->target < t->ncpus)
			snprintf(buf, len, "wait>%u%s", e->target, an);
		else
			snprintf(buf, len, "wait>*%s", an);
		break;
	case IPT_EV_CSD_WAIT_END:
		snprintf(buf, len, "]wait");
		break;
	case IPT_EV_IDLE_WAKE:
		snprintf(buf, len, "wake>%u noipi", e->target);
		break;
	case IPT_EV_LOST:
		snprintf(buf, len, "LOST %" PRIu64 "%s", (uint64_t)e->func,
			 e->kind == IPT_LOST_RECURSION ? " (any CPU)" : "");
		break;
	default:
		snprintf(buf, len, "type %u", e->type);
	}
}

/* Fit s into w columns: cut with '~' at the end. */
static void fit(char *s, size_t w)
{
	if (strlen(s) > w && w) {
		s[w - 1] = '~';
		s[w] = 0;
	}
}

/* Print `s` wrapped at 118 columns, continuation lines indented by `ind`. */
static void wrap(FILE *f, const char *s, int ind)
{
	int col = 0;

	while (*s == ' ') {
		fputc(*s++, f);
		col++;
	}
	while (*s) {
		const char *sp = strchr(s, ' ');
		int n = sp ? (int)(sp - s) : (int)strlen(s);

		if (col && col + 1 + n > 118) {
			fprintf(f, "\n%*s", ind, "");
			col = ind;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, n, f);
		col += n;
		s += n;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

static void text_footer(const struct tl *t, FILE *f)
{
	size_t na;
	const struct corr_anomaly *an = corr_anomalies(report_corr(t->rp), &na);
	char buf[1024], a[32], b[32];
	int any = 0;

	/* Links with one end outside what is shown. */
	for (size_t i = 0; i < t->nlk; i++) {
		const struct tl_link *k = &t->lk[i];

		if ((k->from == NO_LINK) == (k->to == NO_LINK))
			continue;
		if (!any++)
			fprintf(f, "\nlinks with one end outside the window or the CPUs shown:\n");
		fprintf(f, "  #%u  %s CPU %u at %s s -> CPU %u at %s s%s\n", k->id,
			k->l.kind == CORR_L_IPI ? kind_name(k->l.msg) : "csd", k->l.src,
			fmt_rel_s(t, k->l.from_ts, a, sizeof(a)), k->l.dst,
			fmt_rel_s(t, k->l.to_ts, b, sizeof(b)), k->l.skewed ? " (skew)" : "");
	}
	any = 0;
	for (size_t i = 0; i < na; i++) {
		char line[1200];

		if (!anomaly_shown(t, i + 1))
			continue;
		if (!any++)
			fprintf(f, "\nanomalies (!N marks them above):\n");
		report_sentence(t->rp, &an[i], buf, sizeof(buf));
		snprintf(line, sizeof(line), "  !%zu [%s] %s", i + 1,
			 an[i].uncertain ? "uncertain" : corr_anomaly_name(an[i].kind), buf);
		wrap(f, line, 6);
	}
	if ((size_t)any < na)
		fprintf(f, "\n%zu anomal%s outside this window: ipitrace report %s lists all\n",
			na - any, na - any == 1 ? "y" : "ies", t->path);
}

static void output_text(const struct tl *t, FILE *f)
{
	char a[32], b[32], c[256];
	int columns = t->nlanes <= 8 && !t->compact && t->nlanes;
	size_t w = columns ? (120 - 15) / t->nlanes : 0;

	if (w > 26)
		w = 26;
	fprintf(f, "timeline of %s: %s s to %s s, %zu events on %u of %u CPUs\n", t->path,
		fmt_rel_s(t, t->from, a, sizeof(a)), fmt_rel_s(t, t->to, b, sizeof(b)), t->nev,
		t->nlanes, t->ncpus);
	fprintf(f, "#N joins a send (or a csd queue) to what took it; x: never taken, ?: "
		"uncertain,\n~: in flight at the end, -: not verifiable; !N: anomaly N (below)\n\n");
	if (columns) {
		fprintf(f, "%12s   ", "time (s)");
		for (unsigned l = 0; l < t->nlanes; l++) {
			snprintf(c, sizeof(c), "CPU %u", t->lane_cpu[l]);
			fprintf(f, l + 1 < t->nlanes ? "%-*s" : "%.*s", (int)w, c);
		}
		fputc('\n', f);
	} else {
		fprintf(f, "%12s   %-8s %s\n", "time (s)", "CPU", "event");
	}
	for (size_t i = 0; i < t->nev; i++) {
		const struct tev *x = &t->ev[i];
		int lane = x->e.cpu < t->ncpus ? t->lane_of[x->e.cpu] : -1;
		char line[512];
		size_t o;

		fprintf(f, "%12s %s ", fmt_rel_s(t, x->e.ts, a, sizeof(a)), x->anom[0] ? "!" : " ");
		if (!columns || lane < 0) {
			cell(t, x, 1, c, sizeof(c), 200);
			if (lane < 0)
				snprintf(line, sizeof(line), "%-8s %s", "all", c);
			else
				snprintf(line, sizeof(line), "CPU %-4u %s", x->e.cpu, c);
			fprintf(f, "%s\n", line);
			continue;
		}
		/* The long form where it fits, else the short one: the link
		 * token and the anomaly mark at the end must stay visible. */
		cell(t, x, 1, c, sizeof(c), w - 1);
		if (strlen(c) > w - 1)
			cell(t, x, 0, c, sizeof(c), w - 1);
		fit(c, w - 1);
		o = (size_t)lane * w;
		memset(line, ' ', o);
		snprintf(line + o, sizeof(line) - o, "%s", c);
		/* No trailing blanks. */
		for (o = strlen(line); o && line[o - 1] == ' '; o--)
			line[o - 1] = 0;
		fprintf(f, "%s\n", line);
	}
	text_footer(t, f);
}

/* ------------------------------------------------------------ JSON */

static void json_peer(struct json *j, const struct tl *t, const struct tl_link *k, int out)
{
	json_obj_begin(j);
	json_ku64(j, "id", k->id);
	json_kstr(j, "kind", k->l.kind == CORR_L_IPI ? "ipi" : "csd");
	json_ku64(j, "cpu", out ? k->l.dst : k->l.src);
	json_kdouble(j, "t_s", rel_s(t, out ? k->l.to_ts : k->l.from_ts));
	json_ku64(j, "latency_ns", k->l.to_ts > k->l.from_ts ? k->l.to_ts - k->l.from_ts : 0);
	json_kbool(j, "skewed", k->l.skewed);
	json_kbool(j, "in_window", (out ? k->to : k->from) != NO_LINK);
	json_obj_end(j);
}

static void output_json(const struct tl *t, FILE *f)
{
	struct json j;
	size_t na;
	const struct corr_anomaly *an = corr_anomalies(report_corr(t->rp), &na);
	char buf[1024];

	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_key(&j, "recording");
	json_obj_begin(&j);
	j.pretty = 0;
	json_kstr(&j, "file", t->path);
	json_ku64(&j, "ncpus", t->ncpus);
	json_kdouble(&j, "duration_s", (t->end_ns - t->start_ns) / 1e9);
	json_obj_end(&j);
	j.pretty = 1;
	json_key(&j, "window");
	json_obj_begin(&j);
	j.pretty = 0;
	json_kdouble(&j, "from_s", rel_s(t, t->from));
	json_kdouble(&j, "to_s", rel_s(t, t->to));
	json_key(&j, "cpus");
	json_arr_begin(&j);
	for (unsigned l = 0; l < t->nlanes; l++)
		json_u64(&j, t->lane_cpu[l]);
	json_arr_end(&j);
	json_ku64(&j, "events", t->nev);
	json_obj_end(&j);
	j.pretty = 1;
	json_key(&j, "anomalies");
	json_arr_begin(&j);
	for (size_t i = 0; i < na; i++) {
		if (!anomaly_shown(t, i + 1))
			continue;
		report_sentence(t->rp, &an[i], buf, sizeof(buf));
		json_obj_begin(&j);
		j.pretty = 0;
		json_ku64(&j, "id", i + 1);
		json_kstr(&j, "kind", an[i].uncertain ? "uncertain" : corr_anomaly_name(an[i].kind));
		json_kstr(&j, "would_be", corr_anomaly_name(an[i].kind));
		json_ku64(&j, "src_cpu", an[i].src);
		json_ku64(&j, "dst_cpu", an[i].dst);
		json_kdouble(&j, "time_s", rel_s(t, an[i].ts));
		json_kbool(&j, "resolved", an[i].resolved);
		json_kstr(&j, "sentence", buf);
		json_obj_end(&j);
		j.pretty = 1;
	}
	json_arr_end(&j);
	{
		size_t outside = 0;

		for (size_t i = 0; i < na; i++)
			outside += !anomaly_shown(t, i + 1);
		json_ku64(&j, "anomalies_outside_window", outside);
	}
	json_key(&j, "events");
	json_arr_begin(&j);
	for (size_t i = 0; i < t->nev; i++) {
		const struct tev *x = &t->ev[i];
		const struct ipt_event *e = &x->e;

			json_obj_begin(&j);
		j.pretty = 0;	/* one line per event */
		json_kdouble(&j, "t_s", rel_s(t, e->ts));
		json_ku64(&j, "ts_ns", e->ts);
		json_ku64(&j, "cpu", e->cpu);
		json_kstr(&j, "type", type_name(e->type));
		switch (e->type) {
		case IPT_EV_SEND: case IPT_EV_IPI_ENTRY: case IPT_EV_IPI_EXIT:
			json_kstr(&j, "message", kind_name(e->kind));
			break;
		case IPT_EV_DEMUX:
			json_key(&j, "messages");
			json_arr_begin(&j);
			for (int k = 0; k < IPT_MSG__MAX; k++)
				if (e->func & IPT_DEMUX_BIT(k))
					json_str(&j, msg_names[k]);
			json_arr_end(&j);
			break;
		case IPT_EV_CSD_QUEUE:
			json_kstr(&j, "csd_type", csd_type_name(e->kind));
			break;
		case IPT_EV_LOST:
			json_ku64(&j, "count", e->func);
			json_kstr(&j, "lost", e->kind == IPT_LOST_RECURSION ? "recursion" : "ring_full");
			break;
		}
		if (e->target != IPT_NO_CPU && e->type != IPT_EV_LOST)
			json_ku64(&j, "target", e->target);
		if (e->type == IPT_EV_CSD_QUEUE || e->type == IPT_EV_CSD_FUNC_ENTRY ||
		    e->type == IPT_EV_CSD_FUNC_EXIT || e->type == IPT_EV_CSD_WAIT_BEGIN ||
		    (e->type == IPT_EV_SEND && e->func)) {
			json_kstr(&j, "func", ksyms_fmt(t->ks, e->func, buf, sizeof(buf)));
		}
		if (e->callsite && e->type != IPT_EV_LOST)
			json_kstr(&j, "callsite", ksyms_fmt(t->ks, e->callsite, buf, sizeof(buf)));
		if (e->csd && e->type != IPT_EV_LOST) {
			snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)e->csd);
			json_kstr(&j, "csd", buf);
		}
		if (x->verdict)
			json_kstr(&j, "verdict", verdict_names[x->verdict]);
		if (x->out != NO_LINK) {
			json_key(&j, "link");
			json_peer(&j, t, &t->lk[x->out], 1);
		}
		if (x->in_head != NO_LINK) {
			json_key(&j, "links_in");
			json_arr_begin(&j);
			for (int64_t k = x->in_head; k != NO_LINK; k = t->lk[k].next_in)
				json_peer(&j, t, &t->lk[k], 0);
			json_arr_end(&j);
		}
		json_key(&j, "anomalies");
		json_arr_begin(&j);
		for (int k = 0; k < 2; k++)
			if (x->anom[k])
				json_u64(&j, x->anom[k]);
		json_arr_end(&j);
		json_obj_end(&j);
		j.pretty = 1;
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

/* ------------------------------------------------------------ slices */

/* Spans per CPU lane, properly nested by construction: an end closes
 * whatever was opened inside its own span; what is open at the window's
 * end closes there. */
enum { S_IPI = 1, S_FN, S_WAIT };

struct slice {
	uint64_t ts, end;
	unsigned cpu, depth;
	uint32_t what;		/* S_* */
	size_t ev;		/* the opening event */
	size_t order;
};

struct slices {
	struct slice *s;
	size_t n, cap;
};

#define MAX_DEPTH 64
#define HANDLER_GAP_NS 1000000ull	/* 1 ms */

struct open_span {
	uint32_t what;		/* S_* */
	size_t ev;		/* the opening event */
	uint64_t inner;		/* last handler event seen inside it */
};

struct lane_stack {
	struct open_span s[MAX_DEPTH];
	unsigned depth;
};

static void add_slice(const struct tl *t, struct slices *out, unsigned lane, unsigned depth,
		      const struct open_span *o, uint64_t end)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 256;
		out->s = xrealloc(out->s, out->cap * sizeof(*out->s));
	}
	out->s[out->n] = (struct slice){
		.ts = t->ev[o->ev].e.ts, .end = end, .cpu = t->lane_cpu[lane], .depth = depth,
		.what = o->what, .ev = o->ev, .order = out->n,
	};
	out->n++;
}

/*
 * Close `lane`'s spans from the top down to depth d.  Each ends at `at` (an
 * exit event's time) if `explicit`, else at the last handler event seen in
 * it, or at `at` for a csd_lock_wait() spin (the window's end); never before
 * a span it encloses ended.  What stays open lasted at least that long.
 */
static void close_down_to(const struct tl *t, struct slices *out, struct lane_stack *st,
			  unsigned lane, unsigned d, uint64_t at, int explicit)
{
	uint64_t floor = 0;

	while (st->depth > d) {
		const struct open_span *o = &st->s[--st->depth];
		uint64_t end = explicit || o->what == S_WAIT ? at : o->inner;

		if (end < floor)
			end = floor;
		add_slice(t, out, lane, st->depth, o, end);
		floor = end;
	}
	for (unsigned k = 0; k < st->depth; k++)
		if (st->s[k].inner < floor)
			st->s[k].inner = floor;
}

/* Depth of the lowest open span of a kind in `mask` (bits 1 << S_*), or -1. */
static int lowest_open(const struct lane_stack *st, unsigned mask)
{
	for (unsigned d = 0; d < st->depth; d++)
		if (mask & (1u << st->s[d].what))
			return (int)d;
	return -1;
}

static void build_slices(const struct tl *t, struct slices *out)
{
	struct lane_stack *st = xcalloc(t->nlanes ? t->nlanes : 1, sizeof(*st));

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < t->nev; i++) {
		const struct ipt_event *e = &t->ev[i].e;
		int lane = e->cpu < t->ncpus ? t->lane_of[e->cpu] : -1;
		uint32_t open = 0, close = 0;
		struct lane_stack *ls;
		int d;

		if (lane < 0 || e->type == IPT_EV_LOST)
			continue;
		ls = &st[lane];
		switch (e->type) {
		case IPT_EV_IPI_ENTRY: open = S_IPI; break;
		case IPT_EV_CSD_FUNC_ENTRY: open = S_FN; break;
		case IPT_EV_CSD_WAIT_BEGIN: open = S_WAIT; break;
		case IPT_EV_IPI_EXIT: close = S_IPI; break;
		case IPT_EV_CSD_FUNC_EXIT: close = S_FN; break;
		case IPT_EV_CSD_WAIT_END: close = S_WAIT; break;
		}
		/* Handlers run with interrupts off: nothing else happens on their
		 * CPU while they run.  One still open when an event comes more than
		 * HANDLER_GAP_NS after the last event seen in it has lost its exit
		 * (seen on 6.18: csd_function_exit missing for the last csds while
		 * record detaches): it ended there. */
		for (d = 0; d < (int)ls->depth; d++)
			if (ls->s[d].what != S_WAIT && ls->s[d].inner + HANDLER_GAP_NS < e->ts) {
				close_down_to(t, out, ls, lane, d, 0, 0);
				break;
			}
		/* For the same reason an IPI handler never starts inside another
		 * one or inside a csd function (NMIs excepted), and csd functions
		 * never nest: what is open there has lost its exit. */
		if (open == S_IPI && e->kind != IPT_MSG_NMI)
			d = lowest_open(ls, 1u << S_IPI | 1u << S_FN);
		else if (open == S_FN)
			d = lowest_open(ls, 1u << S_FN);
		else
			d = -1;
		if (d >= 0)
			close_down_to(t, out, ls, lane, d, 0, 0);
		if (e->type == IPT_EV_DEMUX || e->type == IPT_EV_CSD_FUNC_ENTRY ||
		    e->type == IPT_EV_CSD_FUNC_EXIT)
			for (unsigned k = 0; k < ls->depth; k++)
				if (ls->s[k].inner < e->ts)
					ls->s[k].inner = e->ts;
		if (open && ls->depth < MAX_DEPTH) {
			ls->s[ls->depth++] = (struct open_span){ open, i, e->ts };
		} else if (close) {
			for (d = (int)ls->depth - 1; d >= 0 && ls->s[d].what != close; d--)
				;
			if (d >= 0)	/* else its start is before the window */
				close_down_to(t, out, ls, lane, d, e->ts, 1);
		}
	}
	/* Open at the window's end: a csd_lock_wait() spin lasts to the end (a
	 * stuck one does); a handler without its exit ends with the last
	 * handler event seen in it (its exit may be past the window, or lost). */
	for (unsigned l = 0; l < t->nlanes; l++)
		close_down_to(t, out, &st[l], l, 0, t->to, 0);
	free(st);
}

static int cmp_slice(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void slice_name(const struct tl *t, const struct slice *s, char *buf, size_t len)
{
	const struct ipt_event *e = &t->ev[s->ev].e;
	char fn[128];

	switch (s->what) {
	case S_IPI:
		snprintf(buf, len, "IPI %s", kind_name(e->kind));
		break;
	case S_FN:
		snprintf(buf, len, "csd %s", func_name(t, e->func, fn, sizeof(fn)));
		break;
	default:
		if (e->target < t->ncpus)
			snprintf(buf, len, "csd_lock_wait for CPU %u", e->target);
		else
			snprintf(buf, len, "csd_lock_wait");
	}
}

/* ------------------------------------------------------------ Perfetto */

static void pf_begin(FILE *f, int *first)
{
	fputs(*first ? "\n" : ",\n", f);
	*first = 0;
}

static void pf_event_head(FILE *f, const struct tl *t, const char *ph, const char *name,
			  unsigned cpu, uint64_t ts)
{
	fputs("{\"ph\":\"", f);
	fputs(ph, f);
	fputs("\",\"name\":\"", f);
	json_escape(f, name);
	fprintf(f, "\",\"pid\":1,\"tid\":%u,\"ts\":", cpu);
	put_us(f, t, ts);
}

static void output_perfetto(const struct tl *t, FILE *f)
{
	struct slices sl;
	int first = 1;
	char name[256], buf[1024], fn[128];
	size_t na;
	const struct corr_anomaly *an = corr_anomalies(report_corr(t->rp), &na);

	build_slices(t, &sl);
	if (sl.n)
		qsort(sl.s, sl.n, sizeof(*sl.s), cmp_slice);
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
	pf_begin(f, &first);
	fputs("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":\"ipitrace ", f);
	json_escape(f, t->path);
	fputs("\"}}", f);
	for (unsigned l = 0; l < t->nlanes; l++) {
		pf_begin(f, &first);
		fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%u,"
			"\"args\":{\"name\":\"CPU %u\"}}", t->lane_cpu[l], t->lane_cpu[l]);
		pf_begin(f, &first);
		fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":%u,"
			"\"args\":{\"sort_index\":%u}}", t->lane_cpu[l], t->lane_cpu[l]);
	}
	/* Slices and point events merged in time order, parents first. */
	size_t si = 0;

	for (size_t i = 0; i <= t->nev; i++) {
		const struct tev *x = i < t->nev ? &t->ev[i] : NULL;
		const struct ipt_event *e = x ? &x->e : NULL;
		int lane;

		/* Spans that start at or before this event (a span opened by
		 * this very event comes before its points). */
		while (si < sl.n && (!x || sl.s[si].ts < e->ts ||
				     (sl.s[si].ts == e->ts && sl.s[si].ev <= i))) {
			const struct slice *s = &sl.s[si++];

			slice_name(t, s, name, sizeof(name));
			pf_begin(f, &first);
			pf_event_head(f, t, "X", name, s->cpu, s->ts);
			fputs(",\"dur\":", f);
			fprintf(f, "%" PRIu64 ".%03" PRIu64, (s->end - s->ts) / 1000,
				(s->end - s->ts) % 1000);
			fprintf(f, ",\"cat\":\"%s\"}", s->what == S_IPI ? "ipi" : s->what == S_FN
				? "csd" : "wait");
		}
		if (!x)
			break;
		lane = e->cpu < t->ncpus ? t->lane_of[e->cpu] : -1;
		if (lane < 0)
			continue;
		if (e->type == IPT_EV_SEND || e->type == IPT_EV_CSD_QUEUE) {
			const struct tl_link *k = x->out != NO_LINK ? &t->lk[x->out] : NULL;

			if (e->type == IPT_EV_SEND)
				snprintf(name, sizeof(name), "send %s to CPU %u", kind_name(e->kind),
					 e->target);
			else
				snprintf(name, sizeof(name), "queue %s for CPU %u",
					 func_name(t, e->func, fn, sizeof(fn)), e->target);
			pf_begin(f, &first);
			pf_event_head(f, t, "X", name, e->cpu, e->ts);
			fprintf(f, ",\"dur\":0,\"cat\":\"%s\"", e->type == IPT_EV_SEND ? "send" : "csd_queue");
			if (k && k->to != NO_LINK)
				fprintf(f, ",\"bind_id\":\"0x%x\",\"flow_out\":true", k->id);
			fprintf(f, ",\"args\":{\"verdict\":\"%s\"", verdict_names[x->verdict]);
			if (k)
				fprintf(f, ",\"link\":%u", k->id);
			fputs("}}", f);
		}
		for (int64_t li = x->in_head; li != NO_LINK; li = t->lk[li].next_in) {
			const struct tl_link *k = &t->lk[li];

			if (k->from == NO_LINK)
				continue;
			if (k->l.kind == CORR_L_IPI)
				snprintf(name, sizeof(name), "receive %s from CPU %u", kind_name(k->l.msg),
					 k->l.src);
			else
				snprintf(name, sizeof(name), "run csd from CPU %u", k->l.src);
			pf_begin(f, &first);
			pf_event_head(f, t, "X", name, e->cpu, e->ts);
			fprintf(f, ",\"dur\":0,\"cat\":\"receive\",\"bind_id\":\"0x%x\",\"flow_in\":true,"
				"\"args\":{\"link\":%u,\"latency_ns\":%" PRIu64 "}}", k->id, k->id,
				k->l.to_ts > k->l.from_ts ? k->l.to_ts - k->l.from_ts : 0);
		}
		if (e->type == IPT_EV_DEMUX) {
			set_names(e->func, 0, buf, sizeof(buf));
			snprintf(name, sizeof(name), "demux %s", *buf ? buf : "(empty)");
			pf_begin(f, &first);
			pf_event_head(f, t, "i", name, e->cpu, e->ts);
			fputs(",\"s\":\"t\"}", f);
		}
		if (e->type == IPT_EV_IDLE_WAKE) {
			snprintf(name, sizeof(name), "wake CPU %u without IPI", e->target);
			pf_begin(f, &first);
			pf_event_head(f, t, "i", name, e->cpu, e->ts);
			fputs(",\"s\":\"t\"}", f);
		}
		for (int k = 0; k < 2; k++) {
			const struct corr_anomaly *a;

			if (!x->anom[k])
				continue;
			a = &an[x->anom[k] - 1];
			snprintf(name, sizeof(name), "ANOMALY %u: %s", x->anom[k],
				 a->uncertain ? "uncertain" : corr_anomaly_name(a->kind));
			report_sentence(t->rp, a, buf, sizeof(buf));
			pf_begin(f, &first);
			pf_event_head(f, t, "i", name, e->cpu, e->ts);
			fprintf(f, ",\"s\":\"t\",\"cat\":\"anomaly\",\"args\":{\"id\":%u,\"kind\":\"%s\","
				"\"verdict\":\"%s\",\"sentence\":\"", x->anom[k],
				corr_anomaly_name(a->kind), verdict_names[x->verdict]);
			json_escape(f, buf);
			fputs("\"}}", f);
		}
	}
	/* Losses: on every lane for a recursion miss. */
	for (size_t i = 0; i < t->nev; i++) {
		const struct ipt_event *e = &t->ev[i].e;

		if (e->type != IPT_EV_LOST)
			continue;
		snprintf(name, sizeof(name), "LOST %" PRIu64 " events", (uint64_t)e->func);
		for (unsigned l = 0; l < t->nlanes; l++) {
			if (e->kind != IPT_LOST_RECURSION && t->lane_cpu[l] != e->cpu)
				continue;
			pf_begin(f, &first);
			pf_event_head(f, t, "i", name, t->lane_cpu[l], e->ts);
			fputs(",\"s\":\"t\",\"cat\":\"lost\"}", f);
		}
	}
	fputs("\n]}\n", f);
	free(sl.s);
}

/* ------------------------------------------------------------ SVG */

#define SVG_W 1200
#define SVG_LEFT 90
#define SVG_RIGHT 30
#define SVG_LANE_H 64
#define ANOMALY_COLOUR "#d62728"

static double svg_x(const struct tl *t, uint64_t ts)
{
	double span = t->to > t->from ? (double)(t->to - t->from) : 1;

	return SVG_LEFT + (SVG_W - SVG_LEFT - SVG_RIGHT) * ((double)(ts - t->from) / span);
}

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

/* A "nice" tick step (1, 2, 5 x 10^k ns) for about 8 ticks. */
static uint64_t nice_step(uint64_t span)
{
	uint64_t step = 1;

	while (step * 10 <= span / 8 + 1)
		step *= 10;
	if (step * 5 <= span / 8)
		return step * 5;
	if (step * 2 <= span / 8)
		return step * 2;
	return step;
}

static void output_svg(const struct tl *t, FILE *f)
{
	struct slices sl;
	size_t na;
	const struct corr_anomaly *an = corr_anomalies(report_corr(t->rp), &na);
	unsigned top = 70, lanes_h = t->nlanes * SVG_LANE_H, axis_y = top + lanes_h;
	unsigned height = axis_y + 60 + 70;
	uint64_t span = t->to - t->from, step, unit, origin;
	const char *uname;
	char buf[1024], a[32], b[32];
	size_t n_anom_lines = 0;

	/* The sentences of the anomalies in the window, under the legend. */
	for (size_t i = 0; i < t->nev; i++)
		n_anom_lines += !!t->ev[i].anom[0] + !!t->ev[i].anom[1];
	height += (n_anom_lines > 6 ? 6 : n_anom_lines) * 16;
	build_slices(t, &sl);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
		"viewBox=\"0 0 %d %u\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
		"font-size=\"12\">\n", SVG_W, height, SVG_W, height);
	fputs("<defs>\n"
	      "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
	      "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
	      "fill=\"#333333\"/></marker>\n"
	      "<marker id=\"arrowcsd\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
	      "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
	      "fill=\"#2e7d32\"/></marker>\n"
	      "</defs>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"#ffffff\"/>\n", SVG_W, height);
	fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">ipitrace timeline: ");
	xml_escape(f, t->path);
	fprintf(f, "</text>\n<text x=\"10\" y=\"42\" fill=\"#444444\">%s s to %s s since the "
		"recording started, %zu events on %u CPUs", fmt_rel_s(t, t->from, a, sizeof(a)),
		fmt_rel_s(t, t->to, b, sizeof(b)), t->nev, t->nlanes);
	if (t->around)
		fprintf(f, "; the window around anomaly %zu", t->around);
	fputs("</text>\n", f);

	/* Lanes. */
	for (unsigned l = 0; l < t->nlanes; l++) {
		unsigned y = top + l * SVG_LANE_H;

		fprintf(f, "<rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
			SVG_LEFT, y, SVG_W - SVG_LEFT - SVG_RIGHT, SVG_LANE_H,
			l % 2 ? "#f4f4f4" : "#fafafa");
		fprintf(f, "<text x=\"10\" y=\"%u\" font-weight=\"bold\">CPU %u</text>\n",
			y + SVG_LANE_H / 2 + 4, t->lane_cpu[l]);
	}
	/* Spans: IPI handling, csd functions, csd_lock_wait. */
	for (size_t i = 0; i < sl.n; i++) {
		const struct slice *s = &sl.s[i];
		unsigned y = top + t->lane_of[s->cpu] * SVG_LANE_H;
		double x0 = svg_x(t, s->ts), x1 = svg_x(t, s->end);
		const char *fill = s->what == S_IPI ? "#4e79a7" : s->what == S_FN ? "#59a14f"
										    : "#f28e2b";
		unsigned yo = s->what == S_WAIT ? 44 : s->what == S_IPI ? 14 : 22;
		unsigned h = s->what == S_WAIT ? 8 : s->what == S_IPI ? 24 : 12;

		slice_name(t, s, buf, sizeof(buf));
		fprintf(f, "<rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%u\" fill=\"%s\" "
			"fill-opacity=\"0.85\"><title>", x0, y + yo, x1 - x0 < 1.5 ? 1.5 : x1 - x0, h,
			fill);
		xml_escape(f, buf);
		fputs("</title></rect>\n", f);
	}
	/* Arrows from send (or csd queue) to what took it. */
	for (size_t i = 0; i < t->nlk; i++) {
		const struct tl_link *k = &t->lk[i];
		double x0, x1, y0, y1;

		if (k->from == NO_LINK || k->to == NO_LINK)
			continue;
		x0 = svg_x(t, k->l.from_ts);
		x1 = svg_x(t, k->l.to_ts);
		y0 = top + t->lane_of[k->l.src] * SVG_LANE_H + SVG_LANE_H / 2.0;
		y1 = top + t->lane_of[k->l.dst] * SVG_LANE_H + SVG_LANE_H / 2.0;
		if (k->l.src == k->l.dst)
			continue;
		y1 += y1 > y0 ? -10 : 10;
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
			"stroke-width=\"1.3\"%s marker-end=\"url(#%s)\"><title>#%u</title></line>\n",
			x0, y0, x1, y1, k->l.kind == CORR_L_IPI ? "#333333" : "#2e7d32",
			k->l.kind == CORR_L_IPI ? "" : " stroke-dasharray=\"4 2\"",
			k->l.kind == CORR_L_IPI ? "arrow" : "arrowcsd", k->id);
	}
	/* Sends and queues; anomalies on top.  Labels close together on one
	 * lane are pushed right so that each stays readable. */
	double *label_x = xcalloc(t->nlanes ? t->nlanes : 1, sizeof(double));
	double *never_x = xcalloc(t->nlanes ? t->nlanes : 1, sizeof(double));

	for (unsigned l = 0; l < t->nlanes; l++)
		label_x[l] = never_x[l] = -1e9;
	for (size_t i = 0; i < t->nev; i++) {
		const struct tev *x = &t->ev[i];
		const struct ipt_event *e = &x->e;
		int lane = e->cpu < t->ncpus ? t->lane_of[e->cpu] : -1;
		double cx = svg_x(t, e->ts), cy;

		if (lane < 0)
			continue;
		cy = top + lane * SVG_LANE_H + SVG_LANE_H / 2.0;
		if (e->type == IPT_EV_SEND || e->type == IPT_EV_CSD_QUEUE) {
			int bad = x->verdict == V_UNDELIVERED || x->verdict == V_NEVER_RAN ||
				  x->verdict == V_UNCERTAIN;

			fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>\n", cx, cy,
				e->type == IPT_EV_SEND ? "#333333" : "#2e7d32");
			if (bad && e->target < t->ncpus && t->lane_of[e->target] >= 0) {
				/* Where the arrow should have gone: to the target's lane, and
				 * nothing there took it. */
				int tl_ = t->lane_of[e->target];
				double ty = top + tl_ * SVG_LANE_H + SVG_LANE_H / 2.0;
				double tx = cx + 34 > never_x[tl_] + 100 ? cx + 34 : never_x[tl_] + 100;
				int up = ty > cy;

				never_x[tl_] = tx;
				fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
					"stroke-width=\"2\" stroke-dasharray=\"5 4\"/>\n", cx, cy, tx - 4,
					ty + (up ? -12 : 12), ANOMALY_COLOUR);
				fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" fill=\"%s\" font-weight=\"bold\">"
					"%s</text>\n", tx, ty + (up ? -12 : 16), ANOMALY_COLOUR,
					e->type == IPT_EV_SEND ? "never taken" : "never ran");
			}
		}
		if (e->type == IPT_EV_LOST) {
			fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" fill=\"#7f7f7f\">LOST %" PRIu64 "</text>\n",
				cx, cy - 18, (uint64_t)e->func);
		}
		for (int k = 0; k < 2; k++) {
			if (!x->anom[k])
				continue;
			fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"8\" fill=\"%s\" stroke=\"#ffffff\" "
				"stroke-width=\"1.5\"><title>", cx, cy - 16.0 * k, ANOMALY_COLOUR);
			report_sentence(t->rp, &an[x->anom[k] - 1], buf, sizeof(buf));
			xml_escape(f, buf);
			double lx = cx + 10 > label_x[lane] + 24 ? cx + 10 : label_x[lane] + 24;

			label_x[lane] = lx;
			fprintf(f, "</title></circle>\n<text x=\"%.2f\" y=\"%.2f\" fill=\"%s\" "
				"font-weight=\"bold\">!%u</text>\n", lx, cy - 12, ANOMALY_COLOUR,
				x->anom[k]);
		}
	}
	free(label_x);
	free(never_x);
	/* Time axis, with units. */
	if (span >= 2000000000ull) {
		unit = 1000000000ull;
		uname = "s";
	} else if (span >= 2000000ull) {
		unit = 1000000ull;
		uname = "ms";
	} else {
		unit = 1000ull;
		uname = "us";
	}
	step = nice_step(span ? span : 1);
	/* Ticks in time since the recording started, or, where such labels
	 * would be long (a narrow window late in a long recording), in time
	 * after the window's start. */
	origin = t->start_ns;
	if (t->from < t->start_ns || (t->to - t->start_ns) / unit >= 1000)
		origin = t->from;
	fprintf(f, "<line x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" stroke=\"#000000\"/>\n",
		SVG_LEFT, axis_y, SVG_W - SVG_RIGHT, axis_y);
	for (uint64_t v = (t->from - origin + step - 1) / step * step; origin + v <= t->to;
	     v += step) {
		double x = svg_x(t, origin + v), val = (double)v / (double)unit;
		int prec = step >= unit ? 0 : step * 10 >= unit ? 1 : step * 100 >= unit ? 2 : 3;

		fprintf(f, "<line x1=\"%.2f\" y1=\"%u\" x2=\"%.2f\" y2=\"%u\" stroke=\"#000000\"/>\n",
			x, axis_y, x, axis_y + 5);
		fprintf(f, "<text x=\"%.2f\" y=\"%u\" text-anchor=\"middle\">%s%.*f %s</text>\n", x,
			axis_y + 18, origin != t->start_ns && v ? "+" : "", prec, val, uname);
	}
	if (origin == t->start_ns)
		fprintf(f, "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" fill=\"#444444\">time "
			"since the recording started (%s)</text>\n", (SVG_W + SVG_LEFT) / 2,
			axis_y + 36, uname);
	else
		fprintf(f, "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" fill=\"#444444\">time "
			"after %s s since the recording started (%s)</text>\n",
			(SVG_W + SVG_LEFT) / 2, axis_y + 36, fmt_rel_s(t, origin, a, sizeof(a)), uname);

	/* Legend. */
	{
		unsigned ly = axis_y + 56;
		static const struct { const char *fill, *what; int line; } items[] = {
			{ "#4e79a7", "IPI handler", 0 },
			{ "#59a14f", "csd function", 0 },
			{ "#f28e2b", "csd_lock_wait() spin", 0 },
			{ "#333333", "send -> receive", 1 },
			{ "#2e7d32", "csd queue -> run", 1 },
			{ ANOMALY_COLOUR, "anomaly / never taken", 0 },
		};
		unsigned x = SVG_LEFT;

		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
			if (items[i].line)
				fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"%s\" "
					"stroke-width=\"1.5\" marker-end=\"url(#%s)\"/>\n", x, ly - 4,
					x + 22, ly - 4, items[i].fill,
					i == 3 ? "arrow" : "arrowcsd");
			else
				fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"16\" height=\"16\" fill=\"%s\"/>\n",
					x, ly - 12, items[i].fill);
			fprintf(f, "<text x=\"%u\" y=\"%u\">%s</text>\n", x + 28, ly, items[i].what);
			x += 40 + 8 * (unsigned)strlen(items[i].what);
		}
		ly += 24;
		for (size_t i = 0, shown_n = 0; i < t->nev && shown_n < 6; i++)
			for (int k = 0; k < 2 && shown_n < 6; k++) {
				uint32_t id = t->ev[i].anom[k];

				if (!id)
					continue;
				report_sentence(t->rp, &an[id - 1], buf, sizeof(buf));
				if (strlen(buf) > 180)
					strcpy(buf + 176, "...");
				fprintf(f, "<text x=\"10\" y=\"%u\" fill=\"%s\" font-size=\"11\">!%u ", ly,
					ANOMALY_COLOUR, id);
				xml_escape(f, buf);
				fputs("</text>\n", f);
				ly += 16;
				shown_n++;
			}
	}
	fputs("</svg>\n", f);
	free(sl.s);
}

/* ------------------------------------------------------------ command */

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipitrace timeline FILE [--cpus LIST] [--from T] [--to T] [--around N]\n"
"                              [--format text|json|perfetto|svg] [-o OUT]\n"
"\n"
"What each CPU did, side by side, from a recording made by `ipitrace record`:\n"
"every send joined to the receive that took it, every queued cross-CPU call\n"
"(csd) to the function entry that ran it, anomalies marked.  Verdicts and\n"
"anomaly numbers are those of `ipitrace report FILE`, which prints the\n"
"timeline command for each anomaly.\n"
"\n"
"      --cpus LIST      only these CPUs (\"0-3,8\"); default: every CPU with an\n"
"                       event in the window\n"
"      --from T, --to T the window, in time since the recording started\n"
"                       (\"1.5\" or \"1.5s\", \"250ms\", \"20us\"); default: all of it\n"
"      --around N       the window around anomaly N (report's numbering): from\n"
"                       a little before it was sent or queued to a little after\n"
"                       it ended; --from/--to still override either end\n"
"      --context T      how much more than the anomaly --around shows on each\n"
"                       side (default: a tenth of its age, 1ms to 100ms)\n"
"      --format F       text (default): one column per CPU, time flowing down;\n"
"                         more than 8 CPUs (or --compact) give one line per event\n"
"                       json: one object per event (docs/user-guide.md)\n"
"                       perfetto: Chrome trace-event JSON for ui.perfetto.dev or\n"
"                         chrome://tracing: a lane per CPU, arrows send->receive\n"
"                       svg: a picture; with no window given, the window around\n"
"                         the first anomaly when there is one\n"
"      --compact        text: one line per event, whatever the CPU count\n"
"  -o, --output OUT     write to OUT instead of standard output\n"
"      --threshold, --grace, --skew TIME   as for report (same verdicts)\n"
"\n"
"Text cells: \"CALL>42 #3\" is a CALL_FUNCTION sent to CPU 42 and taken by the\n"
"event marked #3; x never taken, ? uncertain (events lost), ~ in flight at the\n"
"end, - not verifiable (no receive hook); \"ipi[\" \"]ipi\" an IPI handler,\n"
"\"dmx\" a demux (powerpc), \"fn[\" \"]fn\" a csd function, \"wait>42\" a spin in\n"
"csd_lock_wait(); !N marks anomaly N, listed at the end.\n"
"\n"
"Only the window is held in memory: a window of a huge recording is cheap\n"
"(the whole file is still read, once, twice with --around).\n"
"\n"
"Examples:\n"
"  ipitrace timeline ipi.rec --around 1\n"
"  ipitrace timeline ipi.rec --from 1.2 --to 1.25 --cpus 0-3\n"
"  ipitrace timeline ipi.rec --format perfetto -o ipi.json   # ui.perfetto.dev\n"
"  ipitrace timeline ipi.rec --format svg -o ipi.svg\n"
"\n"
"Exit status: 0 done, 1 unreadable or damaged recording or unwritable OUT,\n"
"2 usage (bad option, no such anomaly or CPU).\n");
}

static int parse_format(const char *s, enum tl_format *fmt)
{
	static const char *const names[] = { "text", "json", "perfetto", "svg" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*fmt = i;
			return 0;
		}
	return -1;
}

/* Anomaly N's window: from a little before it to a little after it ended. */
static int around_window(const char *path, const struct report_params *prm, size_t id,
			 int64_t context, uint64_t *from, uint64_t *to, int *ret)
{
	struct report *rp = report_run(path, prm, ret);
	const struct corr_anomaly *a;
	size_t na;
	uint64_t pad, end;

	if (!rp)
		return -1;
	a = corr_anomalies(report_corr(rp), &na);
	if (id > na) {
		if (na)
			ipt_err("no anomaly %zu in %s: it has %zu (ipitrace report %s lists them)",
				id, path, na, path);
		else
			ipt_err("no anomaly %zu in %s: it has none", id, path);
		report_free(rp);
		*ret = EXIT_USAGE;
		return -1;
	}
	a += id - 1;
	end = a->ts + a->age_ns;
	pad = context >= 0 ? (uint64_t)context : a->age_ns / 10;
	if (context < 0 && pad < 1000000)
		pad = 1000000;
	if (context < 0 && pad > 100000000)
		pad = 100000000;
	*from = a->ts > pad ? a->ts - pad : 0;
	*to = end + pad;
	/* Nothing happens after the recording ended. */
	if (*to > report_end_ns(rp) && end <= report_end_ns(rp))
		*to = report_end_ns(rp);
	report_free(rp);
	return 0;
}

/* The first anomaly that is not uncertain, else the first one; 0: none. */
static size_t first_anomaly(const char *path, const struct report_params *prm, int *ret)
{
	struct report *rp = report_run(path, prm, ret);
	const struct corr_anomaly *a;
	size_t na, pick = 0;

	if (!rp)
		return (size_t)-1;
	a = corr_anomalies(report_corr(rp), &na);
	for (size_t i = 0; i < na && !pick; i++)
		if (!a[i].uncertain)
			pick = i + 1;
	if (!pick && na)
		pick = 1;
	report_free(rp);
	return pick;
}

int cmd_timeline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "around", required_argument, NULL, 'a' },
		{ "context", required_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "compact", no_argument, NULL, 'k' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "grace", required_argument, NULL, 'g' },
		{ "skew", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct tl t = { .fmt = FMT_TEXT };
	struct report_params prm;
	const char *cpus_arg = NULL, *out_path = NULL;
	uint64_t from_rel = 0, to_rel = 0;
	int has_from = 0, has_to = 0, opt, ret = EXIT_FAIL;
	int64_t context = -1;
	char err[512], *end;
	struct rec_reader *r;
	FILE *out = stdout;

	report_params_default(&prm);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cpus_arg = optarg; break;
		case 'f': case 't': case 'C': case 'T': case 'g': case 's': {
			uint64_t v;

			if (parse_duration_ns(optarg, &v)) {
				ipt_err("bad time '%s' for --%s: use 1.5, 1.5s, 250ms, 20us", optarg,
					opt == 'f' ? "from" : opt == 't' ? "to" : opt == 'C' ? "context"
					: opt == 'T' ? "threshold" : opt == 'g' ? "grace" : "skew");
				return EXIT_USAGE;
			}
			if (opt == 'f') { from_rel = v; has_from = 1; }
			else if (opt == 't') { to_rel = v; has_to = 1; }
			else if (opt == 'C') context = (int64_t)v;
			else if (opt == 'T') prm.threshold_ns = v;
			else if (opt == 'g') prm.grace_ns = v;
			else prm.skew_ns = v;
			break;
		}
		case 'a':
			t.around = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || !t.around) {
				ipt_err("bad anomaly number '%s' for --around: use the N that "
					"`ipitrace report` prints (1, 2, ...)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'F':
			if (parse_format(optarg, &t.fmt)) {
				ipt_err("unknown format '%s': use text, json, perfetto or svg", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': out_path = optarg; break;
		case 'k': t.compact = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		ipt_err(optind == argc ? "timeline needs a recording FILE" : "timeline takes one FILE");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (has_from && has_to && to_rel < from_rel) {
		ipt_err("--to %.6f s is before --from %.6f s", to_rel / 1e9, from_rel / 1e9);
		return EXIT_USAGE;
	}
	t.path = argv[optind];
	t.grace_ns = prm.grace_ns;

	/* The recording's CPUs and span, before the window is known. */
	r = rec_open(t.path, err, sizeof(err));
	if (!r) {
		ipt_err("%s", err);
		return EXIT_FAIL;
	}
	t.ncpus = rec_ncpus(r);
	t.start_ns = rec_trailer(r)->start_ns;
	t.end_ns = rec_trailer(r)->end_ns;
	rec_free(r);
	if (cpus_arg) {
		t.cpus = xcalloc(IPT_MAX_CPUS / 64, sizeof(uint64_t));
		if (parse_cpu_list(cpus_arg, t.cpus, IPT_MAX_CPUS, err, sizeof(err))) {
			ipt_err("bad --cpus '%s': %s", cpus_arg, err);
			ret = EXIT_USAGE;
			goto out;
		}
		for (unsigned c = t.ncpus; c < IPT_MAX_CPUS; c++)
			if (test_bit64(t.cpus, c)) {
				ipt_err("--cpus: CPU %u is not in this recording (CPUs 0-%u)", c,
					t.ncpus - 1);
				ret = EXIT_USAGE;
				goto out;
			}
	}

	t.from = 0;
	t.to = UINT64_MAX;
	if (!t.around && t.fmt == FMT_SVG && !has_from && !has_to) {
		size_t pick = first_anomaly(t.path, &prm, &ret);

		if (pick == (size_t)-1)
			goto out;
		if (pick) {
			t.around = pick;
			ipt_info("drawing the window around anomaly %zu (--from/--to for another)", pick);
		}
	}
	if (t.around && around_window(t.path, &prm, t.around, context, &t.from, &t.to, &ret))
		goto out;
	if (has_from)
		t.from = t.start_ns + from_rel;
	if (has_to)
		t.to = t.start_ns + to_rel;
	if (t.to < t.from) {
		ipt_err("the window ends before it starts (--from/--to against --around %zu)",
			t.around);
		ret = EXIT_USAGE;
		goto out;
	}

	prm.on_events = on_events;
	prm.events_ctx = &t;
	prm.on_link = on_link;
	prm.link_ctx = &t;
	t.rp = report_run(t.path, &prm, &ret);
	if (!t.rp)
		goto out;
	t.ks = rec_symbols(report_reader(t.rp));
	resolve_links(&t);
	/* The shown window's ends where no bound was given: the recording's
	 * span, widened to any event outside it. */
	if (!has_from && !t.around)
		t.from = t.nev && t.ev[0].e.ts < t.start_ns ? t.ev[0].e.ts : t.start_ns;
	if (t.to == UINT64_MAX)
		t.to = t.nev && t.ev[t.nev - 1].e.ts > t.end_ns ? t.ev[t.nev - 1].e.ts : t.end_ns;
	if (t.to < t.from)
		t.to = t.from;	/* --from past the end: an empty window */
	if (t.fmt == FMT_SVG && !has_from && !has_to && !t.around && t.nev) {
		/* A picture of the whole recording: draw where the events are. */
		uint64_t a = t.ev[0].e.ts, b = t.ev[t.nev - 1].e.ts, pad = (b - a) / 50 + 1000;

		t.from = a > pad ? a - pad : 0;
		t.to = b + pad;
	}
	apply_anomalies(&t);
	choose_lanes(&t);

	if (out_path && !(out = fopen(out_path, "w"))) {
		ipt_err("cannot write %s: %m", out_path);
		ret = EXIT_FAIL;
		goto out;
	}
	switch (t.fmt) {
	case FMT_TEXT: output_text(&t, out); break;
	case FMT_JSON: output_json(&t, out); break;
	case FMT_PERFETTO: output_perfetto(&t, out); break;
	case FMT_SVG:
		if (t.nev > 20000)
			ipt_warn("drawing %zu events: the picture will be slow to show; "
				 "--from/--to (or --around N) draw a narrower window", t.nev);
		output_svg(&t, out);
		break;
	}
	ret = EXIT_OK;
	if (fflush(out) || ferror(out)) {
		ipt_err("writing %s failed: %m", out_path ? out_path : "standard output");
		ret = EXIT_FAIL;
	}
	if (out != stdout && fclose(out)) {
		ipt_err("writing %s failed: %m", out_path);
		ret = EXIT_FAIL;
	}
out:
	report_free(t.rp);
	free(t.ev);
	free(t.lk);
	free(t.cpus);
	free(t.lane_cpu);
	free(t.lane_of);
	free(t.anom_shown);
	return ret;
}
