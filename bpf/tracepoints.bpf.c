// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tracepoint hook family: the kernel's own ipi:*, csd:*, x86 irq_vectors:*
 * and sched:sched_wake_idle_without_ipi tracepoints.
 *
 * Every tracepoint has two programs, btf_<tp> (tp_btf) and raw_<tp>
 * (raw_tp).  Userspace (user/ladder.c) trial-loads each flavour and keeps the
 * first that the running kernel accepts, switching the others off with
 * bpf_program__set_autoload().  tp_btf is cheaper to write against but the
 * verifier refuses to let it read a function-pointer argument (measured on
 * 6.18: "arg0 type FUNC_PROTO is not a struct" for csd_function_entry), so
 * for csd:* the ladder lands on raw_tp, which sees every argument as a u64.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "emit.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Address of generic_smp_call_function_single_interrupt, the callback that
 * kernel/smp.c passes to trace_ipi_send_cpu{,mask}() for call-function IPIs
 * since 6.5 (commit 68e2d17c9eb3 "trace: Add trace_ipi_send_cpu()").  Set from
 * kallsyms; 0 when unknown (kptr_restrict), and call-function sends are then
 * reported as OTHER, which the correlator never calls lost. */
const volatile __u64 addr_call_func_ipi = 0;
/* Bounds the cpumask walk in ipi_send_cpumask. */
const volatile __u32 nr_cpu_ids = 64;

static __always_inline __u32 send_kind(__u32 dst, __u64 callback)
{
	/* smp_send_reschedule() traces with a NULL callback (6.5+). */
	if (!callback)
		return IPT_MSG_RESCHEDULE;
	if (addr_call_func_ipi && callback == addr_call_func_ipi)
		return IPT_MSG_CALL_FUNCTION;
	/* irq_work_raise() is the one self-IPI that passes a callback. */
	if (dst == bpf_get_smp_processor_id())
		return IPT_MSG_IRQ_WORK;
	return IPT_MSG_OTHER;
}

static __always_inline int on_send_cpu(__u32 cpu, __u64 callsite, __u64 cb)
{
	return ipt_emit(IPT_EV_SEND, cpu, send_kind(cpu, cb), cb, callsite, 0);
}

/*
 * One SEND per CPU in the mask, all with the same timestamp.  The bits are
 * walked with bpf_loop() (5.17+; every kernel with ipi_send_cpumask has it),
 * one CPU per callback: the callback is verified once.  A plain loop, even a
 * 64-bit inner one with a data-dependent branch, is past the verifier's
 * complexity limit (E2BIG, measured on 6.18).  Words are read with
 * bpf_probe_read_kernel() because a variable offset into a BTF pointer is
 * not allowed.
 */
struct mask_walk {
	__u64 mask;	/* const struct cpumask *, as a plain scalar */
	__u64 ts;
	__u64 callsite;
	__u64 cb;
	__u64 word;	/* the 64 bits that hold the current CPU */
	__u32 kind;	/* IPT_MSG_*, or KIND_FROM_CB: classify by callback */
};

#define KIND_FROM_CB 0xff

static long mask_bit(__u32 cpu, void *data)
{
	struct mask_walk *mw = data;

	if ((cpu & 63) == 0 &&
	    bpf_probe_read_kernel(&mw->word, sizeof(mw->word),
				  (void *)(mw->mask + (cpu / 64) * 8)))
		return 1;
	if (mw->word & (1ULL << (cpu & 63)))
		ipt_emit_at(mw->ts, IPT_EV_SEND, cpu,
			    mw->kind == KIND_FROM_CB ? send_kind(cpu, mw->cb) : mw->kind,
			    mw->cb, mw->callsite, 0);
	return 0;
}

static __always_inline int on_send_mask(const struct cpumask *mask,
					__u64 callsite, __u64 cb, __u32 kind)
{
	struct mask_walk mw = {
		.mask = (__u64)mask,
		.ts = bpf_ktime_get_ns(),
		.callsite = callsite,
		.cb = cb,
		.kind = kind,
	};

	bpf_loop(nr_cpu_ids, mask_bit, &mw, 0);
	return 0;
}

static __always_inline __u32 csd_type(struct __call_single_data *csd)
{
	/* u_flags since 5.10 (545b8c8df41f "smp: Cleanup
	 * smp_call_function*()"); before, the type bits lived in ->flags. */
	if (!csd || !bpf_core_field_exists(csd->node.u_flags))
		return IPT_CSD_TYPE_UNKNOWN;
	return BPF_CORE_READ(csd, node.u_flags) & IPT_CSD_TYPE_MASK;
}
/* (A TTWU or irq_work node is a struct __call_single_node at offset 0 of
 * its owner, as in a csd, so csd_type() reads its type too.) */

/* Both flavours of one tracepoint from one body. */
#define IPT_TP2(tp, call, ...)						\
	SEC("tp_btf/" #tp) int BPF_PROG(btf_##tp, __VA_ARGS__)		\
	{ return call; }						\
	SEC("raw_tp/" #tp) int BPF_PROG(raw_##tp, __VA_ARGS__)		\
	{ return call; }

/* ipi:* (6.4+; from 6.5 they fire only for IPIs actually sent). */
IPT_TP2(ipi_send_cpu, on_send_cpu(cpu, callsite, (__u64)callback),
	unsigned int cpu, unsigned long callsite, void *callback)
IPT_TP2(ipi_send_cpumask, on_send_mask(mask, callsite, (__u64)callback, KIND_FROM_CB),
	const struct cpumask *mask, unsigned long callsite, void *callback)

/* csd:* (6.5+, commit bf5a8c26ad7c "trace,smp: Add tracepoints for
 * scheduling remotelly executed CSDs").  For CSD_TYPE_TTWU the tracepoint
 * already reports func as sched_ttwu_pending. */
IPT_TP2(csd_queue_cpu,
	ipt_emit(IPT_EV_CSD_QUEUE, cpu, csd_type(csd), (__u64)func, callsite,
		 (__u64)csd),
	unsigned int cpu, unsigned long callsite, void *func,
	struct __call_single_data *csd)
IPT_TP2(csd_function_entry,
	ipt_emit(IPT_EV_CSD_FUNC_ENTRY, IPT_NO_CPU, 0, (__u64)func, 0,
		 (__u64)csd),
	void *func, struct __call_single_data *csd)
IPT_TP2(csd_function_exit,
	ipt_emit(IPT_EV_CSD_FUNC_EXIT, IPT_NO_CPU, 0, (__u64)func, 0,
		 (__u64)csd),
	void *func, struct __call_single_data *csd)

/* x86 irq_vectors:*: the receive side.  ->func carries the vector. */
#define IPT_X86_VEC(tp, ev, kind)					\
	IPT_TP2(tp, ipt_emit(ev, IPT_NO_CPU, kind, (__u64)vector, 0, 0),	\
		int vector)
IPT_X86_VEC(call_function_entry, IPT_EV_IPI_ENTRY, IPT_MSG_CALL_FUNCTION)
IPT_X86_VEC(call_function_exit, IPT_EV_IPI_EXIT, IPT_MSG_CALL_FUNCTION)
IPT_X86_VEC(call_function_single_entry, IPT_EV_IPI_ENTRY, IPT_MSG_CALL_FUNCTION)
IPT_X86_VEC(call_function_single_exit, IPT_EV_IPI_EXIT, IPT_MSG_CALL_FUNCTION)
IPT_X86_VEC(reschedule_entry, IPT_EV_IPI_ENTRY, IPT_MSG_RESCHEDULE)
IPT_X86_VEC(reschedule_exit, IPT_EV_IPI_EXIT, IPT_MSG_RESCHEDULE)
IPT_X86_VEC(irq_work_entry, IPT_EV_IPI_ENTRY, IPT_MSG_IRQ_WORK)
IPT_X86_VEC(irq_work_exit, IPT_EV_IPI_EXIT, IPT_MSG_IRQ_WORK)

/* A wake-up that needed no IPI because the target idles polling its
 * need_resched flag (DESIGN.md section 4, non-loss 3). */
IPT_TP2(sched_wake_idle_without_ipi,
	ipt_emit(IPT_EV_IDLE_WAKE, cpu, 0, 0, 0, 0), int cpu)

/*
 * Send side where the ipi:* tracepoints are missing (before 6.4/6.5): the
 * x86 send functions behind smp_ops, each implying the message kind.  They
 * are static but called through smp_ops pointers, so never inlined; a KVM
 * guest's kvm_smp_send_call_func_ipi() still ends in the native function.
 * fentry (BPF trampoline, 5.5+ on x86-64) is an order of magnitude cheaper
 * than a kprobe; the ladder takes the kprobe when fentry is refused.
 */
#define IPT_FN2(fn, call, ...)						\
	SEC("fentry/" #fn) int BPF_PROG(fentry_##fn, __VA_ARGS__)	\
	{ return call; }						\
	SEC("kprobe/" #fn) int BPF_KPROBE(kprobe_##fn, __VA_ARGS__)	\
	{ return call; }

IPT_FN2(native_send_call_func_single_ipi,
	ipt_emit(IPT_EV_SEND, cpu, IPT_MSG_CALL_FUNCTION, 0, 0, 0), int cpu)
IPT_FN2(native_send_call_func_ipi,
	on_send_mask(mask, 0, 0, IPT_MSG_CALL_FUNCTION), const struct cpumask *mask)
IPT_FN2(native_smp_send_reschedule,
	ipt_emit(IPT_EV_SEND, cpu, IPT_MSG_RESCHEDULE, 0, 0, 0), int cpu)

/*
 * CSD_WAIT: csd_lock_wait() is __always_inline in every version, so the
 * spin is timed at its callers: smp_call_function_single(cpu, func, info,
 * wait) and the static smp_call_function_many_cond() (a real function in
 * Debian 12's 6.1; where it is inlined the row finds no function).  Only
 * calls that wait spin.  The function-pointer argument is read from the raw
 * context (arg_u64), as typed access to it is refused.
 */
/* An fentry argument as a plain number: BTF pointers are refused by the
 * global ipt_emit_packed(), and a function-pointer argument cannot be read
 * typed at all ("FUNC_PROTO is not a struct"); the raw context can. */
static __always_inline __u64 arg_u64(void *ctx, int i)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (__u64 *)ctx + i);
	return v;
}

static __always_inline __u32 single_cpu_of(__u64 mask)
{
	__u64 w = 0;

	/* The one target of a mask with exactly one CPU among the first 64,
	 * else IPT_NO_CPU (several targets). */
	__u32 n = 0;

	if (bpf_probe_read_kernel(&w, sizeof(w), (void *)mask) || !w || (w & (w - 1)))
		return IPT_NO_CPU;
	/* Index of the single bit (clang 14's BPF backend crashes on
	 * __builtin_clzll). */
	if (w >> 32) { n += 32; w >>= 32; }
	if (w >> 16) { n += 16; w >>= 16; }
	if (w >> 8) { n += 8; w >>= 8; }
	if (w >> 4) { n += 4; w >>= 4; }
	if (w >> 2) { n += 2; w >>= 2; }
	if (w >> 1) n += 1;
	return n;
}

SEC("fentry/smp_call_function_single")
int BPF_PROG(fentry_smp_call_function_single, int cpu)
{
	return arg_u64(ctx, 3) ? ipt_emit(IPT_EV_CSD_WAIT_BEGIN, cpu, 0, arg_u64(ctx, 1), 0, 0) : 0;
}
SEC("fexit/smp_call_function_single")
int BPF_PROG(fexit_smp_call_function_single, int cpu)
{
	return arg_u64(ctx, 3) ? ipt_emit(IPT_EV_CSD_WAIT_END, cpu, 0, 0, 0, 0) : 0;
}
/* smp_call_function_many_cond(mask, func, info, scf_flags, cond_func): what
 * smp_call_function_many(), on_each_cpu_cond_mask() (x86 TLB shootdowns)
 * and on_each_cpu_mask() all end in; SCF_WAIT is bit 0. */
SEC("fentry/smp_call_function_many_cond")
int BPF_PROG(fentry_smp_call_function_many_cond__wait)
{
	return arg_u64(ctx, 3) & 1 ? ipt_emit(IPT_EV_CSD_WAIT_BEGIN, single_cpu_of(arg_u64(ctx, 0)),
					       0, arg_u64(ctx, 1), 0, 0) : 0;
}
SEC("fexit/smp_call_function_many_cond")
int BPF_PROG(fexit_smp_call_function_many_cond__wait)
{
	return arg_u64(ctx, 3) & 1 ? ipt_emit(IPT_EV_CSD_WAIT_END, IPT_NO_CPU, 0, 0, 0, 0) : 0;
}

/* kprobe flavour: the return probe cannot see the arguments, so the entry
 * records whether this CPU's call waits. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} waiting SEC(".maps");

static __always_inline int kp_wait_begin(__u32 target, __u64 func, int wait)
{
	__u32 zero = 0, *w = bpf_map_lookup_elem(&waiting, &zero);

	if (w)
		*w = !!wait;
	return wait ? ipt_emit(IPT_EV_CSD_WAIT_BEGIN, target, 0, func, 0, 0) : 0;
}

static __always_inline int kp_wait_end(void)
{
	__u32 zero = 0, *w = bpf_map_lookup_elem(&waiting, &zero);

	if (!w || !*w)
		return 0;
	*w = 0;
	return ipt_emit(IPT_EV_CSD_WAIT_END, IPT_NO_CPU, 0, 0, 0, 0);
}

SEC("kprobe/smp_call_function_single")
int BPF_KPROBE(kprobe_smp_call_function_single, int cpu, void *func, void *info, int wait)
{
	return kp_wait_begin(cpu, (__u64)func, wait);
}
SEC("kretprobe/smp_call_function_single")
int BPF_KRETPROBE(kretprobe_smp_call_function_single)
{
	return kp_wait_end();
}
SEC("kprobe/smp_call_function_many_cond")
int BPF_KPROBE(kprobe_smp_call_function_many_cond__wait, void *mask, void *func, void *info,
	       unsigned int scf_flags)
{
	return kp_wait_begin(single_cpu_of((__u64)mask), (__u64)func, scf_flags & 1);
}
SEC("kretprobe/smp_call_function_many_cond")
int BPF_KRETPROBE(kretprobe_smp_call_function_many_cond__wait)
{
	return kp_wait_end();
}

/*
 * CSD_QUEUE and CSD_FUNC where the csd:* tracepoints are missing (before
 * 6.5).  Read against Linux 6.1 kernel/smp.c, and measured in Debian 12's
 * 6.1 x86-64 guest:
 *
 *  - Queueing.  generic_exec_single() (smp_call_function_single) and
 *    ttwu_queue_wakelist() go through __smp_call_single_queue(cpu, node).
 *    smp_call_function_many_cond() queues its per-CPU csds with an inlined
 *    llist_add(), and llist_add_batch() is notrace there (not in
 *    available_filter_functions; "Could not probe notrace function"), so
 *    those are read from the sender's cfd_data once the loop is done, at
 *    the IPI send that follows it (cfd->cpumask then holds exactly the CPUs
 *    queued, after cond_func).  When every target's queue was already
 *    non-empty no IPI is sent, and those csds are seen only when they run:
 *    cfd->cpumask cannot tell, at the return, whether this call queued
 *    anything (it is left stale when no remote CPU was asked).
 *  - Execution.  Every flush (the call-function IPIs, the idle loop, CPU
 *    hotplug) is __flush_smp_call_function_queue(), which takes this CPU's
 *    whole call_single_queue with an inlined llist_del_all().  At its entry
 *    the queue is walked: one CSD_FUNC_ENTRY per SYNC/ASYNC csd and one for
 *    the TTWU batch (as csd_function_entry does from 6.5); IRQ_WORK csds get
 *    none, as with the tracepoint.  All are stamped with the flush's start;
 *    there is no exit event.  A csd
 *    queued in the instant between the walk and the xchg is run unseen; the
 *    correlator counts it as run, because the flush ran later csds.
 *
 * Pointers from fentry arguments are BTF pointers, which the global
 * ipt_emit_packed() will not take: they are copied out of the raw context
 * as plain numbers.
 */
/*
 * Per-CPU variables by address, from kallsyms (data symbols: KALLSYMS_ALL;
 * userspace leaves the rows off without them): per_cpu_ptr(&var, cpu) is
 * &var + __per_cpu_offset[cpu] on every architecture.  Not typed __ksym:
 * one typed ksym makes libbpf demand the kernel's BTF for the whole object,
 * and Debian 12's ppc64le kernel has none.
 */
const volatile __u64 addr_per_cpu_offset = 0;	/* __per_cpu_offset[] */
const volatile __u64 addr_call_single_queue = 0;
const volatile __u64 addr_cfd_data = 0;

static __always_inline __u64 cpu_offset(__u32 cpu)
{
	__u64 off = 0;

	bpf_probe_read_kernel(&off, sizeof(off), (void *)(addr_per_cpu_offset + cpu * 8ull));
	return off;
}
/* sched_ttwu_pending, from kallsyms: what a TTWU csd runs. */
const volatile __u64 addr_sched_ttwu_pending = 0;


static __always_inline __u64 node_func(__u64 node, __u32 type)
{
	struct __call_single_data *csd = (void *)node;

	/* irq_work keeps its func at the same offset as a csd's. */
	return type == IPT_CSD_TYPE_TTWU ? addr_sched_ttwu_pending
					 : (__u64)BPF_CORE_READ(csd, func);
}

static __always_inline int csd_queued(__u32 cpu, __u64 node)
{
	__u32 type = csd_type((void *)node);

	return ipt_emit(IPT_EV_CSD_QUEUE, cpu, type, node_func(node, type), 0, node);
}

/*
 * generic_exec_single(cpu, csd) is smp_call_function_single()'s and
 * smp_call_function_single_async()'s way to the queue, and GCC inlines
 * __smp_call_single_queue() into it (measured on 6.1: nohz_csd_func and
 * ipi_mb csds ran with no queue event), so it is hooked too.  It runs a csd
 * for this CPU itself, unqueued.  Where __smp_call_single_queue() is still
 * called from it, the same node comes through both: the second is dropped.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} single_node SEC(".maps");

static __always_inline int exec_single(__u32 cpu, __u64 csd)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&single_node, &zero);

	if (cpu == bpf_get_smp_processor_id() || cpu >= nr_cpu_ids)
		return 0;
	if (last)
		*last = csd;
	return csd_queued(cpu, csd);
}

static __always_inline int single_queue(__u32 cpu, __u64 node)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&single_node, &zero);

	if (last && *last == node) {
		*last = 0;
		return 0;
	}
	return csd_queued(cpu, node);
}

SEC("fentry/generic_exec_single")
int BPF_PROG(fentry_generic_exec_single, int cpu)
{
	return exec_single(cpu, arg_u64(ctx, 1));
}
SEC("kprobe/generic_exec_single")
int BPF_KPROBE(kprobe_generic_exec_single, int cpu, void *csd)
{
	return exec_single(cpu, (__u64)csd);
}
SEC("fentry/__smp_call_single_queue")
int BPF_PROG(fentry___smp_call_single_queue, int cpu)
{
	return single_queue(cpu, arg_u64(ctx, 1));
}
SEC("kprobe/__smp_call_single_queue")
int BPF_KPROBE(kprobe___smp_call_single_queue, int cpu, struct llist_node *node)
{
	return single_queue(cpu, (__u64)node);
}

struct call_function_data___pcpu {
	void *pcpu;
} __attribute__((preserve_access_index));
struct call_function_data___ptr {
	struct cpumask *cpumask;
} __attribute__((preserve_access_index));
struct call_function_data___arr {
	struct cpumask cpumask[1];
} __attribute__((preserve_access_index));

/* smp_call_function_many_cond() in progress on this CPU: its start, and
 * whether its csds were emitted yet. */
struct many_state {
	__u64 ts;
	__u32 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct many_state);
} many SEC(".maps");

struct cfd_walk {
	__u64 mask;	/* address of the cpumask's bits */
	__u64 csd;	/* cfd->csd: a per-CPU pointer */
	__u64 ts, word;
};

static long cfd_one(__u32 cpu, void *data)
{
	struct cfd_walk *cw = data;
	__u64 node;

	if ((cpu & 63) == 0 &&
	    bpf_probe_read_kernel(&cw->word, sizeof(cw->word), (void *)(cw->mask + (cpu / 64) * 8)))
		return 1;
	if (!(cw->word & (1ULL << (cpu & 63))))
		return 0;
	node = cw->csd + cpu_offset(cpu);
	{
		__u32 type = csd_type((void *)node);

		ipt_emit_at(cw->ts, IPT_EV_CSD_QUEUE, cpu, type, node_func(node, type), 0, node);
	}
	return 0;
}

/* Emit this CPU's cfd csds once per smp_call_function_many_cond() call. */
static __always_inline int many_emit(void)
{
	__u32 zero = 0;
	struct many_state *st = bpf_map_lookup_elem(&many, &zero);
	const struct call_function_data *cfd;
	struct cfd_walk cw = {};
	__u64 m;

	if (!st || !st->active || !addr_cfd_data || !addr_per_cpu_offset)
		return 0;
	st->active = 0;
	cfd = (void *)(addr_cfd_data + cpu_offset(bpf_get_smp_processor_id()));
	/* Before 6.2 the per-CPU csds were struct cfd_percpu { csd; ... }
	 * behind ->pcpu; the csd is its first member either way. */
	if (bpf_core_field_exists(((struct call_function_data___pcpu *)cfd)->pcpu))
		cw.csd = (__u64)BPF_CORE_READ((struct call_function_data___pcpu *)cfd, pcpu);
	else if (bpf_core_field_exists(cfd->csd))
		cw.csd = (__u64)BPF_CORE_READ(cfd, csd);
	else
		return 0;
	/* cpumask_var_t is a pointer with CPUMASK_OFFSTACK, else an array of
	 * one (Debian 12's cloud kernel): a flavour for each. */
	if (bpf_core_field_exists(((struct call_function_data___ptr *)cfd)->cpumask))
		m = (__u64)BPF_CORE_READ((struct call_function_data___ptr *)cfd, cpumask);
	else if (bpf_core_field_exists(((struct call_function_data___arr *)cfd)->cpumask))
		m = (__u64)cfd + bpf_core_field_offset(struct call_function_data___arr, cpumask);
	else
		return 0;
	cw.mask = m;
	cw.ts = bpf_ktime_get_ns();
	bpf_loop(nr_cpu_ids, cfd_one, &cw, 0);
	return 0;
}

static __always_inline int many_begin(void)
{
	__u32 zero = 0;
	struct many_state *st = bpf_map_lookup_elem(&many, &zero);

	if (st) {
		st->ts = bpf_ktime_get_ns();
		st->active = 1;
	}
	return 0;
}

SEC("fentry/smp_call_function_many_cond")
int BPF_PROG(fentry_smp_call_function_many_cond__mark)
{
	return many_begin();
}
static __always_inline int many_end(void)
{
	__u32 zero = 0;
	struct many_state *st = bpf_map_lookup_elem(&many, &zero);

	if (st)
		st->active = 0;
	return 0;
}

SEC("fexit/smp_call_function_many_cond")
int BPF_PROG(fexit_smp_call_function_many_cond__mark)
{
	return many_end();
}
SEC("kprobe/smp_call_function_many_cond")
int BPF_KPROBE(kprobe_smp_call_function_many_cond__mark)
{
	return many_begin();
}
SEC("kretprobe/smp_call_function_many_cond")
int BPF_KRETPROBE(kretprobe_smp_call_function_many_cond__mark)
{
	return many_end();
}

struct flush_walk {
	__u64 node, ts;
	int ttwu_seen;
};

static long flush_one(__u32 i, void *data)
{
	struct flush_walk *w = data;
	struct llist_node *n = (void *)w->node;
	__u32 type;

	if (!w->node)
		return 1;
	type = csd_type((void *)w->node);
	if (type == IPT_CSD_TYPE_SYNC || type == IPT_CSD_TYPE_ASYNC ||
	    (type == IPT_CSD_TYPE_TTWU && !w->ttwu_seen)) {
		w->ttwu_seen |= type == IPT_CSD_TYPE_TTWU;
		ipt_emit_at(w->ts, IPT_EV_CSD_FUNC_ENTRY, IPT_NO_CPU, 0,
			    node_func(w->node, type), 0, w->node);
	}
	w->node = (__u64)BPF_CORE_READ(n, next);
	return 0;
}

static __always_inline int flush_walk(void)
{
	struct llist_head *q;
	struct flush_walk w = { .ts = bpf_ktime_get_ns() };

	if (!addr_call_single_queue || !addr_per_cpu_offset)
		return 0;
	q = (void *)(addr_call_single_queue + cpu_offset(bpf_get_smp_processor_id()));
	w.node = (__u64)BPF_CORE_READ(q, first);
	bpf_loop(4096, flush_one, &w, 0);
	return 0;
}

SEC("fentry/__flush_smp_call_function_queue")
int BPF_PROG(fentry___flush_smp_call_function_queue)
{
	return flush_walk();
}
SEC("kprobe/__flush_smp_call_function_queue")
int BPF_KPROBE(kprobe___flush_smp_call_function_queue)
{
	return flush_walk();
}

/* The x86 send functions again, as a second program each: the csds of
 * smp_call_function_many_cond() when it is the caller.  Attached before
 * the SEND programs on the same functions, so the queue precedes the send. */
SEC("fentry/native_send_call_func_ipi")
int BPF_PROG(fentry_native_send_call_func_ipi__csd)
{
	return many_emit();
}
SEC("kprobe/native_send_call_func_ipi")
int BPF_KPROBE(kprobe_native_send_call_func_ipi__csd)
{
	return many_emit();
}
SEC("fentry/native_send_call_func_single_ipi")
int BPF_PROG(fentry_native_send_call_func_single_ipi__csd)
{
	return many_emit();
}
SEC("kprobe/native_send_call_func_single_ipi")
int BPF_KPROBE(kprobe_native_send_call_func_single_ipi__csd)
{
	return many_emit();
}

/* powerpc's muxed IPIs: the same macros, their own file. */
#include "powerpc.bpf.h"
