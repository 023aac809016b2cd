# make bench, guest part: the script that runs *inside* a qemu guest
# (busybox sh, tests/vm/harness.inc's initramfs with static ipitrace and
# ipistorm).  tests/bench/guests.sh prepends its settings:
#   GB_D         seconds per round (1)
#   GB_PAIRS     A/B pairs per tracer (5)
#   GB_WORKLOADS ipistorm modes (membarrier wakeup tlb)
#   GB_TRACERS   names from tracer_cmd below, e.g. "record-fentry record-kprobe watch"
#   GB_STATS     1: a kernel.bpf_stats_enabled run per BPF tracer
#   GB_BUDGET    seconds the rounds may take (0: no limit): no pair is
#                started that would end past it, so the guest always gets
#                to hand its results back before the host's qemu timeout
# and reads back from /out:
#   rows      tracer workload pair A_rate B_rate A_ipis B_ipis B_ops consumer_ticks A_secs B_secs
#             (the host bench's row format: tests/bench/run.sh)
#   failed    tracer reason...          (a tracer that could not run here)
#   cost      tracer ipis runs run_time_ns progs    (bpf_stats, membarrier)
#   env       name=value lines: kernel, CPUs, clock ticks, BPF JIT, IPI rows
#   probe.txt ipitrace probe
# The same alternation as on the host: for each pair, every workload once
# untraced (A), then the tracer is started, every workload once traced (B),
# and the tracer stopped (SIGINT).  Driver on CPU 0, partner on CPU 1.
#
# With GB_LIB=1 only the functions are defined (tests/cli/bench.sh checks
# gb_ipis against sample /proc/interrupts files on the host).

# gb_ipis [FILE]: IPIs the kernel counted, every CPU: x86's CAL, TLB and RES
# rows, and powerpc's IPI irq rows (numbered rows whose last word starts
# with "IPI": "XIVE-IPI 0 Edge IPI-0", XICS "... IPI") plus its doorbell
# row DBL (user/procint.c reads them the same way).
gb_ipis() {
	awk '
	function add(from,   i) { for (i = from; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i }
	NR == 1 { next }
	$1 == "CAL:" || $1 == "TLB:" || $1 == "RES:" || $1 == "DBL:" { add(2); next }
	$1 ~ /^[0-9]+:$/ && $NF ~ /^IPI(-|$)/ { add(2) }
	END { printf "%d\n", s }' "${1:-/proc/interrupts}"
}

# gb_rows_named [FILE]: which rows gb_ipis counts (for the report).
gb_rows_named() {
	awk 'NR > 1 && ($1 == "CAL:" || $1 == "TLB:" || $1 == "RES:" || $1 == "DBL:" ||
	     ($1 ~ /^[0-9]+:$/ && $NF ~ /^IPI(-|$)/)) {
		sub(":", "", $1); n = $1; if (n ~ /^[0-9]+$/) n = "irq" n "(" $NF ")"; printf "%s%s", sep, n; sep = "," }
	END { print "" }' "${1:-/proc/interrupts}"
}

# gb_ticks PID: utime + stime in clock ticks (0 once gone).
gb_ticks() {
	[ -r /proc/$1/stat ] || { echo 0; return; }
	sed 's/.*) //' /proc/$1/stat 2>/dev/null | awk '{ print $12 + $13 }'
}

# gb_bpf_fds PID: BPF programs, links and perf events PID holds.
gb_bpf_fds() {
	ls -l /proc/$1/fd 2>/dev/null | grep -c 'bpf-prog\|bpf_link\|perf_event'
}

# gb_prog_stats PID: "id run_cnt run_time_ns" per BPF program PID holds.
gb_prog_stats() {
	local fd
	for fd in $(ls -l /proc/$1/fd 2>/dev/null | awk '/bpf-prog/ { print $(NF - 2) }'); do
		awk '$1 == "prog_id:" { id = $2 } $1 == "run_cnt:" { c = $2 } $1 == "run_time_ns:" { t = $2 }
		     END { if (id != "") print id, c + 0, t + 0 }' /proc/$1/fdinfo/$fd 2>/dev/null
	done | sort -n
}

[ "${GB_LIB:-0}" = 1 ] && return 0

GB_D=${GB_D:-1} GB_PAIRS=${GB_PAIRS:-5}
GB_WORKLOADS=${GB_WORKLOADS:-membarrier wakeup tlb}

tracer_cmd() {
	case $1 in
	record-fentry) echo "ipitrace record -o /tmp/rec.ipit" ;;
	record-kprobe) echo "ipitrace record --no-fentry -o /tmp/rec.ipit" ;;
	watch) echo "ipitrace watch -q" ;;
	watch-detail) echo "ipitrace watch -q --detail" ;;
	esac
}

# tracer_start NAME: start it (TPID) and wait until it is attached: for
# record its "recording to" line (printed once every hook is on and the
# calibration is done); for watch, its BPF fds stop changing for 1 s.
# Attaching under TCG takes seconds (text patching syncs every vCPU).
TPID=
tracer_start() {
	local i=0 prev=-1 same=0 n
	rm -f /tmp/rec.ipit
	$(tracer_cmd "$1") >/tmp/tracer.out 2>/tmp/tracer.err </dev/null &
	TPID=$!
	while [ $i -lt 1200 ]; do
		if ! kill -0 $TPID 2>/dev/null; then
			wait $TPID; echo "$1 exited $? at start: $(tail -2 /tmp/tracer.err | tr '\n' ' ')" >/tmp/why
			TPID=
			return 1
		fi
		case $1 in
		record-*) grep -q 'recording to' /tmp/tracer.err 2>/dev/null && return 0 ;;
		*)
			n=$(gb_bpf_fds $TPID)
			if [ "$n" -gt 0 ] && [ "$n" = "$prev" ]; then
				same=$((same + 1)); [ $same -lt 10 ] || return 0
			else
				same=0
			fi
			prev=$n ;;
		esac
		i=$((i + 1))
		sleep 0.1
	done
	echo "$1 not attached after 120 s" >/tmp/why
	tracer_stop
	return 1
}

tracer_stop() {
	local i=0
	[ -n "$TPID" ] || return 0
	kill -INT $TPID 2>/dev/null
	while kill -0 $TPID 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL $TPID 2>/dev/null
	wait $TPID 2>/dev/null
	TPID=
	rm -f /tmp/rec.ipit
}

# storm MODE: RATE OPS SECS IPIS of one ipistorm run.
storm() {
	local i0 i1 line
	i0=$(gb_ipis)
	line=$(ipistorm -q -d "$GB_D" -c 0 -t 1 "$1")
	i1=$(gb_ipis)
	RATE=$(echo "$line" | sed -n 's/.* rate=\([0-9.]*\)\/s.*/\1/p')
	OPS=$(echo "$line" | sed -n 's/.* ops=\([0-9]*\) .*/\1/p')
	SECS=$(echo "$line" | sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p')
	IPIS=$((i1 - i0))
	[ -n "$RATE" ] || { echo "ipistorm $1: $line"; RATE=0 OPS=0 SECS=0; }
}

{
	echo "kernel=$(uname -r)"
	echo "arch=$(uname -m)"
	echo "cpus=$(nproc)"
	echo "clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)"
	echo "bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo absent)"
	echo "bpf_stats_enabled=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo absent)"
	echo "ipi_rows=$(gb_rows_named)"
} >/out/env
# The plan, for the tables' rung names; no calibration (it attaches and
# detaches every hook once more, and record calibrates where it matters).
ipitrace probe --no-calibrate >/out/probe.txt 2>&1; echo "probe exit $?"
: >/out/rows; : >/out/failed; : >/out/cost
T0=$(date +%s)
# A tracer that failed to start is not tried again; its reason is kept.
failed() { grep -q "^$1 " /out/failed; }
pair=1 last=0
while [ $pair -le "$GB_PAIRS" ]; do
	el=$(($(date +%s) - T0))
	if [ "${GB_BUDGET:-0}" -gt 0 ] && [ $((el + el - last)) -gt "$GB_BUDGET" ]; then
		echo "pair $pair/$GB_PAIRS: not started: the last pair took $((el - last)) s, the budget of $GB_BUDGET s is $el s spent"
		echo "budget=$GB_BUDGET s: stopped after $((pair - 1)) of $GB_PAIRS pairs" >>/out/env
		break
	fi
	last=$el
	printf 'pair %d/%d:' $pair "$GB_PAIRS"
	for t in $GB_TRACERS; do
		failed $t && continue
		for w in $GB_WORKLOADS; do
			storm $w; eval "A_$w='$RATE $IPIS $SECS'"
		done
		if ! tracer_start $t; then
			echo "$t $(cat /tmp/why)" >>/out/failed; printf ' %s(FAILED)' $t; continue
		fi
		for w in $GB_WORKLOADS; do
			c0=$(gb_ticks $TPID)
			storm $w
			c1=$(gb_ticks $TPID)
			eval "set -- \$A_$w"
			echo "$t $w $pair $1 $RATE $2 $IPIS $OPS $((c1 - c0)) $3 $SECS" >>/out/rows
		done
		tracer_stop
		printf ' %s' $t
	done
	echo " ($(($(date +%s) - T0)) s)"
	pair=$((pair + 1))
done

# Per-event BPF cost from the kernel's own accounting, if this kernel has it
# (kernel.bpf_stats_enabled: 5.8+): run_cnt and run_time_ns per program
# from the tracer's own fds, over one membarrier round.
if [ "${GB_STATS:-1}" = 1 ] && [ -w /proc/sys/kernel/bpf_stats_enabled ]; then
	old=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for t in $GB_TRACERS; do
		failed $t && continue
		tracer_start $t || continue
		gb_prog_stats $TPID >/tmp/s0
		storm membarrier
		gb_prog_stats $TPID >/tmp/s1
		tracer_stop
		# (busybox has no join)
		awk -v t=$t -v n=$IPIS 'NR == FNR { c[$1] = $2; ns0[$1] = $3; next }
			$1 in c { r += $2 - c[$1]; ns += $3 - ns0[$1]; p++ }
			END { print t, n, r + 0, ns + 0, p + 0 }' /tmp/s0 /tmp/s1 >>/out/cost
	done
	echo "$old" >/proc/sys/kernel/bpf_stats_enabled
fi
echo "guest bench done in $(($(date +%s) - T0)) s"
