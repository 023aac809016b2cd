// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ring.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ring {
	struct ring_buffer *rb;
	ring_cb cb;
	void *ctx;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ring *r = ctx;

	if (size < sizeof(struct ipt_event))
		return 0;
	return r->cb(r->ctx, data);
}

struct ring *ring_open(int map_fd, ring_cb cb, void *ctx)
{
	struct ring *r = xcalloc(1, sizeof(*r));

	r->cb = cb;
	r->ctx = ctx;
	r->rb = ring_buffer__new(map_fd, on_sample, r, NULL);
	if (!r->rb) {
		free(r);
		return NULL;
	}
	return r;
}

int ring_poll(struct ring *r, int timeout_ms)
{
	/* BPF submits with BPF_RB_NO_WAKEUP (bpf/emit.bpf.h), so epoll would
	 * never fire: sleep a tick and consume.  5 ms at the 2M events/s one
	 * ring sustains here is 10k records, far below a 16 MiB ring. */
	struct timespec ts = { 0, (timeout_ms < 5 ? timeout_ms : 5) * 1000000L };
	int n;

	nanosleep(&ts, NULL);
	n = ring_buffer__consume(r->rb);
	return n == -EINTR ? 0 : n;
}

int ring_drain(struct ring *r)
{
	return ring_buffer__consume(r->rb);
}

void ring_close(struct ring *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}

int ring_read_stats(int stats_fd, unsigned ncpus, struct ipt_cpu_stats *out)
{
	/* The kernel returns one value per possible CPU, each rounded up to
	 * 8 bytes (struct ipt_cpu_stats already is). */
	int n = libbpf_num_possible_cpus();
	struct ipt_cpu_stats *vals;
	__u32 zero = 0;

	if (n <= 0)
		return -EINVAL;
	vals = xcalloc(n, sizeof(*vals));
	if (bpf_map_lookup_elem(stats_fd, &zero, vals)) {
		int e = -errno;

		free(vals);
		return e;
	}
	memset(out, 0, ncpus * sizeof(*out));
	memcpy(out, vals, (ncpus < (unsigned)n ? ncpus : (unsigned)n) * sizeof(*out));
	free(vals);
	return 0;
}
