// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * make bench: what streaming one record per event costs, apart from
 * everything else ipitrace's programs do.  The 14 tracepoints of
 * floor.bpf.c, each writing a record the size of ipitrace's (struct
 * ipt_event, 48 bytes: a clock read, the CPU, four raw arguments) with
 * bpf_ringbuf_reserve/submit(BPF_RB_NO_WAKEUP), as ipitrace does, into:
 *   - one ring shared by every CPU (built with -DBENCH_SHARED_RING, map "ring"),
 *     ipitrace's layout: the ring's lock and producer position move
 *     between the CPUs that emit;
 *   - or one ring per CPU (map "rings", an array of ring buffers that
 *     bench-floor fills before attaching), where nothing is shared.
 * bench-floor consumes them every 5 ms, as `ipitrace record` does.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct rec {
	__u32 type, cpu;
	__u64 ts;
	__u64 a[4];
};

#ifdef BENCH_SHARED_RING
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} ring SEC(".maps");
#define RING(cpu) ((void *)&ring)
#else
struct inner {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 64);
	__type(key, __u32);
	__array(values, struct inner);
} rings SEC(".maps");
#define RING(cpu) bpf_map_lookup_elem(&rings, &(cpu))
#endif

static __always_inline int emit(__u32 type, __u64 *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = RING(cpu);
	struct rec *r;

	if (!rb)
		return 0;
	r = bpf_ringbuf_reserve(rb, sizeof(*r), 0);
	if (!r)
		return 0;
	r->type = type;
	r->cpu = cpu;
	r->ts = bpf_ktime_get_ns();
	/* every tracepoint here has at least one argument */
	r->a[0] = ctx[0];
	r->a[1] = r->a[2] = r->a[3] = 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

#define EMIT(tp, n) SEC("raw_tp/" #tp) int ring_##tp(__u64 *ctx) { return emit(n, ctx); }

EMIT(ipi_send_cpu, 1)
EMIT(ipi_send_cpumask, 2)
EMIT(csd_queue_cpu, 3)
EMIT(csd_function_entry, 4)
EMIT(csd_function_exit, 5)
EMIT(call_function_entry, 6)
EMIT(call_function_exit, 7)
EMIT(call_function_single_entry, 8)
EMIT(call_function_single_exit, 9)
EMIT(reschedule_entry, 10)
EMIT(reschedule_exit, 11)
EMIT(irq_work_entry, 12)
EMIT(irq_work_exit, 13)
EMIT(sched_wake_idle_without_ipi, 14)
