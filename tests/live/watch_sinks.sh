# `watch` sinks, with alerts from the test-only fault switch (--fault-stuck
# CPU:MS fakes one stuck synchronous csd on CPU in every sample, after the
# BPF side; the sampler itself runs for real): --syslog into a real rsyslogd
# started here on a private socket, --exec with the fields in its
# environment and a time limit, --metrics scraped mid-run and checked with
# promtool, its counters equal to the JSON of the same run, --exit-on-alert.
. "$TESTLIB"
need_bpf
command -v rsyslogd >/dev/null || fail "rsyslogd missing (make deps installs rsyslog)"
command -v promtool >/dev/null || fail "promtool missing (make deps installs prometheus)"
command -v curl >/dev/null || fail "curl missing (make deps installs curl)"

# A real syslog daemon on a private socket, writing one file.
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log.sock" CreatePath="on")
template(name="plain" type="string" string="%syslogseverity-text% %syslogtag%%msg%\n")
*.* action(type="omfile" file="$T/messages" template="plain")
EOF
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" 2>"$T/rsyslog.err" &
RSYSLOG=$!
for _ in $(seq 50); do [ -S "$T/log.sock" ] && break; sleep 0.1; done
[ -S "$T/log.sock" ] || fail "rsyslogd did not create its socket: $(cat "$T/rsyslog.err")"

port=$((20000 + ($$ + 7) % 20000))
mkdir "$T/exec"
"$IPITRACE" watch -q --json --threshold 300 -d 4 --fault-stuck 1:1600 \
	--syslog="$T/log.sock" --metrics "127.0.0.1:$port" \
	--exec "env | grep '^IPITRACE_' | sort >$T/exec/\$IPITRACE_STATE.env" \
	>"$T/run.jsonl" 2>"$T/run.err" &
W=$!
sleep 2.6		# after the alert, its repeat and the resolution (1.6 s)
curl -s "http://127.0.0.1:$port/metrics" >"$T/metrics.txt" || fail "scrape failed: $(cat "$T/run.err")"
wait $W || fail "watch failed: $(cat "$T/run.err")"
cat "$T/run.err"

# promtool parses it.
promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$T/promtool.out")"
grep -v '^#' "$T/metrics.txt" | head -12
# Counters agree with the JSON of the same run (no alert came after the
# scrape: the fault resolved at 1.6 s).
for st in stuck still_stuck resolved; do
	j=$(jq -s --arg s "$st" '[.[] | select(.event == "alert" and .state == $s)] | length' "$T/run.jsonl")
	m=$(awk -v s="state=\"$st\"" 'index($0, s) && /^ipitrace_alerts_total/ { print $2 }' "$T/metrics.txt")
	[ "$j" = "$m" ] || fail "alerts $st: JSON $j, metrics $m"
	[ "$j" -ge 1 ] || fail "no $st alert in the JSON"
done
js=$(jq -s '.[] | select(.event == "summary") | .samples' "$T/run.jsonl")
ms=$(awk '/^ipitrace_samples_total/ { print $2 }' "$T/metrics.txt")
[ "$ms" -gt 100 ] && [ "$ms" -le "$js" ] || fail "samples: metrics $ms mid-run, JSON $js at the end"
grep -q '^ipitrace_pending_entries{cpu="1"}' "$T/metrics.txt" || fail "no pending gauge for CPU 1"

# syslog: the daemon got them, with a severity per state.
sleep 0.5
kill "$RSYSLOG"; wait "$RSYSLOG" 2>/dev/null
cat "$T/messages"
grep -q '^crit ipitrace\[[0-9]*\]: ALERT stuck_csd: CPU 1 has not run' "$T/messages" ||
	fail "no crit ALERT line in syslog"
grep -q '^notice ipitrace\[[0-9]*\]: RESOLVED stuck_csd: CPU 1' "$T/messages" ||
	fail "no notice RESOLVED line in syslog"

# --exec: one command per alert, with the fields.
cat "$T/exec/stuck.env"
grep -qx 'IPITRACE_TARGET_CPU=1' "$T/exec/stuck.env" || fail "exec: no IPITRACE_TARGET_CPU=1"
grep -qx 'IPITRACE_KIND=stuck_csd' "$T/exec/stuck.env" || fail "exec: no IPITRACE_KIND"
grep -q '^IPITRACE_AGE_MS=[0-9]' "$T/exec/stuck.env" || fail "exec: no IPITRACE_AGE_MS"
grep -q '^IPITRACE_FUNC=.' "$T/exec/stuck.env" || fail "exec: no IPITRACE_FUNC"
grep -qx 'IPITRACE_STATE=resolved' "$T/exec/resolved.env" || fail "exec: no resolved run"

# --exec time limit: a command that would hang is killed, with what it
# started, and watch does not wait for it.
start=$(date +%s%N)
"$IPITRACE" watch -q --threshold 100 -d 1 --fault-stuck 0 --exec "sleep 97.25 & sleep 97.25" --exec-timeout 0.5 \
	2>"$T/to.err" || fail "watch with a hanging --exec failed: $(cat "$T/to.err")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "hanging --exec: watch took $ms ms"
[ $ms -lt 4000 ] || fail "watch waited $ms ms for a hanging --exec command (limit 0.5 s)"
sleep 0.2
pgrep -f "^sleep 97.25$" >/dev/null && fail "the --exec command's children survived its time limit"

# --exit-on-alert: status 4 at the first alert.
"$IPITRACE" watch -q --threshold 200 -d 10 --fault-stuck 0 --exit-on-alert 2>/dev/null; rc=$?
[ $rc = 4 ] || fail "--exit-on-alert: exit $rc, want 4"
exit 0
