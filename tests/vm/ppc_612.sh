# Debian 13 ppc64le (6.12, suite trixie) under qemu-system-ppc64 -M pseries
# -cpu POWER9 -smp 4: BTF, KALLSYMS_ALL, the ipi:* and csd:* tracepoints.
# The ladder must prefer the tracepoints there (and say the function rungs
# are not needed), read the demux's message word through kallsyms, and say
# why fentry is refused (no BPF trampoline on powerpc before about 6.13).
. "$TESTLIB"
. "$ROOT/tests/vm/ppc.inc"
ppc_run ppc-6.12
expect_json "$P" '.kernel | startswith("6.12.")' "guest kernel is 6.12"
expect_json "$P" '.btf == true'
expect_json "$P" '.fentry | test("ENOTSUPP")' "fentry refused with the reason"
for h in ipi:ipi_send_cpu ipi:ipi_send_cpumask; do
	[ "$(hook $h)" = "true tp_btf" ] || fail "$h on 6.12: $(hook $h)"
done
for h in csd:csd_queue_cpu csd:csd_function_entry csd:csd_function_exit; do
	[ "$(hook $h)" = "true raw_tp" ] || fail "$h on 6.12: $(hook $h)"
done
for f in smp_muxed_ipi_message_pass arch_send_call_function_single_ipi arch_send_call_function_ipi_mask \
	 arch_smp_send_reschedule; do
	[ "$(hook func:$f)" = "true none" ] || fail "func:$f on 6.12: $(hook func:$f)"
	why func:$f | grep -q "not needed: the kernel's ipi:\* tracepoints see every such event here" ||
		fail "func:$f's reason on 6.12: $(why func:$f)"
done
expect_json "$P" '.demux_message_word | test("kallsyms")' "ipi_message found through kallsyms"
ppc_common_checks
expect_json "$R" '.recording.plan | test("SEND +tp_btf +ipi:ipi_send_cpu")' "the recording's plan names ipi:*"
expect_json "$R" '.csd.queued > 0 and .csd.stuck == 0' "csd:* traced, nothing stuck"

# watch tier 1: the typed-ksym rung (KALLSYMS_ALL), ipi_message included.
expect_json "$P" '.watch_tier1.rung == "ksym" and .watch_tier1.context_switches == true' "tier 1 on the ksym rung"
expect_json "$T/out/probe-vmlinux.json" '.watch_tier1.rung == "ksym"' "--vmlinux does not displace the ksym rung"
grep -q "watch-noword exit 0" "$T/out/guest.log" || fail "watch without the image failed on 6.12"
