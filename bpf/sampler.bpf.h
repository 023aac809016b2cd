/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Tier 1 of `watch`: sample kernel state, hook nothing per IPI.
 *
 * One program, run from userspace with BPF_PROG_TEST_RUN (never attached):
 * for every CPU it reads the per-CPU `call_single_queue` (the llist of csds,
 * irq_works and wake-ups waiting for that CPU), walks it to the oldest entry
 * (llist_add() pushes at the head, so the oldest is the tail), reads the
 * CPU's progress counters and, on powerpc, its muxed-IPI message word.
 * Userspace keeps the ages: an entry or a message that stays pending past
 * the threshold while the CPU makes no progress is stuck.
 *
 * How the per-CPU variables are reached is the rung (user/sampler.c):
 *   sampler_ksym.bpf.c  typed __ksym + bpf_per_cpu_ptr(): needs the variable
 *                       in /proc/kallsyms (CONFIG_KALLSYMS_ALL)
 *   sampler.bpf.c       per-CPU bases found once per CPU from the running
 *                       task's runqueue (BPF_F_TEST_RUN_ON_CPU), offsets
 *                       from BTF's .data..percpu DATASEC (no KALLSYMS_ALL)
 *   sampler_addr.bpf.c  no kernel BTF and no KALLSYMS_ALL (Debian 12
 *                       ppc64le): link addresses from the kernel image's
 *                       symbol table, bases from __per_cpu_offset[]
 * All end with the same thing: base[cpu], and every variable at
 * base[cpu] + its offset.  Everything is read with bpf_probe_read_kernel():
 * the queue changes under us, a torn read is only a sample that the next one
 * corrects.
 *
 * No bpf_loop(): Debian 12's ppc64le kernel runs BPF in the interpreter (no
 * CONFIG_BPF_JIT_DEFAULT_ON), which refuses callbacks ("callbacks are not
 * allowed in non-JITed programs", measured).  A bounded loop calls a global
 * function per CPU instead: the verifier checks that function once, and the
 * interpreter runs BPF-to-BPF calls.
 */
#ifndef IPITRACE_SAMPLER_BPF_H
#define IPITRACE_SAMPLER_BPF_H

/* x86's irq_cpustat_t counters, as a CO-RE flavour: other architectures'
 * vmlinux.h (and kernels) have a different irq_cpustat_t. */
typedef struct {
	unsigned int irq_call_count;
	unsigned int apic_timer_irqs;
} __attribute__((preserve_access_index)) irq_cpustat_t___x86;

/* powerpc's irq_cpustat_t (arch/powerpc/include/asm/hardirq.h): the same
 * fields at the same offsets in 6.1 and 6.12 (both Debian configs have
 * PPC_WATCHDOG and PPC_DOORBELL, which decide soft_nmi_irqs and
 * doorbell_irqs).  timer_irqs_event is the first LOC row of
 * /proc/interrupts, doorbell_irqs its DBL row. */
typedef struct {
	unsigned int timer_irqs_event;
	unsigned int doorbell_irqs;
} __attribute__((preserve_access_index)) irq_cpustat_t___ppc;

/* include/linux/kernel_stat.h: irqs_sum first, on every architecture and
 * version; counted by kstat_incr_irqs_this_cpu() for every interrupt the
 * generic irq layer handles (not x86's system vectors). */
struct kernel_stat___ipt {
	unsigned long irqs_sum;
} __attribute__((preserve_access_index));

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "ipitrace/sample.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load, from the running kernel's BTF (never
 * hard-coded: they differ per build). */
const volatile __u32 nr_cpus = 1;
const volatile __u64 off_csq = 0;		/* call_single_queue */
const volatile __u64 off_runqueues = 0;		/* runqueues (struct rq) */
const volatile __u64 off_irq_stat = 0;		/* irq_stat (x86, powerpc), or NO_OFF */
const volatile __u64 off_cfd_data = 0;		/* cfd_data, or NO_OFF */
const volatile __u64 off_csd_data = 0;		/* csd_data, or NO_OFF */
const volatile __u64 off_kstat = 0;		/* kstat, or NO_OFF */
const volatile __u64 off_ipi_message = 0;	/* powerpc ipi_message, or NO_OFF */
/* What base[cpu] exceeds __per_cpu_offset[cpu] by: the per-CPU section's
 * link address where the offsets are DATASEC offsets (ksym and btf rungs:
 * 0 on x86-64, __per_cpu_start on powerpc), 0 where they are link
 * addresses (addr rung).  Only to report the true per-CPU offset, which
 * the senders' per-CPU csd pointers are relative to. */
const volatile __u64 pcpu_start = 0;
#define NO_OFF (~0ULL)

struct ipt_sample samples[IPT_SAMPLE_MAX_CPUS];
__u64 bases[IPT_SAMPLE_MAX_CPUS];
__u64 runs;

/* CSD_TYPE_* (include/linux/smp_types.h, since 5.8 8c4890d1c335
 * "smp, irq_work: Continue smp_call_function*() and irq_work*()
 * integration"): bits 4-5 of the node's flags. */
#define CSD_FLAG_LOCK		0x01
#define CSD_TYPE_MASK		0x30
#define CSD_TYPE_SYNC		0x10
#define CSD_TYPE_TTWU		0x30

/* Older kernels (6.1 measured: CO-RE finds no call_function_data.csd)
 * keep the per-target csd as the first member of struct cfd_percpu,
 * reached through `pcpu`; 6.18 has `csd` directly.  Either pointer plus the
 * target's per-CPU base is the csd's address. */
struct call_function_data___pcpu {
	void *pcpu;
};

static __always_inline __u64 rd64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u32 rd32(__u64 addr)
{
	__u32 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (void *)addr);
	return v;
}

/* A queued csd somebody spins on (smp_call_function*(wait=1)). */
static __always_inline int is_sync_csd(__u64 node, __u64 off_flags)
{
	return (rd32(node + off_flags) & CSD_TYPE_MASK) == CSD_TYPE_SYNC;
}

/* Global (verified once, whatever the number of CPUs), not static. */
__noinline int sample_cpu(__u32 cpu)
{
	struct ipt_sample *s;
	__u64 base, head, node, next, sync = 0;
	__u64 off_flags = bpf_core_field_offset(struct __call_single_node, u_flags);
	__u32 depth = 0;

	if (cpu >= IPT_SAMPLE_MAX_CPUS || cpu >= nr_cpus)
		return 1;
	/* Restate the bound after hiding cpu from clang, which otherwise
	 * drops the check the verifier needs (see emit.bpf.h). */
	barrier_var(cpu);
	cpu &= IPT_SAMPLE_MAX_CPUS - 1;
	s = &samples[cpu];
	base = bases[cpu];
	if (!base) {
		s->valid = 0;
		return 0;
	}
	head = rd64(base + off_csq);
	s->head = head;
	node = head;
	if (head) {
		depth = 1;
		/* The walk goes newest to oldest: the last synchronous csd
		 * seen is the oldest one.  An alert names it rather than an
		 * older wake-up or async csd ahead of it: somebody spins in
		 * csd_lock_wait() for it (seen in the ppc64le 6.12 guest: a
		 * wake-up of rcu_sched queued just before membarrier's csd
		 * when the vCPU froze). */
		if (is_sync_csd(node, off_flags))
			sync = node;
		for (int i = 0; i < IPT_SAMPLE_MAX_WALK; i++) {
			next = rd64(node);	/* llist_node.next is first */
			if (!next)
				break;
			node = next;
			depth++;
			if (is_sync_csd(node, off_flags))
				sync = node;
		}
	}
	s->depth = depth;
	s->oldest = head ? node : 0;
	s->sync = sync;
	s->sync_func = sync ? rd64(sync + bpf_core_field_offset(struct __call_single_data, func)) : 0;
	s->flags = 0;
	s->func = 0;
	s->info = 0;
	s->pid = 0;
	if (head) {
		s->flags = rd32(node + off_flags);
		if ((s->flags & CSD_TYPE_MASK) == CSD_TYPE_TTWU) {
#ifndef IPT_SAMPLER_NO_KERNEL_BTF
			/* A wake-up: the node is task_struct.wake_entry
			 * (since 5.8 a1488664dad4).  Name the task. */
			__u64 task = node - bpf_core_field_offset(struct task_struct, wake_entry);

			s->pid = rd32(task + bpf_core_field_offset(struct task_struct, pid));
			bpf_probe_read_kernel(s->comm, sizeof(s->comm),
					      (void *)(task + bpf_core_field_offset(struct task_struct, comm)));
#endif
			/* Without kernel BTF the task's layout is unknown: the
			 * wake-up is reported without its task. */
		} else {
			/* struct __call_single_data and struct irq_work both
			 * have the function pointer right after the node. */
			s->func = rd64(node + bpf_core_field_offset(struct __call_single_data, func));
			s->info = rd64(node + bpf_core_field_offset(struct __call_single_data, info));
		}
	}
#ifdef IPT_SAMPLER_NO_KERNEL_BTF
	s->nr_switches = ~0ULL;
#else
	s->nr_switches = rd64(base + off_runqueues + bpf_core_field_offset(struct rq, nr_switches));
#endif
	s->irq_calls = ~0ULL;
	s->timer_irqs = ~0ULL;
	s->doorbells = ~0ULL;
	if (off_irq_stat != NO_OFF) {
		if (bpf_core_field_exists(irq_cpustat_t___ppc, timer_irqs_event))
			s->timer_irqs = rd32(base + off_irq_stat +
					     bpf_core_field_offset(irq_cpustat_t___ppc, timer_irqs_event));
		if (bpf_core_field_exists(irq_cpustat_t___ppc, doorbell_irqs))
			s->doorbells = rd32(base + off_irq_stat +
					    bpf_core_field_offset(irq_cpustat_t___ppc, doorbell_irqs));
		if (bpf_core_field_exists(irq_cpustat_t___x86, irq_call_count))
			s->irq_calls = rd32(base + off_irq_stat +
					    bpf_core_field_offset(irq_cpustat_t___x86, irq_call_count));
		if (bpf_core_field_exists(irq_cpustat_t___x86, apic_timer_irqs))
			s->timer_irqs = rd32(base + off_irq_stat +
					     bpf_core_field_offset(irq_cpustat_t___x86, apic_timer_irqs));
	}
	/* The csds this CPU sends with: cfd_data.csd is itself a per-CPU
	 * pointer (one csd per target), csd_data one csd.  Userspace matches
	 * a stuck entry's address against them to name the waiter. */
	s->cfd_csd = 0;
	if (off_cfd_data != NO_OFF) {
		if (bpf_core_field_exists(struct call_function_data, csd))
			s->cfd_csd = rd64(base + off_cfd_data +
					  bpf_core_field_offset(struct call_function_data, csd));
		else if (bpf_core_field_exists(struct call_function_data___pcpu, pcpu))
			s->cfd_csd = rd64(base + off_cfd_data +
					  bpf_core_field_offset(struct call_function_data___pcpu, pcpu));
	}
	s->csd_data = off_csd_data != NO_OFF ? base + off_csd_data : 0;
	s->irqs_sum = off_kstat != NO_OFF ?
		rd64(base + off_kstat + bpf_core_field_offset(struct kernel_stat___ipt, irqs_sum)) : ~0ULL;
	/* powerpc muxed IPIs: struct cpu_messages is one long, byte k set by
	 * smp_muxed_ipi_set_message(cpu, k) and the whole word taken by
	 * smp_ipi_demux_relaxed()'s xchg (arch/powerpc/kernel/smp.c, 6.1 and
	 * 6.12 alike).  Copied as it lies in memory: byte k is message k on
	 * either endianness. */
	s->ipi_msgs = ~0ULL;
	if (off_ipi_message != NO_OFF)
		bpf_probe_read_kernel(&s->ipi_msgs, sizeof(s->ipi_msgs), (void *)(base + off_ipi_message));
	s->base = base - pcpu_start;
	s->valid = 1;
	return 0;
}

/* Every CPU's state, read from whichever CPU runs this. */
static __always_inline int do_sample(void)
{
	for (__u32 cpu = 0; cpu < IPT_SAMPLE_MAX_CPUS; cpu++) {
		if (cpu >= nr_cpus)
			break;
		sample_cpu(cpu);
	}
	runs++;
	return 0;
}

#endif
