// SPDX-License-Identifier: GPL-2.0
/*
 * ipistorm - generate known inter-processor interrupts (IPIs) on demand.
 *
 * Workload generator for the ipitrace tests.  A driver thread pinned to
 * CPU c repeatedly makes the kernel send IPIs to a partner thread pinned to
 * CPU t, for a fixed duration, then prints one machine-readable line:
 *
 *   ipistorm: mode=membarrier ops=123456 seconds=3.000 rate=41152/s cpu=0 partner=1
 *
 * Portable Linux C (no arch-specific code): build with
 *   gcc -O2 -Wall -Wextra -Werror -pthread -o ipistorm tests/ipistorm.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum mode { M_MEMBARRIER, M_TLB, M_WAKEUP, M_ALL };
static const char *const mode_names[] = { "membarrier", "tlb", "wakeup", "all" };

/* How many ops between two clock reads / stop-flag checks in the driver. */
#define CHECK_EVERY 64
/* Futex sleeps are bounded so a lost wake-up can never hang shutdown. */
#define FUTEX_TIMEOUT_NS (10 * 1000 * 1000L)
/* How long the driver waits for the partner to show up on its CPU. */
#define READY_TIMEOUT_S 2.0

/* Set from the SIGINT/SIGTERM handler; polled by the driver loops. */
static atomic_int g_signalled;

struct run {
	enum mode mode;
	int cpu, partner;
	atomic_int stop;   /* driver -> partner: finish now */
	atomic_int ready;  /* partner -> driver: 1 = on its CPU, -1 = failed */
	int err;           /* errno of the partner's failure (ready == -1) */
	volatile char *page; /* tlb: the page whose mapping is changed */
	size_t pagesz;
	uint32_t turn;     /* wakeup: futex word, 1 = partner's turn, 0 = driver's */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipistorm [-d SECONDS] [-c CPU] [-t CPU] [-q] MODE\n"
"\n"
"Generate inter-processor interrupts from a driver thread on CPU c to a\n"
"partner thread on CPU t, then print one summary line per mode on stdout:\n"
"  ipistorm: mode=M ops=N seconds=S rate=R/s cpu=C partner=T\n"
"\n"
"MODE:\n"
"  membarrier  partner spins on CPU t; driver loops on\n"
"              membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED).  Each call makes\n"
"              the kernel run a synchronous cross-CPU function call on every\n"
"              other CPU running this process: one function-call IPI (CAL)\n"
"              to CPU t per op.\n"
"  tlb         partner spins reading a shared page on CPU t; driver flips\n"
"              that page between PROT_READ and PROT_READ|PROT_WRITE with\n"
"              mprotect().  Each protection change of a present page forces\n"
"              a TLB shootdown IPI (TLB) to CPU t.  One op = one mprotect.\n"
"  wakeup      driver and partner ping-pong through a futex, each sleeping\n"
"              in FUTEX_WAIT until the other wakes it.  Waking a task that\n"
"              sleeps on another CPU typically sends a reschedule IPI (RES)\n"
"              or a queued-wakeup function call (CAL).  One op = one round\n"
"              trip (two cross-CPU wake-ups).\n"
"  all         membarrier, tlb and wakeup one after another, each for the\n"
"              full duration (one summary line each).\n"
"\n"
"options:\n"
"  -d SECONDS  duration per mode (default 3; fractions allowed, e.g. 0.5)\n"
"  -c CPU      CPU of the driving thread (default 0)\n"
"  -t CPU      CPU of the partner thread (default (c+1) %% online CPUs)\n"
"  -q          quiet: print only the summary line(s)\n"
"  -h, --help  show this help\n"
"\n"
"For membarrier and tlb, ops equals the IPIs sent only while the partner\n"
"owns CPU t: whenever another task runs there, the kernel skips CPU t.\n"
"SIGINT/SIGTERM stop early; the summary still shows the real elapsed time.\n"
"Exit status: 0 ok, 1 system call failure, 2 bad usage.\n");
}

static void __attribute__((noreturn)) die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "ipistorm: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'ipistorm --help' for more information.\n");
	exit(2);
}

/* One-line message naming the failed call, then exit 1. */
static void __attribute__((noreturn)) die_sys(const char *what, int err)
{
	fprintf(stderr, "ipistorm: %s: %s%s\n", what, strerror(err),
		err == EINVAL && strncmp(what, "sched_setaffinity", 17) == 0 ?
		" (CPU not online or not allowed?)" : "");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set); /* 0 = calling thread */
}

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static void futex_wait(uint32_t *word, uint32_t val)
{
	struct timespec ts = { 0, FUTEX_TIMEOUT_NS };

	/* EAGAIN (value changed), EINTR and ETIMEDOUT all mean "re-check". */
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int stopping(struct run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed);
}

static void *partner_main(void *arg)
{
	struct run *r = arg;

	if (pin_self(r->partner) != 0) {
		r->err = errno;
		atomic_store(&r->ready, -1);
		return NULL;
	}
	/* The affinity change migrates us right away; confirm before telling
	 * the driver to start, so no op is counted before we are on CPU t. */
	while (sched_getcpu() != r->partner && !stopping(r))
		sched_yield();
	atomic_store(&r->ready, 1);

	switch (r->mode) {
	case M_MEMBARRIER:
		/* Must stay on-CPU: membarrier only IPIs CPUs whose current
		 * task uses this mm.  If the partner slept (or another task
		 * preempts it on a busy CPU t) the call sends no IPI at all. */
		while (!stopping(r))
			;
		break;
	case M_TLB:
		/* Same reason: flushes only IPI CPUs that currently have our mm
		 * loaded (not idle, not running another process).  Reading the
		 * page also keeps its translation in CPU t's TLB. */
		while (!stopping(r))
			(void)r->page[0];
		break;
	case M_WAKEUP:
		/* Sleep until it is our turn, hand the turn back, wake the driver.
		 * Timed waits + the stop flag make shutdown deadlock-free. */
		for (;;) {
			while (__atomic_load_n(&r->turn, __ATOMIC_ACQUIRE) != 1) {
				if (stopping(r))
					return NULL;
				futex_wait(&r->turn, 0);
			}
			if (stopping(r))
				return NULL;
			__atomic_store_n(&r->turn, 0, __ATOMIC_RELEASE);
			futex_wake(&r->turn);
		}
	case M_ALL:
		break;
	}
	return NULL;
}

/* Run one mode; prints its summary line.  Returns 0, or -1 if interrupted. */
static int run_mode(enum mode mode, int cpu, int partner, double duration,
		    int quiet)
{
	struct run r = { .mode = mode, .cpu = cpu, .partner = partner };
	long long ops = 0;
	pthread_t th;
	sigset_t all, old;
	char what[64];
	int err;

	if (mode == M_MEMBARRIER) {
		long cmds = membarrier(MEMBARRIER_CMD_QUERY);

		if (cmds < 0)
			die_sys("membarrier(MEMBARRIER_CMD_QUERY)", errno);
		if (!(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
			die_sys("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)", ENOSYS);
		if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) < 0)
			die_sys("membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)",
				errno);
	} else if (mode == M_TLB) {
		r.pagesz = (size_t)sysconf(_SC_PAGESIZE);
		r.page = mmap(NULL, r.pagesz, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r.page == MAP_FAILED)
			die_sys("mmap", errno);
		r.page[0] = 1; /* fault it in: a flush needs a present PTE */
	}

	/* Signals go to the driver, so its futex waits see EINTR promptly. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&th, NULL, partner_main, &r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		die_sys("pthread_create", err);

	/* Wait for the partner to be on CPU t before starting the clock. */
	double t0 = now();
	while (atomic_load(&r.ready) == 0 && !atomic_load(&g_signalled)) {
		if (now() - t0 > READY_TIMEOUT_S) {
			fprintf(stderr, "ipistorm: partner thread did not get onto CPU %d within %.0f s\n",
				partner, READY_TIMEOUT_S);
			exit(1);
		}
		usleep(1000);
	}
	if (atomic_load(&r.ready) < 0) {
		snprintf(what, sizeof(what), "sched_setaffinity(CPU %d)", partner);
		die_sys(what, r.err);
	}

	if (!quiet)
		fprintf(stderr, "ipistorm: mode=%s: driver on CPU %d, partner on CPU %d, %.3f s\n",
			mode_names[mode], cpu, partner, duration);

	double start = now(), deadline = start + duration;

	while (!atomic_load_explicit(&g_signalled, memory_order_relaxed)) {
		/* ops advances by 2 per tlb iteration: CHECK_EVERY is even. */
		if (ops % CHECK_EVERY == 0 && now() >= deadline)
			break;
		if (mode == M_MEMBARRIER) {
			if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) < 0)
				die_sys("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)", errno);
		} else if (mode == M_TLB) {
			/* Changing the protection of a present PTE makes the
			 * kernel flush it on every CPU running this mm: one
			 * shootdown IPI to CPU t per mprotect (= one op each). */
			r.page[0]++;
			if (mprotect((void *)r.page, r.pagesz, PROT_READ) < 0)
				die_sys("mprotect(PROT_READ)", errno);
			ops++;
			if (mprotect((void *)r.page, r.pagesz, PROT_READ | PROT_WRITE) < 0)
				die_sys("mprotect(PROT_READ|PROT_WRITE)", errno);
		} else {
			/* Hand the turn to the partner and sleep until it is back. */
			__atomic_store_n(&r.turn, 1, __ATOMIC_RELEASE);
			futex_wake(&r.turn);
			while (__atomic_load_n(&r.turn, __ATOMIC_ACQUIRE) == 1) {
				if (atomic_load(&g_signalled) || now() >= deadline)
					goto done; /* unfinished round trip: not counted */
				futex_wait(&r.turn, 1);
			}
		}
		ops++;
	}
done:;
	double secs = now() - start;

	atomic_store(&r.stop, 1);
	futex_wake(&r.turn); /* in case the partner sleeps in FUTEX_WAIT */
	pthread_join(th, NULL);
	if (r.page)
		munmap((void *)r.page, r.pagesz);

	printf("ipistorm: mode=%s ops=%lld seconds=%.3f rate=%.0f/s cpu=%d partner=%d\n",
	       mode_names[mode], ops, secs, secs > 0 ? ops / secs : 0.0, cpu, partner);
	fflush(stdout);
	return atomic_load(&g_signalled) ? -1 : 0;
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&g_signalled, 1);
}

static int parse_cpu(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v >= CPU_SETSIZE)
		die_usage("invalid CPU number '%s'", s);
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double duration = 3.0;
	int cpu = 0, partner = -1, quiet = 0, opt;
	enum mode mode;
	char *end;

	while ((opt = getopt_long(argc, argv, "d:c:t:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			errno = 0;
			duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(duration) ||
			    duration <= 0 || duration > 1e6)
				die_usage("invalid duration '%s' (want seconds > 0)", optarg);
			break;
		case 'c':
			cpu = parse_cpu(optarg);
			break;
		case 't':
			partner = parse_cpu(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'ipistorm --help' for more information.\n");
			return 2;
		}
	}
	if (optind != argc - 1)
		die_usage("%s", optind >= argc ? "missing MODE" : "too many arguments");
	for (mode = 0; mode <= M_ALL; mode++)
		if (strcmp(argv[optind], mode_names[mode]) == 0)
			break;
	if (mode > M_ALL)
		die_usage("unknown mode '%s' (membarrier, tlb, wakeup or all)", argv[optind]);

	if (partner < 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		partner = n > 0 ? (int)((cpu + 1) % n) : cpu;
	}
	if (partner == cpu)
		die_usage("%s", "driver and partner CPU must differ (need 2 CPUs; use -c/-t)");

	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Pin the driver (this thread); partners pin themselves. */
	if (pin_self(cpu) != 0) {
		char what[64];

		snprintf(what, sizeof(what), "sched_setaffinity(CPU %d)", cpu);
		die_sys(what, errno);
	}

	/* An interrupted run still exits 0: its summary line is valid. */
	if (mode != M_ALL) {
		run_mode(mode, cpu, partner, duration, quiet);
		return 0;
	}
	for (enum mode m = M_MEMBARRIER; m < M_ALL; m++)
		if (run_mode(m, cpu, partner, duration, quiet) < 0)
			break; /* interrupted: skip the remaining modes */
	return 0;
}
