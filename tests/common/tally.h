/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checks of a C test program, counted as tests/common/tally.py counts a script's: each
 * check counted, a failure printed with its message, and a closing "N passed, M failed"
 * line; the exit status fails the test when one check did.
 */
#ifndef JA4PROBE_TALLY_H
#define JA4PROBE_TALLY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tally_passed, tally_failed;

/* One check; a failure prints "FAIL " and the message (a printf format). Returns cond. */
static inline __attribute__((format(printf, 2, 3))) bool expect(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		tally_passed++;
		return true;
	}
	tally_failed++;
	fputs("FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

/* The closing line; the program's exit status. */
static inline int tally_close(void)
{
	printf("%d passed, %d failed\n", tally_passed, tally_failed);
	return tally_failed ? 1 : 0;
}

#endif /* JA4PROBE_TALLY_H */
