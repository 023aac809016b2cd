# TLB shootdowns and cross-CPU wake-ups: other IPI paths (csd mask sends,
# TTWU batches, reschedules) on the host kernel, healthy, so no anomaly.
. "$TESTLIB"
need_bpf
for mode in tlb wakeup; do
	storm -d 3 $mode
	"$IPITRACE" record -q -d 2 -o "$T/$mode.ipit" || fail "record $mode"
	storm_wait
	"$IPITRACE" report --json "$T/$mode.ipit" >"$T/$mode.json" || fail "report $mode"
	jq -c '{mode: "'$mode'", ipi, csd, lost_events}' "$T/$mode.json"
	expect_healthy "$T/$mode.json" "$mode: "
	expect_json "$T/$mode.json" '.ipi.sent > 10000' "$mode: IPIs seen"
done
expect_json "$T/tlb.json" '.csd.executed > 10000' "tlb: flush_tlb_func calls ran"
# Wake-ups of a task on another CPU are queued as TTWU csds and run in batches.
expect_json "$T/wakeup.json" '.csd.queued > 5000 and .csd.stuck == 0' "wakeup: TTWU csds"
