// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipitrace: see who sends which inter-processor interrupt to whom. */
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} verbs[] = {
	{ "probe", cmd_probe, "what this kernel offers and which hook each event will use" },
	{ "record", cmd_record, "trace IPIs and cross-CPU calls into a recording file" },
	{ "report", cmd_report, "correlate a recording: matched, lost, stuck, latencies" },
	{ "timeline", cmd_timeline, "per-CPU timeline of a recording: text, JSON, Perfetto, SVG" },
	{ "watch", cmd_watch, "watchdog: alert on cross-CPU calls stuck on a CPU, nearly free" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ipitrace COMMAND [options]   (ipitrace COMMAND --help for more)\n\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].what);
	fprintf(f,
"\nA first look at this host:\n"
"  ipitrace probe\n"
"  ipitrace record -d 3 -o ipi.rec && ipitrace report ipi.rec\n"
"\nprobe and record load BPF programs: run them as root (or with CAP_BPF and\n"
"CAP_PERFMON).  report needs no privilege.  Docs: docs/user-guide.md.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ipitrace %s\n", IPT_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	ipt_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
