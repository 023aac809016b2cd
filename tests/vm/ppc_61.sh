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

# No way to the message word: the handlers the demux runs stand in.
P=$T/out/probe-noword.json
grep -q "probe-noword exit 0" "$T/out/guest.log" || fail "probe without the kernel image failed"
grep -q "record-noword exit 0" "$T/out/guest.log" || fail "record without the kernel image failed"
[ "$(hook func:smp_ipi_demux_relaxed)" = "true none" ] || fail "demux without a word: $(hook func:smp_ipi_demux_relaxed)"
why func:smp_ipi_demux_relaxed | grep -q 'the handlers that run stand in' ||
	fail "the demux row does not say what stands in: $(why func:smp_ipi_demux_relaxed)"
[ "$(hook func:generic_smp_call_function_single_interrupt)" = "true kprobe" ] ||
	fail "CALL_FUNCTION handler: $(hook func:generic_smp_call_function_single_interrupt)"
[ "$(hits func:generic_smp_call_function_single_interrupt)" -gt 0 ] || fail "the handler never fired in calibration"
"$IPITRACE" report "$T/out/noword.ipit" | head -8
"$IPITRACE" report --json "$T/out/noword.ipit" >"$T/nw.json" || fail "report of the handler-attributed recording"
R=$T/nw.json
expect_json "$R" '[.anomalies[] | select(.kind != "uncertain")] | length == 0' "handlers: no accusation"
expect_json "$R" '([.per_cpu[].sent.CALL_FUNCTION // 0] | add) > 20' "handlers: CALL_FUNCTION sends"
expect_json "$R" '.ipi.undelivered == 0 and .ipi.matched > 20' "handlers: CALL_FUNCTION sends matched"
expect_json "$R" '.ipi.matched + .ipi.in_flight_at_end + .ipi.uncertain == .ipi.sent - .ipi.unverifiable' \
	"handlers: every verifiable send matched"
expect_json "$R" '(.recording.plan | test("sends verifiable by a receive hook:[^\\n]*RESCHEDULE")) | not' \
	"RESCHEDULE not verifiable without the word"
expect_json "$R" '.recording.plan | test("sends verifiable by a receive hook:[^\\n]*CALL_FUNCTION")' \
	"CALL_FUNCTION verifiable by its handler"
jq -c '{handlers: true, sent: .ipi.sent, matched: .ipi.matched, unverifiable: .ipi.unverifiable}' "$R"

# watch tier 1 on the addr rung: neither BTF nor KALLSYMS_ALL here, so the
# per-CPU variables come from the image's symbol table and the field
# offsets from the embedded minimal BTF.
P=$T/out/probe.json
expect_json "$P" '.watch_tier1.rung == "addr"' "tier 1 on the addr rung"
expect_json "$P" '.watch_tier1.addresses_from | test("^/boot/vmlinux-.* symbol table")' \
	"tier 1 addresses from the kernel image's symbol table"
expect_json "$P" '.watch_tier1.why_not_ksym | test("no kernel BTF")' "ksym refused: no BTF"
expect_json "$P" '.watch_tier1.context_switches == false and .watch_tier1.kstat == true and .watch_tier1.cfd_data == true'
jq -c 'select(.event == "summary")' "$T/out/watch.jsonl" >"$T/ws.json"
expect_json "$T/ws.json" '.rung == "addr"' "watch ran on the addr rung"
# Without the image: no rung, and watch says so; --vmlinux and
# IPITRACE_VMLINUX name the moved image.
P=$T/out/probe-noword.json
expect_json "$P" '.watch_tier1.rung == "none"' "no tier 1 rung without the image"
expect_json "$P" '.watch_tier1.why_not_addr | test("neither /proc/kallsyms .* nor a kernel image")' \
	"the addr rung says why"
grep -q "watch-noword exit 3" "$T/out/guest.log" || fail "watch without any rung did not exit 3"
grep -q "no tier 1 rung works here: ksym: no kernel BTF.*addr: call_single_queue, __per_cpu_offset are in neither" \
	"$T/out/watch-noword.err" || fail "watch without any rung does not say why: $(cat "$T/out/watch-noword.err")"
expect_json "$T/out/probe-vmlinux.json" '.watch_tier1.rung == "addr" and (.watch_tier1.addresses_from | startswith("/tmp/image"))' \
	"--vmlinux names the image"
grep -q "watch-env exit 0" "$T/out/guest.log" || fail "watch with IPITRACE_VMLINUX failed: $(cat "$T/out/watch-env.err")"
jq -e -s '.[] | select(.event == "summary") | .rung == "addr" and .cpus_watched == 4' "$T/out/watch-env.jsonl" >/dev/null ||
	fail "IPITRACE_VMLINUX: not the addr rung"
