/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ipitrace recording file, version 1.  docs/recording-format.md is the
 * prose description; this header is the definition.
 *
 *   file header                      struct ipt_file_header, at offset 0
 *   section META                     text, "key=value\n" lines
 *   section PLAN                     text, one line per event kind
 *   section IRQ_START                text, "mono_ns=N\n" + /proc/interrupts
 *   section EVENTS  (zero or more)   struct ipt_event[length / event_size]
 *   section IRQ_END                  as IRQ_START, at the end
 *   section SYMBOLS                  binary, see below
 *   section TRAILER                  struct ipt_trailer + per-CPU stats
 *
 * Every section is a struct ipt_section followed by `length` payload bytes
 * whose zlib crc32 is `crc`.  TRAILER is last; a file without one was cut
 * short (the recorder died) and is reported as truncated.  All integers are
 * in the byte order of the recording machine; `endian` tells a reader on
 * another order that it cannot read the file.
 */
#ifndef IPITRACE_FORMAT_H
#define IPITRACE_FORMAT_H

#include "ipitrace/events.h"

#define IPT_MAGIC		"IPITRACE"	/* 8 bytes, no NUL */
#define IPT_FORMAT_VERSION	1
#define IPT_ENDIAN_MARK		0x01020304u

#define IPT_F_NO_ADDRESSES	0x1	/* kernel addresses rewritten */

struct ipt_file_header {
	char  magic[8];
	__u32 version;
	__u32 header_size;	/* sizeof(struct ipt_file_header) */
	__u32 event_size;	/* sizeof(struct ipt_event) */
	__u32 flags;		/* IPT_F_* */
	__u32 endian;		/* IPT_ENDIAN_MARK */
	__u32 reserved;
};

#define IPT_SEC_META		1
#define IPT_SEC_PLAN		2
#define IPT_SEC_IRQ_START	3
#define IPT_SEC_EVENTS		4
#define IPT_SEC_IRQ_END		5
#define IPT_SEC_SYMBOLS		6
#define IPT_SEC_TRAILER		7
#define IPT_SEC__MAX		8

struct ipt_section {
	__u32 type;		/* IPT_SEC_* */
	__u32 crc;		/* crc32 of the payload */
	__u64 length;		/* payload bytes */
};

/* Sanity bounds a reader enforces before it allocates anything. */
#define IPT_MAX_TEXT_SECTION	(4u << 20)	/* META, PLAN, IRQ_* */
#define IPT_MAX_SYMBOLS_SECTION	(64u << 20)
#define IPT_MAX_EVENTS_SECTION	(64u << 20)
#define IPT_MAX_CPUS		8192

/*
 * SYMBOLS payload: __u32 count, then `count` entries of
 *   __u64 addr; __u32 size; __u16 name_len; char name[name_len];
 * sorted by addr.  Only the symbols the events reference.  With
 * IPT_F_NO_ADDRESSES, addr is a stand-in (IPT_NOADDR_BASE + i << 24), the
 * events' func/callsite are rewritten to stand-in + offset, and csd pointers
 * are replaced by a keyed hash whose key is not kept.
 */
#define IPT_NOADDR_BASE		0x5afe000000000000ull	/* non-canonical on x86-64,
						 * not a powerpc kernel address */
#define IPT_NOADDR_SHIFT	24

/*
 * A synthetic record the recorder inserts when events were lost: ts = start
 * of the window, callsite = its end, func = how many.  kind tells which
 * loss: IPT_LOST_RING (a full ring on CPU `cpu`; the window ends at the last
 * drop's timestamp) or IPT_LOST_RECURSION (the kernel skipped a BPF program
 * because it was already running on that CPU; which CPU is not known, so the
 * window applies to every CPU).
 */
#define IPT_EV_LOST		32
#define IPT_LOST_RING		0
#define IPT_LOST_RECURSION	1

struct ipt_trailer {
	__u64 events;		/* records in all EVENTS sections */
	__u64 start_ns;		/* CLOCK_MONOTONIC: every hook attached */
	__u64 end_ns;		/* CLOCK_MONOTONIC: detach began */
	__u64 ring_dropped;	/* sum of per-CPU dropped */
	__u64 recursion_misses;	/* BPF programs skipped by the kernel */
	__u32 ncpus;		/* entries in per_cpu[] */
	__u32 reserved;
	/* followed by struct ipt_cpu_stats per_cpu[ncpus] */
};

#endif /* IPITRACE_FORMAT_H */
