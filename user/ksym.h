/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel symbols: /proc/kallsyms at record time, and the SYMBOLS section of a
 * recording at report time.  Both end up as one sorted table. */
#ifndef IPT_KSYM_H
#define IPT_KSYM_H

#include <stdint.h>
#include <stddef.h>

struct ksym {
	uint64_t addr;
	uint32_t size;		/* 0: up to the next symbol */
	char *name;
};

/* The few data symbols the BPF side needs by address (kallsyms has them
 * only with KALLSYMS_ALL): per-CPU variables of kernel/smp.c and friends. */
#define KSYMS_DATA_NAMES { "cfd_data", "call_single_queue", "csd_data", "kstat", \
			   "__per_cpu_offset", "ipi_message", "runqueues", "irq_stat" }
#define KSYMS_NDATA 8

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	int restricted;		/* kallsyms showed only zero addresses */
	uint64_t data[KSYMS_NDATA];	/* KSYMS_DATA_NAMES' addresses, 0: absent */
	int data_seen[KSYMS_NDATA];
};

/* Load text symbols from /proc/kallsyms (or `path`).  Returns 0, or -1 with
 * errno set. */
int ksyms_load_kallsyms(struct ksyms *ks, const char *path);
void ksyms_add(struct ksyms *ks, uint64_t addr, uint32_t size, const char *name);
void ksyms_sort(struct ksyms *ks);	/* call after the last ksyms_add */
void ksyms_free(struct ksyms *ks);
/* The symbol containing addr, or NULL; *off gets addr - sym->addr. */
const struct ksym *ksyms_find(const struct ksyms *ks, uint64_t addr, uint64_t *off);
/* One of KSYMS_DATA_NAMES: 0 and its address, or -1 when kallsyms lacks it. */
int ksyms_data(const struct ksyms *ks, const char *name, uint64_t *addr);
/* Exact-name lookup (linear; for a handful of well-known symbols). */
const struct ksym *ksyms_by_name(const struct ksyms *ks, const char *name);
/* "name+0x1c" or "0xffff..." into buf. */
const char *ksyms_fmt(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);

#endif
