# The SVG timeline of an anomaly scenario, rendered by headless Chromium
# (Debian's chromium, `make deps`) to a PNG: the picture is not blank and
# shows the anomaly colour, much more of it than a healthy scenario's
# picture (whose only red is the legend's swatch).  No BPF needed.
. "$TESTLIB"

RED=d62728	# ANOMALY_COLOUR in user/timeline.c
PNGCHECK=$ROOT/$BUILD/tests/pngcheck
[ -x "$PNGCHECK" ] || fail "$PNGCHECK is not built (make all builds it)"
command -v chromium >/dev/null || fail "chromium is not installed: run make deps (Debian package chromium)"

# render SVG PNG: a fresh profile each time, nothing from the network.
render() {
	local ud
	ud=$(mktemp -d "$T/chromium.XXXXXX")
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-quic --user-data-dir="$ud" --hide-scrollbars \
		--screenshot="$2" --window-size=1200,700 "file://$1" >"$T/chromium.log" 2>&1 ||
		fail "chromium failed on $1: $(tail -5 "$T/chromium.log")"
	[ -s "$2" ] || fail "chromium wrote no screenshot: $(tail -5 "$T/chromium.log")"
}

"$MKREC" "$ROOT/tests/scenarios/kvm_power_lost_ipi.txt" "$T/kvm.ipit" || fail "mkrec failed"
"$MKREC" "$ROOT/tests/scenarios/healthy_muxed.txt" "$T/ok.ipit" || fail "mkrec failed"
# No window given: the SVG shows the window around the first anomaly.
"$IPITRACE" timeline "$T/kvm.ipit" --format svg -o "$T/kvm.svg" 2>"$T/err" || fail "svg exited $?: $(cat "$T/err")"
grep -q 'around anomaly 1' "$T/err" || fail "no note of the anomaly window: $(cat "$T/err")"
"$IPITRACE" timeline "$T/ok.ipit" --format svg -o "$T/ok.svg" || fail "svg (healthy) exited $?"

# Self-contained: no script, no reference outside the file.
for f in "$T/kvm.svg" "$T/ok.svg"; do
	grep -qi '<script' "$f" && fail "$f has a script"
	grep -qE '(href|src)="(https?:|//)' "$f" && fail "$f references the network"
done
grep -q 'the window around anomaly 1' "$T/kvm.svg" || fail "the SVG does not say which window it shows"
grep -qE '>[0-9.]+ (s|ms|us)</text>' "$T/kvm.svg" || fail "no time axis labels with units"
grep -q 'never taken' "$T/kvm.svg" || fail "the undelivered send is not drawn"

render "$T/kvm.svg" "$T/kvm.png"
render "$T/ok.svg" "$T/ok.png"
bad=$("$PNGCHECK" "$T/kvm.png" $RED) || fail "cannot decode kvm.png"
good=$("$PNGCHECK" "$T/ok.png" $RED) || fail "cannot decode ok.png"
note "anomaly picture: $bad"
note "healthy picture: $good"
val() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" <<<"$1"; }
[ "$(val "$bad" nonwhite)" -gt 20000 ] || fail "the picture is (nearly) blank: $bad"
[ "$(val "$bad" colours)" -gt 20 ] || fail "the picture has almost no colours: $bad"
[ "$(val "$bad" match)" -gt 0 ] || fail "no anomaly colour in the picture: $bad"
[ "$(val "$bad" match)" -gt $(( $(val "$good" match) + 300 )) ] ||
	fail "the anomaly picture has hardly more anomaly colour than the healthy one"
cp "$T/kvm.png" "$ROOT/$BUILD/tests/timeline_kvm.png" 2>/dev/null
exit 0
