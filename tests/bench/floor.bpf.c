// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor for `make bench`: empty BPF programs on the 14 tracepoints that
 * `ipitrace record` hooks on a 6.5+ x86 kernel, so that a tracer's cost can
 * be read against the cost of running *any* BPF program there.  raw_tp, like
 * ipitrace's hooks (tp_btf and raw_tp both enter through __bpf_trace_run();
 * bpftrace's tracepoint: probes are perf-event tracepoints, a costlier path
 * with a trace record built per hit).  Each program returns at once: the cost
 * left is the tracepoint's static key, the call into BPF, recursion
 * protection and (with kernel.bpf_stats_enabled) the stats.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EMPTY(tp) SEC("raw_tp/" #tp) int floor_##tp(void *ctx) { return 0; }

EMPTY(ipi_send_cpu)
EMPTY(ipi_send_cpumask)
EMPTY(csd_queue_cpu)
EMPTY(csd_function_entry)
EMPTY(csd_function_exit)
EMPTY(call_function_entry)
EMPTY(call_function_exit)
EMPTY(call_function_single_entry)
EMPTY(call_function_single_exit)
EMPTY(reschedule_entry)
EMPTY(reschedule_exit)
EMPTY(irq_work_entry)
EMPTY(irq_work_exit)
EMPTY(sched_wake_idle_without_ipi)
