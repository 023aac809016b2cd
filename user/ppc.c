// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ppc.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int elf_syms(const char *path, uint64_t *msg, uint64_t *pco, uint64_t *stext)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -1;
	Elf *e;
	Elf_Scn *scn = NULL;

	*msg = *pco = *stext = 0;
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, (int)i, &s) || !(n = elf_strptr(e, sh.sh_link, s.st_name)))
				continue;
			if (!strcmp(n, "ipi_message"))
				*msg = s.st_value;
			else if (!strcmp(n, "__per_cpu_offset"))
				*pco = s.st_value;
			else if (!strcmp(n, "_stext"))
				*stext = s.st_value;
		}
	}
	if (*msg && *pco && *stext)
		ret = 0;
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

int ppc_ipi_message_addrs(const struct ksyms *text, const char *release, uint64_t *ipi_message,
			  uint64_t *per_cpu_offset, char *src, size_t len)
{
	static const char *const fmt[] = {
		"/boot/vmlinux-%s", "/usr/lib/debug/boot/vmlinux-%s",
		"/lib/modules/%s/build/vmlinux", "/usr/lib/debug/lib/modules/%s/vmlinux",
	};
	const struct ksym *ks = text ? ksyms_by_name(text, "_stext") : NULL;

	/* kallsyms, as read once by the ladder (its data symbols: KALLSYMS_ALL). */
	if (text && !ksyms_data(text, "ipi_message", ipi_message) &&
	    !ksyms_data(text, "__per_cpu_offset", per_cpu_offset) && *ipi_message && *per_cpu_offset) {
		snprintf(src, len, "/proc/kallsyms (KALLSYMS_ALL)");
		return 0;
	}
	if (!ks || !ks->addr) {
		snprintf(src, len, "kallsyms lacks data symbols (no KALLSYMS_ALL) and its addresses "
			 "are hidden (kptr_restrict), so a kernel image's symbols cannot be placed");
		return -1;
	}
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char path[256];
		uint64_t m, p, st;

		snprintf(path, sizeof(path), fmt[i], release);
		if (elf_syms(path, &m, &p, &st))
			continue;
		*ipi_message = m + (ks->addr - st);
		*per_cpu_offset = p + (ks->addr - st);
		snprintf(src, len, "%s symbol table (kallsyms lacks data symbols: no KALLSYMS_ALL)",
			 path);
		return 0;
	}
	snprintf(src, len, "ipi_message is in neither /proc/kallsyms (no KALLSYMS_ALL) nor a kernel "
		 "image's symbol table (tried /boot/vmlinux-%s and the debug paths)", release);
	return -1;
}
