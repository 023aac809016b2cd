#!/usr/bin/env bash
# make bench, correlator part: `ipitrace report --json` over generated
# healthy traces of 1 and 10 million events (tests/mkrec --generate),
# 5 runs each; the median wall time gives events/s, /usr/bin/time -v the
# peak RSS.  The whole report is timed: reading, CRC, validation,
# correlation and JSON, on one core.
# Target (issue 3): >= 20 million events/s, peak RSS < 64 MiB at any length.
set -eu
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
OUT=${1:-docs/PERFORMANCE.md}
mkdir -p "$B/bench"
rows=""
for n in 1000000 10000000; do
	f=$B/bench/gen-$n.ipit
	[ -s "$f" ] || "$B/tests/mkrec" --generate "$n" "$f" 4
	times=()
	rss=0
	# Wall time with ns resolution (/usr/bin/time's %e has 10 ms), peak RSS
	# from one more run under /usr/bin/time.
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$B/ipitrace" report --json "$f" >/dev/null
		t1=$(date +%s%N)
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
	done
	/usr/bin/time -f "%M" -o "$B/bench/time" "$B/ipitrace" report --json "$f" >/dev/null
	rss=$(cat "$B/bench/time")
	med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
	lo=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
	hi=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
	rate=$(awk -v n="$n" -v t="$med" 'BEGIN { printf "%.1f", n / t / 1e6 }')
	ok=$(awk -v r="$rate" -v m="$rss" 'BEGIN { print (r >= 20 && m < 65536) ? "yes" : "NO" }')
	printf 'correlator  %9d events  median %6.3f s (%s..%s)  %6.1f M events/s  peak RSS %6.1f MiB  target met: %s\n' \
		"$n" "$med" "$lo" "$hi" "$rate" "$(awk -v m="$rss" 'BEGIN { printf "%.1f", m / 1024 }')" "$ok"
	rows+="| $n | $med s ($lo..$hi) | $rate M/s | $(awk -v m="$rss" 'BEGIN { printf "%.1f", m / 1024 }') MiB | $ok |"$'\n'
done
{
	echo "# Performance"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs."
	echo
	echo "## Offline correlator"
	echo
	echo "\`ipitrace report --json\` over generated healthy traces (\`tests/mkrec --generate\`:"
	echo "synchronous cross-calls, reschedules, TTWU batches on 4 CPUs), 5 runs each,"
	echo "median wall time; the whole report is timed (read, CRC, validate, correlate,"
	echo "JSON) on one core. Target: >= 20 M events/s, peak RSS < 64 MiB at any length."
	echo
	echo "| events | wall time, median (min..max) | rate | peak RSS | target met |"
	echo "|---|---|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "Memory does not grow with trace length: the correlator streams, keeping"
	echo "only what is in flight, a 10 ms reorder window and per-CPU-pair statistics."
	echo "What was slow and changed: a binary heap for the reorder window took 54% of"
	echo "the instructions (callgrind); arrival is nearly in order, so a sorted ring"
	echo "with a small side heap for far-out-of-order events replaced it (7.7 to about"
	echo "21 M events/s on 10 M events). Then zlib's table-driven crc32 over every"
	echo "EVENTS chunk was 32% of the instructions: on x86-64 it is now folded 64 bytes"
	echo "a step with PCLMULQDQ (same polynomial, same recordings; zlib on other CPUs),"
	echo "and the per-event bookkeeping was trimmed (one call per chunk, the in-order"
	echo "append inline, only live send queues visited, no struct-wide zeroing): 583 to"
	echo "310 instructions per event in all (callgrind, 1 M events), about 1.5 to 2"
	echo "times the rate. What is left: the kernel copying the file into the read"
	echo "buffer (a fifth of perf's samples), every event's 48-byte trip through"
	echo "the 10 ms reorder ring (which outgrows L2), and the correlation itself."
} >"$OUT"
echo "wrote $OUT"
