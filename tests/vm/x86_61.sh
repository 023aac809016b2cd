# Debian 12's x86-64 kernel (6.1, cloud), booted under qemu TCG with 4 CPUs:
# the ladder must see a pre-6.5 kernel as it is (no ipi:* or csd:*
# tracepoints; BTF, fentry and kprobes available; receive side through
# irq_vectors:*; send, csd queue, csd execution and csd waits on fentry, or
# kprobes with --no-fentry), the receive side must match the guest kernel's
# own /proc/interrupts, every send and every csd must be matched, and the
# csd_lock_wait() spins must come out per (waiter, target, function).
. "$TESTLIB"
. "$ROOT/tests/vm/harness.inc"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (make deps installs qemu-system-x86)"
[ -x "$ROOT/$BUILD/static/ipitrace" ] || fail "build/static/ipitrace not built (make all)"
vm_kernel x86-6.1

# Attaching some thirty fentry/kprobe programs takes seconds under TCG
# (text_poke_bp syncs every CPU per patch), so each recording is started
# first and the loads only once it says it is recording (all hooks on).
cat >"$T/guest.sh" <<'GUEST'
ipitrace probe --json >/out/probe.json; echo "probe exit $?"
ipitrace probe --no-fentry --json >/out/probe-kp.json; echo "probe-kp exit $?"
ipitrace probe
# rec NAME OPTS: record 5 s in the background; returns once it is on.
rec() {
	ipitrace record -d 5 $2 -o /out/$1.ipit 2>/out/$1.err &
	REC=$!
	i=0
	while ! grep -q 'recording to' /out/$1.err; do
		i=$((i + 1)); [ $i -gt 600 ] && { echo "record $1 never started"; cat /out/$1.err; return 1; }
		sleep 0.1
	done
}
for rung in fentry kprobe; do
	opt=; [ $rung = kprobe ] && opt=--no-fentry
	# Synchronous cross-calls: membarrier 0 -> 1 and TLB shootdowns 2 -> 3.
	rec sync-$rung "$opt"
	ipistorm -q -d 3 -c 0 -t 1 membarrier >/out/storm-mb-$rung.txt &
	ipistorm -q -d 3 -c 2 -t 3 tlb >/out/storm-tlb-$rung.txt &
	wait $REC; echo "record sync-$rung exit $?"
	wait
	# Wake-ups across CPUs, every CPU sending: 0 <-> 1 and 2 <-> 3.
	rec wakeup-$rung "$opt"
	ipistorm -q -d 3 -c 0 -t 1 wakeup >/out/storm-w01-$rung.txt &
	ipistorm -q -d 3 -c 2 -t 3 wakeup >/out/storm-w23-$rung.txt &
	wait $REC; echo "record wakeup-$rung exit $?"
	wait
done
cat /out/storm-*.txt
GUEST
vm_run x86-6.1 "$T/guest.sh"
[ "$VM_RC" = 0 ] || fail "guest script exited $VM_RC"
grep -q "probe exit 0" "$T/out/guest.log" || fail "probe failed in the guest"
for r in sync-fentry wakeup-fentry sync-kprobe wakeup-kprobe; do
	grep -q "record $r exit 0" "$T/out/guest.log" || fail "record ($r) failed in the guest"
done

P=$T/out/probe.json
hook() { jq -r --arg h "$1" '.hooks[] | select(.hook == $h) | "\(.present) \(.rung)"' "$P"; }
expect_json "$P" '.kernel | startswith("6.1.")' "guest kernel is 6.1"
expect_json "$P" '.btf == true'
expect_json "$P" '.fentry == "available"' "fentry available on 6.1 x86-64"
expect_json "$P" '.kprobes == "available"' "kprobes available"
for h in ipi:ipi_send_cpu ipi:ipi_send_cpumask csd:csd_queue_cpu csd:csd_function_entry; do
	[ "$(hook $h)" = "false none" ] || fail "$h on 6.1: $(hook $h), expected absent"
done
for h in irq_vectors:call_function_single_entry irq_vectors:call_function_entry irq_vectors:reschedule_entry; do
	[ "$(hook $h)" = "true tp_btf" ] || fail "$h on 6.1: $(hook $h)"
done
# Without ipi:* and csd:*, send, csd queue, csd execution and csd waits fall
# to kernel functions: fentry, or kprobes when fentry is disabled (the
# reason says so).
for h in func:native_send_call_func_single_ipi func:native_send_call_func_ipi \
	 func:native_smp_send_reschedule \
	 func:generic_exec_single func:__smp_call_single_queue func:smp_call_function_many_cond \
	 "func:native_send_call_func_ipi (csds)" "func:smp_call_function_many_cond (csd mark)" \
	 "func:smp_call_function_many_cond (return)" \
	 func:__flush_smp_call_function_queue \
	 func:smp_call_function_single "func:smp_call_function_single (return)"; do
	[ "$(hook "$h" | sort -u)" = "true fentry" ] || fail "$h on 6.1: $(hook "$h")"
	jq -e --arg h "$h" '[.hooks[] | select(.hook == $h) | .rung == "kprobe" and (.why | test("--no-fentry"))] | all' \
		"$T/out/probe-kp.json" >/dev/null || fail "$h with --no-fentry: not on kprobe"
done
expect_json "$P" '[.hooks[] | select(.event == "CSD_QUEUE" and .rung == "fentry")] | length == 6' \
	"six CSD_QUEUE function rungs"

for r in fentry kprobe; do
	J=$T/sync-$r.json
	"$IPITRACE" report "$T/out/sync-$r.ipit" | sed -n '1,6p;/csd_lock_wait/,/^$/p'
	"$IPITRACE" report --json "$T/out/sync-$r.ipit" >"$J" || fail "report of sync-$r"
	expect_json "$J" '.recording.kernel | startswith("6.1.")'
	expect_json "$J" '.recording.plan | test("CSD_QUEUE +'$r' +func:generic_exec_single")' \
		"sync-$r: the recording's plan names the $r rung"
	expect_healthy "$J" "sync-$r: "
	expect_json "$J" '.ipi.undelivered == 0' "sync-$r: no undelivered IPI"
	expect_json "$J" '.ipi.matched + .ipi.in_flight_at_end + .ipi.unverifiable + .ipi.uncertain == .ipi.sent' \
		"sync-$r: every send matched"
	# Every csd queued was seen to run; entries with no queue event are only
	# the few csds queued before the hooks were on.
	expect_json "$J" '.csd.queued > 300 and .csd.stuck == 0 and .csd.in_flight_at_end < 10' "sync-$r: csds traced"
	expect_json "$J" '.csd.executed + .csd.in_flight_at_end + .csd.uncertain == .csd.queued' \
		"sync-$r: every csd queued ran"
	expect_json "$J" '.csd.entries_without_queue < .csd.queued / 20' "sync-$r: entries match their queue events"
	expect_json "$J" '.csd.entry_not_seen < .csd.executed / 20' "sync-$r: queue events match their entries"
	# The waits, per (waiter, target, function): membarrier's ipi_mb from 0
	# to 1 and the shootdowns' flush_tlb_func from 2 to 3.
	expect_json "$J" '[.csd_waits[] | select(.waiter == 0 and .target == 1 and .func == "ipi_mb")] | .[0].count > 50' \
		"sync-$r: csd_lock_wait 0 -> 1 for ipi_mb"
	expect_json "$J" '[.csd_waits[] | select(.waiter == 2 and .target == 3 and .func == "flush_tlb_func")] | .[0].count > 50' \
		"sync-$r: csd_lock_wait 2 -> 3 for flush_tlb_func"
	expect_json "$J" '[.csd_waits[] | select(.func == "ipi_mb" or .func == "flush_tlb_func") | .p50_ns] | all(. > 0 and . < 100000000)' \
		"sync-$r: wait latencies"
	jq -c '{rung: "'$r'", sent: .ipi.sent, matched: .ipi.matched, csd: {queued: .csd.queued, executed: .csd.executed},
		waits: [.csd_waits[] | select(.count > 50) | "\(.waiter)->\(.target) \(.func) n=\(.count) p50=\(.p50_ns)ns"],
		cal: [.interrupts[] | select(.row == "CAL") | "\(.cpu):\(.kernel)/\(.traced)"]}' "$J"
done
# Wake-ups across CPUs (TTWU call-function IPIs, reschedules), the volume
# test, on both rungs: every CPU sends, thousands of sends, every one
# matched, and the TTWU csds matched to their flush.
for r in fentry kprobe; do
	J=$T/wakeup-$r.json
	"$IPITRACE" report --json "$T/out/wakeup-$r.ipit" >"$J" || fail "report of wakeup-$r"
	expect_healthy "$J" "wakeup-$r: "
	expect_json "$J" '.recording.plan | test("SEND +'$r' +func:native_send_call_func_single_ipi")' \
		"wakeup-$r: the plan names the $r rung"
	expect_json "$J" '.ipi.sent > 5000' "wakeup-$r: sends traced"
	expect_json "$J" '[.per_cpu[] | .sent | add] | all(. > 100)' "wakeup-$r: sends from every CPU"
	expect_json "$J" '.ipi.undelivered == 0' "wakeup-$r: no undelivered IPI"
	expect_json "$J" '.ipi.matched + .ipi.in_flight_at_end + .ipi.unverifiable + .ipi.uncertain == .ipi.sent' \
		"wakeup-$r: every send matched"
	expect_json "$J" '.csd.queued > 1000 and .csd.stuck == 0' "wakeup-$r: TTWU csds traced"
	expect_json "$J" '[.interrupts[] | select(.row == "CAL") | .kernel] | min > 500' \
		"wakeup-$r: the guest kernel counted call-function IPIs on every CPU"
	jq -c '{wakeup: "'$r'", sent: .ipi.sent, matched: .ipi.matched, csd: {queued: .csd.queued, executed: .csd.executed},
		cal: [.interrupts[] | select(.row == "CAL") | "\(.cpu):\(.kernel)/\(.traced)"]}' "$J"
done
