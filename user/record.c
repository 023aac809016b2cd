// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipitrace record: attach, stream every event to a recording, detach. */
#include "cli.h"
#include "ladder.h"
#include "recording.h"
#include "ring.h"
#include "siphash.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Kernel address -> what the recording stores for it.  With
 * --no-addresses that is a stand-in inside the symbol's stand-in range;
 * otherwise the address itself.  Every address seen also selects the
 * symbols the SYMBOLS section keeps. */
struct addrmap {
	uint64_t *key, *val;
	size_t cap, n;
};

struct rec_ctx {
	struct rec_writer *w;
	struct ksyms *kallsyms;
	struct ksyms snap;		/* symbols the events reference */
	struct addrmap am;
	int no_addresses;
	uint64_t hkey[2];
	uint64_t events;
	int write_failed;
};

static uint64_t map_addr(struct rec_ctx *c, uint64_t addr)
{
	struct addrmap *m = &c->am;
	size_t i;

	if (!addr)
		return 0;
	if (m->n * 2 >= m->cap) {
		uint64_t *ok = m->key, *ov = m->val;
		size_t ocap = m->cap;

		m->cap = ocap ? ocap * 2 : 1024;
		m->key = xcalloc(m->cap, 8);
		m->val = xcalloc(m->cap, 8);
		m->n = 0;
		for (size_t j = 0; j < ocap; j++) {
			if (!ok[j])
				continue;
			i = (ok[j] * 0x9e3779b97f4a7c15ull >> 20) & (m->cap - 1);
			while (m->key[i])
				i = (i + 1) & (m->cap - 1);
			m->key[i] = ok[j];
			m->val[i] = ov[j];
			m->n++;
		}
		free(ok);
		free(ov);
	}
	i = (addr * 0x9e3779b97f4a7c15ull >> 20) & (m->cap - 1);
	while (m->key[i] && m->key[i] != addr)
		i = (i + 1) & (m->cap - 1);
	if (m->key[i])
		return m->val[i];

	/* First sight: find its symbol and keep it in the snapshot. */
	uint64_t off = 0, out = addr;
	const struct ksym *s = ksyms_find(c->kallsyms, addr, &off);

	if (s) {
		size_t idx;
		const struct ksym *next = s + 1 < c->kallsyms->syms + c->kallsyms->n ? s + 1 : NULL;

		for (idx = 0; idx < c->snap.n; idx++)
			if (!strcmp(c->snap.syms[idx].name, s->name) &&
			    (c->no_addresses || c->snap.syms[idx].addr == s->addr))
				break;
		if (idx == c->snap.n) {
			uint32_t size = next && next->addr - s->addr < (1u << IPT_NOADDR_SHIFT)
					? (uint32_t)(next->addr - s->addr) : 0;

			ksyms_add(&c->snap, c->no_addresses
				  ? IPT_NOADDR_BASE + ((uint64_t)idx << IPT_NOADDR_SHIFT) : s->addr,
				  size, s->name);
		}
		if (c->no_addresses)
			out = IPT_NOADDR_BASE + ((uint64_t)idx << IPT_NOADDR_SHIFT) +
			      (off & ((1ull << IPT_NOADDR_SHIFT) - 1));
	} else if (c->no_addresses) {
		out = 1;	/* unknown, and not to be shown */
	}
	m->key[i] = addr;
	m->val[i] = out;
	m->n++;
	return out;
}

static int on_event(void *ctx, const struct ipt_event *in)
{
	struct rec_ctx *c = ctx;
	struct ipt_event e = *in;

	switch (e.type) {
	case IPT_EV_SEND:
	case IPT_EV_CSD_QUEUE:
	case IPT_EV_CSD_FUNC_ENTRY:
	case IPT_EV_CSD_FUNC_EXIT:
		e.func = map_addr(c, e.func);
		e.callsite = map_addr(c, e.callsite);
		if (c->no_addresses && e.csd)
			e.csd = siphash_u64(c->hkey, e.csd) | 1;
		break;
	default:
		break;
	}
	if (rec_append_event(c->w, &e))
		c->write_failed = 1;
	c->events++;
	return c->write_failed ? -EIO : 0;
}

/*
 * /proc/interrupts with the CLOCK_MONOTONIC time it was read: midpoint,
 * then the times just before and just after the read (t0, t1), which bound
 * when the counters were read; report counts traced receives over that span
 * (report.c cross_check()).  A read that took longer than the report's
 * margin (an emulated vCPU paused in it: 8 to 162 ms measured in a ppc64le
 * guest under TCG) is read again, up to four times in all, and the shortest
 * kept.
 */
static char *irq_snapshot(uint64_t *mono, size_t *len)
{
	uint64_t t0 = 0, t1 = 0;
	char *text = NULL, *out;
	size_t n;

	for (int i = 0; i < 4; i++) {
		uint64_t b = mono_ns(), a;
		char *t = read_file("/proc/interrupts", NULL);

		a = mono_ns();
		if (t && (!text || a - b < t1 - t0)) {
			free(text);
			text = t;
			t0 = b;
			t1 = a;
		} else {
			free(t);
		}
		if (text && t1 - t0 <= IPT_IRQ_MARGIN_NS)
			break;
	}
	if (!text) {
		t0 = t1 = mono_ns();
		text = xstrdup("");
	}
	*mono = t0 + (t1 - t0) / 2;
	n = strlen(text) + 48;
	out = xcalloc(1, n);
	n += 48;
	out = xrealloc(out, n);
	*len = snprintf(out, n, "mono_ns=%" PRIu64 " %" PRIu64 " %" PRIu64 "\n%s", *mono, t0, t1,
			text);
	free(text);
	return out;
}

/*
 * Losses since the last call become LOST records with their time window:
 * ring drops per CPU (BPF counts them and stamps the last one), recursion
 * misses (the kernel counts those per program, CPU unknown).  `stats` holds
 * the counters just read; `prev` and `*prev_misses` are updated.
 */
static void record_losses(struct rec_ctx *ctx, const struct plan *plan,
			  const struct ipt_cpu_stats *stats, struct ipt_cpu_stats *prev,
			  uint64_t *prev_misses, uint64_t since, uint64_t now)
{
	uint64_t misses = plan_recursion_misses(plan);

	for (unsigned c = 0; c < plan->ncpus; c++) {
		if (stats[c].dropped > prev[c].dropped) {
			struct ipt_event lost = {
				.type = IPT_EV_LOST, .cpu = c, .ts = since, .target = IPT_NO_CPU,
				.kind = IPT_LOST_RING, .func = stats[c].dropped - prev[c].dropped,
				.callsite = stats[c].last_drop_ns,
			};
			on_event(ctx, &lost);
		}
		prev[c] = stats[c];
	}
	if (misses > *prev_misses) {
		struct ipt_event lost = {
			.type = IPT_EV_LOST, .cpu = 0, .ts = since, .target = IPT_NO_CPU,
			.kind = IPT_LOST_RECURSION, .func = misses - *prev_misses, .callsite = now,
		};
		on_event(ctx, &lost);
		*prev_misses = misses;
	}
}

/* Warn (once) when another tracer shares our tracepoints; 1 if it did. */
static int warn_other_tracers(const struct plan *plan, int newline)
{
	char others[512];

	if (!plan_foreign_links(plan, others, sizeof(others)))
		return 0;
	if (newline)
		fputc('\n', stderr);
	ipt_warn("another BPF program is on the same tracepoints (%s).  While tracers attach "
		 "or detach, the kernel can skip probes; report checks the trace against "
		 "/proc/interrupts for that", others);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipitrace record -o FILE [-d DURATION] [--cpus LIST] [options]\n"
"\n"
"Attach to this kernel's IPI and CSD hooks (see `ipitrace probe`) and stream\n"
"every send, receive and cross-CPU function call to FILE, until DURATION ends\n"
"or Ctrl-C / SIGTERM.  Then read it with `ipitrace report FILE`.\n"
"\n"
"  -o, --output FILE     recording to write (created mode 0600: it holds kernel\n"
"                        addresses, which defeat KASLR)\n"
"  -d, --duration TIME   how long: 3, 2.5, 500ms, 1m (default: until Ctrl-C)\n"
"      --cpus LIST       keep only events from or to these CPUs, e.g. 0-3,8\n"
"      --ring-size SIZE  each CPU's BPF ring buffer, a power of two, at least a\n"
"                        page: 16 MiB shared out among the CPUs by default\n"
"                        (8M each on 2 CPUs, 1M each from 16 CPUs up)\n"
"      --no-addresses    store symbol names only, no kernel addresses: for\n"
"                        recordings you will share\n"
"      --no-fentry       where a function hook is needed (kernels without the\n"
"                        ipi:* tracepoints), use kprobes instead of fentry\n"
"      --no-calibrate    skip the 300 ms calibration before recording (known\n"
"                        IPIs made to check that every chosen hook fires, and\n"
"                        to switch a silent one to its standby; see probe).\n"
"                        It runs only where a chosen hook has a standby.\n"
"  -q, --quiet           no progress line, no start or summary message\n"
"                        (warnings and errors still go to stderr)\n"
"  -v, --verbose         show libbpf's messages (-vv: its debug output too)\n"
"  -h, --help            this text\n"
"\n"
"Lost events are counted per CPU, shown live and stored; a report treats the\n"
"time around a loss as uncertain rather than as a lost IPI.\n"
"Exit status: 0 done, 1 I/O error, 2 usage, 3 BPF could not load or attach.\n");
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "ring-size", required_argument, NULL, 'r' },
		{ "no-addresses", no_argument, NULL, 'N' },
		{ "no-fentry", no_argument, NULL, 'F' },
		{ "no-calibrate", no_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL, *cpus_arg = NULL;
	uint64_t duration = 0, ring = 0;
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t filter[16] = {0};
	int quiet = 0, no_addr = 0, opt, ret = EXIT_FAIL, no_calib = 0;
	char err[512];
	struct plan plan;
	struct plan_opts po = {0};
	struct rec_ctx ctx = {0};
	struct ring *rb = NULL;
	struct ipt_cpu_stats *stats = NULL, *prev = NULL;
	int tty = isatty(STDERR_FILENO);

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:d:qvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'd':
			if (parse_duration_ns(optarg, &duration) || !duration) {
				ipt_err("bad duration '%s': use seconds (3, 2.5) or 500ms, 1m", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c': cpus_arg = optarg; break;
		case 'r':
			if (parse_size_bytes(optarg, &ring) || ring < page || (ring & (ring - 1))) {
				ipt_err("bad ring size '%s': a power of two of at least the page size "
					"(%" PRIu64 " bytes), such as 1M or 16M", optarg, page);
				return EXIT_USAGE;
			}
			break;
		case 'N': no_addr = 1; break;
		case 'F': po.no_fentry = 1; break;
		case 'C': no_calib = 1; break;
		case 'q': quiet = 1; break;
		case 'v': ipt_verbose++; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ipt_err("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!out) {
		ipt_err("record needs -o FILE (see ipitrace record --help)");
		return EXIT_USAGE;
	}
	if (cpus_arg) {
		unsigned n = possible_cpus();

		if (n > 1024)
			n = 1024;
		if (parse_cpu_list(cpus_arg, filter, n, err, sizeof(err))) {
			ipt_err("bad --cpus '%s': %s", cpus_arg, err);
			return EXIT_USAGE;
		}
		po.cpu_filter = filter;
	}
	if (!ring)
		ring = plan_default_ring_bytes(possible_cpus());
	po.ring_bytes = ring;

	ret = plan_build(&plan, &po, err, sizeof(err));
	/* Calibration delays the start (300 ms of load, and attaching and
	 * detaching every hook: seconds under qemu TCG), so record runs it only
	 * where it can change the plan: a chosen rung has a standby. */
	if (!ret && !no_calib && plan_has_standby(&plan))
		ret = plan_calibrate(&plan, err, sizeof(err));
	if (ret) {
		ipt_err("%s", err);
		plan_destroy(&plan);
		return ret;
	}
	/* A hook the kernel has but refused in every flavour leaves a hole in
	 * the recording: say so before recording, not after. */
	for (unsigned i = 0; i < plan.nrows; i++)
		if (plan.rows[i].exists && plan.rows[i].fl == FL_NONE && !plan.rows[i].redundant)
			ipt_warn("%s:%s is in this kernel but cannot be used (%s): its events "
				 "will be missing", plan.rows[i].tp->cat, plan.rows[i].tp->name,
				 plan.rows[i].why);
	if (!plan.ksyms_ok || plan.ksyms.restricted)
		ipt_warn("kernel symbols unreadable (/proc/kallsyms%s): reports will show "
			 "raw addresses",
			 plan.ksyms.restricted ? " shows zero addresses: kptr_restrict" : "");

	ctx.w = rec_create(out, no_addr ? IPT_F_NO_ADDRESSES : 0, err, sizeof(err));
	if (!ctx.w) {
		ipt_err("%s", err);
		ret = EXIT_FAIL;
		goto out;
	}
	ctx.kallsyms = &plan.ksyms;
	ctx.no_addresses = no_addr;
	if (no_addr && getrandom(ctx.hkey, sizeof(ctx.hkey), 0) != sizeof(ctx.hkey)) {
		ipt_err("getrandom: %s", strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}

	{
		struct utsname u;
		char meta[2048], *pt = plan_text(&plan);
		int n;

		uname(&u);
		n = snprintf(meta, sizeof(meta),
			     "tool=ipitrace\nformat=%d\nkernel_release=%s\nkernel_version=%s\narch=%s\n"
			     "ncpus=%u\nclock=CLOCK_MONOTONIC\nstart_realtime_ns=%" PRIu64 "\n"
			     "start_monotonic_ns=%" PRIu64 "\nring_bytes_per_cpu=%" PRIu64 "\ncpus=%s\n"
			     "no_addresses=%d\ncsd_entry_hooked=%d\nreceive_kinds=",
			     IPT_FORMAT_VERSION, u.release, u.version, u.machine, plan.ncpus,
			     real_ns(), mono_ns(), ring, cpus_arg ? cpus_arg : "all", no_addr,
			     plan.have_csd_entry);
		for (int k = 0; k < IPT_MSG__MAX && n < (int)sizeof(meta) - 8; k++)
			if (plan.have_receive[k])
				n += snprintf(meta + n, sizeof(meta) - n, "%d,", k);
		n += snprintf(meta + n, sizeof(meta) - n, "\n");
		if (plan_irq_rows(&plan) && n < (int)sizeof(meta) - 64)
			n += snprintf(meta + n, sizeof(meta) - n, "irq_rows_other=%s\n",
				      plan_irq_rows(&plan));
		rec_write_section(ctx.w, IPT_SEC_META, meta, n);
		rec_write_section(ctx.w, IPT_SEC_PLAN, pt, strlen(pt));
		free(pt);
	}

	{
		unsigned nfds;
		const int *fds = plan_ring_fds(&plan, &nfds);

		rb = ring_open(fds, nfds, on_event, &ctx);
	}
	if (!rb) {
		ipt_err("cannot open the BPF ring buffer: %s", strerror(errno));
		ret = EXIT_BPF;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = plan_attach(&plan, err, sizeof(err));
	if (ret) {
		ipt_err("%s", err);
		/* Nothing was recorded: leave no trailer-less file behind. */
		rec_close(ctx.w, err, sizeof(err));
		ctx.w = NULL;
		unlink(out);
		goto out;
	}

	/* Hooks stay on for 5 ms on each side of the /proc/interrupts
	 * snapshots, more than report's 2 ms cross-check margin. */
	const struct timespec margin = { 0, 5000000 };
	uint64_t start = mono_ns(), irq_ns, next_tick, last_tick;
	size_t len;
	char *irq;

	int warned_others = 0;
	uint64_t prev_misses = 0;

	warned_others = warn_other_tracers(&plan, 0);

	nanosleep(&margin, NULL);
	irq = irq_snapshot(&irq_ns, &len);

	rec_write_section(ctx.w, IPT_SEC_IRQ_START, irq, len);
	free(irq);
	stats = xcalloc(plan.ncpus, sizeof(*stats));
	prev = xcalloc(plan.ncpus, sizeof(*prev));
	last_tick = start;
	next_tick = start + 100000000;
	if (!quiet)
		ipt_info("recording to %s; Ctrl-C stops", out);

	while (!stop_signal && !ctx.write_failed) {
		uint64_t now = mono_ns();
		int timeout = 100;

		if (duration && now >= start + duration)
			break;
		if (duration && start + duration - now < 100000000ull)
			timeout = (start + duration - now) / 1000000 + 1;
		if (ring_poll(rb, timeout) < 0 && !stop_signal) {
			ipt_err("reading the ring buffer: %s", strerror(errno));
			ctx.write_failed = 1;	/* the recording is incomplete */
			break;
		}
		now = mono_ns();
		if (now < next_tick)
			continue;
		/* Every 100 ms: turn new drops into LOST records, show progress. */
		if (!ring_read_stats(plan_stats_fd(&plan), plan.ncpus, stats)) {
			uint64_t dropped = 0;

			record_losses(&ctx, &plan, stats, prev, &prev_misses, last_tick, now);
			for (unsigned c = 0; c < plan.ncpus; c++)
				dropped += stats[c].dropped;
			if (!quiet && tty)
				fprintf(stderr, "\r  %6.1f s  %12" PRIu64 " events  %10" PRIu64
					" lost  %8.0f events/s ", (now - start) / 1e9, ctx.events,
					dropped, ctx.events / ((now - start) / 1e9));
		}
		/* Once a second: is another tracer on our tracepoints? */
		if (!warned_others && (now - start) / 1000000000 != (last_tick - start) / 1000000000)
			warned_others = warn_other_tracers(&plan, !quiet && tty);
		last_tick = now;
		next_tick = now + 100000000;
	}
	if (!quiet && tty)
		fputc('\n', stderr);

	/* The end snapshot comes before detach, so every interrupt it counts
	 * was traced; events after end_ns are in flight and judged leniently. */
	irq = irq_snapshot(&irq_ns, &len);
	nanosleep(&margin, NULL);
	uint64_t end = mono_ns();


	plan_detach(&plan);
	ring_drain(rb);
	{
		struct ipt_trailer t = {0};
		size_t tl = sizeof(t) + plan.ncpus * sizeof(struct ipt_cpu_stats);
		char *tb = xcalloc(1, tl);
		uint64_t slen;
		void *sym;

		ring_read_stats(plan_stats_fd(&plan), plan.ncpus, stats);
		record_losses(&ctx, &plan, stats, prev, &prev_misses, last_tick, end);
		for (unsigned c = 0; c < plan.ncpus; c++)
			t.ring_dropped += stats[c].dropped;
		rec_flush_events(ctx.w);
		rec_write_section(ctx.w, IPT_SEC_IRQ_END, irq, len);
		free(irq);
		ksyms_sort(&ctx.snap);
		sym = rec_pack_symbols(&ctx.snap, &slen);
		rec_write_section(ctx.w, IPT_SEC_SYMBOLS, sym, slen);
		free(sym);
		t.events = rec_events_written(ctx.w);
		t.start_ns = start;
		t.end_ns = end;
		t.recursion_misses = plan_recursion_misses(&plan);
		t.ncpus = plan.ncpus;
		memcpy(tb, &t, sizeof(t));
		memcpy(tb + sizeof(t), stats, plan.ncpus * sizeof(struct ipt_cpu_stats));
		rec_write_section(ctx.w, IPT_SEC_TRAILER, tb, tl);
		free(tb);
		if (!quiet)
			ipt_info("%" PRIu64 " events in %.2f s, %" PRIu64 " lost (ring full), %" PRIu64
				 " missed (recursion); wrote %s", (uint64_t)t.events, (end - start) / 1e9,
				 (uint64_t)t.ring_dropped, (uint64_t)t.recursion_misses, out);
	}
	ret = ctx.write_failed ? EXIT_FAIL : EXIT_OK;
out:
	ring_close(rb);
	if (ctx.w && rec_close(ctx.w, err, sizeof(err))) {
		ipt_err("%s", err);
		ret = EXIT_FAIL;
	}
	plan_destroy(&plan);
	ksyms_free(&ctx.snap);
	free(ctx.am.key);
	free(ctx.am.val);
	free(stats);
	free(prev);
	return ret;
}
