// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "procint.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int procint_parse(const char *text, struct procint *pi, char *err, unsigned errlen)
{
	const char *p = text, *nl;
	unsigned maxcpu = 0;

	memset(pi, 0, sizeof(*pi));
	/* Header: "           CPU0       CPU1 ..." (offline CPUs are absent). */
	nl = strchr(p, '\n');
	if (!nl) {
		snprintf(err, errlen, "no header line");
		return -1;
	}
	for (const char *q = p; q < nl; q++) {
		if (!strncmp(q, "CPU", 3) && isdigit((unsigned char)q[3])) {
			unsigned long c = strtoul(q + 3, NULL, 10);

			if (c >= 8192) {
				snprintf(err, errlen, "CPU number %lu out of range", c);
				procint_free(pi);
				return -1;
			}
			pi->cpu_of_col = xrealloc(pi->cpu_of_col, (pi->ncols + 1) * sizeof(int));
			pi->cpu_of_col[pi->ncols++] = (int)c;
			if (c + 1 > maxcpu)
				maxcpu = c + 1;
			q += 3;
		}
	}
	if (!pi->ncols) {
		snprintf(err, errlen, "header names no CPU");
		return -1;
	}
	pi->ncpus = maxcpu;
	for (p = nl + 1; *p; p = nl + 1) {
		const char *name, *colon;
		size_t namelen;

		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		while (p < nl && *p == ' ')
			p++;
		name = p;
		colon = memchr(p, ':', nl - p);
		if (!colon)
			goto next;
		namelen = colon - name;
		/* Numeric rows are device IRQs; keep only named (arch) rows, and
		 * powerpc's IPI irq ("16: ... XIVE-IPI 0 Edge IPI-0", XICS
		 * "... IPI"), summed as the row "IPI". */
		if (namelen && isdigit((unsigned char)name[0])) {
			const char *t = nl;

			while (t > colon && t[-1] == ' ')
				t--;
			while (t > colon && t[-1] != ' ')
				t--;
			if (strncmp(t, "IPI", 3) || (t[3] != '-' && t[3] != '\n' && t[3] && t[3] != ' '))
				goto next;
			name = "IPI";
			namelen = 3;
		}
		if (!namelen || namelen >= sizeof(pi->rows[0].name))
			goto next;
		if (pi->nrows < PROCINT_MAX_ROWS) {
			struct procint_row *r = &pi->rows[pi->nrows];
			const char *q = colon + 1;
			int merge = 0;

			/* A second row of the same name (several IPI irqs) adds up. */
			for (unsigned i = 0; i < pi->nrows; i++)
				if (strlen(pi->rows[i].name) == namelen &&
				    !memcmp(pi->rows[i].name, name, namelen)) {
					r = &pi->rows[i];
					merge = 1;
				}
			if (!merge) {
				memcpy(r->name, name, namelen);
				r->name[namelen] = '\0';
				r->count = xcalloc(pi->ncpus, sizeof(uint64_t));
			}
			for (unsigned col = 0; col < pi->ncols; col++) {
				char *end;
				unsigned long long v;

				while (q < nl && *q == ' ')
					q++;
				if (q >= nl || !isdigit((unsigned char)*q))
					break;	/* ERR/MIS rows have one column */
				v = strtoull(q, &end, 10);
				r->count[pi->cpu_of_col[col]] += v;
				q = end;
			}
			if (!merge)
				pi->nrows++;
		}
next:
		if (!*nl)
			break;
	}
	return 0;
}

void procint_free(struct procint *pi)
{
	for (unsigned i = 0; i < pi->nrows; i++)
		free(pi->rows[i].count);
	free(pi->cpu_of_col);
	memset(pi, 0, sizeof(*pi));
}

int64_t procint_get(const struct procint *pi, const char *row, unsigned cpu)
{
	if (cpu >= pi->ncpus)
		return -1;
	for (unsigned i = 0; i < pi->nrows; i++)
		if (!strcmp(pi->rows[i].name, row))
			return (int64_t)pi->rows[i].count[cpu];
	return -1;
}
