/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ipitrace event ABI: every record that crosses from BPF to userspace
 * and into recording files.  Included by BPF (after vmlinux.h) and by C
 * userspace (after <linux/types.h>), so only fixed-width __u32/__u64 fields:
 * no bool, long, pointers or enums inside a record, and no padding holes.
 *
 * Changing the layout of struct ipt_event, or the meaning of any constant
 * below, is a recording-format change: bump IPT_FORMAT_VERSION in format.h.
 */
#ifndef IPITRACE_EVENTS_H
#define IPITRACE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* userspace; BPF gets the types from vmlinux.h */
#endif

/* Event types (struct ipt_event.type).  See docs/recording-format.md. */
#define IPT_EV_SEND		1  /* sender CPU: an IPI sent to ->target */
#define IPT_EV_IPI_ENTRY	2  /* receiver CPU: IPI handler entered */
#define IPT_EV_IPI_EXIT		3  /* receiver CPU: IPI handler left */
#define IPT_EV_DEMUX		4  /* receiver CPU: muxed message set taken */
#define IPT_EV_CSD_QUEUE	5  /* sender CPU: csd queued for ->target */
#define IPT_EV_CSD_FUNC_ENTRY	6  /* target CPU: csd function starts */
#define IPT_EV_CSD_FUNC_EXIT	7  /* target CPU: csd function returned */
#define IPT_EV_CSD_WAIT_BEGIN	8  /* waiting CPU: spin in csd_lock_wait */
#define IPT_EV_CSD_WAIT_END	9
#define IPT_EV_IDLE_WAKE	10 /* sender CPU: no IPI, ->target was polling */
#define IPT_EV__MAX		11

/*
 * Message kinds (->kind of SEND, IPI_ENTRY, IPI_EXIT, DEMUX).  The first five
 * are powerpc's PPC_MSG_* numbers on purpose, so a demuxed message byte
 * index is its kind; the rest are architecture vectors with no powerpc twin.
 */
#define IPT_MSG_CALL_FUNCTION	0
#define IPT_MSG_RESCHEDULE	1
#define IPT_MSG_TICK_BROADCAST	2
#define IPT_MSG_NMI		3
#define IPT_MSG_RM_HOST_ACTION	4
#define IPT_MSG_IRQ_WORK	5
#define IPT_MSG_OTHER		6
#define IPT_MSG__MAX		7

/*
 * For CSD_QUEUE, ->kind holds the csd's type bits read from
 * csd->node.u_flags when it was queued (kernel's CSD_TYPE_*, include/linux/
 * smp_types.h): the correlator needs them because IRQ_WORK csds never get a
 * csd_function_entry and TTWU csds are run as one batch.
 */
#define IPT_CSD_TYPE_ASYNC	0x00
#define IPT_CSD_TYPE_SYNC	0x10
#define IPT_CSD_TYPE_IRQ_WORK	0x20
#define IPT_CSD_TYPE_TTWU	0x30
#define IPT_CSD_TYPE_MASK	0xf0
#define IPT_CSD_TYPE_UNKNOWN	0xff /* could not be read */

/*
 * DEMUX (muxed IPIs: powerpc's smp_ipi_demux_relaxed()): ->func is the set
 * of messages the receiver's xchg() took, one bit per IPT_MSG_* (bit k set:
 * message k was pending).  0 is an empty demux.
 *
 * CSD_WAIT_BEGIN / CSD_WAIT_END: the waiting CPU spins in csd_lock_wait()
 * for ->target (IPT_NO_CPU: several), on csd ->csd running ->func.
 */
#define IPT_DEMUX_BIT(k)	(1ull << (k))

/* ->target when an event has no target CPU. */
#define IPT_NO_CPU		0xffffffffu

/*
 * One record, 48 bytes.  Kernel addresses (func, callsite, csd) are raw in a
 * normal recording; `record --no-addresses` rewrites them (see format.h).
 */
struct ipt_event {
	__u32 type;	/* IPT_EV_* */
	__u32 cpu;	/* CPU that produced the event */
	__u64 ts;	/* CLOCK_MONOTONIC, ns (bpf_ktime_get_ns) */
	__u32 target;	/* destination CPU, or IPT_NO_CPU */
	__u32 kind;	/* IPT_MSG_* or, for CSD_QUEUE, IPT_CSD_TYPE_* */
	__u64 func;	/* csd function or IPI callback */
	__u64 callsite;	/* caller (_RET_IP_ of the tracepoint site) */
	__u64 csd;	/* csd pointer: the identity queue and entry share */
};

/*
 * Per-CPU counters kept by BPF in a PERCPU_ARRAY of one element.  A failed
 * bpf_ringbuf_reserve() is never silent: it lands in ->dropped, and every
 * output of ipitrace shows it.
 */
struct ipt_cpu_stats {
	__u64 emitted;	/* records submitted to the ring */
	__u64 dropped;	/* records lost: ring full */
	__u64 last_drop_ns; /* timestamp of the latest loss: bounds the
			     * window that a loss makes uncertain */
};

#endif /* IPITRACE_EVENTS_H */
