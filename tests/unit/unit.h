/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tiny test harness: each TEST() prints "PASS name" or "FAIL name: why"
 * (one line each), which tests/run counts.  CHECK() records the first
 * failure of a test and lets it continue, so one run shows every problem.
 */
#ifndef IPT_UNIT_H
#define IPT_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
};

extern int unit_failed;
extern char unit_why[512];

#define CHECK(cond, ...) do {							\
	if (!(cond) && !unit_failed) {						\
		int n_ = snprintf(unit_why, sizeof(unit_why), "%s:%d: %s: ",	\
				  __FILE__, __LINE__, #cond);			\
		snprintf(unit_why + n_, sizeof(unit_why) - n_, __VA_ARGS__);	\
		unit_failed = 1;						\
	}									\
} while (0)

#define CHECK_EQ(a, b) CHECK((uint64_t)(a) == (uint64_t)(b),			\
	"%s = %" PRIu64 ", expected %" PRIu64, #a, (uint64_t)(a), (uint64_t)(b))

#define UNIT_MAIN(...)								\
int unit_failed;								\
char unit_why[512];								\
int main(int argc, char **argv)							\
{										\
	static const struct unit_case cases[] = { __VA_ARGS__ };		\
	int fails = 0;								\
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {	\
		if (argc > 1 && strcmp(argv[1], cases[i].name))			\
			continue;						\
		unit_failed = 0;						\
		cases[i].fn();							\
		if (unit_failed)						\
			printf("FAIL %s: %s\n", cases[i].name, unit_why);	\
		else								\
			printf("PASS %s\n", cases[i].name);			\
		fails += unit_failed;						\
		fflush(stdout);							\
	}									\
	return fails ? 1 : 0;							\
}

#define CASE(fn) { #fn, fn }

#endif
