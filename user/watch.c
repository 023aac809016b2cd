// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipitrace watch: the always-on watchdog.
 *
 * Tier 1 (user/sampler.c) samples every CPU's call_single_queue and progress
 * counters at --rate Hz, hooking nothing per IPI.  This file keeps the ages:
 * the oldest entry of a CPU's queue that stays the oldest past --threshold,
 * while the CPU takes no call-function IPI (a flush empties the whole queue,
 * so any flush means the entry seen now is a new one), is stuck.  Alerts go
 * to the sinks (stderr, --json, --syslog, --exec, --metrics) while it is
 * stuck, again with backoff, and once more when it resolves or at exit.
 *
 * On powerpc it also keeps the ages of the muxed-IPI message bytes (per-CPU
 * ipi_message): a byte that stays set past --threshold while the CPU takes
 * no interrupt (kstat.irqs_sum, doorbells) was never demuxed.
 */
#include "cli.h"
#include "detail.h"
#include "json.h"
#include "kimage.h"
#include "ksym.h"
#include "sampler.h"
#include "util.h"
#include "waiter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ULL
#define EXIT_ALERT EXIT_ANOMALY		/* --exit-on-alert */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* powerpc's muxed IPI messages, PPC_MSG_* in arch/powerpc/include/asm/smp.h
 * (the same numbers in 6.1 and 6.12): byte k of the CPU's ipi_message. */
#define NMSG 5
static const char *const msg_names[NMSG] = { "CALL_FUNCTION", "RESCHEDULE", "TICK_BROADCAST",
					     "NMI_IPI", "RM_HOST_ACTION" };

/* One message byte of one CPU, set since first_ns. */
struct msg_watch {
	uint64_t first_ns, last_ns;
	uint64_t intr_at_first;		/* interrupts taken then */
	struct ipt_sample at_first;
	int on, alerted;
	uint64_t next_alert_ns, repeat_ns;
};

/* One CPU's watch state. */
struct cpu_watch {
	uint64_t oldest;		/* entry being timed, 0 = none */
	uint64_t named;			/* entry the alert names: oldest, or
					 * the oldest sync csd behind it */
	uint64_t first_ns;		/* when it was first seen as the oldest */
	uint64_t last_ns;		/* last sample that still showed it */
	struct ipt_sample at_first;	/* the CPU's counters then */
	struct ipt_sample last;		/* the previous sample */
	struct ipt_sample stuck;	/* the sample that raised the alert */
	int alerted;
	uint64_t next_alert_ns;		/* age for the next repeat */
	uint64_t repeat_ns;		/* backoff step */
	uint64_t max_age_ns;		/* for the screen: the worst age seen */
	uint64_t nonempty;		/* samples that found the queue non-empty */
	uint64_t prev_switches, prev_calls, prev_timer;	/* screen rates */
	uint64_t progress_ns;		/* last sample whose counters moved */
	/* The waiter sampler (user/waiter.c), armed at half the threshold
	 * for this CPU's entry: on which CPUs, and what it found. */
	uint64_t armed[IPT_SAMPLE_MAX_CPUS / 64];
	int arming_done;		/* tried for this entry */
	struct waiter_info wi;		/* the waiter's stack, once seen */
	int wi_cpu;			/* whose it is, -1: none yet */
	struct msg_watch msg[NMSG];
	uint64_t msg_samples;		/* samples that found a message byte set */
	uint64_t msg_max_age_ns;
};

enum alert_state { AS_STUCK, AS_STILL, AS_RESOLVED, AS_NEVER, AS__MAX };
enum alert_kind { AK_STUCK_CSD, AK_NEVER_DEMUXED, AK__MAX };
static const char *const kind_names[] = { "stuck_csd", "never_demuxed" };
static const char *const state_names[] = { "stuck", "still_stuck", "resolved", "never_executed" };

struct exec_child {
	pid_t pid;
	uint64_t deadline;
};

struct watch {
	struct sampler s;
	struct ksyms ks;
	int ks_ok;
	struct cpu_watch *cw;
	uint64_t cpus[IPT_SAMPLE_MAX_CPUS / 64];
	uint64_t threshold_ns, period_ns, start_ns;
	int json, exit_on_alert, screen, quiet;
	/* sinks */
	int syslog_fd;
	struct sockaddr_un syslog_addr;
	const char *exec_cmd;
	uint64_t exec_timeout_ns;
	struct exec_child kids[16];
	uint64_t exec_killed, exec_dropped;
	int metrics_fd;
	/* counters (also the metrics) */
	uint64_t alerts[AS__MAX];		/* all kinds */
	uint64_t kalerts[AK__MAX][AS__MAX];
	uint64_t sample_errors;
	uint64_t lines_since_screen;
	/* the waiter sampler: on unless --no-stacks or it cannot load */
	struct waiters wt;
	unsigned arm_refs[IPT_SAMPLE_MAX_CPUS];	/* targets that armed CPU n */
	/* tier 2 (--detail) */
	int detail_on;
	struct detail d;
	struct danom {
		uint64_t csd, ts;
		struct ipt_pending p;
		uint64_t next_alert_ns, repeat_ns, seen_scan;
	} danoms[IPT_DETAIL_MAX_ANOM];
	unsigned ndanoms;
	uint64_t next_scan_ns;
	/* --fault-stuck CPU[:MS], for tests only: pretend CPU's queue holds
	 * one synchronous csd and its progress counters stand still. */
	int fault_cpu;
	int fault_waiter;	/* --fault-waiter CPU: the csd blocks "name" it */
	int fault_behind;	/* IPITRACE_FAULT_BEHIND=1: a fake wake-up is
				 * the oldest entry, the csd behind it */
	uint64_t fault_ns, fault_start_ns, fault_func;
	struct ipt_sample fault_at;
};

/* ---- alert formatting */

static const char *symname(struct watch *w, uint64_t addr, char *buf, size_t len)
{
	if (!addr) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (w->ks_ok)
		return ksyms_fmt(&w->ks, addr, buf, len);
	snprintf(buf, len, "0x%" PRIx64, addr);
	return buf;
}

#define FAULT_CSD 0xffffffffdead0000ULL	/* --fault-stuck's pretend entry */

/* The sender that owns the csd at addr, from the senders' cfd_data and
 * csd_data (kernel/smp.c): -1 when it is not one of theirs (an on-stack
 * csd of smp_call_function_single(wait=1), an irq_work, a wake-up). */
static int waiter_of(struct watch *w, unsigned target, uint64_t addr, const char **via)
{
	const struct ipt_sample *t = &w->s.samples[target];

	if (w->fault_waiter >= 0 && (int)target == w->fault_cpu && addr == FAULT_CSD) {
		*via = "fault (test only)";
		return w->fault_waiter;
	}
	for (unsigned c = 0; c < w->s.ncpus; c++) {
		const struct ipt_sample *s = &w->s.samples[c];

		if (!s->valid)
			continue;
		if (s->cfd_csd && s->cfd_csd + t->base == addr) {
			*via = "smp_call_function_many_cond";
			return (int)c;
		}
		if (s->csd_data && s->csd_data == addr) {
			*via = "smp_call_function_single_async/csd_data";
			return (int)c;
		}
	}
	*via = NULL;
	return -1;
}

static uint64_t delta(uint64_t now, uint64_t then)
{
	return now == ~0ULL || then == ~0ULL ? 0 : now - then;
}

struct alert {
	enum alert_state state;
	enum alert_kind k;
	const char *kind;
	const char *msg;		/* never_demuxed: the message kind */
	unsigned target;
	int waiter;
	const char *via;
	const char *type;
	char func[160];
	char callsite[160];		/* tier 2, or tier 1's waiter stack; "" if unknown */
	uint32_t waiter_pid;		/* tier 1's waiter stack: the waiting task */
	char waiter_comm[17];
	const char *waiter_stack;	/* innermost frames, " < "-separated */
	const char *tier;		/* "1" or "detail" */
	uint64_t func_addr;
	uint64_t age_ms;
	uint32_t depth;
	int behind;			/* tier 1: the named sync csd is not the
					 * oldest entry (entry_behind_oldest) */
	uint32_t pid;
	char comm[17];
	uint64_t d_switches, d_calls, d_timer, d_intr;
	int have_switches, have_calls, have_timer, have_intr;
	char line[768];
};

/* What the target did between two samples, as far as the counters tell. */
static void progress_fill(struct alert *a, const struct ipt_sample *now, const struct ipt_sample *then)
{
	a->have_switches = now->nr_switches != ~0ULL;
	a->have_calls = now->irq_calls != ~0ULL;
	a->have_timer = now->timer_irqs != ~0ULL;
	/* kstat's interrupts where x86's call-function count is absent. */
	a->have_intr = now->irqs_sum != ~0ULL && !a->have_calls;
	a->d_switches = delta(now->nr_switches, then->nr_switches);
	a->d_calls = delta(now->irq_calls, then->irq_calls);
	a->d_timer = delta(now->timer_irqs, then->timer_irqs);
	a->d_intr = delta(now->irqs_sum, then->irqs_sum) + delta(now->doorbells, then->doorbells);
}

static void progress_text(const struct alert *a, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
#define PT(cond, v, what) \
	if (cond) n += snprintf(buf + n, n < len ? len - n : 0, "%s%" PRIu64 " " what, n ? ", " : "", v)
	PT(a->have_timer, a->d_timer, "timer interrupts");
	PT(a->have_calls, a->d_calls, "call-function IPIs");
	PT(a->have_intr, a->d_intr, "interrupts");
	PT(a->have_switches, a->d_switches, "context switches");
#undef PT
	if (!n)
		snprintf(buf, len, "no progress counter known");
}

/*
 * The entry an alert names: the oldest synchronous csd in the queue when
 * there is one (somebody spins in csd_lock_wait() for it), else the oldest
 * entry.  The age is always the oldest entry's: how long the queue has not
 * moved.
 */
static uint64_t named_entry(const struct ipt_sample *s)
{
	return s->sync ? s->sync : s->oldest;
}

static int names_sync(const struct cpu_watch *c, const struct ipt_sample *s)
{
	return s->sync && c->named == s->sync;
}

static void alert_fill(struct watch *w, struct alert *a, enum alert_state st, unsigned cpu,
		       const struct ipt_sample *smp, uint64_t age_ns, const struct ipt_sample *now)
{
	struct cpu_watch *c = &w->cw[cpu];
	char wbuf[320] = "", what[256], prog[160] = "";

	memset(a, 0, sizeof(*a));
	a->state = st;
	a->k = AK_STUCK_CSD;
	a->kind = "stuck_csd";
	a->tier = "1";
	a->target = cpu;
	int sync = names_sync(c, smp);

	a->behind = sync && smp->sync != smp->oldest;
	a->type = sync ? "csd_sync" : sample_entry_type(smp->flags);
	a->func_addr = sync ? smp->sync_func : smp->func;
	a->age_ms = age_ns / MS;
	a->depth = smp->depth;
	if (!a->behind) {
		a->pid = smp->pid;
		memcpy(a->comm, smp->comm, 16);
	}
	a->waiter = waiter_of(w, cpu, c->named, &a->via);
	if (c->wi_cpu >= 0 && c->wi.have) {
		/* The waiter sampler saw the waiting CPU (or, for an on-stack
		 * csd, the CPU whose task's stack holds it). */
		if (a->waiter < 0) {
			a->waiter = c->wi_cpu;
			a->via = "its kernel stack holds the csd";
		}
		snprintf(a->callsite, sizeof(a->callsite), "%s", c->wi.callsite);
		a->waiter_pid = c->wi.pid;
		memcpy(a->waiter_comm, c->wi.comm, 16);
		a->waiter_stack = c->wi.stack;
	}
	progress_fill(a, now, &c->at_first);
	if (!strcmp(a->type, "ttwu"))
		snprintf(a->func, sizeof(a->func), "sched_ttwu_pending");
	else
		symname(w, a->func_addr, a->func, sizeof(a->func));

	if (!strcmp(a->type, "ttwu") && !a->pid)
		snprintf(what, sizeof(what), "a wake-up (sched_ttwu_pending)");
	else if (!strcmp(a->type, "ttwu"))
		snprintf(what, sizeof(what), "the wake-up of pid %u (%s)", a->pid, a->comm);
	else
		snprintf(what, sizeof(what), "%s (%s%s)", a->func, a->type,
			 a->behind ? ", behind an older entry" : "");
	if (a->waiter >= 0 && a->waiter_pid)
		snprintf(wbuf, sizeof(wbuf), ", queued by CPU %d (pid %u %s) at %s%s", a->waiter,
			 a->waiter_pid, a->waiter_comm, a->callsite[0] ? a->callsite : "?",
			 !strcmp(a->type, "csd_sync") ? " which spins in csd_lock_wait" : "");
	else if (a->waiter >= 0)
		snprintf(wbuf, sizeof(wbuf), ", queued by CPU %d%s", a->waiter,
			 !strcmp(a->type, "csd_sync") ? " which spins in csd_lock_wait" : "");
	progress_text(a, prog, sizeof(prog));

	switch (st) {
	case AS_STUCK:
	case AS_STILL:
		snprintf(a->line, sizeof(a->line),
			 "%s%s: CPU %u has not run %s for %" PRIu64 " ms%s; %u pending; since then CPU %u: %s",
			 st == AS_STUCK ? "ALERT " : "STILL ", a->kind, cpu, what, a->age_ms, wbuf,
			 a->depth, cpu, prog);
		break;
	case AS_RESOLVED:
		snprintf(a->line, sizeof(a->line), "RESOLVED %s: CPU %u ran %s: resolved after %" PRIu64 " ms%s",
			 a->kind, cpu, what, a->age_ms, wbuf);
		break;
	case AS_NEVER:
		snprintf(a->line, sizeof(a->line),
			 "NEVER EXECUTED %s: CPU %u never ran %s during this watch: pending %" PRIu64
			 " ms at exit%s; since then CPU %u: %s", a->kind, cpu, what, a->age_ms, wbuf, cpu, prog);
		break;
	default:
		break;
	}
}

/* A muxed-IPI message byte of `cpu` set for age_ns while the CPU took no
 * interrupt: the IPI that carries it was never taken (a frozen CPU), or was
 * taken without demuxing it (the KVM-on-POWER lost doorbell). */
static void msg_alert_fill(struct watch *w, struct alert *a, enum alert_state st, unsigned cpu,
			   unsigned k, uint64_t age_ns, const struct ipt_sample *now)
{
	const struct msg_watch *m = &w->cw[cpu].msg[k];
	char prog[160];

	memset(a, 0, sizeof(*a));
	a->state = st;
	a->k = AK_NEVER_DEMUXED;
	a->kind = "never_demuxed";
	a->msg = msg_names[k];
	a->tier = "1";
	a->target = cpu;
	a->waiter = -1;
	a->type = "ipi_message";
	snprintf(a->func, sizeof(a->func), "%s", msg_names[k]);
	a->age_ms = age_ns / MS;
	a->depth = now->depth;
	progress_fill(a, now, &m->at_first);
	progress_text(a, prog, sizeof(prog));
	switch (st) {
	case AS_STUCK:
	case AS_STILL:
		snprintf(a->line, sizeof(a->line), "%s%s: CPU %u has not taken its %s IPI message for %"
			 PRIu64 " ms (set in its ipi_message, no interrupt taken since); since then CPU %u: %s",
			 st == AS_STUCK ? "ALERT " : "STILL ", a->kind, cpu, a->msg, a->age_ms, cpu, prog);
		break;
	case AS_RESOLVED:
		snprintf(a->line, sizeof(a->line), "RESOLVED %s: CPU %u took its %s IPI message "
			 "(or an interrupt): resolved after %" PRIu64 " ms", a->kind, cpu, a->msg, a->age_ms);
		break;
	case AS_NEVER:
		snprintf(a->line, sizeof(a->line), "NEVER DEMUXED %s: CPU %u never took its %s IPI message "
			 "during this watch: set %" PRIu64 " ms at exit; since then CPU %u: %s", a->kind, cpu,
			 a->msg, a->age_ms, cpu, prog);
		break;
	default:
		break;
	}
}

/* ---- sinks */

static void sink_json(struct watch *w, const struct alert *a)
{
	struct json j;

	json_init(&j, stdout, 0);
	json_obj_begin(&j);
	json_kstr(&j, "event", "alert");
	json_kstr(&j, "kind", a->kind);
	json_kstr(&j, "state", state_names[a->state]);
	json_kstr(&j, "tier", a->tier);
	json_kdouble(&j, "time_s", (double)(mono_ns() - w->start_ns) / 1e9);
	json_ku64(&j, "target_cpu", a->target);
	json_key(&j, "waiter_cpu");
	a->waiter >= 0 ? json_u64(&j, (uint64_t)a->waiter) : json_null(&j);
	json_key(&j, "waiter_via");
	a->via ? json_str(&j, a->via) : json_null(&j);
	json_kstr(&j, "entry_type", a->type);
	if (!strcmp(a->tier, "1") && !a->msg)
		json_kbool(&j, "entry_behind_oldest", a->behind);
	if (a->msg)
		json_kstr(&j, "message_kind", a->msg);
	json_kstr(&j, "func", a->func);
	json_ku64(&j, "func_addr", a->func_addr);
	/* The callsite is not in the sampled state: tier 2 (--detail) names
	 * it, and tier 1 from the waiter's sampled kernel stack. */
	json_key(&j, "callsite");
	a->callsite[0] ? json_str(&j, a->callsite) : json_null(&j);
	if (a->waiter_pid) {
		json_ku64(&j, "waiter_pid", a->waiter_pid);
		json_kstr(&j, "waiter_comm", a->waiter_comm);
		json_kstr(&j, "waiter_stack", a->waiter_stack ? a->waiter_stack : "");
	}
	if (!strcmp(a->type, "ttwu")) {
		json_ku64(&j, "pid", a->pid);
		json_kstr(&j, "comm", a->comm);
	}
	json_ku64(&j, "age_ms", a->age_ms);
	json_ku64(&j, "pending", a->depth);
	if (!strcmp(a->tier, "1")) {
		json_key(&j, "target_since");
		json_obj_begin(&j);
		if (a->have_switches)
			json_ku64(&j, "context_switches", a->d_switches);
		if (a->have_calls)
			json_ku64(&j, "call_function_ipis", a->d_calls);
		if (a->have_timer)
			json_ku64(&j, "timer_interrupts", a->d_timer);
		if (a->have_intr)
			json_ku64(&j, "interrupts", a->d_intr);
		json_obj_end(&j);
	}
	json_kstr(&j, "message", a->line);
	json_obj_end(&j);
	json_end(&j);
	fflush(stdout);
}

/* RFC 3164 over the local syslog socket (/dev/log, or the path given):
 * what journald, rsyslog and busybox syslogd all read.  daemon facility;
 * the severity says how bad. */
static void sink_syslog(struct watch *w, const struct alert *a)
{
	static const int sev[] = { 2 /* crit */, 2, 5 /* notice */, 3 /* err */ };
	char msg[1024], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	n = snprintf(msg, sizeof(msg), "<%d>%s ipitrace[%d]: %s", 3 * 8 + sev[a->state], ts,
		     (int)getpid(), a->line);
	if (sendto(w->syslog_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, 0,
		   (struct sockaddr *)&w->syslog_addr, sizeof(w->syslog_addr)) < 0 && !w->quiet)
		ipt_warn("syslog: %s", strerror(errno));
}

static void reap_kids(struct watch *w, int force)
{
	uint64_t now = mono_ns();

	for (unsigned i = 0; i < sizeof(w->kids) / sizeof(w->kids[0]); i++) {
		struct exec_child *k = &w->kids[i];

		if (!k->pid)
			continue;
		if (waitpid(k->pid, NULL, WNOHANG) == k->pid) {
			k->pid = 0;
			continue;
		}
		if (force || now > k->deadline) {
			/* The command runs in its own process group: take
			 * whatever it started with it. */
			kill(-k->pid, SIGKILL);
			waitpid(k->pid, NULL, 0);
			k->pid = 0;
			w->exec_killed++;
		}
	}
}

static void sink_exec(struct watch *w, const struct alert *a)
{
	struct exec_child *slot = NULL;
	char num[32];
	pid_t pid;

	reap_kids(w, 0);
	for (unsigned i = 0; i < sizeof(w->kids) / sizeof(w->kids[0]) && !slot; i++)
		if (!w->kids[i].pid)
			slot = &w->kids[i];
	if (!slot) {
		w->exec_dropped++;
		ipt_warn("--exec: 16 commands still running; this alert's command is not started");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ipt_warn("--exec: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		setenv("IPITRACE_KIND", a->kind, 1);
		setenv("IPITRACE_STATE", state_names[a->state], 1);
		snprintf(num, sizeof(num), "%u", a->target);
		setenv("IPITRACE_TARGET_CPU", num, 1);
		snprintf(num, sizeof(num), "%d", a->waiter);
		setenv("IPITRACE_WAITER_CPU", a->waiter >= 0 ? num : "", 1);
		setenv("IPITRACE_FUNC", a->func, 1);
		setenv("IPITRACE_CALLSITE", a->callsite, 1);
		setenv("IPITRACE_TIER", a->tier, 1);
		setenv("IPITRACE_ENTRY_TYPE", a->type, 1);
		if (a->msg)
			setenv("IPITRACE_MESSAGE_KIND", a->msg, 1);
		snprintf(num, sizeof(num), "%" PRIu64, a->age_ms);
		setenv("IPITRACE_AGE_MS", num, 1);
		setenv("IPITRACE_MESSAGE", a->line, 1);
		execl("/bin/sh", "sh", "-c", w->exec_cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	slot->pid = pid;
	slot->deadline = mono_ns() + w->exec_timeout_ns;
}

static void emit(struct watch *w, const struct alert *a)
{
	w->alerts[a->state]++;
	w->kalerts[a->k][a->state]++;
	ipt_info("%s", a->line);
	w->lines_since_screen++;
	if (w->json)
		sink_json(w, a);
	if (w->syslog_fd >= 0)
		sink_syslog(w, a);
	if (w->exec_cmd)
		sink_exec(w, a);
}

/* ---- Prometheus text format (--metrics): one request per connection */

static void metrics_serve(struct watch *w)
{
	char req[1024], *body = NULL, hdr[160];
	size_t blen = 0;
	FILE *f;
	int fd = accept(w->metrics_fd, NULL, NULL);

	if (fd < 0)
		return;
	/* A scraper sends its request at once; do not let a silent client
	 * hold the watchdog. */
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (recv(fd, req, sizeof(req) - 1, 0) <= 0) {
		close(fd);
		return;
	}
	f = open_memstream(&body, &blen);
	fprintf(f, "# HELP ipitrace_samples_total Tier 1 samples taken (every CPU read once per sample).\n"
		   "# TYPE ipitrace_samples_total counter\nipitrace_samples_total %" PRIu64 "\n",
		w->s.runs);
	fprintf(f, "# HELP ipitrace_sample_errors_total Samples that failed.\n"
		   "# TYPE ipitrace_sample_errors_total counter\nipitrace_sample_errors_total %" PRIu64 "\n",
		w->sample_errors);
	fprintf(f, "# HELP ipitrace_sampler_seconds_total Time spent taking samples.\n"
		   "# TYPE ipitrace_sampler_seconds_total counter\nipitrace_sampler_seconds_total %.6f\n",
		(double)w->s.run_ns / 1e9);
	/* Tier 1 streams no events, so none can be lost; the series exists
	 * so that dashboards need not special-case the tier. */
	fprintf(f, "# HELP ipitrace_lost_events_total Trace events lost (tier 2 only; 0 in tier 1).\n"
		   "# TYPE ipitrace_lost_events_total counter\nipitrace_lost_events_total 0\n");
	fprintf(f, "# HELP ipitrace_alerts_total Alert lines by kind and state.\n"
		   "# TYPE ipitrace_alerts_total counter\n");
	for (int k = 0; k < AK__MAX; k++) {
		/* never_demuxed only where message words are sampled (powerpc). */
		if (k == AK_NEVER_DEMUXED && !w->s.have_ipi_message)
			continue;
		for (int s = 0; s < AS__MAX; s++)
			fprintf(f, "ipitrace_alerts_total{kind=\"%s\",state=\"%s\"} %" PRIu64 "\n",
				kind_names[k], state_names[s], w->kalerts[k][s]);
	}
	fprintf(f, "# HELP ipitrace_pending_entries Entries in the CPU's call_single_queue at the last sample.\n"
		   "# TYPE ipitrace_pending_entries gauge\n");
	for (unsigned c = 0; c < w->s.ncpus; c++)
		if (w->s.samples[c].valid)
			fprintf(f, "ipitrace_pending_entries{cpu=\"%u\"} %u\n", c, w->s.samples[c].depth);
	fprintf(f, "# HELP ipitrace_oldest_pending_age_seconds Age of the CPU's oldest pending entry.\n"
		   "# TYPE ipitrace_oldest_pending_age_seconds gauge\n");
	for (unsigned c = 0; c < w->s.ncpus; c++)
		if (w->s.samples[c].valid)
			fprintf(f, "ipitrace_oldest_pending_age_seconds{cpu=\"%u\"} %.3f\n", c,
				w->cw[c].oldest ? (double)(w->cw[c].last_ns - w->cw[c].first_ns) / 1e9 : 0.0);
	if (w->s.have_switches) {
		fprintf(f, "# HELP ipitrace_context_switches_total The CPU's context switches (rq->nr_switches).\n"
			   "# TYPE ipitrace_context_switches_total counter\n");
		for (unsigned c = 0; c < w->s.ncpus; c++)
			if (w->s.samples[c].valid)
				fprintf(f, "ipitrace_context_switches_total{cpu=\"%u\"} %" PRIu64 "\n", c,
					w->s.samples[c].nr_switches);
	}
	if (w->s.have_kstat) {
		fprintf(f, "# HELP ipitrace_interrupts_total Interrupts the CPU handled through the generic "
			   "irq layer (kstat.irqs_sum).\n# TYPE ipitrace_interrupts_total counter\n");
		for (unsigned c = 0; c < w->s.ncpus; c++)
			if (w->s.samples[c].valid && w->s.samples[c].irqs_sum != ~0ULL)
				fprintf(f, "ipitrace_interrupts_total{cpu=\"%u\"} %" PRIu64 "\n", c,
					w->s.samples[c].irqs_sum);
	}
	if (w->s.have_ipi_message) {
		fprintf(f, "# HELP ipitrace_ipi_messages_pending powerpc: muxed IPI message bytes set in the "
			   "CPU's ipi_message at the last sample.\n# TYPE ipitrace_ipi_messages_pending gauge\n");
		for (unsigned c = 0; c < w->s.ncpus; c++) {
			const struct ipt_sample *x = &w->s.samples[c];
			unsigned n = 0;

			if (!x->valid || x->ipi_msgs == ~0ULL)
				continue;
			for (unsigned k = 0; k < NMSG; k++)
				n += ((const unsigned char *)&x->ipi_msgs)[k] != 0;
			fprintf(f, "ipitrace_ipi_messages_pending{cpu=\"%u\"} %u\n", c, n);
		}
	}
	if (w->s.have_irq_stat) {
		fprintf(f, "# HELP ipitrace_call_function_ipis_total Call-function IPIs the CPU took (irq_stat).\n"
			   "# TYPE ipitrace_call_function_ipis_total counter\n");
		for (unsigned c = 0; c < w->s.ncpus; c++)
			if (w->s.samples[c].valid && w->s.samples[c].irq_calls != ~0ULL)
				fprintf(f, "ipitrace_call_function_ipis_total{cpu=\"%u\"} %" PRIu64 "\n", c,
					w->s.samples[c].irq_calls);
	}
	if (w->detail_on) {
		static const char *const names[] = { "queued", "executed" };

		fprintf(f, "# HELP ipitrace_detail_lost_total Tier 2: csds the pending table had no room for.\n"
			   "# TYPE ipitrace_detail_lost_total counter\nipitrace_detail_lost_total %" PRIu64 "\n",
			detail_table_full(&w->d));
		for (int k = 0; k < 2; k++) {
			fprintf(f, "# HELP ipitrace_csd_%s_total Tier 2: csds %s, per CPU pair.\n"
				   "# TYPE ipitrace_csd_%s_total counter\n", names[k], names[k], names[k]);
			for (unsigned a = 0; a < w->s.ncpus; a++)
				for (unsigned b = 0; b < w->s.ncpus; b++) {
					uint64_t q, e, p50, p99;

					detail_pair(&w->d, a, b, &q, &e, &p50, &p99);
					if (q || e)
						fprintf(f, "ipitrace_csd_%s_total{src=\"%u\",dst=\"%u\"} %" PRIu64 "\n",
							names[k], a, b, k ? e : q);
				}
		}
		fprintf(f, "# HELP ipitrace_csd_queue_to_run_seconds Tier 2: csd queue->run latency "
			   "(log2 buckets), per CPU pair.\n"
			   "# TYPE ipitrace_csd_queue_to_run_seconds histogram\n");
		for (unsigned a = 0; a < w->s.ncpus; a++)
			for (unsigned b = 0; b < w->s.ncpus; b++) {
				uint64_t hb[IPT_DETAIL_BUCKETS], sum, acc = 0;

				detail_hist(&w->d, a, b, hb, &sum);
				for (int i = 0; i < IPT_DETAIL_BUCKETS; i++)
					acc += hb[i];
				if (!acc)
					continue;
				acc = 0;
				/* The last log2 bucket also holds everything
				 * longer: it is only counted in +Inf. */
				for (int i = 0; i < IPT_DETAIL_BUCKETS - 1; i++) {
					acc += hb[i];
					fprintf(f, "ipitrace_csd_queue_to_run_seconds_bucket{src=\"%u\",dst=\"%u\","
						"le=\"%.9g\"} %" PRIu64 "\n", a, b, (double)(2ULL << i) / 1e9, acc);
				}
				acc += hb[IPT_DETAIL_BUCKETS - 1];
				fprintf(f, "ipitrace_csd_queue_to_run_seconds_bucket{src=\"%u\",dst=\"%u\",le=\"+Inf\"} %"
					PRIu64 "\n", a, b, acc);
				fprintf(f, "ipitrace_csd_queue_to_run_seconds_sum{src=\"%u\",dst=\"%u\"} %.9f\n", a, b,
					sum / 1e9);
				fprintf(f, "ipitrace_csd_queue_to_run_seconds_count{src=\"%u\",dst=\"%u\"} %" PRIu64 "\n",
					a, b, acc);
			}
	}
	fclose(f);
	snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", blen);
	if (write(fd, hdr, strlen(hdr)) > 0 && strncmp(req, "HEAD ", 5))
		(void)!write(fd, body, blen);
	free(body);
	close(fd);
}

static int metrics_listen(const char *addr, char *err, size_t errlen)
{
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long port;
	char *end;
	int fd, one = 1;

	if (colon) {
		if ((size_t)(colon - addr) >= sizeof(host)) {
			snprintf(err, errlen, "address too long");
			return -1;
		}
		if (colon > addr) {
			memcpy(host, addr, colon - addr);
			host[colon - addr] = 0;
		}
		addr = colon + 1;
	}
	port = strtol(addr, &end, 10);
	if (*end || port < 1 || port > 65535) {
		snprintf(err, errlen, "bad port '%s': want [HOST:]PORT, e.g. 9477 or 127.0.0.1:9477", addr);
		return -1;
	}
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "bad address '%s': want an IPv4 address", host);
		return -1;
	}
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		snprintf(err, errlen, "cannot listen on %s:%ld: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -2;	/* a runtime failure, not a bad command line */
	}
	return fd;
}

/* ---- tier 2: anomalies from the in-kernel pending table */

static void detail_alert(struct watch *w, enum alert_state st, const struct danom *x, uint64_t now)
{
	struct alert a;
	char cs[160];

	memset(&a, 0, sizeof(a));
	a.state = st;
	a.kind = "stuck_csd";
	a.tier = "detail";
	a.target = x->p.dst;
	a.waiter = (int)x->p.src;
	a.via = "csd:csd_queue_cpu";
	a.type = "csd";
	a.func_addr = x->p.func;
	a.age_ms = (now - x->ts) / MS;
	a.depth = w->d.pending_per_cpu[x->p.dst % IPT_DETAIL_MAX_CPUS];
	symname(w, x->p.func, a.func, sizeof(a.func));
	symname(w, x->p.callsite, cs, sizeof(cs));
	snprintf(a.callsite, sizeof(a.callsite), "%s", cs);
	switch (st) {
	case AS_STUCK:
	case AS_STILL:
		snprintf(a.line, sizeof(a.line), "%s%s: CPU %u has not run %s for %" PRIu64
			 " ms, queued by CPU %u at %s (tier 2)", st == AS_STUCK ? "ALERT " : "STILL ",
			 a.kind, a.target, a.func, a.age_ms, x->p.src, a.callsite);
		break;
	case AS_RESOLVED:
		snprintf(a.line, sizeof(a.line), "RESOLVED %s: CPU %u ran %s: resolved after %" PRIu64
			 " ms, queued by CPU %u at %s (tier 2)", a.kind, a.target, a.func, a.age_ms,
			 x->p.src, a.callsite);
		break;
	default:
		snprintf(a.line, sizeof(a.line), "NEVER EXECUTED %s: CPU %u never ran %s during this watch: "
			 "pending %" PRIu64 " ms at exit, queued by CPU %u at %s (tier 2)", a.kind,
			 a.target, a.func, a.age_ms, x->p.src, a.callsite);
	}
	emit(w, &a);
}

static void detail_track(struct watch *w, uint64_t now)
{
	if (detail_scan(&w->d))
		return;
	for (unsigned i = 0; i < w->d.nanoms; i++) {
		const struct ipt_anomaly *an = &w->d.anoms[i];
		struct danom *x = NULL;

		if (an->p.dst >= w->s.ncpus || !test_bit64(w->cpus, an->p.dst))
			continue;
		for (unsigned k = 0; k < w->ndanoms && !x; k++)
			if (w->danoms[k].csd == an->csd && w->danoms[k].ts == an->p.ts)
				x = &w->danoms[k];
		if (!x) {
			if (w->ndanoms >= IPT_DETAIL_MAX_ANOM)
				continue;
			x = &w->danoms[w->ndanoms++];
			x->csd = an->csd;
			x->ts = an->p.ts;
			x->p = an->p;
			x->repeat_ns = 1000 * MS;
			x->next_alert_ns = now - x->ts + x->repeat_ns;
			x->seen_scan = w->d.scans;
			detail_alert(w, AS_STUCK, x, now);
			continue;
		}
		x->seen_scan = w->d.scans;
		if (now - x->ts >= x->next_alert_ns) {
			if (x->repeat_ns < 60000 * MS)
				x->repeat_ns *= 2;
			x->next_alert_ns = now - x->ts + x->repeat_ns;
			detail_alert(w, AS_STILL, x, now);
		}
	}
	/* Gone from the table: it ran. */
	for (unsigned k = 0; k < w->ndanoms;) {
		if (w->danoms[k].seen_scan != w->d.scans) {
			detail_alert(w, AS_RESOLVED, &w->danoms[k], now);
			w->danoms[k] = w->danoms[--w->ndanoms];
			continue;
		}
		k++;
	}
}

/* ---- the test-only fault: applied to the sample, after the BPF side */

static void apply_fault(struct watch *w, uint64_t now)
{
	struct ipt_sample *s;

	if (w->fault_cpu < 0 || (unsigned)w->fault_cpu >= w->s.ncpus)
		return;
	s = &w->s.samples[w->fault_cpu];
	if (!w->fault_start_ns) {
		w->fault_start_ns = now;
		w->fault_at = *s;
	}
	if (w->fault_ns && now - w->fault_start_ns >= w->fault_ns)
		return;		/* "thawed": the real queue shows again */
	s->head = s->oldest = s->sync = FAULT_CSD;
	s->sync_func = w->fault_func;
	s->depth = 1;
	s->flags = 0x11;	/* CSD_TYPE_SYNC | CSD_FLAG_LOCK */
	s->func = w->fault_func;
	s->pid = 0;
	if (w->fault_behind) {
		/* A wake-up queued before the csd (as seen for real in the
		 * ppc64le 6.12 guest): the oldest entry, the csd behind it. */
		s->oldest = FAULT_CSD + 0x100;
		s->depth = 2;
		s->flags = 0x30;	/* CSD_TYPE_TTWU */
		s->func = 0;
		s->pid = 1;
		snprintf(s->comm, sizeof(s->comm), "fault-ttwu");
	}
	s->nr_switches = w->fault_at.nr_switches;
	s->irq_calls = w->fault_at.irq_calls;
	s->timer_irqs = w->fault_at.timer_irqs;
	s->irqs_sum = w->fault_at.irqs_sum;
	s->doorbells = w->fault_at.doorbells;
	/* powerpc: the synchronous csd came with a CALL_FUNCTION message
	 * (PPC_MSG_CALL_FUNCTION, byte 0) that was never taken. */
	if (s->ipi_msgs != ~0ULL)
		((unsigned char *)&s->ipi_msgs)[0] = 1;
}

/* Interrupts the CPU took, as far as the sample tells: every XIVE/XICS IPI
 * goes through the generic irq layer (kstat.irqs_sum), a doorbell is
 * counted in irq_stat.doorbell_irqs.  ~0 when neither is known. */
static uint64_t intr_count(const struct ipt_sample *s)
{
	if (s->irqs_sum == ~0ULL && s->doorbells == ~0ULL)
		return ~0ULL;
	return (s->irqs_sum == ~0ULL ? 0 : s->irqs_sum) + (s->doorbells == ~0ULL ? 0 : s->doorbells);
}

/* ---- the waiter sampler (user/waiter.c) */

static void waiter_disarm_for(struct watch *w, unsigned target)
{
	struct cpu_watch *c = &w->cw[target];

	for (unsigned k = 0; k < w->s.ncpus; k++) {
		if (!test_bit64(c->armed, k))
			continue;
		c->armed[k / 64] &= ~(1ULL << (k % 64));
		if (w->arm_refs[k] && !--w->arm_refs[k])
			waiters_disarm(&w->wt, k);
	}
}

/*
 * Half-way to the threshold: sample the kernel stack of whoever waits for
 * target's oldest entry.  That is the sender the csd blocks name (cfd_data,
 * csd_data); for an on-stack csd (smp_call_function_single(wait=1)) no
 * block names it, so every other responsive CPU is sampled and the one
 * whose task's stack holds the csd is the waiter.  An async csd, an
 * irq_work or a wake-up has nobody spinning for it: nothing to sample.
 */
static void waiter_arm_for(struct watch *w, unsigned target, uint64_t now)
{
	struct cpu_watch *c = &w->cw[target];
	const struct ipt_sample *ts = &w->s.samples[target];
	const char *type = names_sync(c, ts) ? "csd_sync" : sample_entry_type(ts->flags), *via;
	int waiter = waiter_of(w, target, c->named, &via);

	c->arming_done = 1;
	if (!w->wt.ok || (waiter < 0 && (strcmp(type, "csd_sync") || !w->wt.on_stack)))
		return;
	for (unsigned k = 0; k < w->s.ncpus && k < IPT_WAITER_MAX_CPUS; k++) {
		if (k == target || (waiter >= 0 && k != (unsigned)waiter) || !w->s.samples[k].valid)
			continue;
		/* perf_event_open installs the event by a cross-call to CPU k
		 * and waits for it: only a CPU seen taking interrupts lately.
		 * Where no interrupt counter is sampled, only the waiter the
		 * csd blocks name: the kernel spins for a csd with interrupts
		 * on (smp_call_function_many_cond() warns if not). */
		if (w->s.have_irq_stat || intr_count(&w->s.samples[k]) != ~0ULL ?
		    now - w->cw[k].progress_ns > 200 * MS : waiter < 0)
			continue;
		if (w->cw[k].oldest && now - w->cw[k].first_ns >= w->threshold_ns / 2)
			continue;	/* its own queue is not moving */
		if (!waiters_armed(&w->wt, k) && waiters_arm(&w->wt, k)) {
			if (w->wt.arm_errors == 1)
				ipt_warn("waiter stacks: %s", w->wt.last_err);
			continue;
		}
		c->armed[k / 64] |= 1ULL << (k % 64);
		w->arm_refs[k]++;
	}
}

/* Take the waiter's stack from the sampled CPUs, once. */
static void waiter_capture(struct watch *w, unsigned target)
{
	struct cpu_watch *c = &w->cw[target];
	const char *via;
	int waiter;

	if (c->wi_cpu >= 0 || !w->wt.ok)
		return;
	waiter = waiter_of(w, target, c->named, &via);
	for (unsigned k = 0; k < w->s.ncpus; k++) {
		struct waiter_info wi;

		if (!test_bit64(c->armed, k))
			continue;
		waiters_read(&w->wt, k, c->named, &w->ks, w->ks_ok, &wi);
		/* The named waiter counts once it is seen in smp.c's wait; any
		 * other CPU only if its task's stack holds the csd. */
		if (!wi.have || !(waiter >= 0 ? wi.in_smp || wi.owns : wi.owns))
			continue;
		c->wi = wi;
		c->wi_cpu = (int)k;
		waiter_disarm_for(w, target);
		return;
	}
}

static void waiter_reset(struct watch *w, unsigned target)
{
	struct cpu_watch *c = &w->cw[target];

	waiter_disarm_for(w, target);
	c->arming_done = 0;
	c->wi_cpu = -1;
	memset(&c->wi, 0, sizeof(c->wi));
}

/* ---- the tracker */

/*
 * The CPU's muxed-IPI message bytes.  The sender sets byte k before it
 * raises the interrupt, and the receiver's demux takes the whole word
 * (xchg) as soon as it handles one: a byte seen set in every sample for
 * --threshold, with no interrupt taken meanwhile, was never demuxed.  Any
 * interrupt taken restarts the clock: the demux may have run and a new send
 * set the byte again (coalescing, DESIGN.md section 4).
 */
static void track_msgs(struct watch *w, unsigned cpu, const struct ipt_sample *s, uint64_t now)
{
	struct cpu_watch *c = &w->cw[cpu];
	uint64_t intr = intr_count(s);
	int any = 0;
	struct alert a;

	if (s->ipi_msgs == ~0ULL)
		return;
	for (unsigned k = 0; k < NMSG; k++) {
		struct msg_watch *m = &c->msg[k];
		int set = ((const unsigned char *)&s->ipi_msgs)[k] != 0;
		int moved = m->on && intr != m->intr_at_first;

		any |= set;
		if (m->on && (!set || moved)) {
			if (m->alerted) {
				msg_alert_fill(w, &a, AS_RESOLVED, cpu, k, now - m->first_ns, s);
				emit(w, &a);
			}
			m->on = 0;
		}
		if (!set)
			continue;
		if (!m->on) {
			memset(m, 0, sizeof(*m));
			m->on = 1;
			m->first_ns = now;
			m->intr_at_first = intr;
			m->at_first = *s;
		}
		m->last_ns = now;
		uint64_t age = now - m->first_ns;

		if (age > c->msg_max_age_ns)
			c->msg_max_age_ns = age;
		if (!m->alerted && age >= w->threshold_ns) {
			m->alerted = 1;
			m->repeat_ns = 1000 * MS;
			m->next_alert_ns = age + m->repeat_ns;
			msg_alert_fill(w, &a, AS_STUCK, cpu, k, age, s);
			emit(w, &a);
		} else if (m->alerted && age >= m->next_alert_ns) {
			if (m->repeat_ns < 60000 * MS)
				m->repeat_ns *= 2;
			m->next_alert_ns = age + m->repeat_ns;
			msg_alert_fill(w, &a, AS_STILL, cpu, k, age, s);
			emit(w, &a);
		}
	}
	c->msg_samples += any;
}

static void track(struct watch *w, uint64_t now)
{
	struct alert a;

	for (unsigned cpu = 0; cpu < w->s.ncpus; cpu++) {
		const struct ipt_sample *s = &w->s.samples[cpu];
		struct cpu_watch *c = &w->cw[cpu];
		int flushed, same;

		if (!s->valid || !test_bit64(w->cpus, cpu))
			continue;
		if (!c->last.valid) {		/* first sample: rates start here */
			c->prev_switches = s->nr_switches;
			c->prev_calls = s->irq_calls;
			c->progress_ns = now;
		} else if (s->timer_irqs != c->last.timer_irqs || s->irq_calls != c->last.irq_calls ||
			   s->nr_switches != c->last.nr_switches || intr_count(s) != intr_count(&c->last)) {
			c->progress_ns = now;
		}
		/* Any call-function IPI taken since the last sample flushed
		 * the whole queue (llist_del_all in
		 * __flush_smp_call_function_queue): what is there now is new,
		 * even at the same address (a csd is reused per sender).  Only
		 * x86 counts those IPIs; elsewhere any interrupt taken (powerpc:
		 * its XIVE/XICS IPIs are irqs in kstat, doorbells in irq_stat)
		 * may have been one.  Seen in the ppc64le 6.12 guest without
		 * this: at 5500 membarrier calls/s the same csd was in CPU 1's
		 * queue at every sample, so the age started before the freeze. */
		if (s->irq_calls != ~0ULL)
			flushed = c->last.valid && s->irq_calls != c->last.irq_calls;
		else
			flushed = c->last.valid && intr_count(s) != ~0ULL &&
				  intr_count(s) != intr_count(&c->last);
		same = s->head && s->oldest == c->oldest && !flushed;
		if (!same) {
			if (c->oldest && c->alerted) {
				alert_fill(w, &a, AS_RESOLVED, cpu, &c->stuck, now - c->first_ns, s);
				emit(w, &a);
			}
			if (c->arming_done)
				waiter_reset(w, cpu);
			c->oldest = s->head ? s->oldest : 0;
			c->named = s->head ? named_entry(s) : 0;
			c->first_ns = c->last_ns = now;
			c->at_first = *s;
			c->alerted = 0;
		} else {
			uint64_t age = now - c->first_ns;

			if (s->sync && s->sync != c->named) {
				/* A synchronous csd joined the stuck queue
				 * behind its oldest entry: name it, and look
				 * for its waiter afresh. */
				c->named = s->sync;
				waiter_reset(w, cpu);
			}
			c->last_ns = now;
			if (age > c->max_age_ns)
				c->max_age_ns = age;
			if (!c->arming_done && age >= w->threshold_ns / 2)
				waiter_arm_for(w, cpu, now);
			if (!c->alerted && age >= w->threshold_ns) {
				waiter_capture(w, cpu);
				c->alerted = 1;
				c->stuck = *s;
				c->repeat_ns = 1000 * MS;
				c->next_alert_ns = age + c->repeat_ns;
				alert_fill(w, &a, AS_STUCK, cpu, s, age, s);
				emit(w, &a);
			} else if (c->alerted && age >= c->next_alert_ns) {
				/* Back off: 1 s, 2 s, 4 s ... at most a minute. */
				if (c->repeat_ns < 60000 * MS)
					c->repeat_ns *= 2;
				c->next_alert_ns = age + c->repeat_ns;
				waiter_capture(w, cpu);
				alert_fill(w, &a, AS_STILL, cpu, s, age, s);
				emit(w, &a);
			}
		}
		c->nonempty += s->head != 0;
		track_msgs(w, cpu, s, now);
		c->last = *s;
	}
}

/* ---- live screen and plain status lines */

static void status(struct watch *w, uint64_t now, double dt)
{
	FILE *f = stdout;
	char fn[160];

	if (w->screen) {
		fprintf(f, "\033[H\033[2J");
		fprintf(f, "ipitrace watch  %.0f s  tier 1 (%s)  threshold %" PRIu64 " ms  %" PRIu64
			" samples, %.1f us each  alerts %" PRIu64 "\n\n", (double)(now - w->start_ns) / 1e9,
			sampler_rung_name(w->s.rung), w->threshold_ns / MS, w->s.runs,
			w->s.runs ? (double)w->s.run_ns / w->s.runs / 1e3 : 0.0, w->alerts[AS_STUCK]);
		fprintf(f, "%4s %8s %10s %10s %11s %10s  %s\n", "CPU", "pending", "age ms", "max ms",
			"switches/s", "calls/s", "oldest entry");
	}
	for (unsigned cpu = 0; cpu < w->s.ncpus; cpu++) {
		const struct ipt_sample *s = &w->s.samples[cpu];
		struct cpu_watch *c = &w->cw[cpu];
		uint64_t age = c->oldest ? c->last_ns - c->first_ns : 0;
		double sw = dt > 0 && s->nr_switches != ~0ULL ? (s->nr_switches - c->prev_switches) / dt : 0;
		double ca = dt > 0 && s->irq_calls != ~0ULL ? (s->irq_calls - c->prev_calls) / dt : 0;

		if (!s->valid || !test_bit64(w->cpus, cpu))
			continue;
		if (s->head) {
			char sym[128];

			snprintf(fn, sizeof(fn), "%s %s",
				 !strcmp(sample_entry_type(s->flags), "ttwu") ? "wake-up" :
				 symname(w, s->func, sym, sizeof(sym)), sample_entry_type(s->flags));
		}
		else
			snprintf(fn, sizeof(fn), "-");
		if (w->screen)
			fprintf(f, "%4u %8u %10" PRIu64 " %10" PRIu64 " %11.0f %10.0f  %s\n", cpu, s->depth,
				age / MS, c->max_age_ns / MS, sw, ca, fn);
		else
			fprintf(f, "%scpu%u pending=%u age_ms=%" PRIu64 " switches/s=%.0f calls/s=%.0f",
				cpu ? " " : "", cpu, s->depth, age / MS, sw, ca);
		c->prev_switches = s->nr_switches;
		c->prev_calls = s->irq_calls;
	}
	if (w->screen && w->detail_on) {
		fprintf(f, "\n%4s %4s %12s %12s %10s %10s   (tier 2, since start)\n", "from", "to",
			"csds queued", "executed", "p50 us", "p99 us");
		for (unsigned a = 0; a < w->s.ncpus; a++)
			for (unsigned b = 0; b < w->s.ncpus; b++) {
				uint64_t q, e, p50, p99;

				detail_pair(&w->d, a, b, &q, &e, &p50, &p99);
				if (q || e)
					fprintf(f, "%4u %4u %12" PRIu64 " %12" PRIu64 " %10.1f %10.1f\n", a, b,
						q, e, p50 / 1e3, p99 / 1e3);
			}
	}
	if (!w->screen)
		fprintf(f, "\n");
	fflush(f);
}

static void summary(struct watch *w, uint64_t now)
{
	double secs = (double)(now - w->start_ns) / 1e9;

	ipt_info("watched %u CPU(s) for %.1f s: %" PRIu64 " samples (%.1f us each, tier 1 %s), "
		 "%" PRIu64 " alert(s), %" PRIu64 " resolved, %" PRIu64 " never executed",
		 w->s.calibrated, secs, w->s.runs, w->s.runs ? (double)w->s.run_ns / w->s.runs / 1e3 : 0.0,
		 sampler_rung_name(w->s.rung), w->alerts[AS_STUCK], w->alerts[AS_RESOLVED],
		 w->alerts[AS_NEVER]);
	if (w->s.have_ipi_message)
		ipt_info("  of which never_demuxed (powerpc IPI messages): %" PRIu64 " alert(s), %" PRIu64
			 " resolved, %" PRIu64 " never demuxed", w->kalerts[AK_NEVER_DEMUXED][AS_STUCK],
			 w->kalerts[AK_NEVER_DEMUXED][AS_RESOLVED], w->kalerts[AK_NEVER_DEMUXED][AS_NEVER]);
	if (w->detail_on && !w->quiet) {
		ipt_info("tier 2: %" PRIu64 " scans, %" PRIu64 " csds lost to a full table, %" PRIu64
			 " executions not seen", w->d.scans, detail_table_full(&w->d),
			 detail_requeued_unseen(&w->d));
		for (unsigned a = 0; a < w->s.ncpus; a++)
			for (unsigned b = 0; b < w->s.ncpus; b++) {
				uint64_t q, e, p50, p99;

				detail_pair(&w->d, a, b, &q, &e, &p50, &p99);
				if (q || e)
					ipt_info("  csds CPU %u -> %u: %" PRIu64 " queued, %" PRIu64
						 " executed, queue->run p50 < %.1f us, p99 < %.1f us", a, b, q, e,
						 p50 / 1e3, p99 / 1e3);
			}
	}
	if (w->json) {
		struct json j;

		json_init(&j, stdout, 0);
		json_obj_begin(&j);
		json_kstr(&j, "event", "summary");
		json_kdouble(&j, "duration_s", secs);
		json_kstr(&j, "tier", w->detail_on ? "1+detail" : "1");
		json_kstr(&j, "rung", sampler_rung_name(w->s.rung));
		json_ku64(&j, "cpus_watched", w->s.calibrated);
		json_ku64(&j, "samples", w->s.runs);
		json_ku64(&j, "sample_errors", w->sample_errors);
		json_kdouble(&j, "sample_us", w->s.runs ? (double)w->s.run_ns / w->s.runs / 1e3 : 0.0);
		json_ku64(&j, "lost_events", 0);
		json_key(&j, "waiter_stacks");
		json_obj_begin(&j);
		json_kbool(&j, "available", w->wt.ok);
		json_key(&j, "why_not");
		w->wt.ok ? json_null(&j) : json_str(&j, w->wt.why);
		json_kbool(&j, "on_stack_csds", w->wt.ok && w->wt.on_stack);
		json_ku64(&j, "cpus_armed", w->wt.armed_total);
		json_ku64(&j, "arm_errors", w->wt.arm_errors);
		json_obj_end(&j);
		json_key(&j, "per_cpu");
		json_arr_begin(&j);
		for (unsigned c = 0; c < w->s.ncpus; c++) {
			if (!w->s.samples[c].valid || !test_bit64(w->cpus, c))
				continue;
			json_obj_begin(&j);
			json_ku64(&j, "cpu", c);
			json_ku64(&j, "samples_pending", w->cw[c].nonempty);
			json_ku64(&j, "max_pending_age_ms", w->cw[c].max_age_ns / MS);
			/* The last sample's counters, to check against the
			 * kernel's own (/proc/interrupts). */
			{
				const struct ipt_sample *x = &w->s.samples[c];

				if (x->timer_irqs != ~0ULL)
					json_ku64(&j, "timer_interrupts", x->timer_irqs);
				if (x->irq_calls != ~0ULL)
					json_ku64(&j, "call_function_ipis", x->irq_calls);
				if (x->irqs_sum != ~0ULL)
					json_ku64(&j, "interrupts", x->irqs_sum);
				if (x->nr_switches != ~0ULL)
					json_ku64(&j, "context_switches", x->nr_switches);
				if (x->ipi_msgs != ~0ULL) {
					json_ku64(&j, "samples_message_set", w->cw[c].msg_samples);
					json_ku64(&j, "max_message_age_ms", w->cw[c].msg_max_age_ns / MS);
				}
			}
			json_obj_end(&j);
		}
		json_arr_end(&j);
		if (w->detail_on) {
			json_key(&j, "detail");
			json_obj_begin(&j);
			json_ku64(&j, "scans", w->d.scans);
			json_ku64(&j, "table_full", detail_table_full(&w->d));
			json_ku64(&j, "requeued_unseen", detail_requeued_unseen(&w->d));
			json_key(&j, "pairs");
			json_arr_begin(&j);
			for (unsigned a = 0; a < w->s.ncpus; a++)
				for (unsigned b = 0; b < w->s.ncpus; b++) {
					uint64_t q, e, p50, p99;

					detail_pair(&w->d, a, b, &q, &e, &p50, &p99);
					if (!q && !e)
						continue;
					json_obj_begin(&j);
					json_ku64(&j, "src", a);
					json_ku64(&j, "dst", b);
					json_ku64(&j, "queued", q);
					json_ku64(&j, "executed", e);
					json_ku64(&j, "p50_ns", p50);
					json_ku64(&j, "p99_ns", p99);
					json_obj_end(&j);
				}
			json_arr_end(&j);
			json_obj_end(&j);
		}
		json_key(&j, "alerts");
		json_obj_begin(&j);
		for (int k = 0; k < AK__MAX; k++) {
			if (k == AK_NEVER_DEMUXED && !w->s.have_ipi_message)
				continue;
			json_key(&j, kind_names[k]);
			json_obj_begin(&j);
			for (int s = 0; s < AS__MAX; s++)
				json_ku64(&j, state_names[s], w->kalerts[k][s]);
			json_obj_end(&j);
		}
		json_obj_end(&j);
		json_obj_end(&j);
		json_end(&j);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipitrace watch [--threshold MS] [--rate HZ] [-d SECONDS] [--cpus LIST]\n"
"                      [--json] [--syslog[=SOCKET]] [--exec CMD] [--metrics [HOST:]PORT]\n"
"                      [--exit-on-alert] [--plain | --quiet] [--vmlinux FILE]\n\n"
"Watch every CPU for cross-CPU function calls (CSDs, irq_works, remote\n"
"wake-ups) that stay queued and unexecuted: the stuck CSD lock, seen while\n"
"it is still stuck.  Tier 1 hooks nothing per IPI: a BPF program, run\n"
"--rate times a second, reads each CPU's call_single_queue and progress\n"
"counters.  An entry that stays the oldest past --threshold while its CPU\n"
"takes no call-function IPI is stuck: an ALERT line names the target CPU,\n"
"the function, the waiting CPU where the kernel's own csd blocks tell, the\n"
"age and what the target did since.  It repeats (1 s, 2 s, 4 s ... 60 s)\n"
"while stuck, says RESOLVED after N ms when it clears, and NEVER EXECUTED\n"
"at exit if it never did.  On powerpc the muxed-IPI message bytes\n"
"(ipi_message) are watched too: one that stays set past --threshold while\n"
"its CPU takes no interrupt gives a never_demuxed alert naming the message\n"
"(CALL_FUNCTION, RESCHEDULE, TICK_BROADCAST, NMI_IPI).  `ipitrace probe`\n"
"shows which tier 1 rung this kernel gets (ksym, btf or addr) and why.\n\n"
"  -t, --threshold MS    age that makes an entry stuck (default 1000; the\n"
"                        kernel's own CSD debug check uses 5000)\n"
"  -r, --rate HZ         samples per second (default 100; 1..10000)\n"
"  -d, --duration SECS   stop after this long (default: until SIGINT/SIGTERM)\n"
"  -c, --cpus LIST       watch only these target CPUs, e.g. 0-3,8\n"
"  -j, --json            one JSON object per alert on stdout, and a summary\n"
"      --syslog[=SOCK]   send alerts to syslog (daemon facility; crit while\n"
"                        stuck, err never executed, notice resolved), via\n"
"                        /dev/log or the given datagram socket\n"
"      --exec CMD        run `sh -c CMD` per alert; IPITRACE_KIND, _STATE,\n"
"                        _TARGET_CPU, _WAITER_CPU, _FUNC, _ENTRY_TYPE, _AGE_MS\n"
"                        and _MESSAGE in its environment\n"
"      --exec-timeout S  kill the command (its process group) after S seconds\n"
"                        (default 5)\n"
"      --metrics ADDR    serve Prometheus text on [HOST:]PORT (host defaults\n"
"                        to 127.0.0.1: loopback unless you say otherwise)\n"
"      --exit-on-alert   exit with status 4 at the first alert\n"
"      --plain           one status line per second instead of the screen\n"
"  -q, --quiet           no screen and no status lines (alerts still print)\n"
"      --detail          also tier 2: hook csd:csd_queue_cpu/csd_function_entry\n"
"                        (6.5+), keep pending csds and log2 latency histograms\n"
"                        per CPU pair in the kernel; alerts then name the\n"
"                        sender and callsite.  Costs a hook per csd.\n"
"      --no-stacks       do not sample the waiter's kernel stack.  By default,\n"
"                        when an entry has been pending for half the threshold,\n"
"                        a 1 kHz cpu-clock perf event on the waiting CPU (the\n"
"                        sender, or for an on-stack csd every other responsive\n"
"                        CPU) keeps its kernel stack, so the alert names the\n"
"                        waiting task and the callsite.  Nothing is attached\n"
"                        while nothing is pending.\n"
"      --vmlinux FILE    kernel image whose symbol table gives the per-CPU\n"
"                        variables' addresses where kallsyms lacks them (no\n"
"                        KALLSYMS_ALL and no BTF: the addr rung); default\n"
"                        /boot/vmlinux-RELEASE, or IPITRACE_VMLINUX\n"
"  -v, --verbose         libbpf's messages\n\n"
"Human alert lines go to stderr.  On a terminal stdout shows a live screen\n"
"(per CPU: pending entries, age, progress); otherwise a status line per\n"
"second, unless --json or --quiet.\n\n"
"Examples:\n"
"  ipitrace watch                              live screen, default threshold\n"
"  ipitrace watch --json -q >alerts.jsonl      for a log pipeline\n"
"  ipitrace watch --threshold 500 --exit-on-alert -d 60 || echo stuck\n\n"
"Exit status: 0; 1 runtime (no syslog daemon, metrics port taken); 2 usage;\n"
"3 BPF (no privilege, no usable rung); 4 an alert with --exit-on-alert.\n"
"Needs root, or CAP_BPF + CAP_PERFMON.\n");
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "syslog", optional_argument, NULL, 'S' },
		{ "exec", required_argument, NULL, 'E' },
		{ "exec-timeout", required_argument, NULL, 'T' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "exit-on-alert", no_argument, NULL, 'x' },
		{ "plain", no_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "detail", no_argument, NULL, 'D' },
		{ "no-stacks", no_argument, NULL, 'K' },
		{ "vmlinux", required_argument, NULL, 'L' },
		{ "fault-stuck", required_argument, NULL, 'F' },
		{ "fault-drop-exec", required_argument, NULL, 'X' },
		{ "fault-waiter", required_argument, NULL, 'W' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct watch w = { .syslog_fd = -1, .metrics_fd = -1, .fault_cpu = -1, .fault_waiter = -1 };
	const char *cpus_arg = NULL, *syslog_path = NULL, *metrics_addr = NULL;
	uint64_t dur_ns = 0, rate = 100, threshold_ms = 1000, next, last_status;
	int opt, plain = 0, want_syslog = 0, ret = EXIT_OK;
	long fault_drop = -1;
	int no_stacks = 0;
	char err[640], *end;

	optind = 1;
	w.exec_timeout_ns = 5000 * MS;
	while ((opt = getopt_long(argc, argv, "t:r:d:c:jqvh", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			threshold_ms = strtoull(optarg, &end, 10);
			if (*end || !threshold_ms || threshold_ms > 3600000 || optarg[0] == '-') {
				ipt_err("bad --threshold '%s': want milliseconds, 1 to 3600000", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			rate = strtoull(optarg, &end, 10);
			if (*end || !rate || rate > 10000 || optarg[0] == '-') {
				ipt_err("bad --rate '%s': want samples per second, 1 to 10000", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_duration_ns(optarg, &dur_ns) || !dur_ns) {
				ipt_err("bad --duration '%s': want e.g. 10, 1.5, 500ms, 2s", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'T':
			if (parse_duration_ns(optarg, &w.exec_timeout_ns) || !w.exec_timeout_ns) {
				ipt_err("bad --exec-timeout '%s': want e.g. 5, 500ms", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c': cpus_arg = optarg; break;
		case 'j': w.json = 1; break;
		case 'S': want_syslog = 1; syslog_path = optarg; break;
		case 'E':
			if (!*optarg) {
				ipt_err("--exec needs a command");
				return EXIT_USAGE;
			}
			w.exec_cmd = optarg;
			break;
		case 'M': metrics_addr = optarg; break;
		case 'x': w.exit_on_alert = 1; break;
		case 'P': plain = 1; break;
		case 'q': w.quiet = 1; break;
		case 'D': w.detail_on = 1; break;
		case 'K': no_stacks = 1; break;
		case 'W': {
			unsigned long cpu = strtoul(optarg, &end, 10);

			if (end == optarg || *end || cpu >= IPT_SAMPLE_MAX_CPUS) {
				ipt_err("bad --fault-waiter '%s': want a CPU number", optarg);
				return EXIT_USAGE;
			}
			w.fault_waiter = (int)cpu;
			break;
		}
		case 'L': ipt_vmlinux = optarg; break;
		case 'X':
			fault_drop = strtol(optarg, &end, 10);
			if (end == optarg || *end || fault_drop < 0 || fault_drop >= IPT_DETAIL_MAX_CPUS) {
				ipt_err("bad --fault-drop-exec '%s': want a CPU number", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'F': {
			unsigned long cpu = strtoul(optarg, &end, 10);
			unsigned long long ms = 0;

			if (end == optarg || (*end && *end != ':') || cpu >= IPT_SAMPLE_MAX_CPUS ||
			    (*end == ':' && (!(ms = strtoull(end + 1, &end, 10)) || *end))) {
				ipt_err("bad --fault-stuck '%s': want CPU or CPU:MS", optarg);
				return EXIT_USAGE;
			}
			w.fault_cpu = (int)cpu;
			w.fault_ns = ms * MS;
			break;
		}
		case 'v': ipt_verbose++; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ipt_err("unexpected argument '%s' (see ipitrace watch --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (w.fault_waiter >= 0 && w.fault_cpu < 0) {
		ipt_err("--fault-waiter names the waiter of --fault-stuck's entry: it needs --fault-stuck");
		return EXIT_USAGE;
	}
	if (fault_drop >= 0 && !w.detail_on) {
		ipt_err("--fault-drop-exec is a tier 2 fault: it needs --detail");
		return EXIT_USAGE;
	}
	memset(w.cpus, 0xff, sizeof(w.cpus));
	if (cpus_arg) {
		unsigned n = possible_cpus();

		if (n > IPT_SAMPLE_MAX_CPUS)
			n = IPT_SAMPLE_MAX_CPUS;
		memset(w.cpus, 0, sizeof(w.cpus));
		if (parse_cpu_list(cpus_arg, w.cpus, n, err, sizeof(err))) {
			ipt_err("bad --cpus '%s': %s", cpus_arg, err);
			return EXIT_USAGE;
		}
	}
	if (want_syslog) {
		const char *p = syslog_path && *syslog_path ? syslog_path : "/dev/log";

		if (strlen(p) >= sizeof(w.syslog_addr.sun_path)) {
			ipt_err("--syslog: socket path too long");
			return EXIT_USAGE;
		}
		w.syslog_addr.sun_family = AF_UNIX;
		strcpy(w.syslog_addr.sun_path, p);
		w.syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (w.syslog_fd < 0 || connect(w.syslog_fd, (struct sockaddr *)&w.syslog_addr,
					       sizeof(w.syslog_addr))) {
			ipt_err("--syslog: cannot reach a syslog daemon at %s: %s", p, strerror(errno));
			return EXIT_FAIL;
		}
	}
	if (metrics_addr) {
		w.metrics_fd = metrics_listen(metrics_addr, err, sizeof(err));
		if (w.metrics_fd < 0) {
			ipt_err("--metrics: %s", err);
			if (w.syslog_fd >= 0)
				close(w.syslog_fd);
			return w.metrics_fd == -2 ? EXIT_FAIL : EXIT_USAGE;
		}
	}
	w.threshold_ns = threshold_ms * MS;
	w.period_ns = 1000000000ULL / rate;
	w.screen = !w.json && !plain && !w.quiet && isatty(STDOUT_FILENO);

	ret = sampler_open(&w.s, err, sizeof(err));
	if (ret) {
		ipt_err("%s", err);
		goto out;
	}
	w.ks_ok = !ksyms_load_kallsyms(&w.ks, NULL) && !w.ks.restricted;
	if (w.detail_on) {
		ret = detail_open(&w.d, w.s.ncpus, w.threshold_ns, (int)fault_drop, err, sizeof(err));
		if (ret) {
			ipt_err("%s", err);
			sampler_close(&w.s);
			ksyms_free(&w.ks);
			goto out;
		}
		if (fault_drop >= 0)
			ipt_warn("--fault-drop-exec: TEST ONLY: tier 2 ignores every csd execution on CPU %ld",
				 fault_drop);
	}
	w.cw = xcalloc(w.s.ncpus, sizeof(*w.cw));
	for (unsigned c = 0; c < w.s.ncpus; c++)
		w.cw[c].wi_cpu = -1;
	if (no_stacks)
		snprintf(w.wt.why, sizeof(w.wt.why), "off (--no-stacks)");
	else
		waiters_open(&w.wt, w.s.ncpus, w.ks_ok ? &w.ks : NULL);
	if (w.fault_cpu >= 0) {
		const struct ksym *k = w.ks_ok ? ksyms_by_name(&w.ks, "ipi_mb") : NULL;

		sampler_run(&w.s);	/* fills in which CPUs are valid */
		if ((unsigned)w.fault_cpu >= w.s.ncpus || !w.s.samples[w.fault_cpu].valid) {
			ipt_err("--fault-stuck: CPU %d is not watched", w.fault_cpu);
			ret = EXIT_USAGE;
			goto done;
		}
		w.fault_func = k ? k->addr : 0xffffffff81000000ULL;
		w.fault_behind = env_is("IPITRACE_FAULT_BEHIND", "1");
		ipt_warn("--fault-stuck: TEST ONLY: CPU %d's queue is faked as stuck%s", w.fault_cpu,
			 w.fault_ns ? " for a while" : "");
	}
	if (!w.quiet) {
		ipt_info("watching %u CPU(s): tier 1 (%s rung), %" PRIu64 " samples/s, threshold %" PRIu64
			 " ms%s", w.s.calibrated, sampler_rung_name(w.s.rung), rate, threshold_ms,
			 w.ks_ok ? "" : "; no kallsyms: functions shown as addresses");
		if (!w.wt.ok)
			ipt_info("waiter stacks: %s: alerts name the waiting CPU only where the kernel's "
				 "csd blocks tell, and no callsite without --detail", w.wt.why);
		else if (!w.wt.on_stack)
			ipt_info("waiter stacks: %s: an on-stack csd's alert names no waiter", WAITER_ON_STACK_WHY_NOT);
	}

	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	w.start_ns = mono_ns();
	next = w.start_ns;
	last_status = w.start_ns;
	while (!stop_signal) {
		uint64_t now = mono_ns();
		int timeout_ms;

		if (dur_ns && now - w.start_ns >= dur_ns)
			break;
		if (now >= next) {
			if (sampler_run(&w.s)) {
				if (!w.sample_errors++)
					ipt_warn("sampling failed: %s", strerror(errno));
			} else {
				uint64_t t = mono_ns();

				apply_fault(&w, t);
				track(&w, t);
			}
			next += w.period_ns;
			if (next < now)		/* fell behind: do not burst */
				next = now + w.period_ns;
			if (w.detail_on && now >= w.next_scan_ns) {
				/* Ten scans a second: ages to within 100 ms. */
				detail_track(&w, mono_ns());
				w.next_scan_ns = now + 100 * MS;
			}
			if (w.exit_on_alert && w.alerts[AS_STUCK]) {
				ret = EXIT_ALERT;
				break;
			}
			if (!w.quiet && !w.json && now - last_status >= 1000 * MS) {
				status(&w, now, (double)(now - last_status) / 1e9);
				last_status = now;
			}
			continue;
		}
		timeout_ms = (int)((next - now + MS - 1) / MS);
		if (w.metrics_fd >= 0) {
			struct pollfd pfd = { .fd = w.metrics_fd, .events = POLLIN };

			if (poll(&pfd, 1, timeout_ms) > 0)
				metrics_serve(&w);
		} else {
			struct timespec ts = { .tv_sec = (next - now) / 1000000000ULL,
					       .tv_nsec = (next - now) % 1000000000ULL };

			nanosleep(&ts, NULL);
		}
		if (w.exec_cmd)
			reap_kids(&w, 0);
	}
	/* Whatever is still stuck was never executed while we watched. */
	{
		uint64_t now = mono_ns();
		struct alert a;

		for (unsigned cpu = 0; cpu < w.s.ncpus; cpu++) {
			struct cpu_watch *c = &w.cw[cpu];

			if (c->oldest && c->alerted) {
				waiter_capture(&w, cpu);
				alert_fill(&w, &a, AS_NEVER, cpu, &c->stuck, c->last_ns - c->first_ns,
					   &c->last);
				emit(&w, &a);
			}
			for (unsigned k = 0; k < NMSG; k++)
				if (c->msg[k].on && c->msg[k].alerted) {
					msg_alert_fill(&w, &a, AS_NEVER, cpu, k,
						       c->msg[k].last_ns - c->msg[k].first_ns, &c->last);
					emit(&w, &a);
				}
		}
		for (unsigned k = 0; k < w.ndanoms; k++)
			detail_alert(&w, AS_NEVER, &w.danoms[k], now);
		if (w.screen)
			status(&w, now, (double)(now - last_status) / 1e9);
		summary(&w, now);
	}
	if (w.exec_cmd) {
		/* Give running commands their time limit, then stop them. */
		uint64_t until = mono_ns() + w.exec_timeout_ns;
		int left = 1;

		while (left && mono_ns() < until) {
			left = 0;
			reap_kids(&w, 0);
			for (unsigned i = 0; i < sizeof(w.kids) / sizeof(w.kids[0]); i++)
				left |= w.kids[i].pid != 0;
			if (left)
				usleep(10000);
		}
		reap_kids(&w, 1);
	}
	if (stop_signal && !w.quiet)
		ipt_info("stopped by signal %d; detached", (int)stop_signal);
done:
	waiters_close(&w.wt);
	if (w.detail_on)
		detail_close(&w.d);
	sampler_close(&w.s);
	free(w.cw);
	ksyms_free(&w.ks);
out:
	if (w.syslog_fd >= 0)
		close(w.syslog_fd);
	if (w.metrics_fd >= 0)
		close(w.metrics_fd);
	return ret;
}
