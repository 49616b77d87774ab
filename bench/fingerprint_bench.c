// SPDX-License-Identifier: BSD-3-Clause
/*
 * Parse + fingerprint rate of the fingerprint library on one core: ClientHellos per second
 * (parse, then JA4 with its raw forms and JA3) and HTTP request heads per second (parse,
 * then JA4H when built with ja4plus), each next to the parse-only rate measured in the same
 * run. Inputs are files of hex lines, one message per line (fingerprint_bench.sh extracts
 * them from the FoxIO captures with tshark).
 *
 * The library remembers recent digests (fp_hash.c), and cycling through a few messages hits
 * that memo on every hash; so each fingerprint rate is given twice: with the messages as
 * they are (repeated, as fingerprints are in real traffic) and with every message made
 * distinct (one cipher suite of each hello, three letters of one header name of each head,
 * changed per call), where every hash misses the memo.
 *
 * usage: fingerprint_bench [-t SECONDS] tls:FILE http:FILE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ja4probe/fingerprint.h>

#define MAX_MSGS 256
#define MAX_MSG 65536

struct input {
	uint8_t *data[MAX_MSGS];
	size_t len[MAX_MSGS];
	size_t n;
};

static struct fp_tls_hello hello;
static struct fp_http_request req;
static struct fp_ja4 ja4;
static struct fp_ja3 ja3;
static volatile unsigned sink;
static bool distinct;		/* make each message differ from every other one */
static unsigned long calls;

enum mode { PARSE, REPEATED, DISTINCT };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct input *in)
{
	static char line[2 * MAX_MSG + 2];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "fingerprint_bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (in->n < MAX_MSGS && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n") / 2;
		uint8_t *d = malloc(n ? n : 1);

		if (!d)
			break;
		for (size_t i = 0; i < n; i++) {
			unsigned v = 0;

			sscanf(line + 2 * i, "%2x", &v);
			d[i] = (uint8_t)v;
		}
		in->data[in->n] = d;
		in->len[in->n++] = n;
	}
	fclose(f);
	return in->n ? 0 : -ENODATA;
}

static int tls_one(const uint8_t *d, size_t n, bool fingerprint)
{
	size_t consumed;
	int err = fp_tls_parse_hello(d, n, &hello, &consumed);

	if (err || !hello.client)
		return err ? err : -EINVAL;
	if (fingerprint && distinct && hello.n_ciphers)
		hello.ciphers[0] = (uint16_t)(0x1000 + calls++ % 0xe000);	/* never GREASE */
	if (fingerprint) {
		err = fp_ja4(&hello, FP_TRANSPORT_TCP, &ja4);
		if (!err)
			err = fp_ja3(&hello, &ja3);
		sink += (unsigned)ja4.ja4[12] + (unsigned)ja3.ja3[0];
	}
	return err;
}

/* Three letters of the first header name of 4+ bytes, in place, from the call count. */
static void http_make_distinct(uint8_t *d)
{
	for (size_t i = 0; i < req.n_headers; i++) {
		struct fp_span name = req.headers[i].name;
		unsigned long v = calls++;

		if (name.len < 4)
			continue;
		for (size_t k = 1; k <= 3; k++, v /= 26)
			d[name.off + name.len - k] = (uint8_t)('a' + v % 26);
		return;
	}
}

static int http_one(const uint8_t *d, size_t n, bool fingerprint)
{
	int err = fp_http_parse_request(d, n, &req);

	if (!err && fingerprint && distinct)
		http_make_distinct((uint8_t *)d);

#if FP_HAVE_JA4PLUS
	if (!err && fingerprint) {
		static struct fp_ja4h ja4h;

		err = fp_ja4h(d, &req, &ja4h);
		sink += (unsigned)ja4h.ja4h[14];
	}
#else
	(void)fingerprint;
#endif
	return err;
}

/* Messages per second over 'seconds', cycling through the inputs that parse. */
static double rate(const struct input *in, int (*one)(const uint8_t *, size_t, bool),
		   enum mode mode, double seconds)
{
	bool fingerprint = mode != PARSE;
	double start = now(), t;
	unsigned long done = 0;

	distinct = mode == DISTINCT;
	do {
		for (int k = 0; k < 1000; k++) {
			size_t i = done % in->n;

			one(in->data[i], in->len[i], fingerprint);
			done++;
		}
		t = now() - start;
	} while (t < seconds);
	return (double)done / t;
}

static void report(const char *what, const struct input *in,
		   int (*one)(const uint8_t *, size_t, bool), double seconds)
{
	size_t ok = 0;
	double parse, full, fresh;

	distinct = false;
	for (size_t i = 0; i < in->n; i++)
		ok += one(in->data[i], in->len[i], true) == 0;
	parse = rate(in, one, PARSE, seconds);
	full = rate(in, one, REPEATED, seconds);
	fresh = rate(in, one, DISTINCT, seconds);
	printf("%-13s %3zu inputs (%zu parse)  parse only %10.0f/s  parse+fingerprint %10.0f/s"
	       " repeated, %10.0f/s distinct\n", what, in->n, ok, parse, full, fresh);
}

int main(int argc, char **argv)
{
	static struct input tls, http;
	double seconds = 2.0;
	int opt;

	while ((opt = getopt(argc, argv, "t:")) != -1)
		if (opt == 't')
			seconds = atof(optarg);
	for (int i = optind; i < argc; i++) {
		int err = -EINVAL;

		if (!strncmp(argv[i], "tls:", 4))
			err = load(argv[i] + 4, &tls);
		else if (!strncmp(argv[i], "http:", 5))
			err = load(argv[i] + 5, &http);
		if (err) {
			fprintf(stderr, "usage: %s [-t SECONDS] tls:FILE http:FILE\n", argv[0]);
			return 2;
		}
	}
	printf("one core, %.1f s per figure, JA4+ %s\n", seconds,
	       FP_HAVE_JA4PLUS ? "built (JA4H on HTTP heads)" : "not built (HTTP: parse only)");
	if (tls.n)
		report("ClientHellos", &tls, tls_one, seconds);
	if (http.n)
		report("HTTP heads", &http, http_one, seconds);
	return sink == 0xffffffff;
}
