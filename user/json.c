// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "json.h"

#include <inttypes.h>
#include <math.h>

void json_init(struct json *j, FILE *f, int pretty)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = 1;
	j->pretty = pretty;
	j->after_key = 0;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Before any value or key: a comma if needed, and the indentation. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (j->depth)
		indent(j);
}

static void open(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = 1;
}

static void close_(struct json *j, char c)
{
	int empty = j->first[j->depth];

	if (j->depth)
		j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_escape(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	fputc('"', j->f);
	json_escape(j->f, key);
	fputs(j->pretty ? "\": " : "\":", j->f);
	j->after_key = 1;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	fputc('"', j->f);
	json_escape(j->f, s ? s : "");
	fputc('"', j->f);
}

void json_u64(struct json *j, uint64_t v) { sep(j); fprintf(j->f, "%" PRIu64, v); }
void json_i64(struct json *j, int64_t v) { sep(j); fprintf(j->f, "%" PRId64, v); }
void json_bool(struct json *j, int v) { sep(j); fputs(v ? "true" : "false", j->f); }
void json_null(struct json *j) { sep(j); fputs("null", j->f); }

void json_double(struct json *j, double v)
{
	sep(j);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);	/* ns precision for times in s */
	else
		fputs("null", j->f);
}

void json_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
