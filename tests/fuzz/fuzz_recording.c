// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary bytes as a recording, through everything
 * `report` does with one: the reader (rec_open, every EVENTS chunk), the
 * correlator, the /proc/interrupts parser, symbolization.  A damaged file
 * must give an error, never a crash, a leak or undefined behaviour.
 */
#include "correlate.h"
#include "procint.h"
#include "recording.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct rec_reader *r;
	const struct ipt_event *ev;
	size_t n;

	if (fd < 0) {
		fd = memfd_create("fuzz.ipit", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	r = rec_open(path, err, sizeof(err));
	if (!r)
		return 0;

	struct corr_opts o;
	struct corr *c;
	struct procint pi;
	uint64_t t;
	char buf[256];
	const char *irq = rec_irq(r, 0, &t);

	if (irq && !procint_parse(irq, &pi, err, sizeof(err))) {
		procint_get(&pi, "CAL", 0);
		procint_free(&pi);
	}
	corr_opts_default(&o, rec_ncpus(r));
	o.window_from = t;
	o.window_to = t + 1000000;
	o.start_ns = rec_trailer(r)->start_ns;
	c = corr_new(&o);
	while (rec_next_events(r, &ev, &n, err, sizeof(err)) > 0)
		for (size_t i = 0; i < n; i++) {
			corr_feed(c, &ev[i]);
			ksyms_fmt(rec_symbols(r), ev[i].func, buf, sizeof(buf));
		}
	corr_flush(c);
	corr_note_unseen(c, 0, 1);
	corr_finish(c, rec_trailer(r)->end_ns);
	corr_anomalies(c, &n);
	corr_free(c);
	rec_free(r);
	return 0;
}
