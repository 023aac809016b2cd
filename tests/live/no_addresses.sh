# record --no-addresses keeps symbol names and no kernel address.
. "$TESTLIB"
need_bpf
storm -d 2 membarrier
"$IPITRACE" record -q -d 1 --no-addresses -o "$T/na.ipit" || fail "record"
storm_wait
"$IPITRACE" report --json "$T/na.ipit" >"$T/r.json" || fail "report"
expect_json "$T/r.json" '.recording.no_addresses == true'
expect_json "$T/r.json" '.ipi.undelivered == 0 and .csd.stuck == 0 and .ipi.sent > 10000' "still correlates"
"$MKREC" --dump "$T/na.ipit" >"$T/dump" || fail "dump"
grep -q "func=ipi_mb" "$T/dump" || grep -q "func=membarrier" "$T/dump" || fail "no symbol names: $(sed -n 5,8p "$T/dump")"
# Record the same load with addresses, collect the real kernel addresses it
# holds (csd pointers, and the functions' addresses from kallsyms), and
# search the --no-addresses file for each of them at every byte offset.
"$IPITRACE" record -q -d 0.5 -o "$T/a.ipit" || fail "record"
"$MKREC" --dump "$T/a.ipit" >"$T/adump" || fail "dump"
{
	grep -o 'csd=0x[0-9a-f]*' "$T/adump" | cut -d= -f2 | sort -u | head -50
	for f in $(grep -o 'func=[a-z_0-9]*' "$T/adump" | cut -d= -f2 | sort -u | head -20); do
		awk -v f="$f" '$3 == f { print "0x" $1; exit }' /proc/kallsyms
	done
} >"$T/addrs"
[ "$(wc -l <"$T/addrs")" -ge 3 ] || fail "too few addresses to look for: $(cat "$T/addrs")"
le() { printf '%016x' "$1" | sed 's/../&\n/g' | tac | tr -d '\n' | sed 's/../\\x&/g'; }
n=0
while read -r a; do
	n=$((n + 1))
	pat=$(le "$a")
	LC_ALL=C grep -qaP "$pat" "$T/a.ipit" || fail "self-check: $a not found in the normal recording"
	! LC_ALL=C grep -qaP "$pat" "$T/na.ipit" || fail "kernel address $a leaked into the --no-addresses recording"
done <"$T/addrs"
note "none of $n kernel addresses found in the --no-addresses recording"
