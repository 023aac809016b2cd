# Without CAP_BPF/CAP_PERFMON: a clear message and exit 3, no crash.  Uses
# setpriv to drop to an unprivileged uid with no capabilities.
. "$TESTLIB"
need_bpf
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
cp "$IPITRACE" "$T/ipitrace"
chmod 755 "$T" "$T/ipitrace"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

as_nobody "$T/ipitrace" probe >"$T/out" 2>"$T/err"; rc=$?
cat "$T/err"
[ $rc = 3 ] || fail "probe as nobody exited $rc, expected 3"
grep -q "CAP_BPF" "$T/err" || fail "probe's message does not say what is missing"

as_nobody "$T/ipitrace" record -d 1 -o "$T/x.ipit" >"$T/out" 2>"$T/err"; rc=$?
cat "$T/err"
[ $rc = 3 ] || fail "record as nobody exited $rc, expected 3"
grep -q "CAP_BPF" "$T/err" || fail "record's message does not say what is missing"
[ ! -e "$T/x.ipit" ] || fail "record left a file behind after failing"
