/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CRC-32 of recording sections: zlib's crc32() (the gzip/PNG polynomial,
 * reflected 0xedb88320), so recordings stay readable by any zlib, Python's
 * zlib.crc32 included.  Same calling convention: start from 0, feed the
 * previous result back to continue.  On x86-64 with PCLMULQDQ (every CPU
 * since 2010) the bulk is folded 64 bytes at a time; elsewhere, and for
 * the tail, zlib computes it.
 */
#ifndef IPT_CRC32_H
#define IPT_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t ipt_crc32(uint32_t crc, const void *buf, size_t len);
/* zlib alone, whatever the CPU: the reference the tests compare against. */
uint32_t ipt_crc32_portable(uint32_t crc, const void *buf, size_t len);
/* Which path ipt_crc32() takes here: "pclmul" or "zlib". */
const char *ipt_crc32_impl(void);
#endif
