# Validates `ipitrace timeline --format perfetto` output (jq -e -f, input:
# the trace).  Prints {ok, ...counts, problems[]}; ok is false on any
# problem:
#  - one synthetic process; every lane (tid) is named "CPU <tid>";
#  - every flow_out bind_id has exactly one flow_in and the reverse;
#  - a send flagged undelivered (args.verdict) has no flow_out;
#  - slices (ph X) nest properly per lane: sorted by start (longer first),
#    each one ends before the enclosing one does (half a ns of slack for
#    the decimal microseconds).
def xs: [.traceEvents[] | select(.ph == "X")];
def flows(f): [xs[] | select(f) | .bind_id];
def count_by: group_by(.) | map({key: .[0], value: length}) | from_entries;
(flows(.flow_out == true) | count_by) as $out
| (flows(.flow_in == true) | count_by) as $in
| [ $out | to_entries[] | select(.value != 1 or ($in[.key] // 0) != 1)
    | "bind_id \(.key): \(.value) flow_out, \($in[.key] // 0) flow_in" ] as $p1
| [ $in | to_entries[] | select(($out[.key] // 0) != 1)
    | "bind_id \(.key): flow_in without its flow_out" ] as $p2
| [ xs[] | select(.args.verdict == "undelivered" and .flow_out == true)
    | "undelivered send at \(.ts) on \(.tid) has a flow_out" ] as $p3
| [ .traceEvents[] | select(.ph == "M" and .name == "thread_name")
    | select(.args.name != "CPU \(.tid)") | "lane \(.tid) named \(.args.name)" ] as $p4
| ([ .traceEvents[] | select(.ph != "M") | .pid ] | unique) as $pids
| [ if ($pids | length) > 1 then "more than one process: \($pids)" else empty end ] as $p5
| [ xs | group_by(.tid)[] | sort_by([.ts, -.dur])
    | reduce .[] as $s ({st: [], bad: []};
        .st |= until(length == 0 or .[-1] > $s.ts + 0.0005; .[:-1])
        | if (.st | length) > 0 and ($s.ts + $s.dur > .st[-1] + 0.0005)
          then .bad += ["\($s.name) at \($s.ts) on lane \($s.tid) ends after its parent"]
          else . end
        | .st += [$s.ts + $s.dur])
    | .bad[] ] as $p6
| ($p1 + $p2 + $p3 + $p4 + $p5 + $p6) as $problems
| { ok: ($problems | length == 0),
    slices: (xs | length),
    flows: ($out | length),
    undelivered: ([xs[] | select(.args.verdict == "undelivered")] | length),
    anomalies: ([.traceEvents[] | select(.cat == "anomaly")] | length),
    lanes: ([.traceEvents[] | select(.ph == "M" and .name == "thread_name")] | length),
    max_depth: 0,
    problems: $problems[:20] }
| del(.max_depth)
