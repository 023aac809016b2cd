# watch's waiter sampler on the host kernel.  The stuck entry is the
# test-only fake (--fault-stuck 1: CPU 1's queue "holds" a synchronous csd,
# after the BPF side) and --fault-waiter 0 says the kernel's csd blocks name
# CPU 0 as its waiter; everything after that is real: half-way to the
# threshold watch opens a cpu-clock perf event on CPU 0 and its BPF program
# keeps CPU 0's kernel stacks.  CPU 0 runs ipistorm's membarrier driver,
# which spends its time in membarrier(2) waiting in
# smp_call_function_many_cond() for CPU 1: the alert must name that task
# and the callsite membarrier_private_expedited, from the sampled stack.
# Then: no perf event stays behind, and --no-stacks arms nothing; and with
# a fake wake-up ahead of the csd, the alert still names the csd.
. "$TESTLIB"
need_bpf

storm -d 9 -c 0 -t 1 membarrier
"$IPITRACE" watch -q --json --threshold 400 -d 3 --fault-stuck 1:2000 --fault-waiter 0 \
	>"$T/w.jsonl" 2>"$T/w.err" || fail "watch exited $?: $(cat "$T/w.err")"
"$IPITRACE" watch -q --json --threshold 400 -d 1.5 --fault-stuck 1 --fault-waiter 0 --no-stacks \
	>"$T/n.jsonl" 2>"$T/n.err" || fail "watch --no-stacks exited $?: $(cat "$T/n.err")"
# The fake queue with a wake-up ahead of the csd (test-only
# IPITRACE_FAULT_BEHIND=1): the alert names the csd and its waiter.
IPITRACE_FAULT_BEHIND=1 "$IPITRACE" watch -q --json --threshold 400 -d 1.5 --fault-stuck 1 --fault-waiter 0 \
	>"$T/b.jsonl" 2>"$T/b.err" || fail "watch behind a wake-up exited $?: $(cat "$T/b.err")"
storm_wait
jq -c 'select(.event == "alert") | {state, waiter_cpu, waiter_pid, waiter_comm, callsite, waiter_stack}' "$T/w.jsonl"
jq -c 'select(.event == "summary") | .waiter_stacks' "$T/w.jsonl" "$T/n.jsonl"

expect_json_s() { jq -e -s "$2" "$1" >/dev/null || fail "$3: $(jq -c -s "$2" "$1" 2>&1 | head -c 300)"; }
expect_json_s "$T/w.jsonl" '.[] | select(.event == "summary") | .waiter_stacks |
	.available and .on_stack_csds and .cpus_armed == 1 and .arm_errors == 0' "one CPU armed (the waiter), no error"
# The first alert or, if no sample named the waiter by then, the repeat.
expect_json_s "$T/w.jsonl" '[.[] | select(.event == "alert" and .state != "resolved")] | map(select(.waiter_pid)) | .[0] |
	.waiter_cpu == 0 and .waiter_comm == "ipistorm" and (.callsite | startswith("membarrier")) and
	(.waiter_stack | contains("smp_call_function_many_cond"))' \
	"an alert names the membarrier driver on CPU 0 and its callsite, from its stack"
expect_json_s "$T/w.jsonl" '[.[] | select(.event == "alert" and .state == "resolved")] | .[0].callsite | startswith("membarrier")' \
	"the resolved alert still carries the callsite"
grep -q "queued by CPU 0 (pid [0-9]* ipistorm) at membarrier" "$T/w.err" ||
	fail "no human alert line naming the waiting task: $(grep ALERT "$T/w.err")"
expect_json_s "$T/n.jsonl" '.[] | select(.event == "summary") | .waiter_stacks |
	(.available | not) and .cpus_armed == 0 and (.why_not | test("no-stacks"))' "--no-stacks arms nothing"
expect_json_s "$T/n.jsonl" '[.[] | select(.event == "alert")] | all(.callsite == null)' "--no-stacks: no callsite"
jq -c 'select(.event == "alert") | {state, entry_type, entry_behind_oldest, func, pending, waiter_cpu, waiter_comm, callsite}' "$T/b.jsonl"
expect_json_s "$T/b.jsonl" '[.[] | select(.event == "alert" and .state == "stuck")] | .[0] |
	.entry_type == "csd_sync" and .entry_behind_oldest and .func == "ipi_mb" and .pending == 2 and
	.waiter_cpu == 0 and (has("pid") | not)' "behind a wake-up: the alert names the synchronous csd and its waiter"
expect_json_s "$T/b.jsonl" '[.[] | select(.event == "alert" and .state != "resolved")] | map(select(.waiter_pid)) | .[0] |
	.waiter_comm == "ipistorm" and (.callsite | startswith("membarrier"))' \
	"behind a wake-up: the waiter's task and callsite, from its stack"
grep -q "has not run ipi_mb (csd_sync, behind an older entry) for" "$T/b.err" ||
	fail "the human line does not say the csd is behind an older entry: $(grep ALERT "$T/b.err")"
# The perf events died with the disarm/exit: none of ours is left.
left=$(bpftool link show 2>/dev/null | grep -c "perf_event" || true)
[ "$left" = 0 ] || fail "$left perf_event BPF links left behind"
exit 0
