// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier 1 sampler, address route: for kernels with neither BTF nor data
 * symbols in /proc/kallsyms (Debian 12 ppc64le 6.1: no DEBUG_INFO_BTF, no
 * KALLSYMS_ALL).  Userspace takes the per-CPU variables' link addresses from
 * the kernel image's symbol table (/boot/vmlinux-RELEASE, --vmlinux) and
 * the address of __per_cpu_offset[]; a CPU's copy of a variable is its link
 * address + __per_cpu_offset[cpu] (include/asm-generic/percpu.h), on every
 * architecture.  Plain addresses in rodata, never typed __ksym: one typed
 * ksym makes libbpf demand kernel BTF for the whole object (ESRCH there).
 *
 * Field offsets are CO-RE relocations resolved against the minimal BTF
 * that the build cuts from Debian 13's kernel (user/ladder.c,
 * ipt_min_btf_path()), so only layouts that are the same in 6.1 and 6.12
 * may be used: the csd node and csd (5.8+), the per-target csd pointer first
 * in call_function_data (csd in 6.12, pcpu -> cfd_percpu.csd in 6.1: the
 * same word), powerpc's irq_cpustat_t up to doorbell_irqs, kstat.irqs_sum.
 * struct rq and task_struct differ between versions: no context switches
 * and no wake-up task names here (IPT_SAMPLER_NO_KERNEL_BTF).
 */
#define IPT_SAMPLER_NO_KERNEL_BTF 1
#include "sampler.bpf.h"

const volatile __u64 addr_per_cpu_offset = 0;	/* &__per_cpu_offset[0] */

SEC("raw_tp")
int calibrate(void *ctx)
{
	for (__u32 cpu = 0; cpu < IPT_SAMPLE_MAX_CPUS; cpu++) {
		__u64 off = 0;

		if (cpu >= nr_cpus)
			break;
		if (!bpf_probe_read_kernel(&off, sizeof(off), (void *)(addr_per_cpu_offset + cpu * 8ull)))
			bases[cpu] = off;
	}
	return 0;
}

SEC("raw_tp")
int sample(void *ctx)
{
	return do_sample();
}
