// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier 1 sampler, BTF route: for kernels whose /proc/kallsyms has no data
 * symbols (no CONFIG_KALLSYMS_ALL), where the verifier refuses a typed
 * per-CPU __ksym ("ldimm64 failed to find the address for kernel symbol",
 * measured on this host's 6.18).  See sampler.bpf.h.
 */
#include "sampler.bpf.h"

/*
 * Run once on every CPU (BPF_F_TEST_RUN_ON_CPU, 5.10+: 1b4d60ec162f "bpf:
 * Enable BPF_PROG_TEST_RUN for raw_tracepoint"): the running task's
 * runqueue is this CPU's `runqueues`, so rq - DATASEC offset of runqueues
 * is this CPU's per-CPU base (__per_cpu_offset[cpu]).  se.cfs_rq exists
 * with CONFIG_FAIR_GROUP_SCHED; rq->cpu is checked by userspace.
 */
SEC("raw_tp")
int calibrate(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 cpu = bpf_get_smp_processor_id();
	struct rq *rq;

	rq = BPF_CORE_READ(t, se.cfs_rq, rq);
	if (!rq || cpu >= IPT_SAMPLE_MAX_CPUS)
		return 1;
	barrier_var(cpu);
	cpu &= IPT_SAMPLE_MAX_CPUS - 1;
	bases[cpu] = (__u64)rq - off_runqueues;
	samples[cpu].rq_cpu = BPF_CORE_READ(rq, cpu);
	return 0;
}

SEC("raw_tp")
int sample(void *ctx)
{
	return do_sample();
}
