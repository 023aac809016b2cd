// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ppc.h"
#include "kimage.h"

int ppc_ipi_message_addrs(const struct ksyms *text, const char *release, uint64_t *ipi_message,
			  uint64_t *per_cpu_offset, char *src, size_t len)
{
	static const char *const names[] = { "ipi_message", "__per_cpu_offset" };
	uint64_t a[2];

	if (kimage_data_syms(text, release, names, a, 2, 2, src, len))
		return -1;
	*ipi_message = a[0];
	*per_cpu_offset = a[1];
	return 0;
}
