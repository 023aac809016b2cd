// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ipt_verbose;

static void vmsg(const char *pfx, const char *fmt, va_list ap)
{
	fprintf(stderr, "ipitrace: %s", pfx);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ipt_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void ipt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void ipt_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		ipt_err("out of memory (%zu x %zu bytes)", n, size);
		exit(EXIT_FAIL);
	}
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		ipt_err("out of memory (%zu bytes)", size);
		exit(EXIT_FAIL);
	}
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		ipt_err("out of memory");
		exit(EXIT_FAIL);
	}
	return d;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t real_ns(void) { return clock_ns(CLOCK_REALTIME); }

static int parse_uint(const char **p, unsigned long *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoul(*p, &end, 10);
	if (errno)
		return -1;
	*p = end;
	return 0;
}

int parse_cpu_list(const char *s, uint64_t *bits, unsigned nbits, char *err,
		   size_t errlen)
{
	const char *p = s;

	memset(bits, 0, (nbits + 63) / 64 * 8);
	if (!*p) {
		snprintf(err, errlen, "empty CPU list");
		return -1;
	}
	while (*p) {
		unsigned long a, b;

		if (parse_uint(&p, &a)) {
			snprintf(err, errlen, "expected a CPU number at '%s'", p);
			return -1;
		}
		b = a;
		if (*p == '-') {
			p++;
			if (parse_uint(&p, &b)) {
				snprintf(err, errlen, "expected a CPU number after '-' at '%s'", p);
				return -1;
			}
		}
		if (b < a) {
			snprintf(err, errlen, "range %lu-%lu goes backwards", a, b);
			return -1;
		}
		if (b >= nbits) {
			snprintf(err, errlen, "CPU %lu is beyond the %u CPUs this kernel can have", b, nbits);
			return -1;
		}
		for (unsigned long c = a; c <= b; c++)
			bits[c / 64] |= 1ull << (c % 64);
		if (*p == ',')
			p++;
		else if (*p) {
			snprintf(err, errlen, "unexpected '%c' (use a list like 0-3,8)", *p);
			return -1;
		}
	}
	return 0;
}

unsigned possible_cpus(void)
{
	char *s = read_file("/sys/devices/system/cpu/possible", NULL);
	unsigned n = 1;
	char *p;

	if (!s)
		return 1;
	/* "0-3" or "0" or "0-3,5": the highest number + 1. */
	for (p = s; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			unsigned long v = strtoul(p, &p, 10);

			if (v + 1 > n)
				n = v + 1;
			p--;
		}
	}
	free(s);
	return n;
}

int parse_duration_ns(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || isinf(v))
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		v *= 1e9;
	else if (!strcmp(end, "ms"))
		v *= 1e6;
	else if (!strcmp(end, "us"))
		v *= 1e3;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		v *= 60e9;
	else
		return -1;
	if (v > 1e18)
		return -1;
	*ns = (uint64_t)v;
	return 0;
}

int parse_size_bytes(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': case '\0': v <<= 20; if (*end) end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*bytes = v;
	return 0;
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = xcalloc(1, cap);
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (n < cap - 1) {
			if (ferror(f)) {
				int e = errno;

				fclose(f);
				free(buf);
				errno = e;
				return NULL;
			}
			break;
		}
		cap *= 2;
		buf = xrealloc(buf, cap);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}
