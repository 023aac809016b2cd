# Shared helpers for tests/cli/*.sh and tests/live/*.sh (sourced).
set -u
T=${TEST_TMP:-$(mktemp -d)}
# On failure keep the test's files (recordings, reports) for a post-mortem.
cleanup() {
	rc=$?
	jobs -p | xargs -r kill 2>/dev/null
	if [ $rc != 0 ] && [ -n "${ROOT:-}" ]; then
		keep=$ROOT/${BUILD:-build}/tests/failed/$(basename "$0" .sh)-$$
		mkdir -p "$keep" && cp -r "$T"/. "$keep"/ 2>/dev/null &&
			echo "kept the test's files in $keep" >&2
	fi
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

# Live tests need root and BPF: never skip, say exactly what is missing.
need_bpf() {
	[ "$(id -u)" = 0 ] || fail "this test loads BPF programs: run it as root (uid is $(id -u))"
	[ -r /sys/kernel/btf/vmlinux ] || [ -d /sys/kernel/tracing/events ] ||
		fail "no kernel BTF and no tracefs: the kernel offers no tracepoints to BPF"
}

# expect_json FILE JQ-EXPR [what]: the expression must be true.
expect_json() {
	jq -e "$2" "$1" >/dev/null ||
		fail "${3:-$2} is not true; context: $(jq -c '{ipi, csd, lost}' "$1" 2>/dev/null | head -c 600)"
}

# The report of a healthy load (JSON file $1, label $2): no accusation; an
# uncertain verdict only where a loss is known (a counted drop or miss, or
# receives the kernel counted that the trace lacks); no ring drop at the
# default size; the kernel's CAL delta per CPU within 1% of the traced
# call-function receives' bounds (a slack of 2 for a CPU that received almost
# none): at least those surely between the two reads, at most those in the
# window around them (docs/user-guide.md, "Bounds").
expect_healthy() {
	expect_json "$1" '[.anomalies[] | select(.kind != "uncertain")] | length == 0' "${2:-}no accusation"
	expect_json "$1" '[.anomalies[] | select(.kind == "uncertain") | .lost_events + .unseen > 0] | all' \
		"${2:-}uncertain only with a known loss"
	expect_json "$1" '.lost.ring_full == 0' "${2:-}no ring drops at the default ring size"
	expect_json "$1" '.events_out_of_order == 0' "${2:-}per-CPU rings merged back into time order"
	expect_json "$1" '[.interrupts[] | select(.row == "CAL") | ([2, .kernel * 0.01] | max) as $s |
		.kernel >= .traced_inner - $s and .kernel <= .traced_wide + $s] | all' "${2:-}CAL within 1%"
}

# Start the generator in the background; it must outlive the recording.
storm() { "$IPISTORM" -q "$@" >"$T/storm.out" 2>&1 & STORM_PID=$!; sleep 0.3; }
storm_wait() { wait "$STORM_PID" || fail "ipistorm failed: $(cat "$T/storm.out")"; cat "$T/storm.out"; }
