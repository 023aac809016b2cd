// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipitrace report: correlate a recording and summarise it. */
#include "cli.h"
#include "correlate.h"
#include "json.h"
#include "procint.h"
#include "recording.h"
#include "report.h"
#include "util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const msg_names[IPT_MSG__MAX] = {
	"CALL_FUNCTION", "RESCHEDULE", "TICK_BROADCAST", "NMI", "RM_HOST_ACTION",
	"IRQ_WORK", "OTHER",
};

static const char *csd_type_name(uint32_t t)
{
	switch (t) {
	case IPT_CSD_TYPE_ASYNC: return "async";
	case IPT_CSD_TYPE_SYNC: return "sync";
	case IPT_CSD_TYPE_IRQ_WORK: return "irq_work";
	case IPT_CSD_TYPE_TTWU: return "ttwu";
	}
	return "unknown";
}

/* /proc/interrupts row that counts each receive kind (x86 names). */
static const char *irq_row_of(int kind)
{
	switch (kind) {
	case IPT_MSG_CALL_FUNCTION: return "CAL";
	case IPT_MSG_RESCHEDULE: return "RES";
	case IPT_MSG_IRQ_WORK: return "IWI";
	}
	return NULL;
}

/* One row of the cross-check: the kernel's count of receives of `msg` on
 * `cpu` over the snapshot window, beside the traced ones. */
struct xcheck {
	const char *row;	/* /proc/interrupts row, e.g. "CAL" */
	int msg;
	unsigned cpu;
	uint64_t kernel;	/* delta between the two snapshots */
	uint64_t traced;	/* traced receives, snapshot window */
	/* Traced receives that surely fell between the two reads, and those
	 * that may have (IPT_IRQ_MARGIN_NS wider than either read): a complete
	 * trace has inner <= kernel <= wide. */
	uint64_t inner, wide;
	uint64_t unseen;	/* kernel - wide, if > 0 */
};

struct report {
	struct rec_reader *r;
	struct corr *c;
	const struct ksyms *ks;
	unsigned ncpus;
	uint64_t start_ns, end_ns;
	uint64_t patch_sync_func;	/* do_sync_core, see corr_opts */
	struct procint irq[2];
	int have_irq;
	int have_receive[IPT_MSG__MAX];
	const uint64_t *traced;		/* record --cpus, NULL for all */
	uint64_t cpus_bits[IPT_MAX_CPUS / 64];	/* ... the bits it points to */
	struct xcheck *xc;		/* the /proc/interrupts cross-check */
	size_t nxc;
	const char *path;
};

static void sentence(const struct report *rp, const struct corr_anomaly *a, char *buf, size_t len)
{
	char func[160], site[160];
	double t = (double)(int64_t)(a->ts - rp->start_ns) / 1e9, age = a->age_ns / 1e6;
	int n = 0;

	ksyms_fmt(rp->ks, a->func, func, sizeof(func));
	ksyms_fmt(rp->ks, a->callsite, site, sizeof(site));
	switch (a->kind) {
	case CORR_A_NEVER_DEMUXED:
		n = snprintf(buf, len, "CPU %u sent %s to CPU %u at %.6f s (from %s) and no receive "
			     "took it %s %.1f ms%s; CPU %u %s", a->src, msg_names[a->msg], a->dst, t,
			     site, a->resolved ? "for" : "in the", age,
			     a->resolved ? " (then one did)" : " until the trace ended", a->dst,
			     a->target_active ? "kept running and receiving meanwhile"
					      : "produced no event after the send");
		break;
	case CORR_A_STUCK_CSD:
		if (a->waiter)
			n = snprintf(buf, len, "CPU %u spun in csd_lock_wait() for CPU %u running "
				     "%s() from %.6f s %s %.1f ms", a->src, a->dst, func, t,
				     a->resolved ? "for" : "until the trace ended,", age);
		else
			n = snprintf(buf, len, "CPU %u queued %s() (%s csd, from %s) for CPU %u at "
				     "%.6f s and it %s %.1f ms; CPU %u %s", a->src, func,
				     csd_type_name(a->msg), site, a->dst, t,
				     a->resolved ? "ran only after" : "never ran, still pending after",
				     age, a->dst, a->target_active ? "kept running"
								   : "produced no event after it");
		break;
	case CORR_A_SLOW_IPI:
		n = snprintf(buf, len, "CPU %u sent %s to CPU %u at %.6f s (from %s); received "
			     "%.1f ms later, CPU %u taking no other IPI meanwhile", a->src,
			     msg_names[a->msg], a->dst, t, site, age, a->dst);
		break;
	case CORR_A_EMPTY_DEMUX:
		n = snprintf(buf, len, "CPU %u took an IPI and demuxed an empty message set %.3f ms "
			     "after CPU %u had sent it %s (at %.6f s, from %s), which was still "
			     "pending: the sender's message was not visible to it", a->dst, age,
			     a->src, msg_names[a->msg], t, site);
		break;
	case CORR_A_HANDLED_NOT_SEEN:
		n = snprintf(buf, len, "CPU %u queued %s() (%s csd, from %s) for CPU %u at %.6f s "
			     "before its %s IPI; the receive that took that IPI did not run it, a "
			     "later one did: it ran %.3f ms after it was queued", a->src, func,
			     csd_type_name(a->msg), site,
			     a->dst, t, msg_names[a->via < IPT_MSG__MAX ? a->via : IPT_MSG_OTHER], age);
		break;
	}
	if (a->count > 1 && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " [%" PRIu64 " alike]", a->count);
	if (a->uncertain && n > 0 && (size_t)n < len) {
		if (a->lost)
			snprintf(buf + n, len - n, " -- UNCERTAIN: %" PRIu64 " events were lost on "
				 "CPU %u/%u around it", a->lost, a->src, a->dst);
		else if (a->unseen)
			snprintf(buf + n, len - n, " -- UNCERTAIN: the kernel counted %" PRIu64
				 " interrupts on CPU %u/%u that the trace lacks", a->unseen, a->src,
				 a->dst);
		else if (rp->patch_sync_func && a->func == rp->patch_sync_func)
			snprintf(buf + n, len - n, " -- UNCERTAIN: this csd is the kernel patching its "
				 "own text (tracepoints being switched on or off, e.g. by another "
				 "tracer), when the kernel can skip probes");
		else
			snprintf(buf + n, len - n, " -- UNCERTAIN: the kernel skipped BPF programs "
				 "at unknown times (recursion)");
	}
}

/* "0,1,5," -> bits IPT_DEMUX_BIT(k) (META receive_kinds, flush_kinds). */
static uint32_t parse_kinds(const char *v)
{
	uint32_t bits = 0;

	for (const char *p = v; p && *p;) {
		char *end;
		unsigned long k = strtoul(p, &end, 10);

		if (end == p)
			break;
		if (k < IPT_MSG__MAX)
			bits |= IPT_DEMUX_BIT(k);
		p = end;
		if (*p != ',')
			break;
		p++;
	}
	return bits;
}

static void parse_receive_kinds(struct report *rp)
{
	uint32_t bits = parse_kinds(rec_meta(rp->r, "receive_kinds"));

	for (int k = 0; k < IPT_MSG__MAX; k++)
		rp->have_receive[k] = !!(bits & IPT_DEMUX_BIT(k));
}

static void print_lat(FILE *f, const struct lat *l)
{
	fprintf(f, "%8" PRIu64 " %9.1f %9.1f %9.1f", l->count, lat_percentile(l, 50) / 1e3,
		lat_percentile(l, 99) / 1e3, l->max / 1e3);
}

static void json_lat(struct json *j, const struct lat *l)
{
	uint64_t h[64];
	int top = -1;

	json_ku64(j, "count", l->count);
	json_ku64(j, "p50_ns", lat_percentile(l, 50));
	json_ku64(j, "p99_ns", lat_percentile(l, 99));
	json_ku64(j, "max_ns", l->max);
	/* log2 buckets: element i counts values in [2^i, 2^(i+1)) ns. */
	lat_log2(l, h);
	for (int i = 0; i < 64; i++)
		if (h[i])
			top = i;
	json_key(j, "log2_ns");
	json_arr_begin(j);
	for (int i = 0; i <= top; i++)
		json_u64(j, h[i]);
	json_arr_end(j);
}

/* "A+B": the sum of the rows that exist (at least one must). */
static int64_t irq_delta(const struct report *rp, const char *row, unsigned cpu)
{
	int64_t sum = 0;
	int any = 0;
	char name[32];

	for (const char *p = row; *p;) {
		size_t l = strcspn(p, "+");
		int64_t a, b;

		snprintf(name, sizeof(name), "%.*s", (int)l, p);
		a = procint_get(&rp->irq[0], name, cpu);
		b = procint_get(&rp->irq[1], name, cpu);
		if (a >= 0 && b >= 0) {
			sum += b - a;
			any = 1;
		}
		p += l + (p[l] == '+');
	}
	return any ? sum : -1;
}

/*
 * Receives the kernel counted that the trace lacks: a deficit means
 * tracepoint hits were missed with no drop counted (measured on 6.18:
 * another tracer attaching or detaching on the same tracepoints makes the
 * kernel skip probes), and verdicts on those CPUs become uncertain.
 *
 * Which traced receives to count: not those of the snapshot window itself,
 * where a healthy run differs by 1 to 5 at the edges (measured; an interrupt
 * stamped just before a read can be counted just after it), which would make
 * every verdict uncertain; nor those of the whole trace, where attaching the
 * hooks makes dozens of IPIs that hide real misses.  The window from the
 * start of the first read to the end of the last, widened by
 * IPT_IRQ_MARGIN_NS (2 ms): the edge differences were gone at 10 us to
 * 1 ms.  record keeps the hooks on for more than that around each
 * snapshot.  The reads' own length counts: in a
 * ppc64le guest under TCG on a busy host a read took up to 162 ms (the vCPU
 * paused in it), and with only its midpoint as the edge the kernel counted
 * 1 to 4 receives more or fewer than the trace while a kprobe on the IPI
 * action, through tracefs, saw exactly the traced ones (measured over 12
 * recordings).
 */
static void cross_check(struct report *rp)
{
	/* powerpc: every muxed IPI arrives as kind OTHER on the IPI irq or a
	 * doorbell; the recording names the rows (META irq_rows_other). */
	const char *other = rec_meta(rp->r, "irq_rows_other");

	for (int m = 0; m < IPT_MSG__MAX && rp->have_irq; m++) {
		const char *row = m == IPT_MSG_OTHER && other && *other ? other : irq_row_of(m);

		if (!row || (!rp->have_receive[m] && row != other) || irq_delta(rp, row, 0) < 0)
			continue;
		for (unsigned cpu = 0; cpu < rp->ncpus; cpu++) {
			const struct corr_cpu *cc = corr_cpu(rp->c, cpu);
			int64_t d = irq_delta(rp, row, cpu);
			struct xcheck *x;

			/* A CPU outside --cpus was not traced: nothing to compare. */
			if (d < 0 || (rp->traced && !test_bit64(rp->traced, cpu)))
				continue;
			if (rp->nxc % 16 == 0)
				rp->xc = xrealloc(rp->xc, (rp->nxc + 16) * sizeof(*rp->xc));
			x = &rp->xc[rp->nxc++];
			*x = (struct xcheck){
				.row = row, .msg = m, .cpu = cpu, .kernel = (uint64_t)d,
				.traced = cc->received_window[m],
				.inner = cc->received_inner[m], .wide = cc->received_wide[m],
				.unseen = (uint64_t)d > cc->received_wide[m] ? d - cc->received_wide[m] : 0,
			};
			if (x->unseen)
				corr_note_unseen(rp->c, cpu, x->unseen);
		}
	}
}

static double xcheck_pct(const struct xcheck *x)
{
	return x->kernel ? 100.0 * ((double)x->traced - (double)x->kernel) / (double)x->kernel : 0;
}

static void output_text(const struct report *rp, FILE *f)
{
	const struct corr_counts *k = corr_counts(rp->c);
	const struct ipt_trailer *t = rec_trailer(rp->r);
	const struct corr_anomaly *an;
	size_t nan;
	char buf[1024];

	fprintf(f, "recording  %s: %s %s, %u CPUs, %.2f s%s\n", rp->path,
		rec_meta(rp->r, "kernel_release") ?: "?", rec_meta(rp->r, "arch") ?: "?", rp->ncpus,
		(rp->end_ns - rp->start_ns) / 1e9,
		rec_header(rp->r)->flags & IPT_F_NO_ADDRESSES ? " (no addresses)" : "");
	fprintf(f, "events     %" PRIu64 "; lost %" PRIu64 " (ring full %" PRIu64 ", recursion %"
		PRIu64 ")\n", (uint64_t)t->events, (uint64_t)(t->ring_dropped + t->recursion_misses), (uint64_t)t->ring_dropped,
		(uint64_t)t->recursion_misses);
	fprintf(f, "\nIPIs       sent %" PRIu64 ", received %" PRIu64 ", matched %" PRIu64
		" (%" PRIu64 " coalesced), undelivered %" PRIu64 ", uncertain %" PRIu64 "\n",
		k->sent, k->received, k->matched, k->coalesced, k->undelivered, k->ipi_uncertain);
	fprintf(f, "           %" PRIu64 " wake-ups needed no IPI (target polling in idle); %"
		PRIu64 " sends have no receive hook; %" PRIu64 " in flight at the end\n",
		k->idle_wakes, k->sent_unverifiable, k->ipi_inflight_end);
	fprintf(f, "CSD calls  queued %" PRIu64 ", executed %" PRIu64 " (%" PRIu64
		" by a batch or flush), stuck %" PRIu64 ", uncertain %" PRIu64 "; %" PRIu64
		" run locally\n", k->csd_queued, k->csd_executed, k->csd_drained, k->csd_stuck,
		k->csd_uncertain, k->csd_local);
	if (k->csd_unverifiable)
		fprintf(f, "           %" PRIu64 " csds cannot be checked: no hook sees csds run on "
			"this kernel (or their CPU was not traced); see the plan\n",
			k->csd_unverifiable);
	if (k->csd_unconfirmed)
		fprintf(f, "           %" PRIu64 " irq_work csds no hook can see run "
			"(irq_work_single has no event)\n", k->csd_unconfirmed);
	if (k->csd_entry_not_seen)
		fprintf(f, "           %" PRIu64 " csds proven run (dequeued) whose function entry "
			"was not traced\n", k->csd_entry_not_seen);
	if (k->csd_unverifiable)
		fprintf(f, "           %" PRIu64 " csds for CPUs outside --cpus or without an entry "
			"hook, not judged\n", k->csd_unverifiable);
	if (k->skewed)
		fprintf(f, "           %" PRIu64 " matches where the receive was stamped before "
			"the send (cross-CPU clock skew)\n", k->skewed);
	if (k->unseen) {
		fprintf(f, "\nWARNING: the kernel counted %" PRIu64 " more interrupts than were "
			"traced%s:", k->unseen, k->lost_events ? "" : ", with no loss counted");
		for (unsigned cpu = 0; cpu < rp->ncpus; cpu++)
			if (corr_cpu(rp->c, cpu)->unseen)
				fprintf(f, " CPU %u +%" PRIu64, cpu, corr_cpu(rp->c, cpu)->unseen);
		if (k->lost_events)
			fprintf(f, ".\n         Events were lost (see above).  Verdicts on those CPUs "
				"are uncertain.\n");
		else
			fprintf(f, ".\n         Hook hits were missed with no drop counted (seen: "
				"while another tracer\n         attaches or detaches on the same "
				"tracepoints; a kprobe hit nested in\n         another kprobe's handler; "
				"rarely, single reschedule entries with\n         no other tracer).  "
				"Verdicts on those CPUs are uncertain.\n");
	}

	if (rp->nxc) {
		fprintf(f, "\nCross-check with /proc/interrupts (kernel counters over the same window):\n");
		int bounds = 0;

		/* The bounds column only where a slow read or a busy edge makes
		 * the window's own count differ from them (report.c cross_check()). */
		for (size_t i = 0; i < rp->nxc; i++)
			bounds |= rp->xc[i].inner != rp->xc[i].traced || rp->xc[i].wide != rp->xc[i].traced;
		fprintf(f, "  %-4s %-14s %4s %12s %12s %8s%s\n", "row", "kind", "cpu", "kernel", "traced",
			"diff", bounds ? "   bounds" : "");
		for (size_t i = 0; i < rp->nxc; i++) {
			const struct xcheck *x = &rp->xc[i];

			fprintf(f, "  %-4s %-14s %4u %12" PRIu64 " %12" PRIu64 " %7.2f%%", x->row,
				msg_names[x->msg], x->cpu, x->kernel, x->traced, xcheck_pct(x));
			if (bounds)
				fprintf(f, "   %" PRIu64 "..%" PRIu64, x->inner, x->wide);
			fputc('\n', f);
		}
	}

	fprintf(f, "\nLatency per CPU pair (us)   %-14s %8s %9s %9s %9s\n", "", "count", "p50", "p99", "max");
	for (unsigned s = 0; s < rp->ncpus; s++)
		for (unsigned d = 0; d < rp->ncpus; d++) {
			const struct corr_pair *p = corr_pair(rp->c, s, d);

			if (!p)
				continue;
			for (int m = 0; m < IPT_MSG__MAX; m++) {
				if (!p->ipi[m].count)
					continue;
				fprintf(f, "  %3u -> %-3u send->receive %-14s ", s, d, msg_names[m]);
				print_lat(f, &p->ipi[m]);
				fputc('\n', f);
			}
			if (p->csd.count) {
				fprintf(f, "  %3u -> %-3u csd queue->run %-14s ", s, d, "");
				print_lat(f, &p->csd);
				fputc('\n', f);
			}
			if (p->func.count) {
				fprintf(f, "  %3u -> %-3u csd function  %-14s ", s, d, "");
				print_lat(f, &p->func);
				fputc('\n', f);
			}
			if (p->wait.count) {
				fprintf(f, "  %3u -> %-3u csd wait      %-14s ", s, d, "");
				print_lat(f, &p->wait);
				fputc('\n', f);
			}
		}

	{
		size_t nw;
		uint64_t dropped;
		const struct corr_wait_fn *w = corr_wait_fns(rp->c, &nw, &dropped);

		if (nw)
			fprintf(f, "\ncsd_lock_wait() until the target ran the csd (us)  %8s %9s %9s %9s\n",
				"count", "p50", "p99", "max");
		for (size_t i = 0; i < nw; i++) {
			char fn[160];

			ksyms_fmt(rp->ks, w[i].func, fn, sizeof(fn));
			fprintf(f, "  %3u waits for %-3u %-32.32s ", w[i].waiter, w[i].target, fn);
			print_lat(f, &w[i].lat);
			fputc('\n', f);
		}
		if (dropped)
			fprintf(f, "  (%" PRIu64 " more waits on other functions, not listed)\n", dropped);
	}

	an = corr_anomalies(rp->c, &nan);
	fprintf(f, "\nAnomalies: %zu%s\n", nan, nan ? "" : " (none)");
	for (size_t i = 0; i < nan; i++) {
		sentence(rp, &an[i], buf, sizeof(buf));
		fprintf(f, "  [%s] %s\n", corr_anomaly_name(an[i].kind), buf);
		report_timeline_cmd(rp->path, i + 1, buf, sizeof(buf));
		fprintf(f, "      see: %s\n", buf);
	}
	if (k->anomalies_dropped)
		fprintf(f, "  ... and %" PRIu64 " more not listed\n", k->anomalies_dropped);
}

/* Opens one pairs[] entry: {"src", "dst", "what", ...}. */
static void json_pair_begin(struct json *j, unsigned src, unsigned dst, const char *what)
{
	json_obj_begin(j);
	json_ku64(j, "src", src);
	json_ku64(j, "dst", dst);
	json_kstr(j, "what", what);
}

static void output_json(const struct report *rp, FILE *f)
{
	const struct corr_counts *k = corr_counts(rp->c);
	const struct ipt_trailer *t = rec_trailer(rp->r);
	const struct ipt_cpu_stats *cs = rec_cpu_stats(rp->r);
	const struct corr_anomaly *an;
	struct json j;
	size_t nan;
	char buf[1024];

	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_key(&j, "recording");
	json_obj_begin(&j);
	json_kstr(&j, "file", rp->path);
	json_kstr(&j, "kernel", rec_meta(rp->r, "kernel_release") ?: "");
	json_kstr(&j, "arch", rec_meta(rp->r, "arch") ?: "");
	json_ku64(&j, "ncpus", rp->ncpus);
	json_kdouble(&j, "duration_s", (rp->end_ns - rp->start_ns) / 1e9);
	json_kbool(&j, "no_addresses", rec_header(rp->r)->flags & IPT_F_NO_ADDRESSES);
	json_kstr(&j, "plan", rec_plan(rp->r) ?: "");
	json_obj_end(&j);
	json_ku64(&j, "events", t->events);
	json_ku64(&j, "lost_events", t->ring_dropped + t->recursion_misses);
	json_ku64(&j, "events_out_of_order", k->events_late);
	json_key(&j, "lost");
	json_obj_begin(&j);
	json_ku64(&j, "ring_full", t->ring_dropped);
	json_ku64(&j, "recursion", t->recursion_misses);
	{
		/* What BPF says it submitted against what reached the file: a gap
		 * would be events lost by the consumer. */
		uint64_t emitted = 0;

		for (unsigned c = 0; c < rp->ncpus; c++)
			emitted += cs[c].emitted;
		json_ku64(&j, "emitted_by_bpf", emitted);
		json_ku64(&j, "in_recording", corr_counts(rp->c)->events);
		json_ku64(&j, "unseen", k->unseen);
	}
	json_obj_end(&j);

	json_key(&j, "ipi");
	json_obj_begin(&j);
	json_ku64(&j, "sent", k->sent);
	json_ku64(&j, "received", k->received);
	json_ku64(&j, "matched", k->matched);
	json_ku64(&j, "coalesced", k->coalesced);
	json_ku64(&j, "skewed", k->skewed);
	json_ku64(&j, "undelivered", k->undelivered);
	json_ku64(&j, "uncertain", k->ipi_uncertain);
	json_ku64(&j, "unverifiable", k->sent_unverifiable);
	json_ku64(&j, "in_flight_at_end", k->ipi_inflight_end);
	json_ku64(&j, "received_without_send", k->received_unmatched);
	json_ku64(&j, "wakeups_without_ipi", k->idle_wakes);
	json_obj_end(&j);

	json_key(&j, "csd");
	json_obj_begin(&j);
	json_ku64(&j, "queued", k->csd_queued);
	json_ku64(&j, "executed", k->csd_executed);
	json_ku64(&j, "executed_by_batch_or_flush", k->csd_drained);
	json_ku64(&j, "stuck", k->csd_stuck);
	json_ku64(&j, "uncertain", k->csd_uncertain);
	json_ku64(&j, "local", k->csd_local);
	json_ku64(&j, "unconfirmed_irq_work", k->csd_unconfirmed);
	json_ku64(&j, "in_flight_at_end", k->csd_inflight_end);
	json_ku64(&j, "entries_without_queue", k->csd_unmatched_entries);
	json_ku64(&j, "entry_not_seen", k->csd_entry_not_seen);
	json_ku64(&j, "unverifiable", k->csd_unverifiable);
	json_obj_end(&j);

	an = corr_anomalies(rp->c, &nan);
	json_key(&j, "anomalies");
	json_arr_begin(&j);
	for (size_t i = 0; i < nan; i++) {
		const struct corr_anomaly *a = &an[i];
		int ipi = a->kind == CORR_A_NEVER_DEMUXED || a->kind == CORR_A_SLOW_IPI ||
			  a->kind == CORR_A_EMPTY_DEMUX;

		sentence(rp, a, buf, sizeof(buf));
		json_obj_begin(&j);
		json_kstr(&j, "kind", a->uncertain ? "uncertain" : corr_anomaly_name(a->kind));
		if (a->uncertain)
			json_kstr(&j, "would_be", corr_anomaly_name(a->kind));
		json_kstr(&j, "sentence", buf);
		json_ku64(&j, "id", i + 1);
		report_timeline_cmd(rp->path, i + 1, buf, sizeof(buf));
		json_kstr(&j, "timeline", buf);
		json_ku64(&j, "src_cpu", a->src);
		json_ku64(&j, "dst_cpu", a->dst);
		json_kstr(&j, ipi ? "message" : "csd_type", ipi ? msg_names[a->msg] : csd_type_name(a->msg));
		json_kstr(&j, "func", ksyms_fmt(rp->ks, a->func, buf, sizeof(buf)));
		json_kstr(&j, "callsite", ksyms_fmt(rp->ks, a->callsite, buf, sizeof(buf)));
		json_kdouble(&j, "time_s", (a->ts - rp->start_ns) / 1e9);
		json_kdouble(&j, "age_ms", a->age_ns / 1e6);
		json_ku64(&j, "count", a->count);
		json_kbool(&j, "target_active", a->target_active);
		json_ku64(&j, "lost_events", a->lost);
		json_ku64(&j, "unseen", a->unseen);
		json_kbool(&j, "resolved", a->resolved);
		if (a->kind == CORR_A_STUCK_CSD)
			json_kbool(&j, "waiter", a->waiter);
		if (a->kind == CORR_A_HANDLED_NOT_SEEN)
			json_kstr(&j, "via", msg_names[a->via < IPT_MSG__MAX ? a->via : IPT_MSG_OTHER]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_ku64(&j, "anomalies_not_listed", k->anomalies_dropped);

	json_key(&j, "per_cpu");
	json_arr_begin(&j);
	for (unsigned cpu = 0; cpu < rp->ncpus; cpu++) {
		const struct corr_cpu *c = corr_cpu(rp->c, cpu);

		json_obj_begin(&j);
		json_ku64(&j, "cpu", cpu);
		json_ku64(&j, "events", c->events);
		json_ku64(&j, "lost_events", cs[cpu].dropped);
		json_key(&j, "sent");
		json_obj_begin(&j);
		for (int m = 0; m < IPT_MSG__MAX; m++)
			if (c->sent[m])
				json_ku64(&j, msg_names[m], c->sent[m]);
		json_obj_end(&j);
		json_key(&j, "received");
		json_obj_begin(&j);
		for (int m = 0; m < IPT_MSG__MAX; m++)
			if (c->received[m])
				json_ku64(&j, msg_names[m], c->received[m]);
		json_obj_end(&j);
		json_ku64(&j, "csd_queued_to", c->csd_queued_to);
		json_ku64(&j, "csd_executed", c->csd_executed);
		json_ku64(&j, "wakeups_without_ipi", c->idle_wakes);
		json_key(&j, "csd_function_ns");
		json_obj_begin(&j);
		json_lat(&j, &c->func);
		json_obj_end(&j);
		/* Spins in csd_lock_wait() on this CPU, whatever the target (a
		 * wait for several CPUs has no single one). */
		json_key(&j, "csd_wait_ns");
		json_obj_begin(&j);
		json_lat(&j, &c->wait);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_key(&j, "pairs");
	json_arr_begin(&j);
	for (unsigned s = 0; s < rp->ncpus; s++)
		for (unsigned d = 0; d < rp->ncpus; d++) {
			const struct corr_pair *p = corr_pair(rp->c, s, d);

			if (!p)
				continue;
			for (int m = 0; m < IPT_MSG__MAX; m++) {
				if (!p->sent[m] && !p->ipi[m].count)
					continue;
				json_pair_begin(&j, s, d, "send_to_receive");
				json_kstr(&j, "message", msg_names[m]);
				json_ku64(&j, "sent", p->sent[m]);
				json_lat(&j, &p->ipi[m]);
				json_obj_end(&j);
			}
			if (p->csd_queued || p->csd.count) {
				json_pair_begin(&j, s, d, "csd_queue_to_entry");
				json_ku64(&j, "queued", p->csd_queued);
				json_lat(&j, &p->csd);
				json_obj_end(&j);
			}
			if (p->func.count) {
				json_pair_begin(&j, s, d, "csd_function");
				json_lat(&j, &p->func);
				json_obj_end(&j);
			}
			if (p->wait.count) {
				json_pair_begin(&j, s, d, "csd_wait");
				json_lat(&j, &p->wait);
				json_obj_end(&j);
			}
		}
	json_arr_end(&j);

	{
		size_t nw;
		uint64_t dropped;
		const struct corr_wait_fn *w = corr_wait_fns(rp->c, &nw, &dropped);

		json_key(&j, "csd_waits");
		json_arr_begin(&j);
		for (size_t i = 0; i < nw; i++) {
			json_obj_begin(&j);
			json_ku64(&j, "waiter", w[i].waiter);
			json_ku64(&j, "target", w[i].target);
			json_kstr(&j, "func", ksyms_fmt(rp->ks, w[i].func, buf, sizeof(buf)));
			json_lat(&j, &w[i].lat);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_ku64(&j, "csd_waits_not_listed", dropped);
	}

	json_key(&j, "interrupts");
	json_arr_begin(&j);
	for (size_t i = 0; i < rp->nxc; i++) {
		const struct xcheck *x = &rp->xc[i];

		json_obj_begin(&j);
		json_kstr(&j, "row", x->row);
		json_kstr(&j, "message", msg_names[x->msg]);
		json_ku64(&j, "cpu", x->cpu);
		json_ku64(&j, "kernel", x->kernel);
		json_ku64(&j, "traced", x->traced);
		json_ku64(&j, "traced_inner", x->inner);
		json_ku64(&j, "traced_wide", x->wide);
		json_kdouble(&j, "diff_pct", xcheck_pct(x));
		json_ku64(&j, "unseen", x->unseen);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipitrace report FILE [--json] [--threshold TIME] [--grace TIME] [--skew TIME]\n"
"                            [--fail-on-anomaly]\n"
"\n"
"Correlate a recording made by `ipitrace record`: match every IPI send to its\n"
"receive and every queued cross-CPU call (csd) to its execution, and report\n"
"what was never received or never ran, latencies per CPU pair, and the\n"
"kernel's own /proc/interrupts counts beside the traced ones.\n"
"\n"
"      --json            machine-readable output (docs/user-guide.md lists fields)\n"
"      --threshold TIME  a message not taken, a csd not run or a csd_lock_wait()\n"
"                        spin longer than this is an anomaly (default 1s)\n"
"      --grace TIME      pending at the end but younger than this is in flight,\n"
"                        not lost (default 100ms)\n"
"      --skew TIME       cross-CPU timestamp tolerance (default 20us)\n"
"      --fail-on-anomaly exit 4 when any anomaly (not uncertain) is found\n"
"\n"
"Each anomaly is numbered and followed by the `ipitrace timeline FILE --around N`\n"
"command that shows it, each CPU side by side.\n"
"\n"
"Exit status: 0 done, 1 unreadable or damaged recording, 2 usage, 4 anomalies\n"
"with --fail-on-anomaly.\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "threshold", required_argument, NULL, 't' },
		{ "grace", required_argument, NULL, 'g' },
		{ "skew", required_argument, NULL, 's' },
		{ "fail-on-anomaly", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct report_params prm;
	struct report *rp;
	int opt, as_json = 0, fail_on = 0, ret = EXIT_FAIL;

	report_params_default(&prm);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		uint64_t *dst = opt == 't' ? &prm.threshold_ns : opt == 'g' ? &prm.grace_ns
								     : &prm.skew_ns;

		switch (opt) {
		case 'j': as_json = 1; break;
		case 't': case 'g': case 's':
			if (parse_duration_ns(optarg, dst)) {
				ipt_err("bad time '%s': use 1s, 500ms, 20us", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'F': fail_on = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		ipt_err(optind == argc ? "report needs a recording FILE" : "report takes one FILE");
		usage(stderr);
		return EXIT_USAGE;
	}
	rp = report_run(argv[optind], &prm, &ret);
	if (!rp)
		return ret;
	if (as_json)
		output_json(rp, stdout);
	else
		output_text(rp, stdout);
	ret = EXIT_OK;
	if (fail_on) {
		const struct corr_counts *k = corr_counts(rp->c);

		for (int a = 1; a < CORR_A__MAX; a++)
			if (k->anomalies_by_kind[a])
				ret = EXIT_ANOMALY;
	}
	report_free(rp);
	return ret;
}

void report_params_default(struct report_params *p)
{
	memset(p, 0, sizeof(*p));
	p->threshold_ns = 1000000000ull;
	p->grace_ns = 100000000ull;
	p->skew_ns = 20000;
}

struct report *report_run(const char *path, const struct report_params *prm, int *exit_code)
{
	struct report *rp = xcalloc(1, sizeof(*rp));
	struct corr_opts co;
	int rc;
	char err[512];
	const struct ipt_event *ev;
	size_t n;
	const char *cpus;

	*exit_code = EXIT_FAIL;
	rp->path = path;
	rp->r = rec_open(rp->path, err, sizeof(err));
	if (!rp->r) {
		ipt_err("%s", err);
		goto out;
	}
	rp->ncpus = rec_ncpus(rp->r);
	rp->ks = rec_symbols(rp->r);
	rp->start_ns = rec_trailer(rp->r)->start_ns;
	rp->end_ns = rec_trailer(rp->r)->end_ns;
	parse_receive_kinds(rp);

	corr_opts_default(&co, rp->ncpus);
	co.threshold_ns = prm->threshold_ns;
	co.grace_ns = prm->grace_ns;
	co.skew_ns = prm->skew_ns;
	memcpy(co.have_receive, rp->have_receive, sizeof(co.have_receive));
	co.have_csd_entry = rec_meta(rp->r, "csd_entry_hooked") &&
			    !strcmp(rec_meta(rp->r, "csd_entry_hooked"), "1");
	co.unknown_loss = 0;	/* set below if some misses have no time */
	if (rec_meta(rp->r, "flush_kinds"))
		co.flush_kinds = parse_kinds(rec_meta(rp->r, "flush_kinds"));
	cpus = rec_meta(rp->r, "cpus");
	if (cpus && strcmp(cpus, "all")) {
		if (parse_cpu_list(cpus, rp->cpus_bits, rp->ncpus, err, sizeof(err))) {
			ipt_err("%s: corrupted: META cpus=%s: %s", rp->path, cpus, err);
			goto out;
		}
		co.traced = rp->cpus_bits;
		rp->traced = rp->cpus_bits;
	}
	{
		uint64_t t0, t1, b0, a0, b1, a1;
		const char *a = rec_irq(rp->r, 0, &t0), *b = rec_irq(rp->r, 1, &t1);
		char e1[128], e2[128];

		rp->have_irq = a && b && *a && !procint_parse(a, &rp->irq[0], e1, sizeof(e1)) &&
			      !procint_parse(b, &rp->irq[1], e2, sizeof(e2));
		rec_irq_span(rp->r, 0, &b0, &a0);
		rec_irq_span(rp->r, 1, &b1, &a1);
		co.window_from = t0;
		co.window_to = t1;
		/* IPT_IRQ_MARGIN_NS wider than either read, inside the span
		 * where every hook was on. */
		co.wide_from = b0 > rp->start_ns + IPT_IRQ_MARGIN_NS ? b0 - IPT_IRQ_MARGIN_NS : rp->start_ns;
		co.wide_to = a1 + IPT_IRQ_MARGIN_NS < rp->end_ns ? a1 + IPT_IRQ_MARGIN_NS : rp->end_ns;
		co.inner_from = a0;
		co.inner_to = b1;
	}
	co.start_ns = rp->start_ns;
	co.stop_ns = rp->end_ns;
	{
		const struct ksym *ps = ksyms_by_name(rp->ks, "do_sync_core");

		co.patch_sync_func = rp->patch_sync_func = ps ? ps->addr : 0;
	}
	co.on_link = prm->on_link;
	co.link_ctx = prm->link_ctx;

	rp->c = corr_new(&co);
	while ((rc = rec_next_events(rp->r, &ev, &n, err, sizeof(err))) > 0) {
		if (prm->on_events)
			prm->on_events(prm->events_ctx, ev, n);
		corr_feed_many(rp->c, ev, n);
	}
	if (rc < 0) {
		ipt_err("%s", err);
		goto out;
	}
	corr_flush(rp->c);
	/* Recursion misses the recorder could not place in time (read only at
	 * the end) leave every verdict uncertain. */
	if (rec_trailer(rp->r)->recursion_misses > corr_counts(rp->c)->lost_recursion)
		corr_set_unknown_loss(rp->c);
	cross_check(rp);
	corr_finish(rp->c, rp->end_ns);

	return rp;
out:
	report_free(rp);
	return NULL;
}

void report_free(struct report *rp)
{
	if (!rp)
		return;
	corr_free(rp->c);
	procint_free(&rp->irq[0]);
	procint_free(&rp->irq[1]);
	free(rp->xc);
	rec_free(rp->r);
	free(rp);
}

const struct corr *report_corr(const struct report *rp) { return rp->c; }
struct rec_reader *report_reader(const struct report *rp) { return rp->r; }
uint64_t report_start_ns(const struct report *rp) { return rp->start_ns; }
uint64_t report_end_ns(const struct report *rp) { return rp->end_ns; }

void report_sentence(const struct report *rp, const struct corr_anomaly *a, char *buf, size_t len)
{
	sentence(rp, a, buf, len);
}

void report_timeline_cmd(const char *path, size_t id, char *buf, size_t len)
{
	size_t o = 0;
	int plain = *path != 0;

	for (const char *p = path; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+,:@%", *p))
			plain = 0;
	o = snprintf(buf, len, "ipitrace timeline %s", plain ? path : "'");
	if (!plain) {
		for (const char *p = path; *p && o + 5 < len; p++) {
			if (*p == '\'')
				o += snprintf(buf + o, len - o, "'\\''");
			else
				buf[o++] = *p;
		}
		if (o + 1 < len)
			buf[o++] = '\'';
		buf[o < len ? o : len - 1] = 0;
	}
	if (o < len)
		snprintf(buf + o, len - o, " --around %zu", id);
}
