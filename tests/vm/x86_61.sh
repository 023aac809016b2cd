# Debian 12's x86-64 kernel (6.1, cloud), booted under qemu TCG with 4 CPUs:
# the ladder must see a pre-6.5 kernel as it is (no ipi:* or csd:*
# tracepoints; BTF, fentry and kprobes available; receive side through
# irq_vectors:*; the send side on fentry, or kprobes with --no-fentry), the
# receive side must match the guest kernel's own /proc/interrupts, and
# every send must be matched to its receive, on both send rungs.
. "$TESTLIB"
. "$ROOT/tests/vm/harness.inc"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (make deps installs qemu-system-x86)"
[ -x "$ROOT/$BUILD/static/ipitrace" ] || fail "build/static/ipitrace not built (make all)"
vm_kernel x86-6.1

cat >"$T/guest.sh" <<'GUEST'
ipitrace probe --json >/out/probe.json; echo "probe exit $?"
ipitrace probe --no-fentry --json >/out/probe-kp.json; echo "probe-kp exit $?"
ipitrace probe
# The load starts once the recording has (plan_build verifies every program
# first: under a busy host's TCG that took longer than a fixed sleep, and the
# recording then missed the load, measured).
rec_started() {
	n=0; while ! grep -q 'recording to' "$1" && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
}
for rung in fentry kprobe; do
	opt=; [ $rung = kprobe ] && opt=--no-fentry
	ipitrace record -d 3 $opt -o /out/mb-$rung.ipit 2>/out/rec-$rung.err & rec=$!
	rec_started /out/rec-$rung.err
	ipistorm -q -d 3 -c 0 -t 1 membarrier >/out/storm-$rung.txt
	wait $rec; echo "record $rung exit $?"
done
for rung in fentry kprobe; do
	opt=; [ $rung = kprobe ] && opt=--no-fentry
	ipitrace record -d 2 $opt -o /out/wakeup-$rung.ipit 2>/out/rec-wakeup-$rung.err & rec=$!
	rec_started /out/rec-wakeup-$rung.err
	ipistorm -q -d 2 -c 2 -t 3 wakeup >/out/storm-wakeup-$rung.txt
	wait $rec; echo "record wakeup-$rung exit $?"
done
cat /out/storm-*.txt
GUEST
vm_run x86-6.1 "$T/guest.sh"
[ "$VM_RC" = 0 ] || fail "guest script exited $VM_RC"
grep -q "probe exit 0" "$T/out/guest.log" || fail "probe failed in the guest"
for r in fentry kprobe wakeup-fentry wakeup-kprobe; do
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
# Without ipi:*, the send side falls to the x86 send functions: fentry, or
# kprobes when fentry is disabled (the reason says so).
for f in native_send_call_func_single_ipi native_send_call_func_ipi native_smp_send_reschedule; do
	[ "$(hook func:$f)" = "true fentry" ] || fail "func:$f on 6.1: $(hook func:$f)"
	jq -e --arg h "func:$f" '.hooks[] | select(.hook == $h) | .rung == "kprobe" and (.why | test("--no-fentry"))' \
		"$T/out/probe-kp.json" >/dev/null || fail "func:$f with --no-fentry: not on kprobe"
done
# CSD_WAIT: csd_lock_wait() is inlined; its callers are timed at entry and
# return.
for h in "func:smp_call_function_single" "func:smp_call_function_single (return)" \
	 "func:smp_call_function_many" "func:smp_call_function_many (return)"; do
	[ "$(hook "$h")" = "true fentry" ] || fail "$h on 6.1: $(hook "$h")"
	jq -e --arg h "$h" '.hooks[] | select(.hook == $h) | .rung == "kprobe"' "$T/out/probe-kp.json" \
		>/dev/null || fail "$h with --no-fentry: not on kprobe"
done

for r in fentry kprobe; do
	"$IPITRACE" report "$T/out/mb-$r.ipit" | head -12
	"$IPITRACE" report --json "$T/out/mb-$r.ipit" >"$T/$r.json" || fail "report of the $r recording"
	expect_json "$T/$r.json" '.recording.kernel | startswith("6.1.")'
	expect_json "$T/$r.json" '.recording.plan | test("SEND +'$r' +func:native_send_call_func_single_ipi")' \
		"$r: the recording's plan names the $r rung"
	expect_healthy "$T/$r.json" "$r: "
	# The send side on the function rung, matched to the receive side.
	# Single-threaded TCG shares one host thread between the caller and the
	# spinning partner: the ping-pong rate varies (38 to 373 IPIs to CPU 1
	# in 3 s seen), so only a floor here; volume is checked with wake-ups.
	expect_json "$T/$r.json" '.ipi.sent > 10' "$r: sends traced"
	# membarrier, on CPU 0, waits in smp_call_function_many().
	expect_json "$T/$r.json" '.per_cpu[0].csd_wait_ns.count > 3' "$r: CSD waits on CPU 0 timed (a rate TCG makes uneven: 24 to 392 seen)"
	expect_json "$T/$r.json" '.per_cpu[0].csd_wait_ns.p50_ns > 0' "$r: CSD wait latencies"
	jq -c '{rung: "'$r'", csd_wait_cpu0: .per_cpu[0].csd_wait_ns | {count, p50_ns, p99_ns, max_ns}}' "$T/$r.json"
	expect_json "$T/$r.json" '.ipi.undelivered == 0' "$r: no undelivered IPI"
	expect_json "$T/$r.json" '.ipi.matched + .ipi.in_flight_at_end + .ipi.unverifiable + .ipi.uncertain == .ipi.sent' \
		"$r: every send matched"
	jq -c '{rung: "'$r'", sent: .ipi.sent, matched: .ipi.matched, cal: [.interrupts[] | select(.row == "CAL") | "\(.cpu):\(.kernel)/\(.traced)"]}' "$T/$r.json"
done
# Wake-ups across CPUs 2 and 3 (TTWU call-function IPIs, reschedules), the
# volume test, on both send rungs: thousands of sends, every one matched.
for r in fentry kprobe; do
	"$IPITRACE" report --json "$T/out/wakeup-$r.ipit" >"$T/w.json" || fail "report of wakeup-$r"
	expect_healthy "$T/w.json" "wakeup-$r: "
	expect_json "$T/w.json" '.recording.plan | test("SEND +'$r' +func:native_send_call_func_single_ipi")' \
		"wakeup-$r: the plan names the $r rung"
	expect_json "$T/w.json" '.ipi.sent > 5000' "wakeup-$r: sends traced"
	expect_json "$T/w.json" '.ipi.undelivered == 0' "wakeup-$r: no undelivered IPI"
	expect_json "$T/w.json" '.ipi.matched + .ipi.in_flight_at_end + .ipi.unverifiable + .ipi.uncertain == .ipi.sent' \
		"wakeup-$r: every send matched"
	expect_json "$T/w.json" '[.interrupts[] | select(.row == "CAL" and .cpu == 3) | .kernel] | max > 1000' \
		"wakeup-$r: the guest kernel counted call-function IPIs on CPU 3"
	jq -c '{wakeup: "'$r'", sent: .ipi.sent, matched: .ipi.matched, cal: [.interrupts[] | select(.row == "CAL") | "\(.cpu):\(.kernel)/\(.traced)"]}' "$T/w.json"
done
