/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small shared helpers: errors, exit codes, CPU lists, time. */
#ifndef IPT_UTIL_H
#define IPT_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes (docs/user-guide.md): distinct for usage, BPF and findings. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* runtime error: I/O, bad recording, ... */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_BPF	3	/* BPF: nothing usable, no permission, ... */
#define EXIT_ANOMALY	4	/* report: anomalies were found (--fail-on-anomaly) */

extern int ipt_verbose;

void ipt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ipt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ipt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* CLOCK_MONOTONIC / CLOCK_REALTIME in ns. */
uint64_t mono_ns(void);
uint64_t real_ns(void);

/* "0-3,8,10-11" -> bitmap of `nbits` bits.  Returns 0, or -1 with a message
 * in err (size errlen) naming what is wrong. */
int parse_cpu_list(const char *s, uint64_t *bits, unsigned nbits, char *err,
		   size_t errlen);
/* Number of possible CPUs (/sys/devices/system/cpu/possible), >= 1. */
unsigned possible_cpus(void);

/* Parse a positive number with an optional unit.  For durations: "3", "1.5",
 * "500ms", "2s" -> ns.  For sizes: "16", "16M", "1G", "64k" -> bytes
 * (a bare number means MiB).  Return 0 or -1. */
int parse_duration_ns(const char *s, uint64_t *ns);
int parse_size_bytes(const char *s, uint64_t *bytes);

/* Environment variable `name` set to exactly `value` (test-only switches). */
static inline int env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

/* Read a whole (small) file, NUL-terminated. NULL on error (errno set). */
char *read_file(const char *path, size_t *len);

static inline int test_bit64(const uint64_t *bits, unsigned i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

#endif
