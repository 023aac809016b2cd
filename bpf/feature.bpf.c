// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Feature probes, loaded one at a time by user/ladder.c before any real hook
 * is chosen, in the manner of retsnoop's calib_feat.bpf.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Can this kernel attach a BPF trampoline (fentry)?  Needs BTF and
 * CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS on the arch (x86 since 5.5,
 * 2fcd7d1a4b6b "bpf: Introduce BPF trampoline"; powerpc only from about
 * 6.13).  smp_call_function_single is the function the CSD-wait rung
 * hooks, so the probe answers the question that matters. */
SEC("fentry/smp_call_function_single")
int BPF_PROG(feat_fentry)
{
	return 0;
}
