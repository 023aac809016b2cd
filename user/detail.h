/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Tier 2 of `watch` (bpf/detail.bpf.c): load, attach, scan, histograms. */
#ifndef IPT_DETAIL_H
#define IPT_DETAIL_H

#include <stddef.h>
#include <stdint.h>

#include "ipitrace/detail.h"

struct detail {
	void *skel;			/* struct detail_bpf */
	unsigned ncpus;
	int scan_fd, hist_fd, queued_fd, sum_fd;
	const struct ipt_anomaly *anoms;	/* the last scan's, in .bss */
	unsigned nanoms;
	const uint32_t *pending_per_cpu;
	uint64_t scans;
};

/* Load and attach csd:csd_queue_cpu + csd:csd_function_entry.  0, or
 * EXIT_BPF with err set (no csd:* tracepoints, no privilege, ...). */
int detail_open(struct detail *d, unsigned ncpus, uint64_t threshold_ns, int fault_cpu,
		char *err, size_t errlen);
/* Copy the entries older than the threshold into d->anoms. */
int detail_scan(struct detail *d);
/* Per CPU pair: csds queued, executed (histogram total), and the p50 and
 * p99 queue->run latency in ns (upper bucket bounds; 0 when none). */
void detail_pair(struct detail *d, unsigned src, unsigned dst, uint64_t *queued,
		 uint64_t *executed, uint64_t *p50, uint64_t *p99);
/* The raw log2 buckets of a pair (bucket i: [2^i, 2^(i+1)) ns) and the sum
 * of its latencies in ns. */
void detail_hist(struct detail *d, unsigned src, unsigned dst, uint64_t b[IPT_DETAIL_BUCKETS],
		 uint64_t *sum_ns);
uint64_t detail_table_full(const struct detail *d);
uint64_t detail_requeued_unseen(const struct detail *d);
void detail_close(struct detail *d);

#endif
