// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier 1 sampler, typed-ksym route: where /proc/kallsyms lists per-CPU data
 * symbols (CONFIG_KALLSYMS_ALL: Debian 12 x86-64, Debian 13 ppc64le), the
 * verifier resolves `call_single_queue` and bpf_per_cpu_ptr() (5.10+,
 * eaa6bcb71ef6 "bpf: Introduce bpf_per_cpu_ptr()") gives every CPU's copy
 * from any CPU: no per-CPU calibration run.  See sampler.bpf.h.
 */
#include "sampler.bpf.h"

extern struct llist_head call_single_queue __ksym;

SEC("raw_tp")
int calibrate(void *ctx)
{
	for (__u32 cpu = 0; cpu < IPT_SAMPLE_MAX_CPUS; cpu++) {
		void *p;

		if (cpu >= nr_cpus)
			break;
		p = bpf_per_cpu_ptr(&call_single_queue, cpu);
		if (p)
			bases[cpu] = (__u64)p - off_csq;
	}
	return 0;
}

SEC("raw_tp")
int sample(void *ctx)
{
	return do_sample();
}
