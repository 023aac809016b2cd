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
	expect_json "$T/$mode.json" '[.anomalies[] | select(.kind != "uncertain")] | length == 0' "$mode: no accusation"
	# An uncertain verdict must rest on a loss the trace knows of: a counted
	# drop or miss, or receives the kernel counted that the trace lacks.
	expect_json "$T/$mode.json" '[.anomalies[] | select(.kind == "uncertain") | .lost_events + .unseen > 0] | all' "$mode: uncertain only with a known loss"
	expect_json "$T/$mode.json" '.lost.ring_full == 0' "$mode: no ring drops"
	expect_json "$T/$mode.json" '.ipi.sent > 10000' "$mode: IPIs seen"
	expect_json "$T/$mode.json" '[.interrupts[] | select(.row == "CAL") |
		((.traced - .kernel) | fabs) <= ([2, .kernel * 0.01] | max)] | all' "$mode: CAL within 1%"
done
expect_json "$T/tlb.json" '.csd.executed > 10000' "tlb: flush_tlb_func calls ran"
# Wake-ups of a task on another CPU are queued as TTWU csds and run in batches.
expect_json "$T/wakeup.json" '.csd.queued > 5000 and .csd.stuck == 0' "wakeup: TTWU csds"
