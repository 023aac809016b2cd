/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* BPF-only helpers shared by every hook family: the ring, drop accounting,
 * the CPU filter. */
#ifndef IPITRACE_EMIT_BPF_H
#define IPITRACE_EMIT_BPF_H

#include "ipitrace/events.h"

/*
 * One ring per CPU: slot N of `rings` holds CPU N's ring buffer.  A single
 * shared ring made every event pay for its lock and producer position
 * bouncing between the CPUs (measured by `make bench`: 156 ns per event
 * through one shared ring against 94 ns through a ring per CPU, for the same
 * 48-byte record).  Userspace sizes the outer array to the possible CPUs and
 * the template before load, creates the rings after it (user/ladder.c
 * plan_make_rings()), and merges them back into timestamp order
 * (user/ring.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_RINGBUF);
		__uint(max_entries, 1 << 16);
	});
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipt_cpu_stats);
} stats SEC(".maps");

/* CPU filter (record --cpus): an event is kept when the CPU that produced it
 * or its target CPU is in the set.  1024 CPUs; more are always kept. */
#define IPT_FILTER_WORDS 16
const volatile __u32 filter_on = 0;
const volatile __u64 cpu_filter[IPT_FILTER_WORDS] = {};

static __always_inline int cpu_in_filter(__u32 cpu)
{
	__u32 w = cpu / 64;

	if (w >= IPT_FILTER_WORDS)
		return 1;
	/* The mask restates the bound for the verifier: clang recomputes
	 * cpu / 64 from a register the check above never saw, and folds a bare
	 * mask away because it "knows" w < 16 (measured: "R2 max value is
	 * outside of the allowed memory range").  barrier_var() hides w's value
	 * from clang so the mask stays. */
	barrier_var(w);
	return (cpu_filter[w & (IPT_FILTER_WORDS - 1)] >> (cpu & 63)) & 1;
}

/*
 * The one place a record is written.  A global (non-static, noinline)
 * function: the verifier checks it once, not once per call site or loop
 * iteration, which keeps the cpumask walk cheap to verify.  Global functions
 * take at most five scalar arguments, hence type, kind and target packed
 * into one word.
 */
#define IPT_PACK(type, kind, target) \
	((__u64)(type) | ((__u64)(kind) << 8) | ((__u64)(target) << 32))

__noinline int ipt_emit_packed(__u64 ts, __u64 tkt, __u64 func, __u64 callsite,
			       __u64 csd)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 target = tkt >> 32;
	__u32 zero = 0;
	struct ipt_cpu_stats *st;
	struct ipt_event *e;
	void *rb;

	if (filter_on && !cpu_in_filter(cpu) &&
	    (target == IPT_NO_CPU || !cpu_in_filter(target)))
		return 0;

	st = bpf_map_lookup_elem(&stats, &zero);
	rb = bpf_map_lookup_elem(&rings, &cpu);
	e = rb ? bpf_ringbuf_reserve(rb, sizeof(*e), 0) : NULL;
	if (!e) {
		/* Never silent: a lost event makes its window uncertain. */
		if (st) {
			st->dropped++;
			st->last_drop_ns = ts;
		}
		return 0;
	}
	e->type = tkt & 0xff;
	e->cpu = cpu;
	e->ts = ts;
	e->target = target;
	e->kind = (tkt >> 8) & 0xff;
	e->func = func;
	e->callsite = callsite;
	e->csd = csd;
	/* Never wake the consumer: a wake-up is an irq_work, i.e. a self-IPI
	 * whose ipi_send_cpu tracepoint re-enters this very program (measured on
	 * 6.18: 37k IRQ_WORK IPIs and 96 recursion misses in 3 s under
	 * membarrier load).  Userspace drains the ring on a timer instead
	 * (ring_buffer__consume(), user/ring.c). */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	if (st)
		st->emitted++;
	return 0;
}

static __always_inline int ipt_emit_at(__u64 ts, __u32 type, __u32 target,
				       __u32 kind, __u64 func, __u64 callsite,
				       __u64 csd)
{
	return ipt_emit_packed(ts, IPT_PACK(type, kind, target), func,
			       callsite, csd);
}

static __always_inline int ipt_emit(__u32 type, __u32 target, __u32 kind,
				    __u64 func, __u64 callsite, __u64 csd)
{
	return ipt_emit_at(bpf_ktime_get_ns(), type, target, kind, func,
			   callsite, csd);
}

#endif /* IPITRACE_EMIT_BPF_H */
