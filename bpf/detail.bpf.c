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

/* The pending csds, in two tables.  `slots` is direct-mapped by a hash of
 * the csd's address: array lookups are inlined by the verifier and a slot
 * is claimed and released with one cmpxchg each, where a hash map took a
 * bucket lock and a free-list operation on each side, on lines that
 * bounce between sender and target (make bench, in one run: 343 and
 * 350 ns per run through the hash, 210 and 235 with the slots).  A csd whose slot holds another goes to the `pending` hash;
 * `n_overflow` counts what is there, so that the common path never looks.
 * A slot's csd field: 0 free, csd | 1 being written (csds are aligned),
 * csd pending.  Both sized from the CPU count by userspace before load. */
struct ipt_slot {
	__u64 csd;
	struct ipt_pending p;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ipt_slot);
} slots SEC(".maps");

const volatile __u32 slot_bits = 10;	/* slots has 1 << slot_bits entries */
/* Test only (IPITRACE_DETAIL_NO_SLOTS=1): every csd through the hash. */
const volatile __u8 no_slots = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ipt_pending);
} pending SEC(".maps");

__s64 n_overflow;

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

static __always_inline struct ipt_slot *slot_of(__u64 csd)
{
	__u32 idx = (csd * 0x9E3779B97F4A7C15ULL) >> (64 - slot_bits);

	if (no_slots)
		return NULL;
	return bpf_map_lookup_elem(&slots, &idx);
}

/* A csd queued again while still in a table: csd_lock() waited for the
 * previous use to finish, so its execution happened and we missed it
 * (or, for an async csd, csd_unlock() came before its entry event and
 * another CPU queued it in between).  Under the test fault the old entry
 * is kept, as a CPU that never runs it would.  1: keep the old entry. */
static __always_inline int requeued(__u32 old_dst)
{
	if (fault_cpu >= 0 && old_dst == (__u32)fault_cpu)
		return 1;
	__sync_fetch_and_add(&requeued_unseen, 1);
	return 0;
}

SEC("raw_tp/csd_queue_cpu")
int on_queue(u64 *ctx)
{
	__u32 dst = ctx[0], src = bpf_get_smp_processor_id();
	__u64 csd = ctx[3];
	struct ipt_pending p, *old;
	struct ipt_slot *s;
	__u32 flags = 0, idx;
	__u64 *q, cur;

	/* Only csds whose execution has its own csd_function_entry: wake-ups
	 * (CSD_TYPE_TTWU) run as one entry per batch and irq_works have no
	 * entry event, so they would look stuck forever. */
	bpf_probe_read_kernel(&flags, sizeof(flags),
			      (void *)(csd + bpf_core_field_offset(struct __call_single_node, u_flags)));
	if ((flags & CSD_TYPE_MASK) != CSD_TYPE_ASYNC && (flags & CSD_TYPE_MASK) != CSD_TYPE_SYNC)
		return 0;
	if (src >= nr_cpus || dst >= nr_cpus || !csd || (csd & 1))
		return 0;
	idx = src * nr_cpus + dst;
	q = bpf_map_lookup_elem(&queued, &idx);
	if (q)
		__sync_fetch_and_add(q, 1);
	p.ts = bpf_ktime_get_ns();
	p.func = ctx[2];
	p.callsite = ctx[1];
	p.src = src;
	p.dst = dst;

	/* Already in the overflow table: it stays there. */
	if (n_overflow > 0 && (old = bpf_map_lookup_elem(&pending, &csd))) {
		if (!requeued(old->dst))
			*old = p;
		return 0;
	}
	s = slot_of(csd);
	if (!s)
		goto overflow;
	cur = s->csd;
	if (cur == csd) {
		if (requeued(s->p.dst))
			return 0;
		/* Mark it being written; if its entry event released it
		 * meanwhile, claim it as a free slot. */
		if (__sync_val_compare_and_swap(&s->csd, csd, csd | 1) != csd)
			cur = 0;
		else
			goto fill;
	}
	if (cur == 0 && __sync_val_compare_and_swap(&s->csd, 0, csd | 1) == 0)
		goto fill;
	/* The slot holds another csd. */
overflow:
	if (bpf_map_update_elem(&pending, &csd, &p, BPF_NOEXIST))
		__sync_fetch_and_add(&table_full, 1);
	else
		__sync_fetch_and_add(&n_overflow, 1);
	return 0;
fill:
	s->p = p;
	/* Published before llist_add() queues the csd (a full barrier), so
	 * the target's entry event finds it complete. */
	__sync_val_compare_and_swap(&s->csd, csd | 1, csd);
	return 0;
}

SEC("raw_tp/csd_function_entry")
int on_entry(u64 *ctx)
{
	__u64 key = ctx[1], now = bpf_ktime_get_ns(), *h, ts;
	__u32 cpu = bpf_get_smp_processor_id(), idx, src, dst;
	struct ipt_pending *p;
	struct ipt_slot *s;

	if (fault_cpu >= 0 && cpu == (__u32)fault_cpu)
		return 0;
	if (!key)
		return 0;	/* run locally, never queued */
	s = slot_of(key);
	if (s && s->csd == key) {
		ts = s->p.ts;
		src = s->p.src;
		dst = s->p.dst;
		__sync_val_compare_and_swap(&s->csd, key, 0);
	} else {
		if (n_overflow <= 0)
			return 0;	/* a wake-up batch, or queued before we attached */
		p = bpf_map_lookup_elem(&pending, &key);
		if (!p)
			return 0;
		ts = p->ts;
		src = p->src;
		dst = p->dst;
		if (!bpf_map_delete_elem(&pending, &key))
			__sync_fetch_and_add(&n_overflow, -1);
	}
	if (src < nr_cpus && dst < nr_cpus) {
		__u32 pair = src * nr_cpus + dst;

		idx = pair * IPT_DETAIL_BUCKETS + log2_bucket(now - ts);
		h = bpf_map_lookup_elem(&hist, &idx);
		if (h)
			__sync_fetch_and_add(h, 1);
		h = bpf_map_lookup_elem(&lat_sum, &pair);
		if (h)
			__sync_fetch_and_add(h, now - ts);
	}
	return 0;
}

static __always_inline void scan_entry(__u64 csd, const struct ipt_pending *p)
{
	__u32 n = n_anomalies;

	if (p->dst < IPT_DETAIL_MAX_CPUS)
		pending_per_cpu[p->dst & (IPT_DETAIL_MAX_CPUS - 1)]++;
	if (scan_now < p->ts || scan_now - p->ts < threshold_ns)
		return;
	if (n >= IPT_DETAIL_MAX_ANOM)
		return;
	anomalies[n].csd = csd;
	anomalies[n].p = *p;
	n_anomalies = n + 1;
}

static long scan_slot(struct bpf_map *map, __u32 *key, struct ipt_slot *s, void *ctx)
{
	__u64 csd = s->csd;

	if (csd && !(csd & 1))
		scan_entry(csd, &s->p);
	return 0;
}

static long scan_one(struct bpf_map *map, __u64 *key, struct ipt_pending *p, void *ctx)
{
	scan_entry(*key, p);
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
	bpf_for_each_map_elem(&slots, scan_slot, NULL, 0);
	bpf_for_each_map_elem(&pending, scan_one, NULL, 0);
	return 0;
}
