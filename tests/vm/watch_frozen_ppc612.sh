# watch, tier 1 on the typed-ksym rung, against a frozen vCPU in the Debian
# 13 ppc64le (6.12) guest (BTF, KALLSYMS_ALL): the csd queue, its waiter
# (powerpc's per-CPU section does not start at 0: the DATASEC offsets are
# shifted by __per_cpu_start), and the muxed-IPI message word of the frozen
# CPU.  See tests/vm/watch_frozen.inc.
WF_KERNEL=ppc-6.12 WF_DETAIL=0
. "$ROOT/tests/vm/watch_frozen.inc"
