/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* powerpc: where the per-CPU ipi_message word is, for the DEMUX rung. */
#ifndef IPT_PPC_H
#define IPT_PPC_H

#include <stddef.h>
#include <stdint.h>

#include "ksym.h"

/*
 * The link addresses of `ipi_message` (per-CPU, static) and
 * `__per_cpu_offset` (the array of per-CPU bases), as the running kernel has
 * them: from /proc/kallsyms when it lists data symbols (CONFIG_KALLSYMS_ALL),
 * else from the symbol table of the kernel image (/boot/vmlinux-RELEASE and
 * the usual debug paths, read with libelf), shifted by the difference of
 * `_stext` there and in kallsyms (a relocated kernel).  Returns 0 with
 * `src` saying where they came from, or -1 with `src` saying what was tried.
 */
int ppc_ipi_message_addrs(const struct ksyms *text, const char *release, uint64_t *ipi_message,
			  uint64_t *per_cpu_offset, char *src, size_t len);

#endif
