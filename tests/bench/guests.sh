#!/usr/bin/env bash
# make bench, guest part: the overhead rounds of tests/bench/run.sh inside
# the qemu guests of tests/vm/harness.inc, so that the cost of the rungs the
# host does not have (fentry, kprobes; powerpc's muxed IPIs) is known.
# Every number here is *emulated* (qemu TCG): compare rungs within one
# guest, never with the host's tables.
#
#   tests/bench/guests.sh OUT.md [RESULTS-DIR]
#   tests/bench/guests.sh --tables OUT.md RESULTS-DIR   no guest: only the
#                        tables, from results kept by an earlier run
#
# Writes the "Emulated" section of docs/PERFORMANCE.md to OUT.md, a short
# table on stdout, and keeps each guest's raw results (rows, cost, env,
# probe, guest log) in RESULTS-DIR (default build/bench/guests/).
# Settings (environment):
#   BENCH_GUEST_LIST   guests, "x86-6.1 ppc-6.1" (tests/vm/harness.inc names;
#                      x86-6.12 would add watch --detail and the tracepoint
#                      rungs, but its one try here ended in a kernel panic
#                      in __kmalloc under TCG, 42 s into the rounds)
#   BENCH_GUEST_SECONDS  seconds per round (1)
#   BENCH_GUEST_PAIRS    A/B pairs per tracer (5)
#   BENCH_GUEST_WORKLOADS  ipistorm modes ("membarrier wakeup"; tlb can be
#                        added: under single-threaded TCG it is bound by the
#                        vCPU slicing as membarrier is, and on powerpc it makes
#                        no IPIs at all: radix TLB flushes broadcast by tlbie)
#   BENCH_GUEST_TCG      single (default: the VM tests' TCG) or multi (one
#                        host thread per vCPU; see below)
#   BENCH_GUEST_BUDGET   seconds of rounds per guest (180): pairs that would
#                        end later are not started (the table's pairs column)
#   BENCH_GUEST_TIMEOUT  qemu's limit per guest (300 s)
#
# Single-threaded TCG (tests/vm/harness.inc's default) runs one vCPU at a
# time and switches at the end of a time slice or when a vCPU idles, so a
# synchronous cross-call between two spinning vCPUs (membarrier, tlb) waits
# for the switch: about 250 round trips a second on x86 and 85 on powerpc
# (measured), a rate set by the slicing, which a tracer waking on a third
# vCPU *raised* (ratios of 1.1 to 1.4).  The wake-up ping-pong, where both
# sides sleep, is bound by the code it runs, and prices the rungs there.
# Multi-threaded TCG (BENCH_GUEST_TCG=multi) ran the same loads at 3 000 to
# 25 000 round trips a second, one IPI per op, but its known hazard
# (harness.inc: live text patching hangs the guest in text_poke_bp()) hit
# even with hooks attached only between rounds: one x86 guest of three
# locked up in its first `ipitrace` (soft lockup, 300 s lost) on a loaded
# host.  make bench must finish, so single is the default.# The guest side is tests/bench/guest.sh.  No root needed (qemu TCG).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
export ROOT BUILD TESTLIB=$ROOT/tests/lib.sh IPITRACE=$ROOT/$BUILD/ipitrace
BOOT=1
if [ "${1:-}" = --tables ]; then BOOT=0; shift; fi
OUT=${1:?usage: tests/bench/guests.sh [--tables] OUT.md [RESULTS-DIR]}
RES=${2:-$BUILD/bench/guests}
# A temporary directory of its own (tests/lib.sh removes it at exit): never
# the caller's TEST_TMP.
unset TEST_TMP
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=../vm/harness.inc
. tests/vm/harness.inc
# shellcheck source=lib.sh
. tests/bench/lib.sh

GUESTS=${BENCH_GUEST_LIST:-x86-6.1 ppc-6.1}
GD=${BENCH_GUEST_SECONDS:-1}
GPAIRS=${BENCH_GUEST_PAIRS:-5}
GWORK=${BENCH_GUEST_WORKLOADS:-membarrier wakeup}
GTCG=${BENCH_GUEST_TCG:-single}
case $GTCG in single|multi) ;; *) echo "guests.sh: BENCH_GUEST_TCG=$GTCG: want multi or single" >&2; exit 2 ;; esac
GBUDGET=${BENCH_GUEST_BUDGET:-180}
T_START=$(date +%s)

# tracers per guest: x86 has both function rungs (fentry, and kprobes with
# --no-fentry); powerpc has no BPF trampoline before about 6.13 (DESIGN.md),
# so kprobes only.  watch --detail needs the csd:* tracepoints (6.5+): on a
# 6.1 guest it fails at start and the table says so.
tracers_of() {
	case $1 in
	x86-*) echo "record-fentry record-kprobe watch watch-detail" ;;
	ppc-*) echo "record-kprobe watch watch-detail" ;;
	esac
}
label_of() {
	case $1 in
	x86-6.1) echo "x86-64, Debian 12" ;;
	x86-6.12) echo "x86-64, Debian 13" ;;
	ppc-6.1) echo "ppc64le (pseries, POWER9, XIVE), Debian 12" ;;
	ppc-6.12) echo "ppc64le (pseries, POWER9, XIVE), Debian 13" ;;
	esac
}

# run_guest NAME: boot it and run the rounds; results in $RES/NAME.
# A subshell: the harness's fail/exit ends only this guest's attempt.
run_guest() {
	local g=$1 dir=$RES/$1 try rc
	rm -rf "$dir"; mkdir -p "$dir"
	for try in 1 2; do
		(
			vm_kernel "$g" >"$dir/vm.log"
			echo "$VM_KREL" >"$dir/krel"
			echo "$GTCG" >"$dir/tcg"
			{
				echo "GB_D=$GD GB_PAIRS=$GPAIRS GB_BUDGET=$GBUDGET"
				echo "GB_WORKLOADS='$GWORK'"
				echo "GB_TRACERS='$(tracers_of "$g")'"
				cat tests/bench/guest.sh
			} >"$T/guest-$g.sh"
			VM_TIMEOUT=${BENCH_GUEST_TIMEOUT:-300} VM_TCG_THREAD=$GTCG
			vm_run "$g" "$T/guest-$g.sh" >>"$dir/vm.log" 2>&1
			cp -r "$T/out"/. "$dir"/
			[ "$VM_RC" = 0 ] || { echo "guest script exited $VM_RC" >>"$dir/vm.log"; exit 1; }
		) 2>>"$dir/vm.log"
		rc=$?
		[ $rc = 75 ] || break	# 75: the kernel never booted (harness.inc): once more
	done
	if [ $rc != 0 ]; then
		# the harness's verdict, and the guest kernel's first lockup report
		{ grep -h 'FAIL\|did not\|exited' "$dir/vm.log" | tail -1 | sed 's/^FAIL: //; s/; console above//'
		  grep -m1 -o 'soft lockup - .*\|Kernel panic - .*' "$dir/vm.log" | sed 's/^/the guest kernel reported: /'
		  grep -m1 -o 'RIP: 0010:.*' "$dir/vm.log" | sed 's/^/at /'
		} | paste -sd';' | sed 's/;/; /g' >"$dir/guest-failed"
		[ -s "$dir/guest-failed" ] || echo "the guest run failed (exit $rc; $dir/vm.log)" >"$dir/guest-failed"
	fi
	return 0
}

for g in $GUESTS; do
	[ $BOOT = 1 ] || break
	t0=$(date +%s)
	echo "guest $g ($GTCG-threaded TCG): $(tracers_of "$g") x $GWORK x $GPAIRS pairs of $GD s"
	run_guest "$g"
	sed -n 's/^pair /  pair /p' "$RES/$g/guest.log" 2>/dev/null
	[ ! -s "$RES/$g/guest-failed" ] || echo "  FAILED: $(cat "$RES/$g/guest-failed")"
	echo $(( $(date +%s) - t0 )) >"$RES/$g/seconds"
	echo "  $g: $(cat "$RES/$g/seconds") s"
done

# --- tables (the host bench's statistics: tests/bench/lib.sh)
# rows: tracer workload pair A_rate B_rate A_ipis B_ipis B_ops consumer_ticks A_secs B_secs
g_ovr() { stats $(awk -v w="$2" -v t="$3" '$1 == t && $2 == w && $4 > 0 { print $5 / $4 }' "$1"); }
g_ipr() { stats $(awk -v w="$2" -v t="$3" '$1 == t && $2 == w && $6 > 0 && $10 > 0 && $11 > 0 { print ($7 / $11) / ($6 / $10) }' "$1"); }
g_untraced() { stats $(awk -v w="$2" '$2 == w { print $4 }' "$1"); }
g_untraced_ipis() { stats $(awk -v w="$2" '$2 == w && $10 > 0 { print $6 / $10 }' "$1"); }
# IPIs per op: untraced (no TRACER) or TRACER's traced rounds
g_ipo() {
	awk -v w="$2" -v t="${3:-}" '$2 == w && (t == "" ? $4 > 0 : $1 == t && $8 > 0) {
		if (t == "") { i += $6; o += $4 * $10 } else { i += $7; o += $8 } }
		END { if (o) printf "%.2f", i / o; else print "-" }' "$1"
}
# consumer CPU: the tracer's utime+stime over a traced round, % of one vCPU
g_consumer() { stats $(awk -v w="$2" -v t="$3" -v hz="$4" '$1 == t && $2 == w && $11 > 0 { print 100 * $9 / hz / $11 }' "$1"); }
g_env() { sed -n "s/^$2=//p" "$1/env" 2>/dev/null; }
# g_rung DIR TRACER: the hooks a tracer used there, from the guest's probe
g_rung() {
	local r
	case $2 in
	record-*)
		r=$(awk '$1 ~ /^(SEND|RECEIVE|DEMUX|CSD_QUEUE|CSD_FUNC|CSD_WAIT|IDLE_WAKE)$/ && $2 != "none" { print $2 }' "$1/probe.txt" | sort -u | paste -sd+)
		[ "$2" = record-kprobe ] && r=${r//fentry/kprobe}
		# fentry and kprobe once each when both were there
		echo "$r" | tr + '\n' | sort -u | paste -sd+ ;;
	watch) echo "tier 1 $(awk '/^watch tier 1/ { w = 1; next } w && $2 == "yes" { print $1; exit }' "$1/probe.txt")" ;;
	watch-detail) echo "tier 2 (csd:* tracepoints)" ;;
	esac
}

md=$T/guests.md
{
	echo "## Emulated: the same rounds inside qemu guests (qemu TCG)"
	echo
	echo "**Every number in this section is emulated (qemu TCG), not a measurement of real hardware.**"
	echo "The guests of the VM tests (tests/vm/harness.inc: Debian kernels, 4 vCPUs, 1 GiB, busybox"
	echo "initramfs, static ipitrace), booted by \`make bench\` (tests/bench/guests.sh, guest side"
	echo "tests/bench/guest.sh) to price the rungs this host does not have: fentry and kprobes on"
	echo "x86-64, kprobes on powerpc's muxed IPIs. The same alternation as above, shorter: $GD s"
	echo "rounds, $GPAIRS pairs per tracer, ipistorm driver on vCPU 0 and partner on vCPU 1;"
	echo "ratio = B / the A just before it, median (min..max). IPIs from the guest's own"
	echo "/proc/interrupts (the rows named per guest). Under emulation every instruction is"
	echo "translated, a kprobe's trap and a trampoline's call are emulated too, and the guest's"
	echo "clock is the host's: rank rungs within one guest, never against the host's tables."
	echo
	if [ "$GTCG" = multi ]; then
		echo "Multi-threaded TCG (BENCH_GUEST_TCG=multi: one host thread per vCPU, this host's $(nproc)"
		echo "CPUs shared by the four): synchronous cross-calls run at the emulated code's speed, one"
		echo "IPI per op. Hooks are attached and detached only between rounds, with no load running,"
		echo "yet multi-threaded TCG's live text patching can still hang a guest (tests/bench/guests.sh)."
	else
		echo "Single-threaded TCG, the VM tests' own: one host thread takes the vCPUs in turn,"
		echo "switching at the end of a time slice or when a vCPU idles. A cross-call between two"
		echo "spinning vCPUs (membarrier) waits for the switch, so its rate (a few hundred a second) is"
		echo "the slicing's, and a tracer waking on another vCPU makes the switches come sooner and"
		echo "can *raise* it: membarrier's ratios here say little about a rung. The wake-up ping-pong,"
		echo "where both sides sleep, is bound by the code run per round trip: its ratio, and the BPF"
		echo "cost below, price the rungs. (BENCH_GUEST_TCG=multi: a host thread per vCPU, faithful"
		echo "cross-call rates, but it has hung guests: tests/bench/guests.sh.)"
	fi
	echo
	for g in $GUESTS; do
		dir=$RES/$g
		krel=$(cat "$dir/krel" 2>/dev/null || g_env "$dir" kernel)
		echo "### $(label_of "$g") ($g), kernel ${krel:-?}: emulated (qemu TCG)"
		echo
		if [ -s "$dir/guest-failed" ] && [ ! -s "$dir/rows" ]; then
			echo "The guest run failed: $(cat "$dir/guest-failed")."
			echo
			continue
		fi
		[ ! -s "$dir/guest-failed" ] || { echo "The guest run ended early: $(cat "$dir/guest-failed")."; echo; }
		hz=$(g_env "$dir" clk_tck); hz=${hz:-100}
		jit=$(g_env "$dir" bpf_jit_enable)
		tcg=$(cat "$dir/tcg" 2>/dev/null || echo "$GTCG")
		echo "$(g_env "$dir" cpus) vCPUs, $tcg-threaded TCG; BPF JIT $(case $jit in 0) echo "off (net.core.bpf_jit_enable=0, as the kernel boots: BPF programs are interpreted)" ;; absent) echo "absent" ;; *) echo "on ($jit)" ;; esac);"
		echo "IPI rows counted: $(g_env "$dir" ipi_rows | sed 's/,/, /g')."
		bud=$(g_env "$dir" budget)
		[ -z "$bud" ] || echo "Round budget $bud."
		echo
		echo "| workload | untraced ops/s | IPIs/s | IPIs per op | ratios judged on |"
		echo "|---|---|---|---|---|"
		declare -A ON=()
		for w in $GWORK; do
			set -- $(g_untraced "$dir/rows" "$w")
			[ "$4" != 0 ] || continue
			ui=$(set -- $(g_untraced_ipis "$dir/rows" "$w"); echo "$1")
			# A load that makes (almost) no IPIs the guest counts, or far
			# fewer than one per op (the wake-ups found their target
			# polling in idle: no IPI needed), is judged by the generator's
			# ops/s, and the table says so.
			ipo=$(g_ipo "$dir/rows" "$w")
			if awk -v i="$ui" -v p="$ipo" 'BEGIN { exit !(i == "-" || i + 0 < 20 || p == "-" || p + 0 < 0.5) }'; then
				ON[$w]="ops/s: the guest counted $( [ "$ipo" = - ] && echo no || echo "$ipo") IPIs per op, so IPIs/s is not this load's rate"
			else
				ON[$w]="IPIs/s"
			fi
			printf '| %s | %.0f (%.0f..%.0f) | %s | %s | %s |\n' "$w" "$1" "$2" "$3" \
				"$(awk -v i="$ui" 'BEGIN { if (i == "-") print "-"; else printf "%.0f", i }')" "$ipo" "${ON[$w]}"
		done
		echo
		echo "Consumer CPU: the tracer's utime+stime over its traced rounds, median, in % of one vCPU."
		echo "The kernel charges it in whole ticks to whatever runs when the tick comes, and an"
		echo "emulated vCPU that runs only when the tracer has work is charged nearly every tick:"
		echo "read it as an upper bound."
		echo
		echo "| tracer | rung | workload | IPIs/s ratio | range | ops/s ratio | range | pairs | IPIs per op traced | consumer CPU, % of a vCPU |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for t in $(tracers_of "$g"); do
			why=$(sed -n "s/^$t //p" "$dir/failed" 2>/dev/null | head -1 | sed 's/ipitrace: error: //; s/ *$//')
			if [ -n "$why" ]; then
				echo "| $t | | | cannot run here: ${why//|/\\|} | | | | | | |"
				continue
			fi
			for w in $GWORK; do
				set -- $(g_ipr "$dir/rows" "$w" "$t") $(g_ovr "$dir/rows" "$w" "$t")
				[ "$8" != 0 ] || continue
				c=$(g_consumer "$dir/rows" "$w" "$t" "$hz"); c=${c%% *}
				if [ "${ON[$w]}" = IPIs/s ] && [ "$1" != - ]; then
					ip=$(printf '%.3f | %.3f..%.3f' "$1" "$2" "$3")
				else
					ip="- | "
				fi
				printf '| %s | %s | %s | %s | %.3f | %.3f..%.3f | %d | %s | %s |\n' "$t" "$(g_rung "$dir" "$t")" "$w" "$ip" \
					"$5" "$6" "$7" "$8" "$(g_ipo "$dir/rows" "$w" "$t")" \
					"$(awk -v c="$c" 'BEGIN { if (c == "-") print "-"; else printf "%.0f%%", c }')"
			done
		done
		echo
		unset ON
	done

	echo "### Per-event BPF cost in the guests (emulated)"
	echo
	echo "kernel.bpf_stats_enabled=1 in the guest for one $GD s membarrier round per tracer: run_cnt and"
	echo "run_time_ns summed over the tracer's programs (its fds' /proc/PID/fdinfo; the guest has"
	echo "no bpftool, so no per-program names). The accounting's own clock reads are not"
	echo "subtracted (no empty-program run in the guest), and TCG's clock is the emulator's:"
	echo "compare rungs within one guest. ns per run is the program body only: a kprobe's trap and"
	echo "single-step, or a trampoline's entry, are not in it (the ratios above include them)."
	echo
	echo "| guest | tracer | programs | IPIs in the run | BPF runs per IPI | ns per run (mean) | BPF ns per IPI |"
	echo "|---|---|---|---|---|---|---|"
	for g in $GUESTS; do
		dir=$RES/$g
		if [ "$(g_env "$dir" bpf_stats_enabled)" = absent ]; then
			echo "| $g | (kernel.bpf_stats_enabled absent) | | | | | |"; continue
		fi
		[ -s "$dir/cost" ] || { echo "| $g | (no run) | | | | | |"; continue; }
		awk -v g="$g" '$3 > 0 && $2 > 0 { printf "| %s | %s | %d | %d | %.2f | %.0f | %.0f |\n", g, $1, $5, $2, $3 / $2, $4 / $3, $4 / $2 }
			$3 == 0 || $2 == 0 { printf "| %s | %s | %d | %d | - | - | - |\n", g, $1, $5, $2 }' "$dir/cost"
	done
	echo
	secs=0
	for g in $GUESTS; do secs=$((secs + $(cat "$RES/$g/seconds" 2>/dev/null || echo 0))); done
	echo "The guests took $secs s in all, boots included."
} >"$md"
mv "$md" "$OUT"
echo "guests: wrote $OUT"
echo "guests done in $(( $(date +%s) - T_START )) s"
