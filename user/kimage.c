// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "kimage.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ipt_vmlinux;

/* Text symbols compared with kallsyms to tell that an image is the running
 * kernel's (present on every SMP kernel ipitrace supports). */
static const char *const check_text[] = { "_stext", "smp_call_function_single",
					   "generic_smp_call_function_single_interrupt", "schedule" };
#define NCHECK (sizeof(check_text) / sizeof(check_text[0]))

/* names[] and check_text[] from the image's SHT_SYMTAB.  0, or -1 with
 * errno (ENOENT: no such file or no symbol table). */
static int elf_syms(const char *path, const char *const *names, uint64_t *addrs, size_t n,
		    uint64_t *text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), seen = 0;
	Elf *e;
	Elf_Scn *scn = NULL;

	memset(addrs, 0, n * sizeof(*addrs));
	memset(text, 0, NCHECK * sizeof(*text));
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		seen = 1;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *nm;

			if (!gelf_getsym(d, (int)i, &s) || !s.st_value ||
			    !(nm = elf_strptr(e, sh.sh_link, s.st_name)) || !*nm)
				continue;
			for (size_t k = 0; k < n; k++)
				if (!strcmp(nm, names[k]))
					addrs[k] = s.st_value;
			for (size_t k = 0; k < NCHECK; k++)
				if (!strcmp(nm, check_text[k]))
					text[k] = s.st_value;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	if (!seen) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int kimage_data_syms(const struct ksyms *text, const char *release, const char *const *names,
		     uint64_t *addrs, size_t n, size_t nreq, char *src, size_t len)
{
	static const char *const fmt[] = {
		"/boot/vmlinux-%s", "/usr/lib/debug/boot/vmlinux-%s",
		"/lib/modules/%s/build/vmlinux", "/usr/lib/debug/lib/modules/%s/vmlinux",
	};
	const struct ksym *st = text ? ksyms_by_name(text, "_stext") : NULL;
	const char *env = getenv("IPITRACE_VMLINUX");
	char tried[512] = "", missing[160] = "";
	size_t have = 0, tl = 0, nmiss = 0;

	/* kallsyms, as read once by the caller (its data symbols: KALLSYMS_ALL). */
	for (size_t i = 0; i < n; i++) {
		addrs[i] = 0;
		if (text && !ksyms_data(text, names[i], &addrs[i]) && addrs[i] && i < nreq)
			have++;
	}
	if (have == nreq) {
		snprintf(src, len, "/proc/kallsyms (KALLSYMS_ALL)");
		return 0;
	}
	for (size_t i = 0; i < nreq; i++)
		if (!addrs[i] && ++nmiss)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? ", " : "", names[i]);
	if (!st || !st->addr) {
		snprintf(src, len, "kallsyms lacks %s (no KALLSYMS_ALL) and its addresses are hidden "
			 "(kptr_restrict), so a kernel image's symbols cannot be placed", missing);
		return -1;
	}
	for (size_t i = 0; i < 2 + sizeof(fmt) / sizeof(fmt[0]); i++) {
		char path[256];
		uint64_t a[16], t[NCHECK], shift;
		size_t ok = 0, bad = 0;

		if (i == 0 || i == 1) {
			const char *p = i == 0 ? ipt_vmlinux : env;

			if (!p || !*p || (i == 1 && ipt_vmlinux))
				continue;
			snprintf(path, sizeof(path), "%s", p);
		} else {
			snprintf(path, sizeof(path), fmt[i - 2], release);
		}
		if (n > 16 || elf_syms(path, names, a, n, t)) {
			if (i < 2 || errno != ENOENT || access(path, F_OK) == 0)
				tl += snprintf(tried + tl, tl < sizeof(tried) ? sizeof(tried) - tl : 0,
					       "%s%s: %s", tl ? "; " : "", path,
					       errno == ENOENT && access(path, F_OK) == 0 ? "no symbol table"
					       : strerror(errno));
			continue;
		}
		if (!t[0]) {
			tl += snprintf(tried + tl, tl < sizeof(tried) ? sizeof(tried) - tl : 0,
				       "%s%s: no _stext", tl ? "; " : "", path);
			continue;
		}
		shift = st->addr - t[0];
		for (size_t k = 1; k < NCHECK; k++) {
			const struct ksym *ks = ksyms_by_name(text, check_text[k]);

			if (!ks || !t[k])
				continue;
			if (t[k] + shift == ks->addr)
				ok++;
			else
				bad++;
		}
		if (bad || !ok) {
			tl += snprintf(tried + tl, tl < sizeof(tried) ? sizeof(tried) - tl : 0,
				       "%s%s: not this kernel's image (its text symbols disagree with "
				       "kallsyms)", tl ? "; " : "", path);
			continue;
		}
		have = 0;
		for (size_t k = 0; k < n; k++) {
			addrs[k] = a[k] ? a[k] + shift : 0;
			have += k < nreq && a[k];
		}
		if (have < nreq) {
			tl += snprintf(tried + tl, tl < sizeof(tried) ? sizeof(tried) - tl : 0,
				       "%s%s: lacks %s", tl ? "; " : "", path, missing);
			continue;
		}
		snprintf(src, len, "%s symbol table (kallsyms lacks data symbols: no KALLSYMS_ALL)", path);
		return 0;
	}
	memset(addrs, 0, n * sizeof(*addrs));
	snprintf(src, len, "%s %s in neither /proc/kallsyms (no KALLSYMS_ALL) nor a kernel image's "
		 "symbol table (tried %s/boot/vmlinux-%s and the debug paths%s%s; --vmlinux FILE or "
		 "IPITRACE_VMLINUX names another)", missing, nmiss > 1 ? "are" : "is",
		 ipt_vmlinux || env ? "the given file, " : "", release, tried[0] ? ": " : "", tried);
	return -1;
}
