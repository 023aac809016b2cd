/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the tier 1 sampler (bpf/sampler*.bpf.c) leaves for userspace, per
 * CPU, in its global data.  Fixed-width types only. */
#ifndef IPITRACE_SAMPLE_H
#define IPITRACE_SAMPLE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* userspace; BPF gets the types from vmlinux.h */
#endif

#define IPT_SAMPLE_MAX_CPUS	256
/* Entries walked per queue; a longer queue reports this depth and the
 * entry reached as "oldest" (a longer backlog is itself news). */
#define IPT_SAMPLE_MAX_WALK	64

struct ipt_sample {
	__u64 head;		/* newest entry (llist head), 0 = queue empty */
	__u64 oldest;		/* last entry reached in the walk */
	__u64 func;		/* oldest entry's function (csd, irq_work) */
	__u64 info;		/* its argument */
	__u64 nr_switches;	/* rq->nr_switches: progress */
	__u64 irq_calls;	/* x86 irq_stat.irq_call_count, ~0 if none */
	__u64 timer_irqs;	/* x86 irq_stat.apic_timer_irqs, powerpc
				 * irq_stat.timer_irqs_event; ~0 if none */
	__u64 cfd_csd;		/* this CPU's cfd_data.csd (a per-CPU pointer) */
	__u64 csd_data;		/* address of this CPU's csd_data */
	__u64 base;		/* this CPU's per-CPU offset (__per_cpu_offset[cpu]) */
	__u64 irqs_sum;		/* kstat.irqs_sum: interrupts handled through the
				 * generic irq layer (powerpc's XIVE/XICS IPIs
				 * among them), ~0 if unknown */
	__u64 ipi_msgs;		/* powerpc: the ipi_message word as it lies in
				 * memory (byte k = message k), ~0 if unknown */
	__u64 doorbells;	/* powerpc irq_stat.doorbell_irqs, ~0 if none */
	__u64 sync;		/* the oldest synchronous csd walked (a caller
				 * spins on it), 0 = none; may be `oldest` */
	__u64 sync_func;	/* its function */
	__u32 flags;		/* oldest entry's CSD flags (type in bits 4-5) */
	__u32 depth;		/* entries in the queue (capped) */
	__u32 pid;		/* wake-up entry: the task */
	__u32 rq_cpu;		/* calibration check: rq->cpu */
	__u32 valid;
	__u32 pad;
	char comm[16];
};

#endif
