/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* /proc/interrupts: the kernel's own per-CPU IPI counters, used to check
 * that a trace missed nothing. */
#ifndef IPT_PROCINT_H
#define IPT_PROCINT_H

#include <stdint.h>

#define PROCINT_MAX_ROWS 64

struct procint_row {
	char name[16];		/* "CAL", "RES", "TLB", "IWI", ... */
	uint64_t *count;	/* [ncpus], indexed by CPU number */
};

struct procint {
	unsigned ncpus;		/* highest CPU column + 1 */
	int *cpu_of_col;	/* column -> CPU number */
	unsigned ncols;
	unsigned nrows;
	struct procint_row rows[PROCINT_MAX_ROWS];
};

/* Parse the architecture-IPI rows (non-numeric names: CAL, RES, TLB, IWI,
 * IPI0..., NMI, LOC, ...) of /proc/interrupts text.  Returns 0 or -1 with a
 * reason in err. */
int procint_parse(const char *text, struct procint *pi, char *err, unsigned errlen);
void procint_free(struct procint *pi);
/* Count for `row` on `cpu`, or -1 when there is no such row or CPU. */
int64_t procint_get(const struct procint *pi, const char *row, unsigned cpu);

#endif
