/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Tier 2 of `watch` (bpf/detail.bpf.c): what crosses to userspace.
 * Fixed-width types only. */
#ifndef IPITRACE_DETAIL_H
#define IPITRACE_DETAIL_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IPT_DETAIL_MAX_CPUS	64	/* pair tables are MAX_CPUS^2 */
#define IPT_DETAIL_BUCKETS	32	/* log2(ns) buckets: 1 ns .. 4 s */
#define IPT_DETAIL_MAX_ANOM	64	/* stuck entries reported per scan */

/* A queued csd, keyed by its address in the pending table. */
struct ipt_pending {
	__u64 ts;		/* csd_queue_cpu time (bpf_ktime_get_ns) */
	__u64 func;
	__u64 callsite;
	__u32 src, dst;
};

/* One stuck entry found by a scan. */
struct ipt_anomaly {
	__u64 csd;
	struct ipt_pending p;
};

#endif
