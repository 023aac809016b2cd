/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * powerpc muxed-IPI hook family (included by tracepoints.bpf.c, so one
 * skeleton and one ladder serve every architecture; on other architectures
 * these functions are absent and the ladder never loads the programs).
 *
 * powerpc multiplexes every IPI message onto one interrupt: the sender sets
 * byte `msg` of the target's per-CPU `ipi_message` word (struct
 * cpu_messages, arch/powerpc/kernel/smp.c) and calls smp_ops->cause_ipi();
 * the receiver's smp_ipi_demux_relaxed() takes the word with xchg() and
 * runs the handler of each byte set.  DESIGN.md section 3 has the measured
 * facts these rungs answer:
 *   - smp_muxed_ipi_message_pass() has a symbol but is inlined into its
 *     callers on Debian 12 (6.1): the kprobe attaches and never fires, so the
 *     ladder keeps the callers as its standby and calibration switches;
 *   - doorbell_exception() is on the kprobe blacklist (EINVAL): the
 *     powerpc:doorbell_entry/exit tracepoints stand in for it.
 * Kprobes read their arguments from registers (PT_REGS_PARM*), which needs no
 * kernel BTF: these programs load on a kernel without it.
 */
#ifndef IPITRACE_POWERPC_BPF_H
#define IPITRACE_POWERPC_BPF_H

/* Where this CPU's ipi_message word is: &ipi_message (the per-CPU symbol's
 * link address) + __per_cpu_offset[cpu].  Set by userspace from kallsyms
 * (KALLSYMS_ALL) or the kernel image's symbol table; 0 when unknown, and the
 * ladder then does not load the DEMUX rung at all (an empty set would accuse
 * every send). */
const volatile __u64 addr_ipi_message = 0;

/* The message set pending on this CPU: bit k set when byte k of its
 * ipi_message word is (little-endian: byte k is bits 8k..8k+7; the kernel's
 * IPI_MESSAGE(k) is 1 << 8k there). */
static __always_inline __u64 ppc_pending_set(void)
{
	__u64 off = 0, word = 0, set = 0;
	__u32 cpu = bpf_get_smp_processor_id();

	if (!addr_ipi_message || !addr_per_cpu_offset || cpu >= 8192)
		return 0;
	if (bpf_probe_read_kernel(&off, sizeof(off), (void *)(addr_per_cpu_offset + cpu * 8ull)) ||
	    bpf_probe_read_kernel(&word, sizeof(word), (void *)(addr_ipi_message + off)))
		return 0;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	word = __builtin_bswap64(word);
#endif
	for (int k = 0; k < IPT_MSG_RM_HOST_ACTION + 1; k++)
		if ((word >> (8 * k)) & 0xff)
			set |= IPT_DEMUX_BIT(k);
	return set;
}

/*
 * A send to every CPU of a mask, without bpf_loop(): Debian 12's ppc64le
 * kernel leaves the BPF JIT off by default (no CONFIG_BPF_JIT_DEFAULT_ON),
 * and the interpreter refuses callbacks ("callbacks are not allowed in
 * non-JITed programs", measured).  A bounded loop over the set bits of the
 * first 64 CPUs instead; CPUs from 64 up are not seen in a mask (a missing
 * send is never an accusation: only unmatched sends are judged).
 */
static __always_inline int ppc_send_mask(const void *mask, __u32 kind)
{
	__u64 w = 0, ts = bpf_ktime_get_ns();

	if (bpf_probe_read_kernel(&w, sizeof(w), mask))
		return 0;
	for (int i = 0; i < 64 && w; i++) {
		/* The lowest set bit's index, branch-free (a popcount of the
		 * bits below it): branches here multiply the verifier's states
		 * by 64 iterations (E2BIG, measured). */
		__u64 low = w & -w, x = low - 1;

		x = x - ((x >> 1) & 0x5555555555555555ull);
		x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
		x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
		ipt_emit_at(ts, IPT_EV_SEND, (__u32)((x * 0x0101010101010101ull) >> 56), kind, 0, 0, 0);
		w &= ~low;
	}
	return 0;
}

/* SEND.  The preferred rung: the one function every muxed send runs
 * through, with the message kind as argument (PPC_MSG_* == IPT_MSG_*). */
IPT_FN2(smp_muxed_ipi_message_pass,
	ipt_emit(IPT_EV_SEND, cpu, msg <= IPT_MSG_RM_HOST_ACTION ? msg : IPT_MSG_OTHER, 0, 0, 0),
	int cpu, int msg)
/* Its callers, each implying the kind (standby rungs: used where the body
 * above is inlined into them).  smp_send_reschedule() was renamed
 * arch_smp_send_reschedule() in 6.4 (4c8c3c7f70a7 "treewide: Trace IPIs
 * sent via smp_send_reschedule()"). */
IPT_FN2(arch_send_call_function_single_ipi,
	ipt_emit(IPT_EV_SEND, cpu, IPT_MSG_CALL_FUNCTION, 0, 0, 0), int cpu)
IPT_FN2(arch_send_call_function_ipi_mask,
	ppc_send_mask(mask, IPT_MSG_CALL_FUNCTION), const struct cpumask *mask)
IPT_FN2(smp_send_reschedule,
	ipt_emit(IPT_EV_SEND, cpu, IPT_MSG_RESCHEDULE, 0, 0, 0), int cpu)
IPT_FN2(arch_smp_send_reschedule,
	ipt_emit(IPT_EV_SEND, cpu, IPT_MSG_RESCHEDULE, 0, 0, 0), int cpu)
IPT_FN2(tick_broadcast,
	ppc_send_mask(mask, IPT_MSG_TICK_BROADCAST), const struct cpumask *mask)

/* RECEIVE: the interrupt, whatever it carries (kind OTHER; ->func says
 * which source: IPT_PPC_SRC_*).  The demux below says what it carried. */
#define IPT_PPC_SRC_DOORBELL	1
#define IPT_PPC_SRC_XIVE	2
#define IPT_PPC_SRC_ICP		3
IPT_FN2(doorbell_exception,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_DOORBELL, 0, 0),
	struct pt_regs *regs)
IPT_TP2(doorbell_entry,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_DOORBELL, 0, 0),
	struct pt_regs *regs)
IPT_TP2(doorbell_exit,
	ipt_emit(IPT_EV_IPI_EXIT, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_DOORBELL, 0, 0),
	struct pt_regs *regs)
IPT_FN2(xive_muxed_ipi_action,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_XIVE, 0, 0),
	int irq, void *dev_id)
IPT_FN2(icp_hv_ipi_action,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_ICP, 0, 0),
	int irq, void *dev_id)
IPT_FN2(icp_native_ipi_action,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_ICP, 0, 0),
	int irq, void *dev_id)
IPT_FN2(icp_opal_ipi_action,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_OTHER, IPT_PPC_SRC_ICP, 0, 0),
	int irq, void *dev_id)

/* Where the ipi_message word cannot be located (no KALLSYMS_ALL and no
 * kernel image), the handlers the demux runs say what it carried: each is a
 * receive of its kind.  RESCHEDULE has none: scheduler_ipi() is inline
 * (measured on 6.1: no symbol), so those sends stay unverifiable. */
#define IPT_PPC_HANDLER(fn, kind)					\
	SEC("fentry/" #fn) int BPF_PROG(fentry_##fn)			\
	{ return ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, kind, 0, 0, 0); } \
	SEC("kprobe/" #fn) int BPF_KPROBE(kprobe_##fn)			\
	{ return ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, kind, 0, 0, 0); }
IPT_PPC_HANDLER(generic_smp_call_function_single_interrupt, IPT_MSG_CALL_FUNCTION)
IPT_PPC_HANDLER(timer_broadcast_interrupt, IPT_MSG_TICK_BROADCAST)
IPT_FN2(nmi_ipi_action,
	ipt_emit(IPT_EV_IPI_ENTRY, IPT_NO_CPU, IPT_MSG_NMI, 0, 0, 0), int irq, void *data)

/* DEMUX: the set the first xchg() will take, read at entry.  A message set
 * between this read and the xchg() is taken by the same demux but reported
 * with the next one (it is matched then: never a false accusation, only a
 * longer latency). */
SEC("fentry/smp_ipi_demux_relaxed")
int BPF_PROG(fentry_smp_ipi_demux_relaxed)
{
	return ipt_emit(IPT_EV_DEMUX, IPT_NO_CPU, 0, ppc_pending_set(), 0, 0);
}
SEC("kprobe/smp_ipi_demux_relaxed")
int BPF_KPROBE(kprobe_smp_ipi_demux_relaxed)
{
	return ipt_emit(IPT_EV_DEMUX, IPT_NO_CPU, 0, ppc_pending_set(), 0, 0);
}

#endif /* IPITRACE_POWERPC_BPF_H */
