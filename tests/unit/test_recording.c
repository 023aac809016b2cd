// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The recording format: a round trip, and damaged files each rejected with
 * a message that names what is wrong and where. */
#include "recording.h"
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/ipt-unit-XXXXXX";
static char good[256];
static unsigned char *gbuf;
static size_t glen;

#define NEV 40000	/* more than one EVENTS chunk */

static void make_good(void)
{
	char err[256];
	struct rec_writer *w;
	struct ksyms ks = {0};
	const char *meta = "tool=test\nformat=1\nkernel_release=6.18.0-test\narch=x86_64\n"
			   "ncpus=4\nclock=CLOCK_MONOTONIC\ncpus=all\n";
	struct {
		struct ipt_trailer t;
		struct ipt_cpu_stats cs[4];
	} tr = { .t = { .events = NEV, .start_ns = 1000, .end_ns = 5000000, .ncpus = 4 } };
	uint64_t slen;
	void *sym;
	FILE *f;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(good, sizeof(good), "%s/good.ipit", dir);
	w = rec_create(good, 0, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	rec_write_section(w, IPT_SEC_META, meta, strlen(meta));
	rec_write_section(w, IPT_SEC_PLAN, "plan\n", 5);
	const char *irq0 = "mono_ns=1000\n           CPU0\n CAL: 5\n";
	/* irq0 as recordings before the read's span was kept; irq1 with it. */
	const char *irq1 = "mono_ns=5000000 4990000 5010000\n           CPU0\n CAL: 9\n";

	rec_write_section(w, IPT_SEC_IRQ_START, irq0, strlen(irq0));
	for (unsigned i = 0; i < NEV; i++) {
		struct ipt_event e = { .type = IPT_EV_SEND, .cpu = i % 4, .ts = 2000 + i,
				       .target = (i + 1) % 4, .kind = IPT_MSG_CALL_FUNCTION,
				       .func = 0xffffffff81000000ull + i, .callsite = 7, .csd = i };
		rec_append_event(w, &e);
	}
	rec_flush_events(w);
	rec_write_section(w, IPT_SEC_IRQ_END, irq1, strlen(irq1));
	ksyms_add(&ks, 0xffffffff81000000ull, 0x1000, "foo");
	ksyms_add(&ks, 0xffffffff81001000ull, 0x100, "bar");
	sym = rec_pack_symbols(&ks, &slen);
	rec_write_section(w, IPT_SEC_SYMBOLS, sym, slen);
	free(sym);
	ksyms_free(&ks);
	tr.cs[2].dropped = 3;
	rec_write_section(w, IPT_SEC_TRAILER, &tr, sizeof(tr));
	if (rec_close(w, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	f = fopen(good, "rb");
	fseek(f, 0, SEEK_END);
	glen = ftell(f);
	rewind(f);
	gbuf = malloc(glen);
	if (fread(gbuf, 1, glen, f) != glen)
		exit(1);
	fclose(f);
}

/* Offset of the n-th section (0-based) of a given type, header included. */
static size_t sec_off(uint32_t type, int nth)
{
	size_t pos = sizeof(struct ipt_file_header);

	while (pos + sizeof(struct ipt_section) <= glen) {
		struct ipt_section s;

		memcpy(&s, gbuf + pos, sizeof(s));
		if (s.type == type && nth-- == 0)
			return pos;
		pos += sizeof(s) + s.length;
	}
	abort();
}

static void fix_crc(unsigned char *b, size_t off)
{
	struct ipt_section s;

	memcpy(&s, b + off, sizeof(s));
	s.crc = crc32(0, b + off + sizeof(s), s.length);
	memcpy(b + off, &s, sizeof(s));
}

static const char *write_tmp(const unsigned char *b, size_t len)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad.ipit", dir);
	f = fopen(path, "wb");
	if (len && fwrite(b, 1, len, f) != len)
		abort();
	fclose(f);
	return path;
}

/* Open and read every event; return the first error (or "" when fine). */
static const char *read_all(const char *path)
{
	static char err[512];
	struct rec_reader *r = rec_open(path, err, sizeof(err));
	const struct ipt_event *ev;
	size_t n;
	int rc;

	if (!r)
		return err;
	while ((rc = rec_next_events(r, &ev, &n, err, sizeof(err))) > 0)
		;
	rec_free(r);
	return rc < 0 ? err : "";
}

static void round_trip(void)
{
	char err[256];
	struct rec_reader *r = rec_open(good, err, sizeof(err));
	const struct ipt_event *ev;
	size_t n, total = 0;
	struct stat st;
	int rc, chunks = 0;

	CHECK(r != NULL, "%s", err);
	if (!r)
		return;
	CHECK(stat(good, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);
	CHECK(!strcmp(rec_meta(r, "kernel_release"), "6.18.0-test"), "release");
	CHECK(!strcmp(rec_meta(r, "arch"), "x86_64"), "arch %s", rec_meta(r, "arch"));
	CHECK(rec_meta(r, "nope") == NULL, "absent key");
	CHECK_EQ(rec_ncpus(r), 4);
	CHECK(!strcmp(rec_plan(r), "plan\n"), "plan");
	uint64_t t;
	CHECK(strstr(rec_irq(r, 1, &t), "CAL: 9") != NULL, "irq end");
	CHECK_EQ(t, 5000000);
	uint64_t b, a;
	rec_irq_span(r, 1, &b, &a);
	CHECK(b == 4990000 && a == 5010000, "end read's span %" PRIu64 "..%" PRIu64, b, a);
	rec_irq_span(r, 0, &b, &a);
	CHECK(b == 1000 && a == 1000, "start read without a span: its midpoint (%" PRIu64 "..%" PRIu64 ")", b, a);
	CHECK(!strncmp(rec_irq(r, 0, &t), "           CPU0", 15), "irq start text");
	CHECK_EQ(rec_symbols(r)->n, 2);
	CHECK_EQ(rec_trailer(r)->events, NEV);
	CHECK_EQ(rec_cpu_stats(r)[2].dropped, 3);
	while ((rc = rec_next_events(r, &ev, &n, err, sizeof(err))) > 0) {
		for (size_t i = 0; i < n; i++) {
			uint64_t k = total + i;

			CHECK(ev[i].ts == 2000 + k && ev[i].cpu == k % 4 && ev[i].csd == k &&
			      ev[i].func == 0xffffffff81000000ull + k, "event %" PRIu64, k);
		}
		total += n;
		chunks++;
	}
	CHECK(rc == 0, "%s", err);
	CHECK_EQ(total, NEV);
	CHECK(chunks >= 2, "chunks %d", chunks);
	uint64_t off;
	const struct ksym *s = ksyms_find(rec_symbols(r), 0xffffffff81000010ull, &off);
	CHECK(s && !strcmp(s->name, "foo") && off == 0x10, "symbol lookup");
	rec_free(r);
}

struct damage {
	const char *name;
	void (*apply)(unsigned char *b, size_t *len);
	const char *expect;	/* substring of the error */
};

static void d_empty(unsigned char *b, size_t *len) { (void)b; *len = 0; }
static void d_magic(unsigned char *b, size_t *len) { (void)len; b[3] = 'X'; }
static void d_version(unsigned char *b, size_t *len) { (void)len; b[8] = 99; }
static void d_endian(unsigned char *b, size_t *len)
{
	(void)len;
	uint32_t x = 0x04030201;
	memcpy(b + 24, &x, 4);
}
static void d_in_header(unsigned char *b, size_t *len) { (void)b; *len = 20; }
static void d_in_sechdr(unsigned char *b, size_t *len) { (void)b; *len = sec_off(IPT_SEC_PLAN, 0) + 7; }
static void d_in_events(unsigned char *b, size_t *len) { (void)b; *len = sec_off(IPT_SEC_EVENTS, 1) + 1000; }
static void d_no_trailer(unsigned char *b, size_t *len) { (void)b; *len = sec_off(IPT_SEC_TRAILER, 0); }
static void d_last_byte(unsigned char *b, size_t *len) { (void)b; *len -= 1; }
static void d_event_bit(unsigned char *b, size_t *len)
{
	(void)len;
	b[sec_off(IPT_SEC_EVENTS, 0) + sizeof(struct ipt_section) + 4000] ^= 0x10;
}
static void d_meta_bit(unsigned char *b, size_t *len)
{
	(void)len;
	b[sec_off(IPT_SEC_META, 0) + sizeof(struct ipt_section) + 3] ^= 0x01;
}
static void d_huge_len(unsigned char *b, size_t *len)
{
	(void)len;
	uint64_t l = 1ull << 60;
	memcpy(b + sec_off(IPT_SEC_EVENTS, 0) + 8, &l, 8);
}
static void d_odd_len(unsigned char *b, size_t *len)
{
	/* An EVENTS section whose length is not a whole number of events:
	 * shrink the first one by 8 bytes and move the rest down. */
	size_t off = sec_off(IPT_SEC_EVENTS, 0);
	struct ipt_section s;

	memcpy(&s, b + off, sizeof(s));
	memmove(b + off + sizeof(s) + s.length - 8, b + off + sizeof(s) + s.length,
		*len - (off + sizeof(s) + s.length));
	s.length -= 8;
	memcpy(b + off, &s, sizeof(s));
	*len -= 8;
}
static void d_unknown_type(unsigned char *b, size_t *len)
{
	(void)len;
	uint32_t t = 77;
	memcpy(b + sec_off(IPT_SEC_PLAN, 0), &t, 4);
}
static void d_dup_meta(unsigned char *b, size_t *len)
{
	(void)len;
	uint32_t t = IPT_SEC_META;
	memcpy(b + sec_off(IPT_SEC_PLAN, 0), &t, 4);
}
static void d_garbage_after(unsigned char *b, size_t *len)
{
	memset(b + *len, 0xab, 64);
	*len += 64;
}
static void d_trailer_count(unsigned char *b, size_t *len)
{
	(void)len;
	size_t off = sec_off(IPT_SEC_TRAILER, 0);
	uint64_t n = NEV + 5;

	memcpy(b + off + sizeof(struct ipt_section), &n, 8);
	fix_crc(b, off);
}
static void d_trailer_cpus(unsigned char *b, size_t *len)
{
	(void)len;
	size_t off = sec_off(IPT_SEC_TRAILER, 0);
	uint32_t n = 100000;

	memcpy(b + off + sizeof(struct ipt_section) + offsetof(struct ipt_trailer, ncpus), &n, 4);
	fix_crc(b, off);
}
static void d_event_cpu(unsigned char *b, size_t *len)
{
	/* A well-formed section (good CRC) holding an impossible CPU. */
	(void)len;
	size_t off = sec_off(IPT_SEC_EVENTS, 0);
	uint32_t cpu = 4096;

	memcpy(b + off + sizeof(struct ipt_section) + 48 * 7 + 4, &cpu, 4);
	fix_crc(b, off);
}
static void d_event_type(unsigned char *b, size_t *len)
{
	(void)len;
	size_t off = sec_off(IPT_SEC_EVENTS, 1);
	uint32_t type = 999;

	memcpy(b + off + sizeof(struct ipt_section), &type, 4);
	fix_crc(b, off);
}
static void d_meta_ncpus(unsigned char *b, size_t *len)
{
	(void)len;
	size_t off = sec_off(IPT_SEC_META, 0) + sizeof(struct ipt_section);
	char *p = memmem(b + off, 200, "ncpus=4", 7);

	p[6] = 'x';
	fix_crc(b, off - sizeof(struct ipt_section));
}
static void d_meta_line(unsigned char *b, size_t *len)
{
	(void)len;
	size_t off = sec_off(IPT_SEC_META, 0) + sizeof(struct ipt_section);
	char *p = memmem(b + off, 200, "arch=", 5);

	p[4] = '_';
	fix_crc(b, off - sizeof(struct ipt_section));
}
static void d_symbols(unsigned char *b, size_t *len)
{
	(void)len;
	size_t off = sec_off(IPT_SEC_SYMBOLS, 0);
	uint32_t n = 1000000;

	memcpy(b + off + sizeof(struct ipt_section), &n, 4);
	fix_crc(b, off);
}

static const struct damage damages[] = {
	{ "empty file", d_empty, "too short for the magic" },
	{ "wrong magic", d_magic, "bad magic at byte offset 0" },
	{ "wrong version", d_version, "format version 99 at byte offset 8" },
	{ "other byte order", d_endian, "other byte order" },
	{ "truncated in header", d_in_header, "truncated: file ends at byte offset 20" },
	{ "truncated in a section header", d_in_sechdr, "inside a section header" },
	{ "truncated in events", d_in_events, "truncated: EVENTS section at byte offset" },
	{ "truncated before trailer", d_no_trailer, "truncated: no trailer" },
	{ "last byte cut", d_last_byte, "truncated: TRAILER section at byte offset" },
	{ "bit flip in events", d_event_bit, "corrupted EVENTS section at byte offset" },
	{ "bit flip in META", d_meta_bit, "corrupted META section at byte offset 32: checksum" },
	{ "absurd length", d_huge_len, "declares 1152921504606846976 bytes" },
	{ "partial event", d_odd_len, "absurd length" },
	{ "unknown section", d_unknown_type, "unknown section type 77 at byte offset" },
	{ "duplicate META", d_dup_meta, "a second META section" },
	{ "garbage after trailer", d_garbage_after, "garbage after the trailer" },
	{ "trailer count", d_trailer_count, "TRAILER says 40005 events" },
	{ "trailer cpus", d_trailer_cpus, "declares 100000 CPUs" },
	{ "impossible cpu", d_event_cpu, "CPU 4096" },
	{ "unknown event type", d_event_type, "unknown type 999" },
	{ "bad ncpus", d_meta_ncpus, "no valid ncpus" },
	{ "META not key=value", d_meta_line, "not key=value" },
	{ "absurd symbol count", d_symbols, "claims 1000000 symbols" },
};

static void damaged_files(void)
{
	unsigned char *b = malloc(glen + 4096);

	CHECK(!strcmp(read_all(good), ""), "good file: %s", read_all(good));
	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		size_t len = glen;
		const char *e;

		memcpy(b, gbuf, glen);
		damages[i].apply(b, &len);
		e = read_all(write_tmp(b, len));
		CHECK(strstr(e, damages[i].expect) != NULL, "%s: got '%s', want '%s'",
		      damages[i].name, e, damages[i].expect);
		CHECK(!strchr(e, '\n'), "%s: message is not one line", damages[i].name);
	}
	free(b);
}

/* Every truncation point gives an error, never a crash or a success. */
static void every_truncation(void)
{
	size_t step = 97, bad = 0;

	for (size_t len = 0; len < glen; len += (len < 2000 ? 1 : step)) {
		const char *e = read_all(write_tmp(gbuf, len));

		if (!*e)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void no_addresses_layout(void)
{
	/* Stand-ins must never equal a real kernel address: non-canonical on
	 * x86-64 with 4- or 5-level paging (bits 63..56 differ from bit 55),
	 * outside powerpc's 0xc... kernel range, with room for 2^24-byte
	 * functions and 2^16 symbols below 2^64. */
	uint64_t top = IPT_NOADDR_BASE >> 55;
	CHECK(top != 0 && top != 0x1ff, "canonical");
	CHECK((IPT_NOADDR_BASE >> 60) != 0xc, "powerpc range");
	CHECK(IPT_NOADDR_BASE + (0x10000ull << IPT_NOADDR_SHIFT) > IPT_NOADDR_BASE, "room");
	CHECK((IPT_NOADDR_BASE & ((1ull << IPT_NOADDR_SHIFT) - 1)) == 0, "aligned");
}

static void cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return;
}

static void setup(void) { make_good(); }

UNIT_MAIN(CASE(setup), CASE(round_trip), CASE(damaged_files), CASE(every_truncation),
	  CASE(no_addresses_layout), CASE(cleanup))
