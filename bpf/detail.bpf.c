// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier 2 of `watch` (--detail): event hooks with in-kernel bookkeeping.
 *
 * csd:csd_queue_cpu puts each synchronous or asynchronous csd into a
 * pending table keyed by its address; csd:csd_function_entry takes it out
 * and adds the queue->run latency to a log2 histogram per CPU pair.  Nothing
 * is streamed: a `scan` program, run from userspace with BPF_PROG_TEST_RUN a
 * few times a second, copies only the entries older than the threshold
 * (the anomalies) into .bss.  Userspace reads the histograms when it
 * prints.  The csd:* tracepoints exist since 6.5; older kernels get
 * tier 1 only.
 *
 * raw_tp, not tp_btf: tp_btf refuses to read the function-pointer argument
 * (measured on 6.18: "arg0 type FUNC_PROTO is not a struct").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "ipitrace/detail.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 nr_cpus = 1;
const volatile __u64 threshold_ns = 1000000000ULL;
/* Test only (watch --fault-drop-exec CPU): act as if no csd ever ran on
 * this CPU.  -1: off. */
const volatile __s32 fault_cpu = -1;

/* Sized from the CPU count by userspace before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ipt_pending);
} pending SEC(".maps");

/* The pair tables are indexed src * nr_cpus + dst; userspace sizes them
 * to nr_cpus^2 (times the buckets) before load. */
#define NPAIR (IPT_DETAIL_MAX_CPUS * IPT_DETAIL_MAX_CPUS)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NPAIR * IPT_DETAIL_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NPAIR);
	__type(key, __u32);
	__type(value, __u64);
} queued SEC(".maps");

/* Sum of queue->run latencies per pair (ns), for Prometheus' _sum. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NPAIR);
	__type(key, __u32);
	__type(value, __u64);
} lat_sum SEC(".maps");

/* Never silent: entries the table had no room for, and csds queued again
 * while still in the table (their execution event was not seen). */
__u64 table_full, requeued_unseen;

struct ipt_anomaly anomalies[IPT_DETAIL_MAX_ANOM];
__u32 n_anomalies;
__u64 scan_now;
__u32 pending_per_cpu[IPT_DETAIL_MAX_CPUS];

#define CSD_TYPE_MASK	0x30
#define CSD_TYPE_ASYNC	0x00
#define CSD_TYPE_SYNC	0x10

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	for (int i = 0; i < IPT_DETAIL_BUCKETS - 1; i++) {
		if (v <= 1)
			break;
		v >>= 1;
		b++;
	}
	return b;
}

SEC("raw_tp/csd_queue_cpu")
int on_queue(u64 *ctx)
{
	__u32 dst = ctx[0], src = bpf_get_smp_processor_id();
	__u64 csd = ctx[3], key;
	struct ipt_pending p = {}, *old;
	__u32 flags = 0, idx;
	__u64 *q;

	/* Only csds whose execution has its own csd_function_entry: wake-ups
	 * (CSD_TYPE_TTWU) run as one entry per batch and irq_works have no
	 * entry event, so they would look stuck forever. */
	bpf_probe_read_kernel(&flags, sizeof(flags),
			      (void *)(csd + bpf_core_field_offset(struct __call_single_node, u_flags)));
	if ((flags & CSD_TYPE_MASK) != CSD_TYPE_ASYNC && (flags & CSD_TYPE_MASK) != CSD_TYPE_SYNC)
		return 0;
	if (src >= nr_cpus || dst >= nr_cpus)
		return 0;
	idx = src * nr_cpus + dst;
	q = bpf_map_lookup_elem(&queued, &idx);
	if (q)
		__sync_fetch_and_add(q, 1);
	key = csd;
	old = bpf_map_lookup_elem(&pending, &key);
	if (old) {
		/* csd_lock() waited for the previous use to finish, so its
		 * execution happened and we missed it.  Under the test fault
		 * the old entry is kept, as a CPU that never runs it would. */
		if (fault_cpu >= 0 && old->dst == (__u32)fault_cpu)
			return 0;
		__sync_fetch_and_add(&requeued_unseen, 1);
	}
	p.ts = bpf_ktime_get_ns();
	p.func = ctx[2];
	p.callsite = ctx[1];
	p.src = src;
	p.dst = dst;
	if (bpf_map_update_elem(&pending, &key, &p, BPF_ANY))
		__sync_fetch_and_add(&table_full, 1);
	return 0;
}

SEC("raw_tp/csd_function_entry")
int on_entry(u64 *ctx)
{
	__u64 key = ctx[1], now = bpf_ktime_get_ns(), *h;
	__u32 cpu = bpf_get_smp_processor_id(), idx;
	struct ipt_pending *p;

	if (fault_cpu >= 0 && cpu == (__u32)fault_cpu)
		return 0;
	p = bpf_map_lookup_elem(&pending, &key);
	if (!p)
		return 0;	/* a wake-up batch, or queued before we attached */
	if (p->src < nr_cpus && p->dst < nr_cpus) {
		__u32 pair = p->src * nr_cpus + p->dst;

		idx = pair * IPT_DETAIL_BUCKETS + log2_bucket(now - p->ts);
		h = bpf_map_lookup_elem(&hist, &idx);
		if (h)
			__sync_fetch_and_add(h, 1);
		h = bpf_map_lookup_elem(&lat_sum, &pair);
		if (h)
			__sync_fetch_and_add(h, now - p->ts);
	}
	bpf_map_delete_elem(&pending, &key);
	return 0;
}

static long scan_one(struct bpf_map *map, __u64 *key, struct ipt_pending *p, void *ctx)
{
	__u32 n = n_anomalies;

	if (p->dst < IPT_DETAIL_MAX_CPUS)
		pending_per_cpu[p->dst & (IPT_DETAIL_MAX_CPUS - 1)]++;
	if (scan_now < p->ts || scan_now - p->ts < threshold_ns)
		return 0;
	if (n >= IPT_DETAIL_MAX_ANOM)
		return 0;
	anomalies[n].csd = *key;
	anomalies[n].p = *p;
	n_anomalies = n + 1;
	return 0;
}

/* Run by userspace: only what is older than the threshold crosses. */
SEC("raw_tp")
int scan(void *ctx)
{
	for (int i = 0; i < IPT_DETAIL_MAX_CPUS; i++)
		pending_per_cpu[i] = 0;
	n_anomalies = 0;
	scan_now = bpf_ktime_get_ns();
	bpf_for_each_map_elem(&pending, scan_one, NULL, 0);
	return 0;
}
