// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Who waits for a stuck entry, and from where: the callsite that tier 1's
 * sampled state cannot give.
 *
 * Armed by `watch` when an entry of some CPU's call_single_queue has been
 * pending for half the threshold, on the CPU that waits for it (from the
 * senders' cfd_data/csd_data) or, for an on-stack csd, on the other
 * responsive CPUs: a software cpu-clock perf event per CPU, with this
 * program as its overflow handler.  Each tick it keeps the interrupted
 * context's kernel stack, task and kernel stack base (an on-stack csd lies
 * inside its waiter's stack; the base needs kernel BTF, the rest does
 * not).  Nothing here patches kernel text: tracepoints, fentry and
 * kprobes would (a static key or an int3, then a cross-call to every CPU
 * to sync), and that cross-call would itself wait for the stuck CPU.  A perf event is installed by a cross-call to its own CPU only, which
 * is the waiter, spinning with interrupts on.  user/waiter.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ipitrace/waiter.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct ipt_waiter_cpu wcpu[IPT_WAITER_MAX_CPUS];

/* [lo, hi) of the kernel/smp.c functions a waiter spins in, from kallsyms
 * (user/waiter.c); nsmp = 0 keeps no hits. */
const volatile __u64 smp_lo[IPT_WAITER_RANGES] = {};
const volatile __u64 smp_hi[IPT_WAITER_RANGES] = {};
const volatile __u32 nsmp = 0;
/* Offset of task_struct.stack, from the running kernel's BTF by
 * user/waiter.c; 0 without BTF (then no stack base: no on-stack csd can
 * be matched to its waiter, the rest works).  Read with a probe, not
 * CO-RE, so that the object loads on kernels without BTF. */
const volatile __u32 task_stack_off = 0;

static __always_inline int in_smp(__u64 ip)
{
	for (int j = 0; j < IPT_WAITER_RANGES; j++)
		if (j < nsmp && ip >= smp_lo[j] && ip < smp_hi[j])
			return 1;
	return 0;
}

SEC("perf_event")
int waiter_tick(struct bpf_perf_event_data *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ipt_waiter_sample *s;
	struct ipt_waiter_cpu *wc;
	struct task_struct *t;
	__u64 seq;
	long n;

	if (cpu >= IPT_WAITER_MAX_CPUS)
		return 0;
	barrier_var(cpu);	/* see emit.bpf.h: keep the mask for the verifier */
	cpu &= IPT_WAITER_MAX_CPUS - 1;
	wc = &wcpu[cpu];
	seq = wc->seq;
	s = &wc->slot[seq & (IPT_WAITER_SLOTS - 1)];
	n = bpf_get_stack(ctx, s->ips, sizeof(s->ips), 0);
	s->nr = n > 0 ? n / sizeof(__u64) : 0;
	s->stack_base = 0;
	if (task_stack_off) {
		t = (struct task_struct *)bpf_get_current_task();
		bpf_probe_read_kernel(&s->stack_base, sizeof(s->stack_base),
				      (char *)t + task_stack_off);
	}
	s->pid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	s->ts = bpf_ktime_get_ns();
	/* Only this CPU writes its slots (the perf event is pinned to it,
	 * and runs with interrupts off): a plain store, published last
	 * (clang 14's BPF backend has no store-release; the slot's stores
	 * are not moved past it by the compiler, and userspace checks seq
	 * again after its copy). */
	asm volatile("" ::: "memory");
	wc->seq = seq + 1;
	if (!nsmp)
		return 0;
	for (int i = 0; i < IPT_WAITER_FRAMES; i++) {
		if (i >= s->nr)
			break;
		if (in_smp(s->ips[i])) {
			__builtin_memcpy(&wc->hit, s, sizeof(*s));
			asm volatile("" ::: "memory");
			wc->hit_seq++;
			break;
		}
	}
	return 0;
}
