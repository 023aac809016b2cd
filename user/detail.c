// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Tier 2 of `watch`: see detail.h and bpf/detail.bpf.c. */
#include "detail.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "detail.skel.h"

/* Kernel BTF names every tracepoint's type (btf_trace_NAME); tracefs, the
 * fallback, is not always mounted. */
static int tp_exists(const char *cat, const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char path[256];

	if (btf) {
		int found;

		snprintf(path, sizeof(path), "btf_trace_%s", name);
		found = btf__find_by_name_kind(btf, path, BTF_KIND_TYPEDEF) > 0;
		btf__free(btf);
		return found;
	}
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", cat, name);
	if (!access(path, F_OK))
		return 1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", cat, name);
	return !access(path, F_OK);
}

int detail_open(struct detail *d, unsigned ncpus, uint64_t threshold_ns, int fault_cpu,
		char *err, size_t errlen)
{
	struct detail_bpf *sk;
	int ret;

	memset(d, 0, sizeof(*d));
	if (ncpus > IPT_DETAIL_MAX_CPUS) {
		snprintf(err, errlen, "--detail handles at most %d CPUs (this machine has %u)",
			 IPT_DETAIL_MAX_CPUS, ncpus);
		return EXIT_BPF;
	}
	if (!tp_exists("csd", "csd_queue_cpu") || !tp_exists("csd", "csd_function_entry")) {
		snprintf(err, errlen, "--detail needs the csd:csd_queue_cpu and csd:csd_function_entry "
			 "tracepoints (Linux 6.5+), which this kernel lacks; tier 1 works without --detail");
		return EXIT_BPF;
	}
	sk = detail_bpf__open();
	if (!sk) {
		snprintf(err, errlen, "cannot open the tier 2 BPF object: %s", strerror(errno));
		return EXIT_BPF;
	}
	sk->rodata->nr_cpus = ncpus;
	sk->rodata->threshold_ns = threshold_ns;
	sk->rodata->fault_cpu = fault_cpu;
	/* Bounded memory: 256 csds in flight per CPU is far above what a CPU
	 * can have queued (one cfd csd per target per sender, one csd_data,
	 * plus on-stack ones); a full table is counted, never silent. */
	bpf_map__set_max_entries(sk->maps.pending, 256 * ncpus);
	/* The direct-mapped slots: a power of two, at least 64 per CPU, so
	 * that a csd rarely finds its slot taken (then it goes to pending). */
	{
		unsigned bits = 10;

		while ((1u << bits) < 64 * ncpus)
			bits++;
		sk->rodata->slot_bits = bits;
		/* Test only: the overflow hash for every csd. */
		sk->rodata->no_slots = env_is("IPITRACE_DETAIL_NO_SLOTS", "1");
		bpf_map__set_max_entries(sk->maps.slots, 1u << bits);
	}
	bpf_map__set_max_entries(sk->maps.queued, ncpus * ncpus);
	bpf_map__set_max_entries(sk->maps.lat_sum, ncpus * ncpus);
	bpf_map__set_max_entries(sk->maps.hist, ncpus * ncpus * IPT_DETAIL_BUCKETS);
	ret = detail_bpf__load(sk);
	if (ret) {
		snprintf(err, errlen, ret == -EPERM ?
			 "permission denied loading BPF programs: run as root, or grant CAP_BPF and CAP_PERFMON" :
			 "loading the tier 2 BPF programs failed: %s (-v shows libbpf's output)",
			 strerror(-ret));
		detail_bpf__destroy(sk);
		return EXIT_BPF;
	}
	/* The execution side first, so no queue is seen whose execution
	 * could be missed. */
	sk->links.on_entry = bpf_program__attach(sk->progs.on_entry);
	if (!sk->links.on_entry || !(sk->links.on_queue = bpf_program__attach(sk->progs.on_queue))) {
		snprintf(err, errlen, "attaching the csd:* hooks failed: %s", strerror(errno));
		detail_bpf__destroy(sk);
		return EXIT_BPF;
	}
	d->skel = sk;
	d->ncpus = ncpus;
	d->scan_fd = bpf_program__fd(sk->progs.scan);
	d->hist_fd = bpf_map__fd(sk->maps.hist);
	d->queued_fd = bpf_map__fd(sk->maps.queued);
	d->sum_fd = bpf_map__fd(sk->maps.lat_sum);
	d->anoms = sk->bss->anomalies;
	d->pending_per_cpu = sk->bss->pending_per_cpu;
	return 0;
}

int detail_scan(struct detail *d)
{
	struct detail_bpf *sk = d->skel;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(d->scan_fd, &opts))
		return -errno;
	d->nanoms = sk->bss->n_anomalies;
	d->scans++;
	return 0;
}

void detail_pair(struct detail *d, unsigned src, unsigned dst, uint64_t *queued,
		 uint64_t *executed, uint64_t *p50, uint64_t *p99)
{
	uint64_t b[IPT_DETAIL_BUCKETS] = { 0 }, n = 0, acc = 0;
	uint32_t idx = src * d->ncpus + dst;

	*queued = 0;
	bpf_map_lookup_elem(d->queued_fd, &idx, queued);
	for (uint32_t i = 0; i < IPT_DETAIL_BUCKETS; i++) {
		uint32_t k = idx * IPT_DETAIL_BUCKETS + i;

		bpf_map_lookup_elem(d->hist_fd, &k, &b[i]);
		n += b[i];
	}
	*executed = n;
	*p50 = *p99 = 0;
	for (uint32_t i = 0; i < IPT_DETAIL_BUCKETS && n; i++) {
		acc += b[i];
		/* Bucket i holds latencies in [2^i, 2^(i+1)) ns. */
		if (!*p50 && acc * 2 >= n)
			*p50 = 2ULL << i;
		if (!*p99 && acc * 100 >= n * 99)
			*p99 = 2ULL << i;
	}
}

void detail_hist(struct detail *d, unsigned src, unsigned dst, uint64_t b[IPT_DETAIL_BUCKETS],
		 uint64_t *sum_ns)
{
	uint32_t idx = src * d->ncpus + dst;

	*sum_ns = 0;
	bpf_map_lookup_elem(d->sum_fd, &idx, sum_ns);
	for (uint32_t i = 0; i < IPT_DETAIL_BUCKETS; i++) {
		uint32_t k = idx * IPT_DETAIL_BUCKETS + i;

		b[i] = 0;
		bpf_map_lookup_elem(d->hist_fd, &k, &b[i]);
	}
}

uint64_t detail_table_full(const struct detail *d)
{
	return ((const struct detail_bpf *)d->skel)->bss->table_full;
}

uint64_t detail_requeued_unseen(const struct detail *d)
{
	return ((const struct detail_bpf *)d->skel)->bss->requeued_unseen;
}

void detail_close(struct detail *d)
{
	if (d->skel)
		detail_bpf__destroy(d->skel);
	d->skel = NULL;
}
