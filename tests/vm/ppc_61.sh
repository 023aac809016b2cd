# Debian 12 ppc64le (6.1) under qemu-system-ppc64 -M pseries -cpu POWER9
# -smp 4: no BTF, no KALLSYMS_ALL, no ipi:*/csd:* tracepoints, the BPF JIT
# off by default.  The ladder must find the inlined sender
# (smp_muxed_ipi_message_pass attaches, never fires: calibration switches to
# its callers), the blacklisted doorbell_exception (EINVAL: the doorbell
# tracepoints instead), and read the demux's message word through the
# kernel image's symbol table.
. "$TESTLIB"
. "$ROOT/tests/vm/ppc.inc"
ppc_run ppc-6.1
expect_json "$P" '.kernel | startswith("6.1.")' "guest kernel is 6.1"
expect_json "$P" '.btf == false'
[ "$(hook ipi:ipi_send_cpu)" = "false none" ] || fail "ipi:ipi_send_cpu on 6.1: $(hook ipi:ipi_send_cpu)"
[ "$(hook csd:csd_queue_cpu)" = "false none" ] || fail "csd:csd_queue_cpu on 6.1: $(hook csd:csd_queue_cpu)"
# The inlined sender: attached, silent in calibration, replaced.
[ "$(hook func:smp_muxed_ipi_message_pass)" = "true none" ] ||
	fail "smp_muxed_ipi_message_pass: $(hook func:smp_muxed_ipi_message_pass)"
why func:smp_muxed_ipi_message_pass | grep -q 'attached but never fired in calibration' ||
	fail "smp_muxed_ipi_message_pass's reason: $(why func:smp_muxed_ipi_message_pass)"
for f in arch_send_call_function_single_ipi arch_send_call_function_ipi_mask smp_send_reschedule tick_broadcast; do
	[ "$(hook func:$f)" = "true kprobe" ] || fail "func:$f: $(hook func:$f)"
	why func:$f | grep -q 'instead of smp_muxed_ipi_message_pass' || fail "func:$f's reason: $(why func:$f)"
done
[ "$(hits func:arch_send_call_function_single_ipi)" -gt 0 ] || fail "the standby sender did not fire in calibration"
expect_json "$P" '.demux_message_word | test("^/boot/vmlinux-.* symbol table")' \
	"ipi_message found through the kernel image's symbol table"
expect_json "$P" '.hooks[] | select(.hook == "func:arch_smp_send_reschedule") | .present == false' \
	"6.1 still calls it smp_send_reschedule"
ppc_common_checks
expect_json "$R" '.recording.plan | test("SEND +kprobe +func:arch_send_call_function_single_ipi")' \
	"the recording's plan names the callers"
