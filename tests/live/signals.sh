# record until SIGINT / SIGTERM: a complete recording, exit 0, and no BPF
# link left attached afterwards.
. "$TESTLIB"
need_bpf
# Links in the whole system (nothing else should be tracing during tests),
# and the BPF links one process holds (fdinfo shows link_type for each).
links() { bpftool link list -j 2>/dev/null | jq length; }
links_of() { grep -l '^link_type:' /proc/"$1"/fdinfo/* 2>/dev/null | wc -l; }
before=$(links)
for sig in INT TERM; do
	"$IPITRACE" record -q -o "$T/$sig.ipit" & pid=$!
	sleep 1.5
	[ "$(links_of $pid)" -ge 5 ] || fail "record holds $(links_of $pid) BPF links while recording"
	kill -$sig $pid
	wait $pid; rc=$?
	[ $rc = 0 ] || fail "record exited $rc after SIG$sig"
	"$IPITRACE" report --json "$T/$sig.ipit" >"$T/r.json" || fail "recording after SIG$sig unreadable"
	expect_json "$T/r.json" '.recording.duration_s > 1' "duration after SIG$sig"
	[ "$(links)" = "$before" ] || fail "links left after SIG$sig: $(bpftool link list)"
done
# SIGKILL: the kernel drops the links with the process.
"$IPITRACE" record -q -o "$T/k.ipit" & pid=$!
sleep 1
kill -KILL $pid; wait $pid 2>/dev/null
sleep 0.5
[ "$(links)" = "$before" ] || fail "links left after SIGKILL"
"$IPITRACE" report "$T/k.ipit" 2>"$T/err" && fail "a killed recording read as complete"
grep -q "no trailer" "$T/err" || fail "killed recording: $(cat "$T/err")"
