# `watch` against a real unresponsive CPU (DESIGN.md section 6).  Debian 12
# x86-64 (6.1) under multi-threaded TCG, one host thread per vCPU, named
# "CPU n/TCG" (-name ...,debug-threads=on).  A guest process makes
# synchronous cross-CPU calls to CPU 1 (ipistorm membarrier, partner spinning
# on CPU 1) while `ipitrace watch --threshold 500` runs on CPU 3.  The host
# freezes the thread of vCPU 1 with the cgroup v1 freezer:
#   healthy  10 s of the same load, nothing frozen: zero alerts
#   run 1    frozen FREEZE1_S seconds, then thawed: an ALERT naming target
#            CPU 1 and the function within threshold + 1 s of the freeze
#            (timed on the host, from the console), repeats while frozen,
#            RESOLVED with an age close to the frozen time
#   run 2    frozen until watch ends: NEVER EXECUTED at exit
# Tier 1 attaches nothing, so MTTCG's text_poke hang (harness.inc) does not
# apply.
. "$TESTLIB"
. "$ROOT/tests/vm/harness.inc"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (make deps installs qemu-system-x86)"
[ -x "$ROOT/$BUILD/static/ipitrace" ] || fail "build/static/ipitrace not built (make all)"
[ "$(id -u)" = 0 ] || fail "freezing a qemu vCPU thread needs root (cgroup v1 freezer)"
vm_kernel x86-6.1

FREEZE1_S=${FREEZE1_S:-4}
THRESHOLD_MS=500

# The cgroup v1 freezer: the host's, or one mounted for this test.
FZ=/sys/fs/cgroup/freezer
if ! grep -q " $FZ cgroup .*freezer" /proc/mounts; then
	FZ=$T/freezer
	mkdir -p "$FZ"
	mount -t cgroup -o freezer ipit-freezer "$FZ" ||
		fail "cannot mount a cgroup v1 freezer hierarchy (mount -t cgroup -o freezer)"
	UMOUNT_FZ=1
fi
CG=$FZ/ipitrace-watch-$$
mkdir "$CG" || fail "cannot create freezer cgroup $CG"
VCPU_TID=
thaw_and_release() {
	local rc=$?
	echo THAWED >"$CG/freezer.state" 2>/dev/null
	[ -n "$VCPU_TID" ] && echo "$VCPU_TID" >"$FZ/tasks" 2>/dev/null
	rmdir "$CG" 2>/dev/null
	[ -n "${UMOUNT_FZ:-}" ] && umount "$FZ" 2>/dev/null
	(exit $rc)
	cleanup
}
trap thaw_and_release EXIT

cat >"$T/guest.sh" <<GUEST
# Keep this script and watch off CPUs 0 and 1: CPU 1 is the one frozen.
taskset -p -c 2,3 \$\$ >/dev/null
# Device interrupts (the serial console's among them) away from CPU 1 too:
# a frozen CPU 1 holding the UART's transmit interrupt delays the console,
# and the host times the alert from the console.
for f in /proc/irq/*/smp_affinity; do echo c >\$f; done 2>/dev/null
echo c >/proc/irq/default_smp_affinity
echo "clocksource \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
ipitrace probe --json >/out/probe.json; echo "probe exit \$?"
ipitrace probe | tail -6

ipistorm -q -d 11 -c 0 -t 1 membarrier >/out/storm-healthy.txt &
sleep 0.5
taskset -c 3 ipitrace watch --threshold $THRESHOLD_MS --json -q -d 10 >/out/healthy.jsonl 2>/out/healthy.err
echo "healthy exit \$?"
wait
cat /out/storm-healthy.txt

ipistorm -q -d 16 -c 0 -t 1 membarrier >/out/storm1.txt &
sleep 1
taskset -c 3 ipitrace watch --threshold $THRESHOLD_MS --json -q -d 11 >/out/run1.jsonl 2>/dev/console &
W=\$!
sleep 2
echo "@@FREEZE1@@" >/dev/console
wait \$W; echo "run1 exit \$?"
wait
cat /out/storm1.txt

ipistorm -q -d 14 -c 0 -t 1 membarrier >/out/storm2.txt &
sleep 1
taskset -c 3 ipitrace watch --threshold $THRESHOLD_MS --json -q -d 6 >/out/run2.jsonl 2>/dev/console &
W=\$!
sleep 2
echo "@@FREEZE2@@" >/dev/console
wait \$W; echo "run2 exit \$?"
echo "@@THAW2@@" >/dev/console
wait
cat /out/storm2.txt
GUEST

# Freezer driver on the host, in the background: waits for the guest's
# markers on the serial console, freezes vCPU 1's thread, and writes the
# host times (s since the epoch) into $T/times.
ts() { date +%s.%N; }
wait_console() {	# PATTERN TIMEOUT_S
	local i=0
	while ! grep -q "$1" "$T/console.log" 2>/dev/null; do
		sleep 0.02; i=$((i + 1))
		[ $i -gt $(($2 * 50)) ] && return 1
	done
	return 0
}
freeze() { echo FROZEN >"$CG/freezer.state"; }
thaw() { echo THAWED >"$CG/freezer.state"; }
driver() {
	local qpid i
	for i in $(seq 100); do
		qpid=$(pgrep -f "^qemu-system-x86_64 .*ipit-watch-vm-$$" | head -1)
		[ -n "$qpid" ] && break
		sleep 0.1
	done
	[ -n "$qpid" ] || { echo "no qemu process" >"$T/driver.err"; return 1; }
	for i in $(seq 100); do
		VCPU_TID=$(ps -T -p "$qpid" -o spid=,comm= | awk '$2 == "CPU" && $3 == "1/TCG" { print $1 }')
		[ -n "$VCPU_TID" ] && break
		sleep 0.1
	done
	[ -n "$VCPU_TID" ] || { echo "no thread 'CPU 1/TCG' in qemu $qpid" >"$T/driver.err"; return 1; }
	echo "$VCPU_TID" >"$T/vcpu_tid"
	echo "$VCPU_TID" >"$CG/tasks" || { echo "cannot move $VCPU_TID into $CG" >"$T/driver.err"; return 1; }

	wait_console '@@FREEZE1@@' 200 || { echo "no FREEZE1 marker" >"$T/driver.err"; return 1; }
	freeze; echo "freeze1 $(ts)" >>"$T/times"
	wait_console 'ALERT stuck_csd' 30 && echo "alert1 $(ts)" >>"$T/times"
	# Thaw FREEZE1_S after the freeze.
	sleep "$(awk -v f="$(awk '/^freeze1/ { print $2 }' "$T/times")" -v n="$(ts)" -v d="$FREEZE1_S" \
		'BEGIN { s = f + d - n; print (s > 0 ? s : 0) }')"
	thaw; echo "thaw1 $(ts)" >>"$T/times"

	wait_console '@@FREEZE2@@' 120 || { echo "no FREEZE2 marker" >"$T/driver.err"; return 1; }
	freeze; echo "freeze2 $(ts)" >>"$T/times"
	wait_console '@@THAW2@@' 60
	thaw; echo "thaw2 $(ts)" >>"$T/times"
	echo "$VCPU_TID" >"$FZ/tasks"
}

: >"$T/times"
driver &
DRIVER=$!
# Guest timekeeping must not depend on CPU 1: with NOHZ the jiffies duty
# (tick_do_timer_cpu) wanders and may sit on CPU 1 when it is frozen, and
# TCG's TSC is marked unstable, leaving a clocksource that wraps unless
# the duty CPU updates the timekeeper (measured: guest time stood still
# for a whole freeze, watch took 111 samples in 56 s).  nohz=off keeps the
# duty on CPU 0; tsc=reliable keeps the TSC.
VM_APPEND_EXTRA="nohz=off tsc=reliable" \
VM_TCG_THREAD=multi VM_QEMU_EXTRA="-name ipit-watch-vm-$$,debug-threads=on" vm_run x86-6.1 "$T/guest.sh"
wait "$DRIVER"; drc=$?
thaw
VCPU_TID=$(cat "$T/vcpu_tid" 2>/dev/null)
cat "$T/times"
[ $drc = 0 ] || fail "freezer driver: $(cat "$T/driver.err" 2>/dev/null)"
[ "$VM_RC" = 0 ] || fail "guest script exited $VM_RC"
grep -q "probe exit 0" "$T/out/guest.log" || fail "probe failed in the guest"
for r in healthy run1 run2; do
	grep -q "$r exit 0" "$T/out/guest.log" || fail "watch ($r) failed in the guest: $(cat "$T/out/$r.err" 2>/dev/null)"
done

P=$T/out/probe.json
expect_json "$P" '.kernel | startswith("6.1.")' "guest kernel is 6.1"
expect_json "$P" '.watch_tier1.rung == "ksym"' "tier 1 on the typed-ksym rung in the 6.1 guest (KALLSYMS_ALL)"
expect_json "$P" '.watch_tier1.cpus_watched == 4' "all 4 guest CPUs watched"

# Healthy: 10 s of membarrier load, zero alerts, and the sampler did see
# entries pending on CPU 1 (it is looking at the right queue).
H=$T/out/healthy.jsonl
jq -c 'select(.event == "summary")' "$H"
[ "$(jq -s '[.[] | select(.event == "alert")] | length' "$H")" = 0 ] ||
	fail "alerts under healthy load: $(grep alert "$H" | head -3)"
jq -e -s '.[] | select(.event == "summary") | .samples > 300 and .sample_errors == 0' "$H" >/dev/null ||
	fail "healthy: too few samples or errors"
jq -e -s '.[] | select(.event == "summary") | [.per_cpu[] | select(.cpu == 1) | .samples_pending] | .[0] > 0' \
	"$H" >/dev/null || fail "healthy: the sampler never saw an entry pending on CPU 1 under membarrier load"
grep -q "ops=" "$T/out/storm-healthy.txt" || fail "no load in the healthy run"

# Run 1.
R1=$T/out/run1.jsonl
f1=$(awk '/^freeze1/ { print $2 }' "$T/times"); a1=$(awk '/^alert1/ { print $2 }' "$T/times")
t1=$(awk '/^thaw1/ { print $2 }' "$T/times")
[ -n "$a1" ] || fail "run 1: no ALERT on the console while CPU 1 was frozen"
lat=$(awk -v a="$a1" -v f="$f1" 'BEGIN { printf "%d", (a - f) * 1000 }')
frozen=$(awk -v t="$t1" -v f="$f1" 'BEGIN { printf "%d", (t - f) * 1000 }')
note "run 1: frozen ${frozen} ms; alert on the console ${lat} ms after the freeze"
[ "$lat" -le $((THRESHOLD_MS + 1000)) ] || fail "run 1: alert ${lat} ms after the freeze (limit $((THRESHOLD_MS + 1000)))"
jq -c 'select(.event == "alert") | {state, target_cpu, waiter_cpu, func, entry_type, age_ms, target_since}' "$R1"
first=$(jq -s -c '[.[] | select(.event == "alert" and .state == "stuck")] | .[0]' "$R1")
[ "$first" != null ] || fail "run 1: no stuck alert in the JSON"
jq -e '.target_cpu == 1' <<<"$first" >/dev/null || fail "run 1: alert does not name target CPU 1: $first"
jq -e '.func | startswith("ipi_mb")' <<<"$first" >/dev/null || fail "run 1: alert does not name membarrier's ipi_mb: $first"
jq -e '.waiter_cpu == 0 and .entry_type == "csd_sync"' <<<"$first" >/dev/null ||
	fail "run 1: the waiter (CPU 0, spinning in csd_lock_wait) is not named: $first"
jq -e '.target_since.timer_interrupts == 0' <<<"$first" >/dev/null ||
	fail "run 1: the frozen CPU took timer interrupts? $first"
[ "$(jq -s '[.[] | select(.event == "alert" and .state == "still_stuck" and .target_cpu == 1)] | length' "$R1")" -ge 1 ] ||
	fail "run 1: no repeat while frozen"
res=$(jq -s '[.[] | select(.event == "alert" and .state == "resolved" and .target_cpu == 1) | .age_ms] | .[0]' "$R1")
[ "$res" != null ] || fail "run 1: no resolved alert after the thaw"
note "run 1: resolved after ${res} ms; frozen ${frozen} ms"
# Close to the frozen time: the entry was queued just after the freeze
# (the load makes one every few microseconds), first seen within one
# sample, gone within one sample of the thaw; allow 300 ms either way for
# TCG and a shared host.
[ $((res - frozen)) -le 300 ] && [ $((frozen - res)) -le 300 ] ||
	fail "run 1: resolved after $res ms, but CPU 1 was frozen for $frozen ms"
[ "$(jq -s '[.[] | select(.event == "alert" and .state == "stuck" and .target_cpu != 1)] | length' "$R1")" = 0 ] ||
	fail "run 1: alerts for CPUs that were not frozen: $(jq -c 'select(.target_cpu != 1)' "$R1" | head -3)"

# Run 2: still frozen when watch ends.
R2=$T/out/run2.jsonl
jq -c 'select(.event == "alert") | {state, target_cpu, func, age_ms}' "$R2"
jq -e -s '[.[] | select(.event == "alert" and .state == "never_executed" and .target_cpu == 1 and
	(.func | startswith("ipi_mb")))] | length == 1' "$R2" >/dev/null ||
	fail "run 2: the request is not listed as never executed"
jq -e -s '.[] | select(.event == "summary") | .alerts.stuck_csd.never_executed == 1' "$R2" >/dev/null ||
	fail "run 2: summary does not count it"
grep -q "NEVER EXECUTED stuck_csd: CPU 1 never ran ipi_mb" "$T/console.log" ||
	fail "run 2: no NEVER EXECUTED line on stderr"
exit 0
