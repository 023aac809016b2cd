# watch --detail (tiers 1 and 2) against a frozen vCPU in the Debian 13
# x86-64 (6.12) guest, which has the csd:* tracepoints tier 2 hooks: see
# tests/vm/watch_frozen.inc.
WF_KERNEL=x86-6.12 WF_DETAIL=1
. "$ROOT/tests/vm/watch_frozen.inc"
