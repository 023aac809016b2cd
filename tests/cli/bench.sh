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

# --- the guest part (tests/bench/guests.sh, guest side tests/bench/guest.sh):
# booting the guests takes minutes, so what is checked here is everything
# around the boot: the guest's IPI count over x86 and powerpc
# /proc/interrupts, and the emulated tables from a results directory as the
# guests leave it (--tables boots nothing).
GB_LIB=1 . tests/bench/guest.sh
# powerpc (Debian 12 ppc64le guest, XIVE): the IPI irq row and DBL; XICS's
# "IPI" row counts, a device named IPIfoo does not
cat >"$T/ppc-xive" <<'PI'
           CPU0       CPU1       CPU2       CPU3       
 16:        205        117        172         86  XIVE-IPI   0 Edge      IPI-0
 20:          0          0          0          0  XIVE-IRQ 4352 Edge      hvc_console
LOC:        441        455        297        294   Local timer interrupts for timer event device
DBL:          3          0          0          0   Doorbell interrupts
PI
eq "gb_ipis ppc xive" "$(gb_ipis "$T/ppc-xive")" 583
eq "gb_rows_named ppc xive" "$(gb_rows_named "$T/ppc-xive")" "irq16(IPI-0),DBL"
printf '           CPU0       CPU1\n 16:         10         20  XICS   0 Edge      IPI\n 17:          5          5  XICS   1 Edge      IPIfoo\n' >"$T/ppc-xics"
eq "gb_ipis ppc xics" "$(gb_ipis "$T/ppc-xics")" 30
eq "gb_ipis x86 = ipi_total" "$(gb_ipis "$T/interrupts")" "$(ipi_total "$T/interrupts")"

# Results of a 2-pair x86 guest and a ppc guest whose watch could not run.
R=$T/guests
mkdir -p "$R/x86-6.1" "$R/ppc-6.1"
printf 'kernel=6.1.0-99-cloud-amd64\narch=x86_64\ncpus=4\nclk_tck=100\nbpf_jit_enable=1\nbpf_stats_enabled=0\nipi_rows=RES,CAL,TLB\n' >"$R/x86-6.1/env"
echo 6.1.0-99-cloud-amd64 >"$R/x86-6.1/krel"
echo 100 >"$R/x86-6.1/seconds"
cat >"$R/x86-6.1/probe.txt" <<'PR'
SEND       fentry  func:native_send_call_func_single_ipi         calibration: 26 hits
RECEIVE    tp_btf  irq_vectors:call_function_entry               calibration: 637 hits
CSD_QUEUE  none    csd:csd_queue_cpu                             tracepoint csd:csd_queue_cpu is not in this kernel

watch tier 1 (sampled per-CPU state, no per-IPI hook):
  rung  used  why
  ksym  yes   typed __ksym call_single_queue + bpf_per_cpu_ptr()
  btf   no    not needed (ksym works)
PR
# tracer workload pair A_rate B_rate A_ipis B_ipis B_ops consumer_ticks A_secs B_secs
cat >"$R/x86-6.1/rows" <<'RO'
record-fentry membarrier 1 200 100 200 100 100 10 1 1
record-fentry membarrier 2 200 180 200 180 180 10 1 1
record-kprobe membarrier 1 200 150 200 150 150 50 1 1
record-kprobe membarrier 2 200 160 200 160 160 50 1 1
watch membarrier 1 200 200 200 200 200 1 1 1
watch membarrier 2 200 198 200 198 198 1 1 1
record-fentry wakeup 1 1000 900 3 3 900 1 1 1
record-fentry wakeup 2 1000 950 3 3 950 1 1 1
RO
echo "watch-detail watch-detail exited 3 at start: ipitrace: error: --detail needs the csd:* tracepoints " >"$R/x86-6.1/failed"
echo "record-fentry 200 1800 18000000 23" >"$R/x86-6.1/cost"
printf 'kernel=6.1.0-98-powerpc64le\ncpus=4\nclk_tck=100\nbpf_jit_enable=0\nbpf_stats_enabled=0\nipi_rows=irq16(IPI-0),DBL\n' >"$R/ppc-6.1/env"
echo "the guest did not finish (qemu exit 124, timeout after 600 s)" >"$R/ppc-6.1/guest-failed"
BENCH_GUEST_LIST="x86-6.1 ppc-6.1" BENCH_GUEST_PAIRS=2 tests/bench/guests.sh --tables "$T/g.md" "$R" >"$T/g.out" 2>&1 ||
	fail "guests.sh --tables: $(cat "$T/g.out")"
G=$T/g.md
has() { grep -qF -- "$2" "$G" || fail "$1: no '$2' in $(cat "$G")"; note "ok: $1"; }
has "own section, labelled emulated" "## Emulated: the same rounds inside qemu guests (qemu TCG)"
has "guest named with its kernel" "### x86-64, Debian 12 (x86-6.1), kernel 6.1.0-99-cloud-amd64: emulated (qemu TCG)"
has "fentry rung: median of 0.5 and 0.9, by IPIs/s" "| record-fentry | fentry+tp_btf | membarrier | 0.700 | 0.500..0.900 | 0.700 | 0.500..0.900 | 2 |"
has "kprobe rung named from --no-fentry" "| record-kprobe | kprobe+tp_btf | membarrier | 0.775 | 0.750..0.800 |"
has "watch's tier 1 rung" "| watch | tier 1 ksym | membarrier | 0.995 |"
has "consumer CPU as % of a vCPU" "| 2 | 1.00 | 10% |"
has "a tracer that cannot run says why" "| watch-detail | | | cannot run here: watch-detail exited 3 at start: --detail needs the csd:* tracepoints |"
has "a load with few IPIs per op is judged on ops/s" "| wakeup | 1000 (1000..1000) | 3 | 0.00 | ops/s: the guest counted 0.00 IPIs per op"
has "its rows give no IPIs/s ratio" "| record-fentry | fentry+tp_btf | wakeup | - |  | 0.925 |"
has "a failed guest says why" "The guest run failed: the guest did not finish (qemu exit 124, timeout after 600 s)."
has "BPF cost per guest" "| x86-6.1 | record-fentry | 23 | 200 | 9.00 | 10000 | 90000 |"
has "guest time" "The guests took 100 s in all, boots included."
# run.sh: a bad BENCH_GUESTS is a usage error
BENCH_GUESTS=bogus tests/bench/run.sh >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q 'BENCH_GUESTS=bogus' "$T/err" || fail "BENCH_GUESTS=bogus: exit $rc, $(cat "$T/err")"
note "ok: BENCH_GUESTS=bogus -> 2"
