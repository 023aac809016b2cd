# libFuzzer over the recording reader + correlator (build/fuzz/fuzz_recording,
# AddressSanitizer + UBSan + LeakSanitizer), seeded with the scenario
# corpus, for FUZZ_SECONDS (30 by default).  Any crash, leak or sanitizer
# report fails the test and leaves the input in build/tests/failed/.
. "$TESTLIB"
FUZZ=$ROOT/$BUILD/fuzz/fuzz_recording
[ -x "$FUZZ" ] || fail "$FUZZ is not built (make all builds it; needs clang and libclang-rt-14-dev)"
mkdir -p "$T/corpus" "$T/art"
for s in "$ROOT"/tests/scenarios/*.txt; do
	"$MKREC" "$s" "$T/corpus/$(basename "$s" .txt).ipit" || fail "mkrec $s"
done
cd "$T"
"$FUZZ" -max_total_time="${FUZZ_SECONDS:-30}" -max_len=16384 -timeout=10 \
	-artifact_prefix="$T/art/" -print_final_stats=1 corpus >"$T/log" 2>&1
rc=$?
grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$T/log"
if [ $rc != 0 ] || ls "$T/art"/* >/dev/null 2>&1; then
	grep -E 'ERROR|SUMMARY|runtime error' "$T/log" | head -5
	fail "the fuzzer found a problem (exit $rc)"
fi
