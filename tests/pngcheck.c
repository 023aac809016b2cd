// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pngcheck - is a screenshot blank, and does it show a given colour?
 *
 *   pngcheck FILE.png RRGGBB
 *
 * Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium's
 * --screenshot writes) with zlib and prints one line:
 *
 *   width=W height=H pixels=N nonwhite=N colours=N match=N
 *
 * nonwhite counts pixels that are not near white, colours the distinct
 * colours (capped at 4096), match the pixels within 12 per channel of
 * RRGGBB.  Exit 0, or 1 with a reason on a file it cannot decode.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int die(const char *why)
{
	fprintf(stderr, "pngcheck: %s\n", why);
	return 1;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

int main(int argc, char **argv)
{
	FILE *f;
	unsigned char *buf = NULL, *idat = NULL, *raw;
	size_t len = 0, cap = 0, nidat = 0;
	uint32_t w = 0, h = 0, want;
	int bpp = 0, ctype;
	uLongf rawlen;

	if (argc != 3 || strlen(argv[2]) != 6)
		return fprintf(stderr, "usage: pngcheck FILE.png RRGGBB\n"), 2;
	want = strtoul(argv[2], NULL, 16);
	f = fopen(argv[1], "rb");
	if (!f)
		return die("cannot open the file");
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				return die("out of memory");
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (len < 8 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8))
		return die("not a PNG");
	for (size_t o = 8; o + 12 <= len;) {
		uint32_t n = be32(buf + o);
		const unsigned char *type = buf + o + 4, *d = buf + o + 8;

		if (o + 12 + (size_t)n > len)
			return die("truncated chunk");
		if (!memcmp(type, "IHDR", 4)) {
			w = be32(d);
			h = be32(d + 4);
			ctype = d[9];
			if (d[8] != 8 || (ctype != 2 && ctype != 6) || d[12])
				return die("only 8-bit RGB/RGBA non-interlaced PNGs");
			bpp = ctype == 6 ? 4 : 3;
		} else if (!memcmp(type, "IDAT", 4)) {
			idat = realloc(idat, nidat + n);
			if (!idat)
				return die("out of memory");
			memcpy(idat + nidat, d, n);
			nidat += n;
		} else if (!memcmp(type, "IEND", 4)) {
			break;
		}
		o += 12 + (size_t)n;
	}
	if (!bpp || !w || !h || w > 20000 || h > 20000)
		return die("no usable IHDR");
	rawlen = (uLongf)h * (1 + (uLongf)w * bpp);
	raw = malloc(rawlen);
	if (!raw || uncompress(raw, &rawlen, idat, nidat) != Z_OK ||
	    rawlen != (uLongf)h * (1 + (uLongf)w * bpp))
		return die("bad image data");

	size_t stride = (size_t)w * bpp, nonwhite = 0, match = 0, ncol = 0;
	static uint32_t cols[4096];
	unsigned char *prev = calloc(stride, 1);

	for (uint32_t y = 0; y < h; y++) {
		unsigned char *row = raw + y * (stride + 1), ft = row[0], *p = row + 1;

		for (size_t i = 0; i < stride; i++) {
			int a = i >= (size_t)bpp ? p[i - bpp] : 0, b = prev[i];
			int c = i >= (size_t)bpp ? prev[i - bpp] : 0;

			switch (ft) {
			case 0: break;
			case 1: p[i] += a; break;
			case 2: p[i] += b; break;
			case 3: p[i] += (a + b) / 2; break;
			case 4: p[i] += paeth(a, b, c); break;
			default: return die("bad filter type");
			}
		}
		for (uint32_t x = 0; x < w; x++) {
			const unsigned char *px = p + x * bpp;
			uint32_t rgb = (uint32_t)px[0] << 16 | px[1] << 8 | px[2];
			size_t k;

			if (px[0] < 240 || px[1] < 240 || px[2] < 240)
				nonwhite++;
			if (abs(px[0] - (int)(want >> 16)) <= 12 && abs(px[1] - (int)(want >> 8 & 255)) <= 12 &&
			    abs(px[2] - (int)(want & 255)) <= 12)
				match++;
			for (k = 0; k < ncol && cols[k] != rgb; k++)
				;
			if (k == ncol && ncol < 4096)
				cols[ncol++] = rgb;
		}
		memcpy(prev, p, stride);
	}
	printf("width=%u height=%u pixels=%zu nonwhite=%zu colours=%zu match=%zu\n", w, h,
	       (size_t)w * h, nonwhite, ncol, match);
	free(prev);
	free(raw);
	free(idat);
	free(buf);
	return 0;
}
