// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipitrace probe: the hook plan for this kernel, and why. */
#include "cli.h"
#include "json.h"
#include "ladder.h"
#include "kimage.h"
#include "sampler.h"
#include "util.h"
#include "waiter.h"

#include <getopt.h>
#include <stdio.h>

struct tier1 {
	struct sampler *smp;
	int on_stack;		/* an on-stack csd's waiter can be found */
};

static void tier1_json(struct json *j, void *arg)
{
	struct tier1 *t = arg;

	sampler_json(t->smp, j);
	json_key(j, "watch_waiter_stacks");
	json_obj_begin(j);
	json_kbool(j, "on_stack_csds", t->on_stack);
	json_key(j, "why_not_on_stack_csds");
	t->on_stack ? json_null(j) : json_str(j, WAITER_ON_STACK_WHY_NOT);
	json_obj_end(j);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-fentry", no_argument, NULL, 'F' },
		{ "no-calibrate", no_argument, NULL, 'C' },
		{ "vmlinux", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct plan_opts po = { .ring_bytes = 1 << 20 };
	struct plan plan;
	struct sampler smp;
	char err[512], serr[640];
	int opt, as_json = 0, ret, no_calib = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': as_json = 1; break;
		case 'F': po.no_fentry = 1; break;
		case 'C': no_calib = 1; break;
		case 'K': ipt_vmlinux = optarg; break;
		case 'v': ipt_verbose++; break;
		case 'h':
			printf("usage: ipitrace probe [--json] [--no-fentry] [--no-calibrate] [--vmlinux FILE] [-v]\n\n"
			       "Load every hook this kernel might offer and print which rung each\n"
			       "event kind will use (tp_btf > raw_tp for tracepoints; fentry > kprobe\n"
			       "for kernel functions, where no tracepoint exists; a standby rung where\n"
			       "the preferred one is useless) and the reason every better rung was\n"
			       "skipped: tracepoint missing, no BTF, the verifier's own refusal,\n"
			       "kprobes not configured, fentry refused, a kprobe refused at attach.\n"
			       "Then calibrate, as record does: attach for 300 ms while making known\n"
			       "IPIs (membarrier, cross-CPU wake-ups), count each rung's hits, and\n"
			       "replace a rung that never fired by its standby (an inlined function).\n"
			       "--no-calibrate skips that (nothing is attached).\n"
			       "--no-fentry shows the plan that record --no-fentry would use.\n"
			       "A last section shows which way `watch` (tier 1) reaches the kernel's\n"
			       "per-CPU queues here: typed ksym, BTF-derived per-CPU bases, or\n"
			       "link addresses from the kernel image's symbol table (addr).\n"
			       "--vmlinux FILE: the kernel image to take data symbols from where\n"
			       "kallsyms lacks them (default /boot/vmlinux-RELEASE and the debug\n"
			       "paths; also the IPITRACE_VMLINUX environment variable).\n\n"
			       "Exit status: 0 when at least one event kind can be traced, 3 when\n"
			       "nothing can (the message says what is missing).\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ipt_err("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	ret = plan_build(&plan, &po, err, sizeof(err));
	if (ret && !plan.rows) {
		ipt_err("%s", err);
		return ret;
	}
	if (!ret && !no_calib)
		ret = plan_calibrate(&plan, err, sizeof(err));
	/* watch's tier 1: which way to the per-CPU state works here. */
	sampler_open(&smp, serr, sizeof(serr));
	struct tier1 t1 = { &smp, waiter_task_stack_off() != 0 };
	if (as_json) {
		struct json j;

		plan.json_extra = tier1_json;
		plan.json_extra_arg = &t1;
		json_init(&j, stdout, 1);
		plan_json(&plan, &j);
		json_end(&j);
	} else {
		plan_print(&plan, stdout);
		sampler_print(&smp, stdout);
		printf("  waiter stacks: the waiting CPU's kernel stack, sampled at half the threshold, names "
		       "the task and callsite; an on-stack csd's waiter: %s\n",
		       t1.on_stack ? "found through task_struct.stack (kernel BTF)" : WAITER_ON_STACK_WHY_NOT);
	}
	sampler_close(&smp);
	if (ret)
		ipt_err("%s", err);
	plan_destroy(&plan);
	return ret;
}
