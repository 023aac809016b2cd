# watch, tier 1 on the addr rung, against a frozen vCPU in the Debian 12
# ppc64le (6.1) guest (no BTF, no KALLSYMS_ALL, BPF interpreter): the csd
# queue and the muxed-IPI message word of the frozen CPU.  See
# tests/vm/watch_frozen.inc.
WF_KERNEL=ppc-6.1 WF_DETAIL=0
. "$ROOT/tests/vm/watch_frozen.inc"
