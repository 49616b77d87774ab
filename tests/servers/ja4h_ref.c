// SPDX-License-Identifier: BSD-3-Clause
/*
 * The expectation side of the server tests: reads the bytes a client sent (one request head
 * per file argument, or stdin) and prints "ja4h=..." as the fingerprint library computes it,
 * or "ja4h=" when this build has no JA4+ builders.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ja4probe/fingerprint.h>

static uint8_t buf[FP_HTTP_MAX_HEAD];
static struct fp_http_request req;

static int ja4h_ref_one(FILE *f)
{
	size_t len = fread(buf, 1, sizeof(buf), f);
	int rc = fp_http_parse_request(buf, len, &req);

	if (rc) {
		fprintf(stderr, "ja4h_ref: not a complete request head (%s)\n", strerror(-rc));
		return 1;
	}
#if FP_HAVE_JA4PLUS
	struct fp_ja4h out;

	rc = fp_ja4h(buf, &req, &out);
	if (rc) {
		fprintf(stderr, "ja4h_ref: fp_ja4h: %s\n", strerror(-rc));
		return 1;
	}
	printf("ja4h=%s\n", out.ja4h);
#else
	printf("ja4h=\n");
#endif
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return ja4h_ref_one(stdin);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");

		if (!f) {
			fprintf(stderr, "ja4h_ref: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		status |= ja4h_ref_one(f);
		fclose(f);
	}
	return status;
}
