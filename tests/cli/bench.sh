# make bench's pieces that need no BPF: the statistics and parsers of
# tests/bench/lib.sh, that bpftrace's scripts, perf's event list and the
# empty-program floor hook the tracepoints ipitrace's own programs hook
# (less the one x86 refuses to perf events), and run.sh's usage errors.
. "$TESTLIB"
cd "$ROOT"
. tests/bench/lib.sh

eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; note "ok: $1 = $3"; }

# stats: median (odd and even counts), min, max, n; empty input
eq "stats odd"   "$(stats 0.9 0.7 0.8 1.1 0.85)" "0.85 0.7 1.1 5"
eq "stats even"  "$(stats 4 1 3 2)" "2.5 1 4 4"
eq "stats one"   "$(stats 0.92)" "0.92 0.92 0.92 1"
eq "stats empty" "$(stats)" "- - - 0"
eq "ratio"       "$(ratio 800000 640000)" "0.8000"
eq "ratio by 0"  "$(ratio 0 5)" "-"

# ipistorm's summary line (as printed by tests/ipistorm.c)
eq "storm_rate" "$(storm_rate 'ipistorm: mode=membarrier ops=123456 seconds=3.000 rate=41152/s cpu=0 partner=1')" 41152
eq "storm_rate of junk" "$(storm_rate 'ipistorm: partner thread did not get onto CPU 1')" ""

# /proc/interrupts: CAL+TLB+RES over every CPU column, text columns ignored
cat >"$T/interrupts" <<'EOF'
           CPU0       CPU1
 NMI:          0          0   Non-maskable interrupts
 RES:         10         20   Rescheduling interrupts
 CAL:        100        200   Function call interrupts
 TLB:          1          2   TLB shootdowns
EOF
eq "ipi_total" "$(ipi_total "$T/interrupts")" 333

# cpu_ticks of a live process is a number; of a gone one, 0
[[ $(cpu_ticks $$) =~ ^[0-9]+$ ]] || fail "cpu_ticks $$: $(cpu_ticks $$)"
eq "cpu_ticks of no process" "$(cpu_ticks 999999999)" 0

# The tracepoints each tracer hooks.  ipitrace's: the tracepoint rungs named
# in bpf/tracepoints.bpf.c (IPT_TP2 / IPT_X86_VEC).
tps() { sort -u | grep . ; }
ours=$(sed -n 's/^IPT_TP2(\([a-z_]*\),.*/\1/p; s/^IPT_X86_VEC(\([a-z_]*\),.*/\1/p' bpf/tracepoints.bpf.c | tps)
[ "$(wc -l <<<"$ours")" -ge 14 ] || fail "found only $(wc -l <<<"$ours") tracepoints in bpf/tracepoints.bpf.c: $ours"
floor=$(sed -n 's/^EMPTY(\([a-z_]*\))$/\1/p' tests/bench/floor.bpf.c | tps)
eq "floor hooks what ipitrace hooks" "$floor" "$ours"
ring=$(sed -n 's/^EMIT(\([a-z_]*\), [0-9]*)$/\1/p' tests/bench/ring.bpf.c | tps)
eq "ring.bpf.c hooks what ipitrace hooks" "$ring" "$ours"
less=$(grep -vx irq_work_exit <<<"$ours")
for bt in ipi-count ipi-empty; do
	got=$(grep -o '^tracepoint:[a-z_]*:[a-z_]*' "tests/bench/$bt.bt" | sed 's/.*://' | tps)
	eq "$bt.bt hooks ipitrace's tracepoints but irq_work_exit" "$got" "$less"
done
perf=$(sed -n 's/^PERF_EVENTS+\{0,1\}=,\{0,1\}//p' tests/bench/run.sh | tr ',' '\n' | sed 's/.*://' | tps)
eq "perf's events are the same" "$perf" "$less"

# run.sh: --help teaches, a bad option is a usage error (exit 2)
tests/bench/run.sh --help >"$T/help" || fail "run.sh --help exited $?"
grep -q BENCH_QUICK "$T/help" || fail "run.sh --help does not mention BENCH_QUICK"
tests/bench/run.sh --bogus >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown option '--bogus'" "$T/err" || fail "run.sh --bogus: exit $rc, $(cat "$T/err")"
note "ok: run.sh --bogus -> 2"
