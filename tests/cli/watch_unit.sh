# The example systemd unit for watch (docs/ipitrace-watch.service) is valid
# for systemd, and every option its ExecStart gives is one watch accepts.
. "$TESTLIB"
U=$ROOT/docs/ipitrace-watch.service
[ -r "$U" ] || fail "docs/ipitrace-watch.service missing"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (Debian package systemd)"
sed "s|/usr/local/bin/ipitrace|$IPITRACE|" "$U" >"$T/ipitrace-watch.service"
systemd-analyze verify "$T/ipitrace-watch.service" >"$T/verify.out" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/verify.out")"
[ ! -s "$T/verify.out" ] || fail "systemd-analyze warns: $(cat "$T/verify.out")"
# The options of ExecStart parse (--help short-circuits loading BPF).
args=$(sed -n 's|^ExecStart=/usr/local/bin/ipitrace watch ||p' "$U")
[ -n "$args" ] || fail "no ExecStart running ipitrace watch"
# shellcheck disable=SC2086
"$IPITRACE" watch $args --help >/dev/null || fail "watch rejects the unit's options: $args"
exit 0
