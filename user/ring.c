// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ring.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * BPF writes each CPU's events into that CPU's own ring (bpf/emit.bpf.h).
 * libbpf drains the rings one after the other, so a round would hand over
 * CPU 0's events, then CPU 1's: out of order by as much as the round spans,
 * which is unbounded when the consumer falls behind.  So a round first
 * collects each CPU's events apart (each run is in order, as its CPU made
 * them) and then merges the runs by timestamp before the callback sees any.
 *
 * A round hands over only the events stamped before it began (less a
 * slack): those were all in their rings when it drained them.  The newer
 * ones wait for the next round.  Handing over everything let a CPU's
 * events made while another ring was being drained arrive a round later
 * than that ring's newer ones: seen in CI, 614 events past the
 * correlator's 10 ms window after the consumer was held up mid-drain.
 * ring_drain(), at the end, hands over everything.
 */
/* An event's time is read before its ring slot is reserved and committed:
 * the slack covers that gap (an interrupt or a host preemption of the
 * vCPU in between). */
#define HORIZON_SLACK_NS 2000000ull
struct run {
	struct ipt_event *ev;
	size_t n, cap, pos;
};

struct ring {
	struct ring_buffer *rb;
	ring_cb cb;
	void *ctx;
	struct run *runs;	/* one per ring (= per CPU) */
	unsigned nruns;
	unsigned *heap;		/* run indices, a min-heap on the head's ts */
	int stop;		/* the callback's non-zero return */
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct run *run = ctx;

	if (size < sizeof(struct ipt_event))
		return 0;
	if (run->n == run->cap) {
		run->cap = run->cap ? run->cap * 2 : 1024;
		run->ev = xrealloc(run->ev, run->cap * sizeof(*run->ev));
	}
	memcpy(&run->ev[run->n++], data, sizeof(struct ipt_event));
	return 0;
}

struct ring *ring_open(const int *fds, unsigned n, ring_cb cb, void *ctx)
{
	struct ring *r = xcalloc(1, sizeof(*r));

	r->cb = cb;
	r->ctx = ctx;
	r->nruns = n;
	r->runs = xcalloc(n ? n : 1, sizeof(*r->runs));
	r->heap = xcalloc(n ? n : 1, sizeof(*r->heap));
	for (unsigned i = 0; i < n; i++) {
		int err = r->rb ? ring_buffer__add(r->rb, fds[i], on_sample, &r->runs[i])
				: ((r->rb = ring_buffer__new(fds[i], on_sample, &r->runs[i], NULL))
				   ? 0 : -errno);

		if (err) {
			ring_close(r);
			errno = -err;
			return NULL;
		}
	}
	if (!r->rb) {
		ring_close(r);
		errno = EINVAL;
		return NULL;
	}
	return r;
}

static inline uint64_t head_ts(const struct ring *r, unsigned i)
{
	const struct run *run = &r->runs[i];

	return run->ev[run->pos].ts;
}

static void sift_down(struct ring *r, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i, t;

		if (l < n && head_ts(r, r->heap[l]) < head_ts(r, r->heap[m]))
			m = l;
		if (l + 1 < n && head_ts(r, r->heap[l + 1]) < head_ts(r, r->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = r->heap[i];
		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

/* Hand the collected events stamped up to horizon to the callback in
 * timestamp order; keep the rest for the next round. */
static int deliver(struct ring *r, uint64_t horizon)
{
	unsigned n = 0;
	int handled = 0;

	for (unsigned i = 0; i < r->nruns; i++) {
		r->runs[i].pos = 0;
		if (r->runs[i].n)
			r->heap[n++] = i;
	}
	for (unsigned i = n / 2; i-- > 0;)
		sift_down(r, n, i);
	while (n && !r->stop) {
		struct run *run = &r->runs[r->heap[0]];

		if (run->ev[run->pos].ts > horizon)
			break;	/* so are all the other runs' heads */
		r->stop = r->cb(r->ctx, &run->ev[run->pos]);
		handled++;
		if (++run->pos == run->n)
			r->heap[0] = r->heap[--n];
		sift_down(r, n, 0);
	}
	for (unsigned i = 0; i < r->nruns; i++) {
		struct run *run = &r->runs[i];

		if (run->pos < run->n)
			memmove(run->ev, run->ev + run->pos, (run->n - run->pos) * sizeof(*run->ev));
		run->n -= run->pos;
		run->pos = 0;
	}
	return handled;
}

static int consume(struct ring *r, int all)
{
	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
	uint64_t begin = mono_ns(), horizon;
	int n = ring_buffer__consume(r->rb);

	horizon = all ? UINT64_MAX : begin > HORIZON_SLACK_NS ? begin - HORIZON_SLACK_NS : 0;
	if (n < 0 && n != -EINTR)
		return n;
	return deliver(r, horizon);
}

int ring_poll(struct ring *r, int timeout_ms)
{
	/* BPF submits with BPF_RB_NO_WAKEUP (bpf/emit.bpf.h), so epoll would
	 * never fire: sleep a tick and consume.  5 ms at the ~400k events/s
	 * this machine makes is 2k records, far below a 1 MiB ring. */
	struct timespec ts = { 0, (timeout_ms < 5 ? timeout_ms : 5) * 1000000L };

	nanosleep(&ts, NULL);
	return consume(r, 0);
}

int ring_drain(struct ring *r)
{
	return consume(r, 1);
}

void ring_close(struct ring *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	for (unsigned i = 0; i < r->nruns; i++)
		free(r->runs[i].ev);
	free(r->runs);
	free(r->heap);
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
