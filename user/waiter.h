/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The waiter sampler of `watch` (bpf/waiter.bpf.c): when tier 1 sees an
 * entry pending for half the threshold, sample the kernel stack of the CPU
 * that waits for it, with a software cpu-clock perf event on that CPU only,
 * to name the waiting task and the callsite at the alert.  Nothing is
 * attached while nothing is pending.
 */
#ifndef IPT_WAITER_H
#define IPT_WAITER_H

#include <stdint.h>
#include <stddef.h>

#include "ipitrace/waiter.h"
#include "ksym.h"

struct waiters {
	int ok;				/* loaded: arming possible */
	char why[256];			/* why not, when !ok */
	int on_stack;			/* on-stack csds' waiters can be found */
	void *skel;			/* struct waiter_bpf */
	unsigned ncpus;
	int *pfd;			/* perf event fd per CPU, -1: not armed */
	struct bpf_link **links;
	uint64_t armed_total;		/* perf events opened over the run */
	uint64_t arm_errors;
	char last_err[160];
};

/* What one CPU's samples say. */
struct waiter_info {
	int have;			/* a sample was taken since arming */
	uint32_t pid;
	char comm[16];
	int owns;			/* the csd lies in this task's kernel stack */
	int in_smp;			/* its stack is in kernel/smp.c's callers */
	char callsite[160];		/* the frame that called into smp.c */
	char stack[512];		/* innermost frames, " < "-separated */
	unsigned nr;
	uint64_t ips[IPT_WAITER_FRAMES];
};

/* Offset of task_struct.stack in the running kernel, from its BTF; 0
 * without BTF (then an on-stack csd's waiter cannot be found). */
uint32_t waiter_task_stack_off(void);
#define WAITER_ON_STACK_WHY_NOT "the waiter of an on-stack csd is found by its kernel stack, whose " \
	"place in task_struct needs kernel BTF (/sys/kernel/btf/vmlinux)"

/* Load (never attach).  0, or -1 with w->why set: watch goes on without. */
int waiters_open(struct waiters *w, unsigned ncpus, const struct ksyms *ks);
/* Sample `cpu` from now on (1 kHz): 0, or -errno (w->last_err says why). */
int waiters_arm(struct waiters *w, unsigned cpu);
int waiters_armed(const struct waiters *w, unsigned cpu);
void waiters_disarm(struct waiters *w, unsigned cpu);
void waiters_close(struct waiters *w);
/* Read cpu's latest sample, judged against csd (the stuck entry). */
void waiters_read(const struct waiters *w, unsigned cpu, uint64_t csd,
		  const struct ksyms *ks, int ks_ok, struct waiter_info *out);

#endif
