/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The analysis `report` runs on a recording (correlator settings read from
 * the recording, the /proc/interrupts cross-check, the anomaly sentences),
 * shared with `timeline` so that both give the same verdicts and number the
 * anomalies alike: anomaly N is the N-th of corr_anomalies(), from 1.
 */
#ifndef IPT_REPORT_H
#define IPT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "recording.h"

struct report_params {
	uint64_t threshold_ns, grace_ns, skew_ns;
	corr_link_fn on_link;		/* optional: every pairing made */
	void *link_ctx;
	/* Optional: every chunk of events as it is read, in file order. */
	void (*on_events)(void *ctx, const struct ipt_event *ev, size_t n);
	void *events_ctx;
};

void report_params_default(struct report_params *p);

struct report;

/* Open `path`, correlate it to the end.  NULL on failure, with a message
 * already printed and *exit_code set (EXIT_FAIL). */
struct report *report_run(const char *path, const struct report_params *p, int *exit_code);
void report_free(struct report *rp);

const struct corr *report_corr(const struct report *rp);
struct rec_reader *report_reader(const struct report *rp);
uint64_t report_start_ns(const struct report *rp);
uint64_t report_end_ns(const struct report *rp);
/* The anomaly in one sentence, as `report` prints it. */
void report_sentence(const struct report *rp, const struct corr_anomaly *a, char *buf,
		     size_t len);
/* "ipitrace timeline PATH --around N", the path quoted for a shell. */
void report_timeline_cmd(const char *path, size_t id, char *buf, size_t len);

#endif
