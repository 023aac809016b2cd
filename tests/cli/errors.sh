# Bad input gets a clear one-line error and the documented exit code,
# never a crash.  No BPF needed.
. "$TESTLIB"

# expect_exit CODE PATTERN -- command...: exit code and stderr message.
expect_exit() {
	local code=$1 pat=$2; shift 3
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	[ $rc = "$code" ] || fail "'$*' exited $rc, expected $code: $(cat "$T/err")"
	grep -qE "$pat" "$T/err" || fail "'$*': stderr lacks /$pat/: $(cat "$T/err")"
	[ $rc -lt 128 ] || fail "'$*' died of a signal"
	note "ok: $* -> $rc: $(head -1 "$T/err")"
}

expect_exit 2 "usage: ipitrace" -- "$IPITRACE"
expect_exit 2 "unknown command 'frobnicate'" -- "$IPITRACE" frobnicate
expect_exit 2 "unrecognized option|unknown option" -- "$IPITRACE" report --bogus x
expect_exit 2 "needs a recording FILE" -- "$IPITRACE" report
expect_exit 2 "takes one FILE" -- "$IPITRACE" report a b
expect_exit 2 "bad time '5 parsecs'" -- "$IPITRACE" report --threshold '5 parsecs' x
expect_exit 2 "record needs -o FILE" -- "$IPITRACE" record -d 1
expect_exit 2 "bad duration 'soon'" -- "$IPITRACE" record -o "$T/x" -d soon
expect_exit 2 "bad duration" -- "$IPITRACE" record -o "$T/x" -d 0
expect_exit 2 "bad --cpus '3-1': range 3-1 goes backwards" -- "$IPITRACE" record -o "$T/x" --cpus 3-1
expect_exit 2 "bad --cpus 'x': expected a CPU number" -- "$IPITRACE" record -o "$T/x" --cpus x
expect_exit 2 "beyond the" -- "$IPITRACE" record -o "$T/x" --cpus 100000
expect_exit 2 "bad ring size '3M'" -- "$IPITRACE" record -o "$T/x" --ring-size 3M
expect_exit 2 "bad ring size '1k': a power of two of at least the page size" -- "$IPITRACE" record -o "$T/x" --ring-size 1k
expect_exit 2 "fault-waiter names the waiter of --fault-stuck's entry" -- "$IPITRACE" watch --fault-waiter 0
expect_exit 2 "bad --fault-waiter 'x'" -- "$IPITRACE" watch --fault-stuck 1 --fault-waiter x
expect_exit 2 "unexpected argument" -- "$IPITRACE" probe extra
expect_exit 1 "cannot open $T/missing.ipit: No such file" -- "$IPITRACE" report "$T/missing.ipit"
expect_exit 1 "not a regular file" -- "$IPITRACE" report /
printf 'hello world, not a recording at all' >"$T/text"
expect_exit 1 "bad magic at byte offset 0" -- "$IPITRACE" report "$T/text"
: >"$T/empty"
expect_exit 1 "too short for the magic" -- "$IPITRACE" report "$T/empty"

# A real recording, cut: the message names the byte offset.
printf 'ncpus 2\n0 0 SEND to=1 kind=RESCHEDULE\n10 1 IPI_ENTRY kind=RESCHEDULE\nend 1s\n' >"$T/s.txt"
"$MKREC" "$T/s.txt" "$T/ok.ipit" || fail "mkrec"
"$IPITRACE" report "$T/ok.ipit" >/dev/null || fail "report of a good file failed"
size=$(stat -c %s "$T/ok.ipit")
head -c $((size - 10)) "$T/ok.ipit" >"$T/cut.ipit"
expect_exit 1 "truncated: TRAILER section at byte offset [0-9]+" -- "$IPITRACE" report "$T/cut.ipit"
[ "$(wc -l <"$T/err")" = 1 ] || fail "error is not one line: $(cat "$T/err")"

# --help teaches, exits 0, on stdout.
for v in probe record report; do
	"$IPITRACE" $v --help >"$T/h" || fail "$v --help exited $?"
	grep -q "usage: ipitrace $v" "$T/h" || fail "$v --help has no usage line"
done
"$IPITRACE" --help | grep -q "record -d 3" || fail "top-level help lacks the first-look example"
"$IPITRACE" --version | grep -qE '^ipitrace [0-9]' || fail "--version"
