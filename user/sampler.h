/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Tier 1 of `watch`: the sampler (bpf/sampler*.bpf.c) and its rungs.
 *
 *   ksym   typed per-CPU __ksym + bpf_per_cpu_ptr(); needs data symbols in
 *          /proc/kallsyms (CONFIG_KALLSYMS_ALL)
 *   btf    per-CPU bases from each CPU's runqueue, found once with
 *          BPF_F_TEST_RUN_ON_CPU; variable offsets from BTF's .data..percpu
 *   addr   link addresses from kallsyms or the kernel image's symbol table,
 *          bases from __per_cpu_offset[]; field offsets from the embedded
 *          minimal BTF (kernels with neither BTF nor KALLSYMS_ALL)
 *
 * ksym and btf need kernel BTF (the DATASEC offsets).  None attaches
 * anything: a sample is one BPF_PROG_TEST_RUN on the calling CPU that reads
 * every CPU.
 */
#ifndef IPT_SAMPLER_H
#define IPT_SAMPLER_H

#include <stdint.h>
#include <stdio.h>

#include "ipitrace/sample.h"
#include "json.h"

enum sampler_rung { SR_NONE, SR_KSYM, SR_BTF, SR_ADDR };

struct sampler {
	enum sampler_rung rung;
	char why_ksym[320];	/* why the ksym rung was not used ("" if it was) */
	char why_btf[320];	/* why the BTF rung was not used / its caveats */
	char why_addr[640];	/* why the addr rung was not used */
	char sym_src[320];	/* addr rung: where the addresses came from */
	unsigned ncpus;		/* possible CPUs, capped at IPT_SAMPLE_MAX_CPUS */
	unsigned calibrated;	/* CPUs with a per-CPU base */
	int have_irq_stat, have_cfd_data;
	int have_kstat;		/* kstat.irqs_sum: interrupts handled */
	int have_ipi_message;	/* powerpc: the muxed-IPI message words */
	int have_switches;	/* rq->nr_switches (not on the addr rung) */
	int min_btf;		/* addr rung: CO-RE against the embedded minimal BTF */
	void *skel;		/* struct sampler_bpf or sampler_ksym_bpf */
	int prog_fd;
	struct ipt_sample *samples;	/* the skeleton's .bss, ncpus entries */
	uint64_t runs, run_ns;		/* samples taken, time spent in them */
};

/* Choose a rung and load it.  0, or EXIT_BPF / EXIT_FAIL with err set. */
int sampler_open(struct sampler *s, char *err, size_t errlen);
/* Take one sample of every CPU into s->samples.  0 or -errno. */
int sampler_run(struct sampler *s);
void sampler_close(struct sampler *s);
const char *sampler_rung_name(enum sampler_rung r);
/* The `probe` section: which rung and why. */
void sampler_print(const struct sampler *s, FILE *f);
void sampler_json(const struct sampler *s, struct json *j);

/* Entry type of a queued node, from its CSD flags. */
const char *sample_entry_type(uint32_t flags);

#endif
