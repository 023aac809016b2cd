// SPDX-License-Identifier: GPL-2.0
/*
 * bench-floor: attach the empty raw_tp programs of floor.bpf.o, print
 * "attached N" on stdout, hold them until SIGINT/SIGTERM (or -d SECONDS),
 * detach.  A tracepoint the kernel lacks is skipped with a warning (raw_tp
 * resolves the name at attach, not at load); no
 * program attached at all is an error.
 *
 *   bench-floor [-d SECONDS] OBJECT
 *
 * Exit status: 0 done, 1 could not load or attach, 2 usage.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }
static int quiet_libbpf(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l; (void)f; (void)a;
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 0;
	struct bpf_object *obj;
	struct bpf_program *p;
	int n = 0, opt, err;

	while ((opt = getopt(argc, argv, "d:h")) != -1) {
		if (opt == 'd' && (secs = atof(optarg)) > 0)
			continue;
		fprintf(opt == 'h' ? stdout : stderr,
			"usage: bench-floor [-d SECONDS] OBJECT\n"
			"Attach every (empty) raw_tp program in OBJECT, print \"attached N\",\n"
			"hold until SIGINT/SIGTERM or SECONDS, detach.  For `make bench`.\n");
		return opt == 'h' ? 0 : 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "bench-floor: need one OBJECT (try -h)\n");
		return 2;
	}
	libbpf_set_print(quiet_libbpf);
	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "bench-floor: open %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if ((err = bpf_object__load(obj))) {
		fprintf(stderr, "bench-floor: load: %s\n", strerror(-err));
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		if (!bpf_program__attach(p)) {
			fprintf(stderr, "bench-floor: %s: not attached: %s\n",
				bpf_program__section_name(p), strerror(errno));
			continue;
		}
		n++;
	}
	if (!n) {
		fprintf(stderr, "bench-floor: nothing attached\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", n);
	fflush(stdout);
	for (double t = 0; !stop && (secs <= 0 || t < secs); t += 0.05)
		usleep(50000);
	/* Exit closes the link fds: that detaches. */
	bpf_object__close(obj);
	return 0;
}
