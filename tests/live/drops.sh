# A ring far too small for the load loses events: they are counted, shown,
# and turn verdicts into `uncertain`, never into accusations.
. "$TESTLIB"
need_bpf
storm -d 3 membarrier
"$IPITRACE" record -d 2 --ring-size 4K -o "$T/d.ipit" 2>"$T/err" || fail "record: $(cat "$T/err")"
storm_wait
cat "$T/err"
grep -qE "[1-9][0-9]* lost \(ring full\)" "$T/err" || fail "record did not say it lost events"
"$IPITRACE" report --json "$T/d.ipit" >"$T/r.json" || fail "report"
"$IPITRACE" report "$T/d.ipit" | head -8
expect_json "$T/r.json" '.lost_events > 1000' "losses counted"
expect_json "$T/r.json" '.lost.ring_full == ([.per_cpu[].lost_events] | add)' "per-CPU losses add up"
expect_json "$T/r.json" '.ipi.undelivered == 0 and .csd.stuck == 0' "no accusation from lost events"
expect_json "$T/r.json" '[.anomalies[] | select(.kind != "uncertain")] | length == 0' "only uncertain verdicts"
