# A window of a 10-million-event recording must not load the file: the
# timeline streams it through the correlator and keeps only the window.
# Measured with /usr/bin/time -v (peak RSS); docs/user-guide.md quotes
# the numbers.  The recording is 480 MB; the window's peak RSS must stay
# under 32 MB (measured: about 7 MB, the same as `report`).
. "$TESTLIB"

[ -x /usr/bin/time ] || fail "/usr/bin/time is missing (Debian package time; make deps installs it)"
"$MKREC" --generate 10000000 "$T/big.ipit" || fail "mkrec --generate failed"
size_mb=$(( $(stat -c %s "$T/big.ipit") / 1048576 ))
note "recording: 10000000 events, $size_mb MiB"

# rss ARGS...: peak RSS in KiB of `ipitrace ARGS` (its output in $T/out).
rss() {
	/usr/bin/time -v "$IPITRACE" "$@" >"$T/out" 2>"$T/time" || fail "'ipitrace $*' failed: $(tail -3 "$T/time")"
	sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time"
}
r_report=$(rss report "$T/big.ipit")
note "report (whole file, streamed): peak RSS $r_report KiB"
for fmt in text json perfetto svg; do
	r=$(rss timeline "$T/big.ipit" --from 1.2 --to 1.201 --format $fmt)
	n=$(wc -l <"$T/out")
	note "timeline --from 1.2 --to 1.201 --format $fmt: peak RSS $r KiB, $n lines of output"
	[ "$n" -gt 1000 ] || fail "the window showed almost nothing ($n lines)"
	[ "$r" -lt 32768 ] || fail "a 1 ms window of a $size_mb MiB recording took $r KiB: the file was loaded"
done
# --around reads the file twice (the anomaly first, then its window): the
# generated traffic is healthy, so check the no-anomaly answer is quick and clean.
"$IPITRACE" timeline "$T/big.ipit" --around 1 >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "it has none" "$T/err" || fail "--around on a healthy recording: exit $rc, $(cat "$T/err")"
exit 0
