// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ksym.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ksyms_add(struct ksyms *ks, uint64_t addr, uint32_t size, const char *name)
{
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 1024;
		ks->syms = xrealloc(ks->syms, ks->cap * sizeof(*ks->syms));
	}
	ks->syms[ks->n].addr = addr;
	ks->syms[ks->n].size = size;
	ks->syms[ks->n].name = xstrdup(name);
	ks->n++;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void ksyms_sort(struct ksyms *ks)
{
	if (ks->n > 1)	/* qsort(NULL, 0) is undefined behaviour */
		qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_addr);
}

static const char *const data_names[KSYMS_NDATA] = KSYMS_DATA_NAMES;

int ksyms_data(const struct ksyms *ks, const char *name, uint64_t *addr)
{
	for (int i = 0; i < KSYMS_NDATA; i++)
		if (!strcmp(name, data_names[i]) && ks->data_seen[i] && !ks->restricted) {
			*addr = ks->data[i];
			return 0;
		}
	return -1;
}

int ksyms_load_kallsyms(struct ksyms *ks, const char *path)
{
	FILE *f = fopen(path ? path : "/proc/kallsyms", "re");
	char line[512];
	size_t nonzero = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end, type, *name;
		uint64_t addr = strtoull(p, &end, 16);

		if (end == p || *end != ' ')
			continue;
		type = end[1];
		name = end + 3;
		name[strcspn(name, " \t\n")] = '\0';
		/* Text symbols only: events reference functions and callsites. */
		if (type != 'T' && type != 't' && type != 'W' && type != 'w') {
			for (int i = 0; i < KSYMS_NDATA; i++)
				if (!strcmp(name, data_names[i])) {
					ks->data[i] = addr;
					ks->data_seen[i] = 1;
				}
			continue;
		}
		if (addr)
			nonzero++;
		ksyms_add(ks, addr, 0, name);
	}
	fclose(f);
	ks->restricted = ks->n && !nonzero;
	ksyms_sort(ks);
	return 0;
}

void ksyms_free(struct ksyms *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->syms[i].name);
	free(ks->syms);
	memset(ks, 0, sizeof(*ks));
}

const struct ksym *ksyms_find(const struct ksyms *ks, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = ks->n;
	const struct ksym *s;

	if (!ks->n || !addr || ks->restricted)
		return NULL;
	/* The last symbol with sym.addr <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &ks->syms[lo - 1];
	if (s->size && addr - s->addr >= s->size)
		return NULL;
	if (off)
		*off = addr - s->addr;
	return s;
}

const struct ksym *ksyms_by_name(const struct ksyms *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->syms[i].name, name))
			return &ks->syms[i];
	return NULL;
}

const char *ksyms_fmt(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	uint64_t off = 0;
	const struct ksym *s = ksyms_find(ks, addr, &off);

	if (!addr)
		snprintf(buf, len, "-");
	else if (!s)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else if (off)
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, off);
	else
		snprintf(buf, len, "%s", s->name);
	return buf;
}
