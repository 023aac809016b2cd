/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the waiter sampler (bpf/waiter.bpf.c) leaves for userspace, per CPU,
 * in its global data.  Fixed-width types only. */
#ifndef IPITRACE_WAITER_H
#define IPITRACE_WAITER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IPT_WAITER_MAX_CPUS	256
#define IPT_WAITER_FRAMES	24
#define IPT_WAITER_SLOTS	4	/* the last samples of each CPU */
#define IPT_WAITER_RANGES	8	/* kernel/smp.c functions, by address */

struct ipt_waiter_sample {
	__u64 ts;			/* bpf_ktime_get_ns() of the sample */
	__u64 stack_base;		/* the interrupted task's kernel stack */
	__u64 ips[IPT_WAITER_FRAMES];	/* its kernel stack, innermost first */
	__u32 nr;			/* frames in ips */
	__u32 pid;			/* the interrupted task (thread id) */
	char comm[16];
};

struct ipt_waiter_cpu {
	__u64 seq;			/* samples taken; the newest is in
					 * slot (seq - 1) % IPT_WAITER_SLOTS */
	__u64 hit_seq;			/* samples kept in hit */
	struct ipt_waiter_sample slot[IPT_WAITER_SLOTS];
	/* The newest sample whose stack passes through one of the smp.c
	 * functions userspace named: on a CPU shared with other tasks the
	 * last few ticks may all be someone else's. */
	struct ipt_waiter_sample hit;
};

#endif
