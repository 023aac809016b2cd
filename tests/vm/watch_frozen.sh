# watch, tier 1, against a frozen vCPU in the Debian 12 x86-64 (6.1) guest:
# see tests/vm/watch_frozen.inc.
WF_KERNEL=x86-6.1 WF_DETAIL=0
. "$ROOT/tests/vm/watch_frozen.inc"
