# `watch --detail` (tier 2) on this host: csd:csd_queue_cpu and
# csd:csd_function_entry feed an in-kernel pending table and log2
# histograms.  Under membarrier load: every csd to CPU 1 is seen queued and
# executed, no alert.  With the test-only fault switch --fault-drop-exec 1
# (the BPF side ignores every csd execution on CPU 1): a stuck_csd alert
# for CPU 1 within the threshold, naming sender, function and callsite, and
# the request listed as never executed at exit.  Short attachments: this
# host is shared.
. "$TESTLIB"
need_bpf

out=$("$IPITRACE" watch --fault-drop-exec 1 -d 1 2>&1); rc=$?
[ $rc = 2 ] && grep -q "needs --detail" <<<"$out" || fail "--fault-drop-exec without --detail: exit $rc: $out"

port=$((20000 + ($$ + 13) % 20000))
storm -d 3.5 membarrier
"$IPITRACE" watch --detail --json -q -d 3 --threshold 500 --metrics "127.0.0.1:$port" \
	>"$T/ok.jsonl" 2>"$T/ok.err" &
W=$!
sleep 2
curl -s "http://127.0.0.1:$port/metrics" >"$T/metrics.txt" || fail "scrape failed: $(cat "$T/ok.err")"
wait $W || fail "watch --detail failed: $(cat "$T/ok.err")"
storm_wait
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics (tier 2): $(cat "$T/promtool.out")"
fi
grep -E '^ipitrace_csd_(queued_total|queue_to_run_seconds_count)\{src="0",dst="1"' "$T/metrics.txt"
mc=$(awk '/^ipitrace_csd_queue_to_run_seconds_count\{src="0",dst="1"\}/ { print $2 }' "$T/metrics.txt")
je=$(jq -s '[.[] | select(.event == "summary") | .detail.pairs[] | select(.src == 0 and .dst == 1) | .executed][0]' "$T/ok.jsonl")
[ -n "$mc" ] && [ "$mc" -gt 0 ] && [ "$mc" -le "$je" ] ||
	fail "histogram count for 0 -> 1 mid-run ($mc) not within the final JSON count ($je)"
S=$(jq -c 'select(.event == "summary")' "$T/ok.jsonl")
echo "$S"
[ "$(jq -s '[.[] | select(.event == "alert")] | length' "$T/ok.jsonl")" = 0 ] ||
	fail "alerts under healthy load with --detail: $(grep '"alert"' "$T/ok.jsonl" | head -3)"
jq -e '.tier == "1+detail" and .detail.table_full == 0' <<<"$S" >/dev/null || fail "tier 2 not on, or table full: $S"
# A csd queued again while still in the table had its execution event
# missed (requeued_unseen: the kernel skips a probe now and then, e.g. while
# another tracer attaches; seen 3 in 170220): counted, never accused.
jq -e '.detail.requeued_unseen as $u | [.detail.pairs[] | select(.src == 0 and .dst == 1)][0] |
	.queued > 1000 and (.queued - .executed) <= 2 + $u and $u <= .queued / 1000 and
	.p50_ns > 0 and .p99_ns >= .p50_ns' <<<"$S" >/dev/null ||
	fail "CPU 0 -> 1: csds not all seen queued and executed, or no latency: $S"

# The same through the overflow hash alone (test-only
# IPITRACE_DETAIL_NO_SLOTS=1): the path a csd takes when its direct-mapped
# slot holds another csd.
storm -d 2.5 membarrier
IPITRACE_DETAIL_NO_SLOTS=1 "$IPITRACE" watch --detail --json -q -d 2 --threshold 500 \
	>"$T/hash.jsonl" 2>"$T/hash.err" || fail "watch --detail (hash only) failed: $(cat "$T/hash.err")"
storm_wait
S=$(jq -c 'select(.event == "summary")' "$T/hash.jsonl")
echo "hash only: $(jq -c .detail <<<"$S")"
[ "$(jq -s '[.[] | select(.event == "alert")] | length' "$T/hash.jsonl")" = 0 ] ||
	fail "alerts under healthy load, hash only: $(grep '"alert"' "$T/hash.jsonl" | head -3)"
jq -e '.detail.table_full == 0 and (.detail.requeued_unseen as $u | [.detail.pairs[] | select(.src == 0 and .dst == 1)][0] |
	.queued > 1000 and (.queued - .executed) <= 2 + $u)' <<<"$S" >/dev/null ||
	fail "hash only: CPU 0 -> 1 csds not all seen queued and executed: $S"

threshold=400
storm -d 3.5 membarrier
"$IPITRACE" watch --detail --fault-drop-exec 1 --json -q -d 3 --threshold $threshold \
	>"$T/fault.jsonl" 2>"$T/fault.err" || fail "watch --detail --fault-drop-exec failed: $(cat "$T/fault.err")"
storm_wait
cat "$T/fault.err"
first=$(jq -s -c '[.[] | select(.event == "alert" and .tier == "detail" and .state == "stuck")][0]' "$T/fault.jsonl")
[ "$first" != null ] || fail "no tier 2 stuck alert with CPU 1's executions dropped"
jq -e '.target_cpu == 1 and .waiter_cpu == 0 and (.callsite | length > 0) and (.func | length > 0)' \
	<<<"$first" >/dev/null || fail "tier 2 alert lacks target, sender, callsite or function: $first"
# Within the threshold: first seen by a scan (10 a second) once it is
# older than the threshold.
jq -e --argjson t $threshold '.age_ms >= $t and .age_ms <= $t + 300 and .time_s <= ($t / 1000 + 0.6)' \
	<<<"$first" >/dev/null || fail "tier 2 alert too late: $first"
jq -e -s '[.[] | select(.event == "alert" and .tier == "detail" and .state == "never_executed" and .target_cpu == 1)] | length >= 1' \
	"$T/fault.jsonl" >/dev/null || fail "the dropped request is not listed as never executed"
[ "$(jq -s '[.[] | select(.event == "alert" and .target_cpu != 1)] | length' "$T/fault.jsonl")" = 0 ] ||
	fail "alerts for other CPUs under the fault"

# And the stuck csd found in the overflow hash.
storm -d 2.5 membarrier
IPITRACE_DETAIL_NO_SLOTS=1 "$IPITRACE" watch --detail --fault-drop-exec 1 --json -q -d 2 --threshold $threshold \
	>"$T/hfault.jsonl" 2>"$T/hfault.err" || fail "watch --detail --fault-drop-exec (hash only) failed: $(cat "$T/hfault.err")"
storm_wait
jq -e -s '[.[] | select(.event == "alert" and .tier == "detail" and .state == "stuck" and .target_cpu == 1 and .waiter_cpu == 0)] | length >= 1' \
	"$T/hfault.jsonl" >/dev/null || fail "hash only: no tier 2 stuck alert for CPU 1: $(grep '"alert"' "$T/hfault.jsonl" | head -2)"
exit 0
