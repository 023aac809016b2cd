/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ring consumer: BPF ring buffer in, callback per event, and the
 * per-CPU emitted/dropped counters BPF keeps. */
#ifndef IPT_RING_H
#define IPT_RING_H

#include <linux/types.h>
#include "ipitrace/events.h"

typedef int (*ring_cb)(void *ctx, const struct ipt_event *e);

struct ring;

/* One ring per CPU (fds[cpu], n of them), merged into timestamp order:
 * a round hands over the events stamped before it began (less 2 ms), in
 * order, and keeps newer ones for the next; ring_drain() hands over all. */
struct ring *ring_open(const int *fds, unsigned n, ring_cb cb, void *ctx);
/* Wait up to timeout_ms for data and consume it: events handled or -errno. */
int ring_poll(struct ring *r, int timeout_ms);
/* Consume whatever is there without waiting, and hand over everything
 * (the last call, after the BPF programs are detached). */
int ring_drain(struct ring *r);
void ring_close(struct ring *r);

/* Read the PERCPU_ARRAY of struct ipt_cpu_stats into out[ncpus]. */
int ring_read_stats(int stats_fd, unsigned ncpus, struct ipt_cpu_stats *out);

#endif
