/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A minimal streaming JSON writer: commas and escaping done right. */
#ifndef IPT_JSON_H
#define IPT_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	int first[JSON_MAX_DEPTH];	/* no element written yet at this level */
	int pretty;
	int after_key;			/* a key was written, value comes next */
};

void json_init(struct json *j, FILE *f, int pretty);
void json_obj_begin(struct json *j);	/* { (as a value) */
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* Finish the document with a newline. */
void json_end(struct json *j);

/* key + value shorthands */
static inline void json_kstr(struct json *j, const char *k, const char *v) { json_key(j, k); json_str(j, v); }
static inline void json_ku64(struct json *j, const char *k, uint64_t v) { json_key(j, k); json_u64(j, v); }
static inline void json_kdouble(struct json *j, const char *k, double v) { json_key(j, k); json_double(j, v); }
static inline void json_kbool(struct json *j, const char *k, int v) { json_key(j, k); json_bool(j, v); }

/* Escape s as a JSON string body into f (no quotes). */
void json_escape(FILE *f, const char *s);

#endif
