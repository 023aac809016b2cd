// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "recording.h"
#include "crc32.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sec_names[IPT_SEC__MAX] = {
	[IPT_SEC_META] = "META", [IPT_SEC_PLAN] = "PLAN",
	[IPT_SEC_IRQ_START] = "IRQ_START", [IPT_SEC_EVENTS] = "EVENTS",
	[IPT_SEC_IRQ_END] = "IRQ_END", [IPT_SEC_SYMBOLS] = "SYMBOLS",
	[IPT_SEC_TRAILER] = "TRAILER",
};

/* Fuzzing builds accept any checksum, so the fuzzer reaches the parsing
 * behind it instead of stopping at a CRC it cannot forge. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_MISMATCH(a, b) 0
#else
#define CRC_MISMATCH(a, b) ((a) != (b))
#endif

static const char *sec_name(uint32_t t)
{
	return t < IPT_SEC__MAX && sec_names[t] ? sec_names[t] : "unknown";
}

static uint32_t crc(const void *p, uint64_t len)
{
	return ipt_crc32(0, p, len);
}

/* ------------------------------------------------------------ writing */

#define CHUNK_EVENTS 16384	/* 768 KiB per EVENTS section */

struct rec_writer {
	int fd;
	char *path;
	int failed;
	char errbuf[256];
	struct ipt_event *chunk;
	size_t nchunk;
	uint64_t written;
};

static int wr_all(struct rec_writer *w, const void *p, size_t len)
{
	const char *b = p;

	while (len && !w->failed) {
		ssize_t n = write(w->fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(w->errbuf, sizeof(w->errbuf), "writing %s: %s", w->path,
				 n < 0 ? strerror(errno) : "short write");
			w->failed = 1;
			return -1;
		}
		b += n;
		len -= n;
	}
	return w->failed ? -1 : 0;
}

struct rec_writer *rec_create(const char *path, uint32_t flags, char *err, size_t errlen)
{
	struct ipt_file_header h = {
		.version = IPT_FORMAT_VERSION,
		.header_size = sizeof(h),
		.event_size = sizeof(struct ipt_event),
		.flags = flags,
		.endian = IPT_ENDIAN_MARK,
	};
	struct rec_writer *w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	/* O_TRUNC keeps the mode of an existing file: force 0600. */
	if (fchmod(fd, 0600) < 0) {
		snprintf(err, errlen, "cannot chmod 0600 %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->path = xstrdup(path);
	w->chunk = xcalloc(CHUNK_EVENTS, sizeof(struct ipt_event));
	memcpy(h.magic, IPT_MAGIC, 8);
	if (wr_all(w, &h, sizeof(h))) {
		snprintf(err, errlen, "%s", w->errbuf);
		close(fd);
		free(w->chunk);
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

int rec_write_section(struct rec_writer *w, uint32_t type, const void *data, uint64_t len)
{
	struct ipt_section s = { .type = type, .crc = crc(data, len), .length = len };

	if (wr_all(w, &s, sizeof(s)))
		return -1;
	return wr_all(w, data, len);
}

int rec_flush_events(struct rec_writer *w)
{
	int ret = 0;

	if (w->nchunk)
		ret = rec_write_section(w, IPT_SEC_EVENTS, w->chunk,
					w->nchunk * sizeof(struct ipt_event));
	w->nchunk = 0;
	return ret;
}

int rec_append_event(struct rec_writer *w, const struct ipt_event *e)
{
	w->chunk[w->nchunk++] = *e;
	w->written++;
	if (w->nchunk == CHUNK_EVENTS)
		return rec_flush_events(w);
	return w->failed ? -1 : 0;
}

uint64_t rec_events_written(const struct rec_writer *w)
{
	return w->written;
}

int rec_close(struct rec_writer *w, char *err, size_t errlen)
{
	int ret = rec_flush_events(w);

	if (close(w->fd) < 0 && !w->failed) {
		snprintf(w->errbuf, sizeof(w->errbuf), "closing %s: %s", w->path, strerror(errno));
		w->failed = 1;
	}
	if (w->failed) {
		snprintf(err, errlen, "%s", w->errbuf);
		ret = -1;
	}
	free(w->chunk);
	free(w->path);
	free(w);
	return ret;
}

void *rec_pack_symbols(const struct ksyms *ks, uint64_t *len)
{
	size_t cap = 4, n = 0;
	char *buf;
	uint32_t count = ks->n;

	for (size_t i = 0; i < ks->n; i++)
		cap += 14 + strlen(ks->syms[i].name);
	buf = xcalloc(1, cap);
	memcpy(buf, &count, 4);
	n = 4;
	for (size_t i = 0; i < ks->n; i++) {
		size_t l = strlen(ks->syms[i].name);
		uint16_t nl = l > 0xffff ? 0xffff : l;

		memcpy(buf + n, &ks->syms[i].addr, 8);
		memcpy(buf + n + 8, &ks->syms[i].size, 4);
		memcpy(buf + n + 12, &nl, 2);
		memcpy(buf + n + 14, ks->syms[i].name, nl);
		n += 14 + nl;
	}
	*len = n;
	return buf;
}

/* ------------------------------------------------------------ reading */

struct sec_ref {
	uint32_t type;
	uint32_t crc;
	uint64_t off;		/* payload offset in the file */
	uint64_t len;
};

struct rec_reader {
	FILE *f;
	char *path;
	uint64_t size;
	struct ipt_file_header hdr;
	struct sec_ref *secs;
	size_t nsecs;
	char *meta, *plan, *irq[2];
	size_t nmeta;
	uint64_t irq_ns[2], irq_before[2], irq_after[2];
	struct ksyms syms;
	struct ipt_trailer trailer;
	struct ipt_cpu_stats *cpu_stats;
	unsigned ncpus;
	/* event iteration */
	size_t next_sec;
	struct ipt_event *buf;
	size_t bufcap;
	uint64_t events_seen;
};

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* Read a section payload into a new NUL-terminated buffer, CRC checked. */
static char *load_payload(struct rec_reader *r, const struct sec_ref *s, char *err, size_t errlen)
{
	char *p = xcalloc(1, s->len + 1);

	if (fseeko(r->f, s->off, SEEK_SET) || fread(p, 1, s->len, r->f) != s->len) {
		snprintf(err, errlen, "%s: cannot read %s section at byte offset %" PRIu64 ": %s",
			 r->path, sec_name(s->type), s->off - sizeof(struct ipt_section),
			 ferror(r->f) ? strerror(errno) : "unexpected end of file");
		free(p);
		return NULL;
	}
	if (CRC_MISMATCH(crc(p, s->len), s->crc)) {
		snprintf(err, errlen, "%s: corrupted %s section at byte offset %" PRIu64
			 ": checksum 0x%08x, expected 0x%08x", r->path, sec_name(s->type),
			 s->off - sizeof(struct ipt_section), crc(p, s->len), s->crc);
		free(p);
		return NULL;
	}
	return p;
}

const char *rec_meta(const struct rec_reader *r, const char *key)
{
	/* META was split at load: "key\0value\0" pairs, nkeys of them. */
	const char *p = r->meta;

	for (size_t i = 0; p && i < r->nmeta; i++) {
		const char *v = p + strlen(p) + 1;

		if (!strcmp(p, key))
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

/* "a=1\nb=2\n" -> "a\0001\000b\0002\000" in place; lines without '=' are
 * a corrupted META. */
static int split_meta(struct rec_reader *r, char *text, uint64_t len, uint64_t off, char *err,
		      size_t errlen)
{
	char *out = text, *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', end - p), *eq;

		if (!nl)
			nl = end;
		if (nl == p) {
			p++;
			continue;
		}
		eq = memchr(p, '=', nl - p);
		if (!eq || eq == p || memchr(p, '\0', nl - p))
			FAIL("%s: corrupted: META section at byte offset %" PRIu64
			     " has a line that is not key=value", r->path, off);
		*eq = '\0';
		*nl = '\0';
		memmove(out, p, nl - p + 1);
		out += nl - p + 1;
		r->nmeta++;
		p = nl + 1;
	}
	/* A last line without '\n' used the buffer's final NUL; lookups are
	 * bounded by nmeta, so the closing NUL is only written when it fits
	 * (found by the fuzzer: one byte past the buffer). */
	if (out <= end)
		*out = '\0';
	return 0;
fail:
	return -1;
}

static int parse_symbols(struct rec_reader *r, const char *p, uint64_t len, uint64_t off,
			 char *err, size_t errlen)
{
	uint32_t count;
	uint64_t pos = 4;

	if (len < 4)
		FAIL("%s: SYMBOLS section at byte offset %" PRIu64 " is too short", r->path, off);
	memcpy(&count, p, 4);
	if ((uint64_t)count * 14 > len - 4)
		FAIL("%s: SYMBOLS section at byte offset %" PRIu64 " claims %u symbols in %" PRIu64
		     " bytes", r->path, off, count, len);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t addr;
		uint32_t size;
		uint16_t nl;
		char name[0x10000];

		if (pos + 14 > len)
			FAIL("%s: SYMBOLS entry %u runs past its section (byte offset %" PRIu64 ")",
			     r->path, i, off + sizeof(struct ipt_section) + pos);
		memcpy(&addr, p + pos, 8);
		memcpy(&size, p + pos + 8, 4);
		memcpy(&nl, p + pos + 12, 2);
		if (pos + 14 + nl > len)
			FAIL("%s: SYMBOLS entry %u name runs past its section (byte offset %" PRIu64 ")",
			     r->path, i, off + sizeof(struct ipt_section) + pos);
		memcpy(name, p + pos + 14, nl);
		name[nl] = '\0';
		ksyms_add(&r->syms, addr, size, name);
		pos += 14 + nl;
	}
	ksyms_sort(&r->syms);
	return 0;
fail:
	return -1;
}

static int parse_irq(struct rec_reader *r, int which, char *text, uint64_t off, char *err,
		     size_t errlen)
{
	char *nl;

	if (strncmp(text, "mono_ns=", 8) || !(nl = strchr(text, '\n')))
		FAIL("%s: %s section at byte offset %" PRIu64 " does not start with mono_ns=",
		     r->path, which ? "IRQ_END" : "IRQ_START", off);
	/* "mono_ns=MID BEFORE AFTER" (the read's midpoint, then the times just
	 * before and after it); only MID is required.  BEFORE and AFTER bound
	 * when the counters were really read (rec_irq_span()); where they are
	 * missing or do not enclose MID, both are MID. */
	{
		char *p = text + 8, *q;
		uint64_t b, a;

		r->irq_ns[which] = strtoull(p, &q, 10);
		b = q < nl ? strtoull(q, &q, 10) : 0;
		a = q < nl ? strtoull(q, &q, 10) : 0;
		if (b > r->irq_ns[which] || a < r->irq_ns[which])
			b = a = r->irq_ns[which];
		r->irq_before[which] = b;
		r->irq_after[which] = a;
	}
	r->irq[which] = text;
	memmove(text, nl + 1, strlen(nl + 1) + 1);
	return 0;
fail:
	free(text);
	return -1;
}

struct rec_reader *rec_open(const char *path, char *err, size_t errlen)
{
	struct rec_reader *r = xcalloc(1, sizeof(*r));
	struct stat st;
	uint64_t pos;
	int have[IPT_SEC__MAX] = {0};
	uint64_t nevents = 0;
	const char *v;

	r->path = xstrdup(path);
	r->f = fopen(path, "rbe");
	if (!r->f)
		FAIL("cannot open %s: %s", path, strerror(errno));
	if (fstat(fileno(r->f), &st) || !S_ISREG(st.st_mode))
		FAIL("%s: not a regular file", path);
	r->size = st.st_size;
	if (r->size < 8 || fread(&r->hdr, 1, 8, r->f) != 8)
		FAIL("%s: not an ipitrace recording (file is %" PRIu64 " bytes, too short for the magic)",
		     path, r->size);
	if (memcmp(r->hdr.magic, IPT_MAGIC, 8))
		FAIL("%s: not an ipitrace recording (bad magic at byte offset 0)", path);
	if (r->size < sizeof(r->hdr) ||
	    fread((char *)&r->hdr + 8, 1, sizeof(r->hdr) - 8, r->f) != sizeof(r->hdr) - 8)
		FAIL("%s: truncated: file ends at byte offset %" PRIu64 " inside the %zu-byte header",
		     path, r->size, sizeof(r->hdr));
	if (r->hdr.endian != IPT_ENDIAN_MARK)
		FAIL("%s: recorded on a machine of the other byte order (byte offset 24): "
		     "report it on one like the recorder", path);
	if (r->hdr.version != IPT_FORMAT_VERSION)
		FAIL("%s: format version %u at byte offset 8, this ipitrace reads version %u",
		     path, r->hdr.version, IPT_FORMAT_VERSION);
	if (r->hdr.header_size != sizeof(r->hdr) || r->hdr.event_size != sizeof(struct ipt_event))
		FAIL("%s: header at byte offset 12 declares header %u / event %u bytes, expected %zu / %zu",
		     path, r->hdr.header_size, r->hdr.event_size, sizeof(r->hdr),
		     sizeof(struct ipt_event));

	/* Walk the section headers: structure before content. */
	pos = sizeof(r->hdr);
	while (pos < r->size) {
		struct ipt_section s;
		struct sec_ref *ref;

		if (have[IPT_SEC_TRAILER])
			FAIL("%s: %" PRIu64 " bytes of garbage after the trailer, at byte offset %" PRIu64,
			     path, r->size - pos, pos);
		if (r->size - pos < sizeof(s))
			FAIL("%s: truncated: file ends at byte offset %" PRIu64
			     " inside a section header", path, r->size);
		if (fseeko(r->f, pos, SEEK_SET) || fread(&s, 1, sizeof(s), r->f) != sizeof(s))
			FAIL("%s: cannot read section header at byte offset %" PRIu64, path, pos);
		if (!s.type || s.type >= IPT_SEC__MAX)
			FAIL("%s: corrupted: unknown section type %u at byte offset %" PRIu64,
			     path, s.type, pos);
		if (s.length > r->size - pos - sizeof(s))
			FAIL("%s: truncated: %s section at byte offset %" PRIu64 " declares %" PRIu64
			     " bytes but only %" PRIu64 " remain", path, sec_name(s.type), pos,
			     (uint64_t)s.length, r->size - pos - sizeof(s));
		switch (s.type) {
		case IPT_SEC_EVENTS:
			if (s.length > IPT_MAX_EVENTS_SECTION || s.length % sizeof(struct ipt_event))
				FAIL("%s: corrupted: EVENTS section at byte offset %" PRIu64
				     " has an absurd length %" PRIu64, path, pos, (uint64_t)s.length);
			if (!have[IPT_SEC_META])
				FAIL("%s: corrupted: EVENTS section at byte offset %" PRIu64
				     " comes before META", path, pos);
			nevents += s.length / sizeof(struct ipt_event);
			break;
		case IPT_SEC_SYMBOLS:
			if (s.length > IPT_MAX_SYMBOLS_SECTION)
				FAIL("%s: corrupted: SYMBOLS section at byte offset %" PRIu64
				     " has an absurd length %" PRIu64, path, pos, (uint64_t)s.length);
			break;
		case IPT_SEC_TRAILER:
			if (s.length < sizeof(struct ipt_trailer) || s.length > sizeof(struct ipt_trailer) +
			    (uint64_t)IPT_MAX_CPUS * sizeof(struct ipt_cpu_stats))
				FAIL("%s: corrupted: TRAILER at byte offset %" PRIu64
				     " has an absurd length %" PRIu64, path, pos, (uint64_t)s.length);
			break;
		default:
			if (s.length > IPT_MAX_TEXT_SECTION)
				FAIL("%s: corrupted: %s section at byte offset %" PRIu64
				     " has an absurd length %" PRIu64, path, sec_name(s.type), pos, (uint64_t)s.length);
		}
		if (s.type != IPT_SEC_EVENTS && have[s.type])
			FAIL("%s: corrupted: a second %s section at byte offset %" PRIu64,
			     path, sec_name(s.type), pos);
		have[s.type]++;
		if (r->nsecs % 64 == 0)
			r->secs = xrealloc(r->secs, (r->nsecs + 64) * sizeof(*r->secs));
		ref = &r->secs[r->nsecs++];
		ref->type = s.type;
		ref->crc = s.crc;
		ref->off = pos + sizeof(s);
		ref->len = s.length;
		pos += sizeof(s) + s.length;
	}
	if (!have[IPT_SEC_TRAILER])
		FAIL("%s: truncated: no trailer (the recording stops at byte offset %" PRIu64
		     "; was the recorder killed?)", path, r->size);
	for (int t = IPT_SEC_META; t < IPT_SEC__MAX; t++)
		if (!have[t] && t != IPT_SEC_EVENTS)
			FAIL("%s: corrupted: no %s section", path, sec_name(t));

	/* Load and check the small sections. */
	for (size_t i = 0; i < r->nsecs; i++) {
		struct sec_ref *s = &r->secs[i];
		uint64_t hoff = s->off - sizeof(struct ipt_section);
		char *p;

		if (s->type == IPT_SEC_EVENTS)
			continue;
		p = load_payload(r, s, err, errlen);
		if (!p)
			goto fail;
		switch (s->type) {
		case IPT_SEC_META:
			r->meta = p;
			if (split_meta(r, p, s->len, hoff, err, errlen))
				goto fail;
			break;
		case IPT_SEC_PLAN: r->plan = p; break;
		case IPT_SEC_IRQ_START:
		case IPT_SEC_IRQ_END:
			if (parse_irq(r, s->type == IPT_SEC_IRQ_END, p, hoff, err, errlen))
				goto fail;
			break;
		case IPT_SEC_SYMBOLS:
			if (parse_symbols(r, p, s->len, hoff, err, errlen)) {
				free(p);
				goto fail;
			}
			free(p);
			break;
		case IPT_SEC_TRAILER:
			memcpy(&r->trailer, p, sizeof(r->trailer));
			if (r->trailer.ncpus == 0 || r->trailer.ncpus > IPT_MAX_CPUS ||
			    s->len != sizeof(r->trailer) + (uint64_t)r->trailer.ncpus * sizeof(struct ipt_cpu_stats)) {
				free(p);
				FAIL("%s: corrupted: TRAILER at byte offset %" PRIu64 " declares %u CPUs "
				     "in %" PRIu64 " bytes", path, hoff, r->trailer.ncpus, s->len);
			}
			r->cpu_stats = xcalloc(r->trailer.ncpus, sizeof(*r->cpu_stats));
			memcpy(r->cpu_stats, p + sizeof(r->trailer),
			       r->trailer.ncpus * sizeof(*r->cpu_stats));
			free(p);
			break;
		}
	}
	v = rec_meta(r, "ncpus");
	if (!v || (r->ncpus = strtoul(v, NULL, 10)) == 0 || r->ncpus > IPT_MAX_CPUS)
		FAIL("%s: corrupted: META has no valid ncpus (1..%u)", path, IPT_MAX_CPUS);
	if (r->trailer.ncpus != r->ncpus)
		FAIL("%s: corrupted: TRAILER counts %u CPUs, META %u", path, r->trailer.ncpus, r->ncpus);
	if (r->trailer.events != nevents)
		FAIL("%s: corrupted: TRAILER says %" PRIu64 " events, the EVENTS sections hold %" PRIu64,
		     path, (uint64_t)r->trailer.events, nevents);
	if (r->trailer.end_ns < r->trailer.start_ns)
		FAIL("%s: corrupted: TRAILER ends (%" PRIu64 ") before it starts (%" PRIu64 ")",
		     path, (uint64_t)r->trailer.end_ns, (uint64_t)r->trailer.start_ns);
	return r;
fail:
	rec_free(r);
	return NULL;
}

void rec_rewind(struct rec_reader *r)
{
	r->next_sec = 0;
	r->events_seen = 0;
}

int rec_next_events(struct rec_reader *r, const struct ipt_event **ev, size_t *n,
		    char *err, size_t errlen)
{
	while (r->next_sec < r->nsecs && r->secs[r->next_sec].type != IPT_SEC_EVENTS)
		r->next_sec++;
	if (r->next_sec >= r->nsecs)
		return 0;

	const struct sec_ref *s = &r->secs[r->next_sec++];
	uint64_t hoff = s->off - sizeof(struct ipt_section);
	size_t cnt = s->len / sizeof(struct ipt_event);

	if (s->len > r->bufcap) {
		free(r->buf);
		r->buf = xcalloc(1, s->len);
		r->bufcap = s->len;
	}
	if (fseeko(r->f, s->off, SEEK_SET) || fread(r->buf, 1, s->len, r->f) != s->len) {
		snprintf(err, errlen, "%s: cannot read EVENTS at byte offset %" PRIu64, r->path, hoff);
		return -1;
	}
	if (CRC_MISMATCH(crc(r->buf, s->len), s->crc)) {
		snprintf(err, errlen, "%s: corrupted EVENTS section at byte offset %" PRIu64
			 ": checksum mismatch", r->path, hoff);
		return -1;
	}
	/* A CRC only proves the bytes are the ones written: check the values the
	 * correlator will index arrays with. */
	for (size_t i = 0; i < cnt; i++) {
		const struct ipt_event *e = &r->buf[i];
		uint64_t at = s->off + i * sizeof(*e);

		if (!((e->type >= IPT_EV_SEND && e->type < IPT_EV__MAX) || e->type == IPT_EV_LOST)) {
			snprintf(err, errlen, "%s: corrupted event at byte offset %" PRIu64
				 ": unknown type %u", r->path, at, e->type);
			return -1;
		}
		if (e->cpu >= r->ncpus || (e->target != IPT_NO_CPU && e->target >= r->ncpus)) {
			snprintf(err, errlen, "%s: corrupted event at byte offset %" PRIu64
				 ": CPU %u -> %d outside the recording's %u CPUs", r->path, at, e->cpu,
				 (int)e->target, r->ncpus);
			return -1;
		}
		if (e->type != IPT_EV_CSD_QUEUE && e->type != IPT_EV_LOST && e->kind >= IPT_MSG__MAX) {
			snprintf(err, errlen, "%s: corrupted event at byte offset %" PRIu64
				 ": message kind %u", r->path, at, e->kind);
			return -1;
		}
	}
	r->events_seen += cnt;
	*ev = r->buf;
	*n = cnt;
	return 1;
}

void rec_free(struct rec_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->path);
	free(r->secs);
	free(r->meta);
	free(r->plan);
	free(r->irq[0]);
	free(r->irq[1]);
	ksyms_free(&r->syms);
	free(r->cpu_stats);
	free(r->buf);
	free(r);
}

const struct ipt_file_header *rec_header(const struct rec_reader *r) { return &r->hdr; }
const char *rec_plan(const struct rec_reader *r) { return r->plan; }
const struct ksyms *rec_symbols(const struct rec_reader *r) { return &r->syms; }
const struct ipt_trailer *rec_trailer(const struct rec_reader *r) { return &r->trailer; }
const struct ipt_cpu_stats *rec_cpu_stats(const struct rec_reader *r) { return r->cpu_stats; }
unsigned rec_ncpus(const struct rec_reader *r) { return r->ncpus; }

const char *rec_irq(const struct rec_reader *r, int end, uint64_t *mono)
{
	if (mono)
		*mono = r->irq_ns[!!end];
	return r->irq[!!end];
}

void rec_irq_span(const struct rec_reader *r, int end, uint64_t *before, uint64_t *after)
{
	*before = r->irq_before[!!end];
	*after = r->irq_after[!!end];
}
