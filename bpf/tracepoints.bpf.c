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
 * spin is timed at its callers, the exported smp_call_function_single(cpu,
 * func, info, wait) and smp_call_function_many(mask, func, info, wait)
 * (smp_call_function_many_cond is static and may be inlined).  Only calls
 * with wait != 0 spin.  The fentry/fexit programs read the raw context: the
 * verifier refuses typed access to the function-pointer argument (as for
 * tp_btf on csd:*), so their events carry no function; kprobes read it.
 */
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
int fentry_smp_call_function_single(unsigned long long *ctx)
{
	return ctx[3] ? ipt_emit(IPT_EV_CSD_WAIT_BEGIN, (__u32)ctx[0], 0, 0, 0, 0) : 0;
}
SEC("fexit/smp_call_function_single")
int fexit_smp_call_function_single(unsigned long long *ctx)
{
	return ctx[3] ? ipt_emit(IPT_EV_CSD_WAIT_END, (__u32)ctx[0], 0, 0, 0, 0) : 0;
}
SEC("fentry/smp_call_function_many")
int fentry_smp_call_function_many(unsigned long long *ctx)
{
	return ctx[3] ? ipt_emit(IPT_EV_CSD_WAIT_BEGIN, single_cpu_of(ctx[0]), 0, 0, 0, 0) : 0;
}
SEC("fexit/smp_call_function_many")
int fexit_smp_call_function_many(unsigned long long *ctx)
{
	return ctx[3] ? ipt_emit(IPT_EV_CSD_WAIT_END, IPT_NO_CPU, 0, 0, 0, 0) : 0;
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
SEC("kprobe/smp_call_function_many")
int BPF_KPROBE(kprobe_smp_call_function_many, void *mask, void *func, void *info, int wait)
{
	return kp_wait_begin(single_cpu_of((__u64)mask), (__u64)func, wait);
}
SEC("kretprobe/smp_call_function_many")
int BPF_KRETPROBE(kretprobe_smp_call_function_many)
{
	return kp_wait_end();
}

/* powerpc's muxed IPIs: the same macros, their own file. */
#include "powerpc.bpf.h"
