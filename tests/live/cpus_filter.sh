# record --cpus keeps only events from or to those CPUs, and the report
# does not call sends to untraced CPUs lost.
. "$TESTLIB"
need_bpf
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs"
storm -d 3 -c 0 -t 1 membarrier
"$IPITRACE" record -q -d 2 --cpus 1 -o "$T/c.ipit" || fail "record"
storm_wait
"$MKREC" --dump "$T/c.ipit" | awk 'NR > 3 && $3 != "LOST" {
	t = ""; for (i = 4; i <= NF; i++) if ($i ~ /^to=/) t = substr($i, 4)
	if ($2 != 1 && t != 1) { print; bad++ } }
	END { exit bad > 0 }' >"$T/bad" || fail "events outside --cpus 1: $(head -3 "$T/bad")"
"$IPITRACE" report --json "$T/c.ipit" >"$T/r.json" || fail "report"
expect_json "$T/r.json" '.ipi.sent > 10000' "sends to CPU 1 kept"
expect_json "$T/r.json" '.anomalies | length == 0' "no anomaly from the filter"
# CPUs outside --cpus were not traced: the /proc/interrupts cross-check must
# not count their interrupts as missed (that made a false WARNING once).
expect_json "$T/r.json" '[.interrupts[].cpu] | unique == [1]' "cross-check only for the traced CPU"
expect_json "$T/r.json" '.lost.unseen == 0' "no deficit from untraced CPUs"
