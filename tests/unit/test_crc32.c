// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The recordings' CRC-32 (user/crc32.c) against zlib's crc32(): any
 * length, any alignment, fed whole or in pieces. */
#include "crc32.h"
#include "unit.h"

#include <zlib.h>

#define BUFSZ (1u << 20)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char *random_buf(size_t n)
{
	unsigned char *b = malloc(n);

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)next();
	return b;
}

static uint32_t zlib_crc(uint32_t crc, const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(crc, p, (uInt)n);
}

static void known_values(void)
{
	CHECK_EQ(ipt_crc32(0, "123456789", 9), 0xcbf43926);
	CHECK_EQ(ipt_crc32(0, "", 0), 0);
	CHECK_EQ(ipt_crc32(0x12345678, "", 0), 0x12345678);
	CHECK_EQ(ipt_crc32_portable(0, "123456789", 9), 0xcbf43926);
	{
		/* 256 zero bytes: the fold path with nothing but the seed. */
		unsigned char z[256] = {0};

		CHECK_EQ(ipt_crc32(0, z, sizeof(z)), zlib_crc(0, z, sizeof(z)));
	}
}

/* Every length 0..1100 (below, at and past each 16- and 64-byte step) at
 * every offset 0..15 from an aligned start. */
static void lengths_and_alignments(void)
{
	unsigned char *b = random_buf(2048);

	for (size_t off = 0; off < 16 && !unit_failed; off++)
		for (size_t len = 0; len <= 1100 && !unit_failed; len++) {
			uint32_t want = zlib_crc(0, b + off, len), got = ipt_crc32(0, b + off, len);

			CHECK(got == want, "offset %zu length %zu: 0x%08x, zlib 0x%08x", off, len,
			      got, want);
		}
	free(b);
}

/* Random lengths up to 1 MiB at random offsets, random seeds. */
static void random_lengths(void)
{
	unsigned char *b = random_buf(BUFSZ + 64);

	for (int i = 0; i < 300 && !unit_failed; i++) {
		size_t off = next() % 64, len = next() % BUFSZ;
		uint32_t seed = i % 3 ? (uint32_t)next() : 0;
		uint32_t want = zlib_crc(seed, b + off, len), got = ipt_crc32(seed, b + off, len);

		CHECK(got == want, "seed 0x%08x offset %zu length %zu: 0x%08x, zlib 0x%08x", seed,
		      off, len, got, want);
	}
	free(b);
}

/* One section of a recording's full EVENTS chunk (16384 events of 48 bytes):
 * the size report checks most. */
static void events_chunk(void)
{
	size_t len = 16384 * 48;
	unsigned char *b = random_buf(len);

	CHECK_EQ(ipt_crc32(0, b, len), zlib_crc(0, b, len));
	CHECK_EQ(ipt_crc32_portable(0, b, len), zlib_crc(0, b, len));
	free(b);
}

/* Fed in pieces, each continuing from the last result: the same CRC as one
 * call, whatever the cut points. */
static void incremental(void)
{
	size_t len = 200000;
	unsigned char *b = random_buf(len);
	uint32_t whole = zlib_crc(0, b, len);

	for (int i = 0; i < 200 && !unit_failed; i++) {
		uint32_t c = 0;
		size_t pos = 0, pieces = 0;

		while (pos < len) {
			/* Mostly short pieces, some long ones. */
			size_t n = next() % (i % 2 ? 100 : 20000);

			if (n > len - pos)
				n = len - pos;
			c = ipt_crc32(c, b + pos, n);
			pos += n;
			pieces++;
		}
		CHECK(c == whole, "round %d, %zu pieces: 0x%08x, zlib 0x%08x", i, pieces, c, whole);
	}
	free(b);
}

/* On an x86-64 CPU with carry-less multiply, the fast path is the one
 * taken (otherwise the cases above would only test zlib against itself). */
static void fast_path_used(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1"))
		CHECK(!strcmp(ipt_crc32_impl(), "pclmul"), "impl %s", ipt_crc32_impl());
	else
		CHECK(!strcmp(ipt_crc32_impl(), "zlib"), "impl %s", ipt_crc32_impl());
#else
	CHECK(!strcmp(ipt_crc32_impl(), "zlib"), "impl %s", ipt_crc32_impl());
#endif
}

UNIT_MAIN(CASE(known_values), CASE(lengths_and_alignments), CASE(random_lengths),
	  CASE(events_chunk), CASE(incremental), CASE(fast_path_used))
