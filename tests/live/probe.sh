# `ipitrace probe` on the host kernel: it must find the tracepoints, step
# down from tp_btf to raw_tp where the verifier refuses, and say why every
# missing rung is missing.
. "$TESTLIB"
need_bpf

"$IPITRACE" probe || fail "probe exited $?"
"$IPITRACE" probe --json >"$T/p.json" || fail "probe --json exited $?"
hook() { jq -r --arg h "$1" '.hooks[] | select(.hook == $h) | .rung' "$T/p.json"; }
why() { jq -r --arg h "$1" '.hooks[] | select(.hook == $h) | .why' "$T/p.json"; }

# What this kernel has is decided from its BTF, not assumed: check against
# the kernel's own list of raw tracepoints.
for tp in ipi_send_cpu ipi_send_cpumask csd_queue_cpu csd_function_entry; do
	bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q "btf_trace_$tp'" ||
		fail "kernel BTF lacks $tp: this test expects a 6.5+ kernel"
done
[ "$(hook ipi:ipi_send_cpu)" = tp_btf ] || fail "ipi_send_cpu rung: $(hook ipi:ipi_send_cpu)"
[ "$(hook ipi:ipi_send_cpumask)" = tp_btf ] || fail "ipi_send_cpumask rung"
# The verifier refuses tp_btf for a function-pointer argument: raw_tp, and
# the verifier's own words as the reason.
for h in csd:csd_queue_cpu csd:csd_function_entry csd:csd_function_exit; do
	[ "$(hook $h)" = raw_tp ] || fail "$h rung: $(hook $h)"
	why $h | grep -q "FUNC_PROTO" || fail "$h reason: $(why $h)"
done
[ "$(hook irq_vectors:call_function_single_entry)" = tp_btf ] || fail "receive rung"
# Missing rungs are explained.
jq -e '.hooks[] | select(.event == "CSD_WAIT") | .why | test("always_inline")' "$T/p.json" >/dev/null ||
	fail "CSD_WAIT has no reason"
if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	jq -e '.kprobes | test("not configured")' "$T/p.json" >/dev/null || fail "kprobes: $(jq .kprobes "$T/p.json")"
fi
jq -e '.usable_event_kinds >= 5' "$T/p.json" >/dev/null || fail "usable kinds $(jq .usable_event_kinds "$T/p.json")"
# Probing leaves nothing attached.
[ "$(bpftool link list -j | jq length)" = 0 ] || fail "links left behind: $(bpftool link list)"
