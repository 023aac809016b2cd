// SPDX-License-Identifier: GPL-2.0
/*
 * bench-floor: attach the raw_tp programs of floor.bpf.o (empty) or of
 * ring*.bpf.o (one record per event into a ring), print "attached N" on
 * stdout, hold them until SIGINT/SIGTERM (or -d SECONDS), detach.  An
 * object with a ring buffer map "ring" is drained every 5 ms, like `ipitrace
 * record` (its programs never wake the consumer); one with an array of maps
 * "rings" first gets a 4 MiB ring per CPU.  At the end it prints
 * "consumed N", the count of records read.  A tracepoint the kernel lacks is skipped with a warning (raw_tp
 * resolves the name at attach, not at load); no
 * program attached at all is an error.
 *
 *   bench-floor [-d SECONDS] OBJECT
 *
 * Exit status: 0 done, 1 could not load or attach, 2 usage.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static unsigned long long consumed;
static int count(void *ctx, void *data, size_t len)
{
	(void)ctx; (void)data; (void)len;
	consumed++;
	return 0;
}
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
			"Attach every raw_tp program in OBJECT, print \"attached N\", hold until\n"
			"SIGINT/SIGTERM or SECONDS (draining its ring buffers, if any, every 5 ms),\n"
			"detach.  For `make bench` (tests/bench/floor.bpf.c, ring.bpf.c).\n");
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
	/* The consumer: one ring, or a ring per CPU put into "rings". */
	struct ring_buffer *rb = NULL;
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "ring");

	if (m)
		rb = ring_buffer__new(bpf_map__fd(m), count, NULL, NULL);
	if ((m = bpf_object__find_map_by_name(obj, "rings"))) {
		int ncpu = libbpf_num_possible_cpus();

		for (int c = 0; c < ncpu && c < (int)bpf_map__max_entries(m); c++) {
			int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, 4 << 20, NULL);

			if (fd < 0 || bpf_map_update_elem(bpf_map__fd(m), &c, &fd, 0) ||
			    (rb ? ring_buffer__add(rb, fd, count, NULL)
				: !(rb = ring_buffer__new(fd, count, NULL, NULL)))) {
				fprintf(stderr, "bench-floor: ring for CPU %d: %s\n", c, strerror(errno));
				return 1;
			}
		}
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
	for (double t = 0; !stop && (secs <= 0 || t < secs); t += 0.005) {
		usleep(5000);
		if (rb)
			ring_buffer__consume(rb);
	}
	if (rb) {
		ring_buffer__consume(rb);
		printf("consumed %llu\n", consumed);
	}
	/* Exit closes the link fds: that detaches. */
	bpf_object__close(obj);
	return 0;
}
