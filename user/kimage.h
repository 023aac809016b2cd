/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Addresses of kernel data symbols (per-CPU variables, __per_cpu_offset)
 * for BPF programs that read them with bpf_probe_read_kernel(): from
 * /proc/kallsyms when it lists data symbols (CONFIG_KALLSYMS_ALL), else from
 * the symbol table of the running kernel's image, read with libelf.
 */
#ifndef IPT_KIMAGE_H
#define IPT_KIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ksym.h"

/* The kernel image to read symbols from, before the usual paths: --vmlinux
 * FILE, else the IPITRACE_VMLINUX environment variable; NULL: neither. */
extern const char *ipt_vmlinux;

/*
 * addrs[i] = the running kernel's address of names[i] (all of them in
 * KSYMS_DATA_NAMES), 0 when absent.  The first nreq names are required.
 * Tried in order: kallsyms' data symbols (`text`, as ksyms_load_kallsyms
 * read them); the symbol table of ipt_vmlinux, /boot/vmlinux-RELEASE,
 * /usr/lib/debug/boot/vmlinux-RELEASE, /lib/modules/RELEASE/build/vmlinux and
 * /usr/lib/debug/lib/modules/RELEASE/vmlinux, shifted by the difference of
 * `_stext` there and in kallsyms (a relocated kernel), and used only if a
 * few text symbols agree with kallsyms after the shift (the image is this
 * kernel's).  Returns 0 with `src` saying where they came from, or -1 with
 * `src` saying what was tried.
 */
int kimage_data_syms(const struct ksyms *text, const char *release, const char *const *names,
		     uint64_t *addrs, size_t n, size_t nreq, char *src, size_t len);

#endif
