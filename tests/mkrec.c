// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mkrec: event timelines in a small text form <-> ipitrace recordings.
 *
 *   mkrec SCENARIO.txt OUT.ipit     build a recording from a scenario
 *   mkrec --dump FILE.ipit          print a recording's events as text
 *   mkrec --generate N OUT.ipit [NCPUS]
 *                                   N events of healthy synthetic traffic (for
 *                                   make bench): synchronous cross-calls between
 *                                   CPU pairs, reschedules, TTWU batches
 *
 * Scenario text, one item a line ('#' starts a comment; `expect` lines are
 * for the test runner and ignored here):
 *
 *   ncpus 4
 *   receive CALL_FUNCTION RESCHEDULE IRQ_WORK   kinds with a receive hook
 *   flush CALL_FUNCTION                         kinds whose receive flushes
 *                                               the csd queue (META
 *                                               flush_kinds; default as
 *                                               report's: CALL_FUNCTION)
 *   csd_entry 1                                 csd_function_entry hooked
 *   sym NAME ADDR                               a kernel symbol
 *   start TIME / end TIME                       the traced window
 *   recursion N                                 BPF programs skipped
 *   TIME CPU EVENT [to=CPU] [kind=K] [type=T] [func=F] [site=F] [csd=X]
 *                  [count=N] [until=TIME] [set=K,K,...]
 *
 * TIME is ns, or with a unit: 1.5us, 2ms, 3s.  EVENT is SEND, IPI_ENTRY,
 * IPI_EXIT, DEMUX, CSD_QUEUE, CSD_ENTRY, CSD_EXIT, WAIT_BEGIN, WAIT_END,
 * IDLE_WAKE or LOST (count= events lost up to until=).  DEMUX takes set=
 * (the messages its xchg found; set= alone is an empty demux).  F is a symbol name
 * or an address; T is sync, async, irq_work or ttwu.
 */
#include "ksym.h"
#include "recording.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ev_names[] = {
	[IPT_EV_SEND] = "SEND", [IPT_EV_IPI_ENTRY] = "IPI_ENTRY", [IPT_EV_IPI_EXIT] = "IPI_EXIT",
	[IPT_EV_DEMUX] = "DEMUX", [IPT_EV_CSD_QUEUE] = "CSD_QUEUE",
	[IPT_EV_CSD_FUNC_ENTRY] = "CSD_ENTRY", [IPT_EV_CSD_FUNC_EXIT] = "CSD_EXIT",
	[IPT_EV_CSD_WAIT_BEGIN] = "WAIT_BEGIN", [IPT_EV_CSD_WAIT_END] = "WAIT_END",
	[IPT_EV_IDLE_WAKE] = "IDLE_WAKE",
};
static const char *const kinds[IPT_MSG__MAX] = {
	"CALL_FUNCTION", "RESCHEDULE", "TICK_BROADCAST", "NMI", "RM_HOST_ACTION", "IRQ_WORK", "OTHER",
};
static const struct { const char *name; unsigned v; } types[] = {
	{ "async", IPT_CSD_TYPE_ASYNC }, { "sync", IPT_CSD_TYPE_SYNC },
	{ "irq_work", IPT_CSD_TYPE_IRQ_WORK }, { "ttwu", IPT_CSD_TYPE_TTWU },
};

static int lineno;
static const char *fname;

static void die(const char *msg, const char *what)
{
	fprintf(stderr, "mkrec: %s:%d: %s '%s'\n", fname, lineno, msg, what);
	exit(2);
}

static uint64_t parse_time(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		die("bad time", s);
	if (!strcmp(end, "us"))
		v *= 1e3;
	else if (!strcmp(end, "ms"))
		v *= 1e6;
	else if (!strcmp(end, "s"))
		v *= 1e9;
	else if (*end && strcmp(end, "ns"))
		die("bad time unit", s);
	return (uint64_t)(v + 0.5);
}

static int find_kind(const char *s)
{
	for (int k = 0; k < IPT_MSG__MAX; k++)
		if (!strcmp(s, kinds[k]))
			return k;
	die("unknown message kind", s);
	return -1;
}

static uint64_t parse_addr(struct ksyms *ks, const char *s)
{
	char *end;
	uint64_t v;

	if (!strncmp(s, "0x", 2)) {
		v = strtoull(s, &end, 16);
		if (*end)
			die("bad address", s);
		return v;
	}
	/* NAME or NAME+0xOFF */
	char name[256];
	const char *plus = strchr(s, '+');
	uint64_t off = 0;

	snprintf(name, sizeof(name), "%.*s", plus ? (int)(plus - s) : (int)strlen(s), s);
	if (plus) {
		off = strtoull(plus + 1, &end, 16);
		if (*end || strncmp(plus + 1, "0x", 2))
			die("bad offset (use NAME+0x1c)", s);
	}
	const struct ksym *k = ksyms_by_name(ks, name);

	if (!k)
		die("unknown symbol (declare it with `sym NAME ADDR`)", s);
	return k->addr + off;
}

/* Close a recording: IRQ_END at t->end_ns, the symbols, the trailer with
 * per-CPU stats cs[t->ncpus] (NULL: all zero), then the file. */
static int finish_recording(struct rec_writer *w, struct ksyms *ks, const struct ipt_trailer *t,
			    const struct ipt_cpu_stats *cs)
{
	char err[512], irq[64];
	size_t tl = sizeof(*t) + t->ncpus * sizeof(struct ipt_cpu_stats);
	char *tb = xcalloc(1, tl);
	uint64_t slen;
	void *sym;
	int len;

	rec_flush_events(w);
	len = snprintf(irq, sizeof(irq), "mono_ns=%" PRIu64 "\n", (uint64_t)t->end_ns);
	rec_write_section(w, IPT_SEC_IRQ_END, irq, len);
	ksyms_sort(ks);
	sym = rec_pack_symbols(ks, &slen);
	rec_write_section(w, IPT_SEC_SYMBOLS, sym, slen);
	memcpy(tb, t, sizeof(*t));
	if (cs)
		memcpy(tb + sizeof(*t), cs, t->ncpus * sizeof(*cs));
	rec_write_section(w, IPT_SEC_TRAILER, tb, tl);
	free(sym);
	free(tb);
	if (rec_close(w, err, sizeof(err))) {
		fprintf(stderr, "mkrec: %s\n", err);
		return 1;
	}
	return 0;
}

static int build(const char *in, const char *out)
{
	FILE *f = fopen(in, "r");
	char line[1024], meta[4096], err[512];
	struct ksyms ks = {0};
	struct ipt_event *evs = NULL;
	size_t nev = 0, cap = 0;
	unsigned ncpus = 0;
	uint64_t start = 0, end = 0, recursion = 0;
	int csd_entry = 1;
	char recv[256] = "0,1,5,", flush[256] = "";
	struct rec_writer *w;

	fname = in;
	if (!f) {
		perror(in);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tok[16], *save, *p;
		int nt = 0;

		lineno++;
		if ((p = strchr(line, '#')))
			*p = '\0';
		for (p = strtok_r(line, " \t\n", &save); p && nt < 16; p = strtok_r(NULL, " \t\n", &save))
			tok[nt++] = p;
		if (!nt || !strcmp(tok[0], "expect"))
			continue;
		if (!strcmp(tok[0], "ncpus") && nt == 2) {
			ncpus = strtoul(tok[1], NULL, 10);
		} else if (!strcmp(tok[0], "receive")) {
			recv[0] = '\0';
			for (int i = 1; i < nt; i++)
				snprintf(recv + strlen(recv), sizeof(recv) - strlen(recv), "%d,",
					 find_kind(tok[i]));
		} else if (!strcmp(tok[0], "flush")) {
			flush[0] = '\0';
			for (int i = 1; i < nt; i++)
				snprintf(flush + strlen(flush), sizeof(flush) - strlen(flush), "%d,",
					 find_kind(tok[i]));
		} else if (!strcmp(tok[0], "csd_entry") && nt == 2) {
			csd_entry = atoi(tok[1]);
		} else if (!strcmp(tok[0], "sym") && nt == 3) {
			ksyms_add(&ks, strtoull(tok[2], NULL, 16), 0, tok[1]);
		} else if (!strcmp(tok[0], "start") && nt == 2) {
			start = parse_time(tok[1]);
		} else if (!strcmp(tok[0], "end") && nt == 2) {
			end = parse_time(tok[1]);
		} else if (!strcmp(tok[0], "recursion") && nt == 2) {
			recursion = strtoull(tok[1], NULL, 10);
		} else if (nt >= 3) {
			struct ipt_event e = { .ts = parse_time(tok[0]), .target = IPT_NO_CPU };
			unsigned t;

			e.cpu = strtoul(tok[1], NULL, 10);
			for (t = 1; t < sizeof(ev_names) / sizeof(ev_names[0]); t++)
				if (ev_names[t] && !strcmp(tok[2], ev_names[t]))
					break;
			if (t < sizeof(ev_names) / sizeof(ev_names[0]))
				e.type = t;
			else if (!strcmp(tok[2], "LOST"))
				e.type = IPT_EV_LOST;
			else
				die("unknown event", tok[2]);
			for (int i = 3; i < nt; i++) {
				char *v = strchr(tok[i], '=');

				if (!v)
					die("expected key=value", tok[i]);
				*v++ = '\0';
				if (!strcmp(tok[i], "to"))
					e.target = strtoul(v, NULL, 10);
				else if (!strcmp(tok[i], "kind") && e.type == IPT_EV_LOST)
					e.kind = !strcmp(v, "recursion") ? IPT_LOST_RECURSION : IPT_LOST_RING;
				else if (!strcmp(tok[i], "kind"))
					e.kind = find_kind(v);
				else if (!strcmp(tok[i], "type")) {
					size_t j;

					for (j = 0; j < 4 && strcmp(types[j].name, v); j++)
						;
					if (j == 4)
						die("unknown csd type", v);
					e.kind = types[j].v;
				} else if (!strcmp(tok[i], "func"))
					e.func = parse_addr(&ks, v);
				else if (!strcmp(tok[i], "site"))
					e.callsite = parse_addr(&ks, v);
				else if (!strcmp(tok[i], "csd"))
					e.csd = strtoull(v, NULL, 16);
				else if (!strcmp(tok[i], "count"))
					e.func = strtoull(v, NULL, 10);
				else if (!strcmp(tok[i], "until"))
					e.callsite = parse_time(v);
				else if (!strcmp(tok[i], "set")) {
					char *save2, *k;

					e.func = 0;
					for (k = strtok_r(v, ",", &save2); k; k = strtok_r(NULL, ",", &save2))
						e.func |= IPT_DEMUX_BIT(find_kind(k));
				}
				else
					die("unknown key", tok[i]);
			}
			if (e.cpu >= ncpus || (e.target != IPT_NO_CPU && e.target >= ncpus))
				die("CPU out of range (set ncpus first)", tok[1]);
			if (nev == cap)
				evs = xrealloc(evs, (cap = cap ? cap * 2 : 256) * sizeof(*evs));
			evs[nev++] = e;
		} else {
			die("cannot parse", tok[0]);
		}
	}
	fclose(f);
	if (!ncpus)
		die("no `ncpus N` line", in);
	if (!end && nev)
		end = evs[nev - 1].ts;
	ksyms_sort(&ks);

	w = rec_create(out, 0, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "mkrec: %s\n", err);
		return 1;
	}
	int n = snprintf(meta, sizeof(meta), "tool=mkrec\nformat=%d\nkernel_release=scenario\n"
			 "arch=scenario\nncpus=%u\nclock=CLOCK_MONOTONIC\ncpus=all\n"
			 "csd_entry_hooked=%d\nreceive_kinds=%s\n", IPT_FORMAT_VERSION, ncpus,
			 csd_entry, recv);
	if (flush[0])
		n += snprintf(meta + n, sizeof(meta) - n, "flush_kinds=%s\n", flush);
	rec_write_section(w, IPT_SEC_META, meta, n);
	rec_write_section(w, IPT_SEC_PLAN, "scenario\n", 9);
	n = snprintf(meta, sizeof(meta), "mono_ns=%" PRIu64 "\n", start);
	rec_write_section(w, IPT_SEC_IRQ_START, meta, n);
	for (size_t i = 0; i < nev; i++)
		rec_append_event(w, &evs[i]);
	{
		struct ipt_cpu_stats *cs = xcalloc(ncpus, sizeof(*cs));
		/* `recursion N` lines are misses with no time; LOST kind=recursion
		 * records are timed ones, added to the trailer's total below. */
		struct ipt_trailer t = { .events = nev, .start_ns = start, .end_ns = end,
					 .recursion_misses = recursion, .ncpus = ncpus };
		int rc;

		for (size_t i = 0; i < nev; i++)
			if (evs[i].type == IPT_EV_LOST && evs[i].kind == IPT_LOST_RECURSION) {
				t.recursion_misses += evs[i].func;
			} else if (evs[i].type == IPT_EV_LOST) {
				t.ring_dropped += evs[i].func;
				cs[evs[i].cpu].dropped += evs[i].func;
			}
		rc = finish_recording(w, &ks, &t, cs);
		free(cs);
		free(evs);
		ksyms_free(&ks);
		return rc;
	}
}

static int dump(const char *path)
{
	char err[512], a[160], b[160];
	struct rec_reader *r = rec_open(path, err, sizeof(err));
	const struct ipt_event *ev;
	size_t n;
	int rc;

	if (!r) {
		fprintf(stderr, "mkrec: %s\n", err);
		return 1;
	}
	const struct ksyms *ks = rec_symbols(r);
	uint64_t t0 = rec_trailer(r)->start_ns;

	printf("ncpus %u\nstart 0\nend %" PRIu64 "\n", rec_ncpus(r),
	       rec_trailer(r)->end_ns - t0);
	while ((rc = rec_next_events(r, &ev, &n, err, sizeof(err))) > 0) {
		for (size_t i = 0; i < n; i++) {
			const struct ipt_event *e = &ev[i];
			int64_t ts = (int64_t)(e->ts - t0);

			if (e->type == IPT_EV_LOST) {
				printf("%" PRId64 " %u LOST count=%" PRIu64 " until=%" PRId64 "%s\n", ts,
				       e->cpu, (uint64_t)e->func, (int64_t)(e->callsite - t0),
				       e->kind == IPT_LOST_RECURSION ? " kind=recursion" : "");
				continue;
			}
			printf("%" PRId64 " %u %s", ts, e->cpu, ev_names[e->type]);
			if (e->target != IPT_NO_CPU)
				printf(" to=%u", e->target);
			if (e->type == IPT_EV_CSD_QUEUE) {
				for (size_t j = 0; j < 4; j++)
					if (types[j].v == e->kind)
						printf(" type=%s", types[j].name);
			} else if (e->type == IPT_EV_DEMUX) {
				printf(" set=");
				for (int k = 0, first = 1; k < IPT_MSG__MAX; k++)
					if (e->func & IPT_DEMUX_BIT(k)) {
						printf("%s%s", first ? "" : ",", kinds[k]);
						first = 0;
					}
			} else if (e->type == IPT_EV_SEND || e->type == IPT_EV_IPI_ENTRY ||
				   e->type == IPT_EV_IPI_EXIT) {
				printf(" kind=%s", kinds[e->kind]);
			}
			if (e->type == IPT_EV_SEND || e->type == IPT_EV_CSD_QUEUE ||
			    e->type == IPT_EV_CSD_FUNC_ENTRY || e->type == IPT_EV_CSD_FUNC_EXIT) {
				if (e->func)
					printf(" func=%s", ksyms_fmt(ks, e->func, a, sizeof(a)));
				if (e->callsite)
					printf(" site=%s", ksyms_fmt(ks, e->callsite, b, sizeof(b)));
			}
			if (e->csd)
				printf(" csd=0x%" PRIx64, (uint64_t)e->csd);
			putchar('\n');
		}
	}
	if (rc < 0)
		fprintf(stderr, "mkrec: %s\n", err);
	rec_free(r);
	return rc < 0;
}

/* Healthy traffic, deterministic: each round one CPU makes a synchronous
 * cross-call to the next (queue, send, receive, entry, exit, exit: 6
 * events), every 8th round a reschedule, every 16th a TTWU pair. */
static int generate(uint64_t n, const char *out, unsigned ncpus)
{
	char err[512], meta[512];
	struct rec_writer *w = rec_create(out, 0, err, sizeof(err));
	uint64_t ts = 1000000, written = 0, round = 0;
	struct ksyms ks = {0};
	int len;

	if (!w) {
		fprintf(stderr, "mkrec: %s\n", err);
		return 1;
	}
	len = snprintf(meta, sizeof(meta), "tool=mkrec\nformat=%d\nkernel_release=generated\n"
		       "arch=generated\nncpus=%u\nclock=CLOCK_MONOTONIC\ncpus=all\n"
		       "csd_entry_hooked=1\nreceive_kinds=0,1,5,\n", IPT_FORMAT_VERSION, ncpus);
	rec_write_section(w, IPT_SEC_META, meta, len);
	rec_write_section(w, IPT_SEC_PLAN, "generated\n", 10);
	len = snprintf(meta, sizeof(meta), "mono_ns=%" PRIu64 "\n", ts);
	rec_write_section(w, IPT_SEC_IRQ_START, meta, len);
#define EMIT(...) do { struct ipt_event e_ = { __VA_ARGS__ }; rec_append_event(w, &e_); \
		       written++; ts += 250; } while (0)
	while (written < n) {
		uint32_t s = round % ncpus, d = (s + 1) % ncpus;
		uint64_t csd = 0xffff888000100000ull + (s * ncpus + d) * 64;

		EMIT(.type = IPT_EV_CSD_QUEUE, .cpu = s, .ts = ts, .target = d,
		     .kind = IPT_CSD_TYPE_SYNC, .func = 0xffffffff81300000ull,
		     .callsite = 0xffffffff81100400ull, .csd = csd);
		EMIT(.type = IPT_EV_SEND, .cpu = s, .ts = ts, .target = d,
		     .kind = IPT_MSG_CALL_FUNCTION, .func = 0xffffffff81100000ull,
		     .callsite = 0xffffffff81100480ull);
		EMIT(.type = IPT_EV_IPI_ENTRY, .cpu = d, .ts = ts, .target = IPT_NO_CPU,
		     .kind = IPT_MSG_CALL_FUNCTION, .func = 0xfb);
		EMIT(.type = IPT_EV_CSD_FUNC_ENTRY, .cpu = d, .ts = ts, .target = IPT_NO_CPU,
		     .func = 0xffffffff81300000ull, .csd = csd);
		EMIT(.type = IPT_EV_CSD_FUNC_EXIT, .cpu = d, .ts = ts, .target = IPT_NO_CPU,
		     .func = 0xffffffff81300000ull, .csd = csd);
		EMIT(.type = IPT_EV_IPI_EXIT, .cpu = d, .ts = ts, .target = IPT_NO_CPU,
		     .kind = IPT_MSG_CALL_FUNCTION, .func = 0xfb);
		if (round % 8 == 0) {
			EMIT(.type = IPT_EV_SEND, .cpu = d, .ts = ts, .target = s,
			     .kind = IPT_MSG_RESCHEDULE, .callsite = 0xffffffff81200400ull);
			EMIT(.type = IPT_EV_IPI_ENTRY, .cpu = s, .ts = ts, .target = IPT_NO_CPU,
			     .kind = IPT_MSG_RESCHEDULE, .func = 0xfd);
		}
		if (round % 16 == 0) {
			uint64_t t1 = 0xffff888200000000ull + round % 4096 * 0x1000;

			EMIT(.type = IPT_EV_CSD_QUEUE, .cpu = s, .ts = ts, .target = d,
			     .kind = IPT_CSD_TYPE_TTWU, .func = 0xffffffff81200000ull, .csd = t1);
			EMIT(.type = IPT_EV_CSD_QUEUE, .cpu = s, .ts = ts, .target = d,
			     .kind = IPT_CSD_TYPE_TTWU, .func = 0xffffffff81200000ull, .csd = t1 + 8);
			EMIT(.type = IPT_EV_SEND, .cpu = s, .ts = ts, .target = d,
			     .kind = IPT_MSG_CALL_FUNCTION, .func = 0xffffffff81100000ull);
			EMIT(.type = IPT_EV_IPI_ENTRY, .cpu = d, .ts = ts, .target = IPT_NO_CPU,
			     .kind = IPT_MSG_CALL_FUNCTION, .func = 0xfb);
			EMIT(.type = IPT_EV_CSD_FUNC_ENTRY, .cpu = d, .ts = ts, .target = IPT_NO_CPU,
			     .func = 0xffffffff81200000ull, .csd = t1);
		}
		round++;
	}
#undef EMIT
	{
		struct ipt_trailer t = { .events = written, .start_ns = 1000000, .end_ns = ts,
					 .ncpus = ncpus };
		int rc;

		ksyms_add(&ks, 0xffffffff81100000ull, 0x400, "generic_smp_call_function_single_interrupt");
		ksyms_add(&ks, 0xffffffff81100400ull, 0x400, "smp_call_function_many_cond");
		ksyms_add(&ks, 0xffffffff81200000ull, 0x400, "sched_ttwu_pending");
		ksyms_add(&ks, 0xffffffff81300000ull, 0x400, "ipi_mb");
		rc = finish_recording(w, &ks, &t, NULL);
		ksyms_free(&ks);
		return rc;
	}
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--generate"))
		return generate(strtoull(argv[2], NULL, 10), argv[3],
				argc == 5 ? strtoul(argv[4], NULL, 10) : 4);
	if (argc == 3 && !strcmp(argv[1], "--dump"))
		return dump(argv[2]);
	if (argc == 3)
		return build(argv[1], argv[2]);
	fprintf(stderr, "usage: mkrec SCENARIO.txt OUT.ipit | mkrec --dump FILE.ipit\n");
	return 2;
}
