/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* SipHash-2-4 of one 64-bit word: `record --no-addresses` replaces csd
 * pointers by a keyed hash (equal pointers stay equal) with a random key
 * that is never written anywhere. */
#ifndef IPT_SIPHASH_H
#define IPT_SIPHASH_H
#include <stdint.h>
uint64_t siphash_u64(const uint64_t key[2], uint64_t m);
#endif
