# Helpers for tests/bench/run.sh (sourced), kept apart so that
# tests/cli/bench.sh can check them without loading any BPF.

# stats V...: "median min max n" of the numbers given (median of an even
# count: the mean of the two middle values).  Nothing given: "- - - 0".
stats() {
	printf '%s\n' "$@" | awk 'NF { v[n++] = $1 }
		END {
			if (!n) { print "- - - 0"; exit }
			# insertion sort: a handful of values
			for (i = 1; i < n; i++)
				for (j = i; j > 0 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
			m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
			printf "%.6g %.6g %.6g %d\n", m, v[0], v[n - 1], n
		}'
}

# storm_rate LINE: the rate of one ipistorm summary line
# ("ipistorm: mode=M ops=N seconds=S rate=R/s ..."); nothing if it is not one.
storm_rate() {
	sed -n 's/^ipistorm: mode=[a-z]* ops=[0-9]* seconds=[0-9.]* rate=\([0-9.]*\)\/s.*/\1/p' <<<"$1"
}

# ipi_total [FILE]: CAL + TLB + RES summed over CPUs (/proc/interrupts).
ipi_total() {
	awk '$1 == "CAL:" || $1 == "TLB:" || $1 == "RES:" {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i }
		END { printf "%d\n", s }' "${1:-/proc/interrupts}"
}

# cpu_ticks PID: utime + stime of a process, in clock ticks (0 if gone).
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }   # the command name may hold spaces: cut after it
	awk '{ print $12 + $13 }' <<<"$s"
}

# bpf_fds PID: how many BPF programs, BPF links and perf events PID holds
# (a tracer is attached when this stops growing).
bpf_fds() {
	find "/proc/$1/fd" -lname 'anon_inode:bpf-prog' -o -lname 'anon_inode:bpf_link' \
		-o -lname 'anon_inode:*perf_event*' 2>/dev/null | wc -l
}

# prog_stats PID: one line per BPF program PID holds: "id run_cnt run_time_ns"
# (from /proc/PID/fdinfo, the kernel's own accounting; counts only while
# kernel.bpf_stats_enabled=1).
prog_stats() {
	local fd
	for fd in $(find "/proc/$1/fd" -lname 'anon_inode:bpf-prog' -printf '%f\n' 2>/dev/null); do
		awk '$1 == "prog_id:" { id = $2 } $1 == "run_cnt:" { c = $2 }
		     $1 == "run_time_ns:" { t = $2 }
		     END { if (id != "") print id, c + 0, t + 0 }' "/proc/$1/fdinfo/$fd" 2>/dev/null
	done | sort -un
}

# ratio A B: B / A with 4 decimals ("-" if A is not a positive number).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "") printf "%.4f\n", b / a; else print "-" }'
}
