/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Recording files (include/ipitrace/format.h): write while streaming, read
 * with every byte checked.  No BPF here. */
#ifndef IPT_RECORDING_H
#define IPT_RECORDING_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "ipitrace/format.h"
#include "ksym.h"

/* ---- writing ---- */
struct rec_writer;

/* Create `path` mode 0600 (kernel addresses are secrets: they defeat
 * KASLR), truncating an existing file.  NULL with a message in err. */
struct rec_writer *rec_create(const char *path, uint32_t flags, char *err, size_t errlen);
int rec_write_section(struct rec_writer *w, uint32_t type, const void *data, uint64_t len);
/* Buffer one event; full chunks are written as EVENTS sections. */
int rec_append_event(struct rec_writer *w, const struct ipt_event *e);
int rec_flush_events(struct rec_writer *w);
uint64_t rec_events_written(const struct rec_writer *w);
/* Flush, close, free.  -1 if any write failed (err says which). */
int rec_close(struct rec_writer *w, char *err, size_t errlen);
/* Serialize a symbol table into a SYMBOLS payload (caller frees). */
void *rec_pack_symbols(const struct ksyms *ks, uint64_t *len);

/* ---- reading ---- */
struct rec_reader;

/* Open and validate the whole structure: header, every section header,
 * CRCs of the small sections, the trailer.  Event payloads are checked as
 * they are read.  NULL with a one-line reason (with the byte offset) in err. */
struct rec_reader *rec_open(const char *path, char *err, size_t errlen);
void rec_free(struct rec_reader *r);

/* Next chunk of events: 1 and (*ev, *n) set, 0 at the end, -1 on a damaged
 * chunk (err says where). */
int rec_next_events(struct rec_reader *r, const struct ipt_event **ev, size_t *n,
		    char *err, size_t errlen);
void rec_rewind(struct rec_reader *r);

const struct ipt_file_header *rec_header(const struct rec_reader *r);
const char *rec_meta(const struct rec_reader *r, const char *key);	/* NULL if absent */
const char *rec_plan(const struct rec_reader *r);
/* Raw /proc/interrupts text and the CLOCK_MONOTONIC time it was read. */
const char *rec_irq(const struct rec_reader *r, int end, uint64_t *mono_ns);
/* When that read began and ended: the counters were read at some time in
 * between (a read can take tens of ms in an emulated guest, measured: up to
 * 162 ms under TCG on a busy host). */
void rec_irq_span(const struct rec_reader *r, int end, uint64_t *before, uint64_t *after);
/* report counts traced receives up to this far outside the reads
 * (report.c cross_check()); record reads again a read that took longer. */
#define IPT_IRQ_MARGIN_NS 2000000ull
const struct ksyms *rec_symbols(const struct rec_reader *r);
const struct ipt_trailer *rec_trailer(const struct rec_reader *r);
const struct ipt_cpu_stats *rec_cpu_stats(const struct rec_reader *r);
unsigned rec_ncpus(const struct rec_reader *r);

#endif
