# The Perfetto timeline of a real host recording: 2 s recorded under
# ipistorm load (wake-ups: reschedule IPIs and TTWU csds) parses as JSON;
# the validator (tests/perfetto_check.jq) finds every flow_out with
# exactly one flow_in (sends flagged undelivered excepted: they have none),
# one lane per CPU named "CPU n", and slices nested per lane.
. "$TESTLIB"
need_bpf

storm -d 3 wakeup
"$IPITRACE" record -q -d 2 -o "$T/host.ipit" || fail "record exited $?"
storm_wait
"$IPITRACE" report --json "$T/host.ipit" >"$T/r.json" || fail "report exited $?"
jq -c '{ipi, csd, lost_events}' "$T/r.json"

# The whole recording, then a 100 ms window of it.
"$IPITRACE" timeline "$T/host.ipit" --format perfetto -o "$T/all.json" || fail "timeline exited $?"
n=$(jq '.traceEvents | length' "$T/all.json") || fail "the Perfetto output does not parse as JSON"
note "whole recording: $n trace events, $(( $(stat -c %s "$T/all.json") / 1024 )) KiB"
"$IPITRACE" timeline "$T/host.ipit" --from 0.8 --to 0.9 --format perfetto -o "$T/win.json" ||
	fail "timeline --from/--to exited $?"
for f in all win; do
	jq -f "$ROOT/tests/perfetto_check.jq" "$T/$f.json" >"$T/$f.v" || fail "validator crashed on $f"
	note "$f: $(jq -c . "$T/$f.v")"
	jq -e .ok "$T/$f.v" >/dev/null || fail "$f: $(jq -c .problems "$T/$f.v")"
done
expect_json "$T/all.v" '.flows > 1000' "arrows in the whole recording"
expect_json "$T/win.v" '.flows > 50' "arrows in the window"
expect_json "$T/all.v" '.lanes >= 2' "a lane per CPU"
# Every verified delivery of the report is an arrow (a coalesced send is
# one too): flows = matched sends + csds run, give or take the few whose
# other end is outside the recording's events.
expect_json "$T/all.json" '[.traceEvents[] | select(.cat == "send" and .args.verdict == "delivered")] | length > 1000'
exit 0
