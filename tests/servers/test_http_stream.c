// SPDX-License-Identifier: BSD-3-Clause
/*
 * http_stream (lib/decode) against the tests' host (tests/common): heads split at every
 * byte, pipelined heads, bodies by Content-Length and chunked, heads over the limit, capture
 * gaps, non-HTTP bytes, closes, eviction, responses paired in order. Expected JA4H values
 * come from the fingerprint library run on the whole head; expected counts from the inputs
 * built here.
 * Closes with "N passed, M failed".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <ja4probe/http_stream.h>

#include "tally.h"
#include "test_host.h"

static struct th_host *th;

/* field path ("http.path") of event i, "" when absent */
static const char *ev(size_t i, const char *path)
{
	const char *v = th_field(th, i, path);

	return v ? v : "";
}

static uint64_t counter(const char *name)
{
	return th_counter_value(th, name);
}

static const uint8_t addr4[4] = { 127, 0, 0, 1 };

static struct http_stream_info info(uint64_t mono_ns)
{
	return (struct http_stream_info){ .family = AF_INET, .src_addr = addr4,
					  .dst_addr = addr4, .src_port = 40000,
					  .dst_port = 80, .pid = 1, .tid = 1,
					  .mono_ns = mono_ns };
}

static struct http_streams *fresh(uint32_t max_head, uint32_t max_streams, bool responses)
{
	struct http_stream_config cfg = { .max_head = max_head, .max_streams = max_streams,
					  .responses = responses };

	th_free(th);
	th = th_new("http_stream", true);
	return http_streams_new(th_services(th), &cfg);
}

static void feed(struct http_streams *s, uint64_t id, const char *data, size_t len, size_t total)
{
	struct http_stream_key key = { .pid = 1, .fd = 5, .id = id };
	struct http_stream_info in = info(1000);

	http_stream_data(s, &key, &in, (const uint8_t *)data, len, total);
}

static void feed_str(struct http_streams *s, const char *data)
{
	feed(s, 1, data, strlen(data), strlen(data));
}

/* The library's JA4H of a whole head ("" without the JA4+ builders). */
static void ja4h_of(const char *head, char *out, size_t size)
{
	static struct fp_http_request req;

	out[0] = '\0';
	if (fp_http_parse_request((const uint8_t *)head, strlen(head), &req))
		return;
#if FP_HAVE_JA4PLUS
	struct fp_ja4h j;

	if (!fp_ja4h((const uint8_t *)head, &req, &j))
		snprintf(out, size, "%s", j.ja4h);
#else
	(void)size;
#endif
}

static const char HEAD[] = "GET /split/path?x=1 HTTP/1.1\r\nHost: example.com\r\n"
			   "User-Agent: test/1\r\nAccept: */*\r\nCookie: a=1; b=2\r\n\r\n";

static void test_split_everywhere(void)
{
	size_t len = strlen(HEAD), bad = 0;
	char want[64];

	ja4h_of(HEAD, want, sizeof(want));
	expect(!FP_HAVE_JA4PLUS || want[0], "the library gives a JA4H for the head");
	for (size_t cut = 1; cut < len; cut++) {
		struct http_streams *s = fresh(16384, 16, false);

		feed(s, 1, HEAD, cut, cut);
		feed(s, 1, HEAD + cut, len - cut, len - cut);
		if (th_count(th) != 1 || strcmp(ev(0, "http.path"), "/split/path?x=1") ||
		    strcmp(ev(0, "http.ja4h"), want))
			bad++;
		http_streams_free(s);
	}
	expect(bad == 0, "a head cut in two at each of %zu places: %zu wrong", len - 1, bad);

	struct http_streams *s = fresh(16384, 16, false);

	for (size_t i = 0; i < len; i++)
		feed(s, 1, HEAD + i, 1, 1);
	expect(th_count(th) == 1 && !strcmp(ev(0, "http.ja4h"), want),
	       "a head read byte by byte: %zu", th_count(th));
	http_streams_free(s);
}

static void test_pipelined_and_bodies(void)
{
	struct http_streams *s = fresh(16384, 16, false);

	feed_str(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
		    "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 3 && !strcmp(ev(0, "http.path"), "/a") &&
	       !strcmp(ev(1, "http.path"), "/b") && !strcmp(ev(2, "http.path"), "/c"),
	       "three pipelined heads: %zu events", th_count(th));
	/* a counted body that itself looks like a request, split over reads */
	feed_str(s, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 39\r\n\r\nGET /no HTTP/1.1");
	feed_str(s, "\r\nHost: y\r\n\r\n0123456789GET /d HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 5 && !strcmp(ev(3, "http.path"), "/p") &&
	       !strcmp(ev(4, "http.path"), "/d"),
	       "Content-Length body skipped: %zu events, last %s", th_count(th),
	       th_count(th) ? ev(th_count(th) - 1, "http.path") : "");
	/* the CRLF some clients send after a body, before the next request line */
	feed_str(s, "POST /crlf HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab\r\n"
		    "GET /after-crlf HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 7 && !strcmp(ev(6, "http.path"), "/after-crlf"),
	       "empty line before a request line: %zu events", th_count(th));
	/* chunked: unknown length, the next read that starts a request is one */
	feed_str(s, "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n");
	feed_str(s, "hello\r\n0\r\n\r\n");
	feed_str(s, "GET /e HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 9 && !strcmp(ev(8, "http.path"), "/e"),
	       "chunked body: %zu events", th_count(th));
	expect(counter("http_parse_errors") == 0 && counter("http_not_request") == 0,
	       "no errors counted for valid streams");
	http_streams_free(s);
}

static void test_limits_and_gaps(void)
{
	struct http_streams *s = fresh(256, 16, false);
	char big[600];

	snprintf(big, sizeof(big), "GET /big HTTP/1.1\r\nHost: x\r\nX-Long: %0500d\r\n\r\n", 7);
	feed_str(s, big);
	expect(th_count(th) == 0 && counter("http_heads_truncated") == 1,
	       "a head over max_head: %zu events, %llu truncated", th_count(th),
	       (unsigned long long)counter("http_heads_truncated"));
	feed_str(s, "GET /after-big HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 1 && !strcmp(ev(0, "http.path"), "/after-big"),
	       "the next request is read");
	http_streams_free(s);

	/* a read the capture cut short in the middle of a head */
	s = fresh(16384, 16, false);
	feed(s, 1, HEAD, 20, 4000);
	feed_str(s, "Host: y\r\n\r\n");
	expect(th_count(th) == 0 && counter("http_heads_truncated") == 1, "a gap inside a head");
	feed_str(s, "GET /after-gap HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 1 && !strcmp(ev(0, "http.path"), "/after-gap"),
	       "the read after a gap");
	/* a gap inside a counted body keeps the count */
	feed_str(s, "POST /q HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
	feed(s, 1, "xxxx", 4, 4990);
	feed_str(s, "abcdefghijGET /r HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(th_count(th) == 3 && !strcmp(ev(2, "http.path"), "/r"),
	       "a gap inside a body: %zu events", th_count(th));
	/* not HTTP at all */
	feed_str(s, "\x01\x02\x03\x04 binary protocol bytes, not a request");
	expect(counter("http_not_request") == 1, "non-HTTP bytes counted");
	http_streams_free(s);
}

static void test_close_and_evict(void)
{
	struct http_streams *s = fresh(16384, 2, false);
	struct http_stream_key k = { .pid = 1, .fd = 5, .id = 1 };

	feed(s, 1, HEAD, 10, 10);
	http_stream_close(s, &k);
	expect(http_streams_count(s) == 0 && counter("http_heads_truncated") == 1,
	       "close in the middle of a head");
	feed(s, 1, HEAD, 10, 10);
	feed(s, 2, HEAD, 10, 10);
	feed(s, 3, HEAD, 10, 10);
	expect(http_streams_count(s) == 2 && counter("http_streams_evicted") == 1,
	       "eviction beyond max_streams");
	/* a reused fd (new id) starts clean */
	feed(s, 4, HEAD, strlen(HEAD), strlen(HEAD));
	expect(th_count(th) == 1, "a new connection on the same fd");
	http_streams_free(s);
}

static void test_responses(void)
{
	struct http_streams *s = fresh(16384, 16, true);
	struct http_stream_key key = { .pid = 1, .fd = 5, .id = 1 };
	struct http_stream_info at = info(5000000);
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
	const char *nf = "HTTP/1.1 404 Not Found\r\n";

	feed_str(s, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
	http_stream_response(s, &key, &at, (const uint8_t *)ok, strlen(ok));
	http_stream_response(s, &key, &at, (const uint8_t *)nf, strlen(nf));
	http_stream_response(s, &key, &at, (const uint8_t *)ok, strlen(ok));
	expect(th_count(th) == 4 && !strcmp(ev(2, "event_type"), "http_response") &&
	       !strcmp(ev(2, "http.path"), "/one") && !strcmp(ev(2, "http.status"), "200") &&
	       !strcmp(ev(3, "http.path"), "/two") && !strcmp(ev(3, "http.status"), "404"),
	       "two pipelined requests, two responses in order");
	expect(counter("http_responses_unmatched") == 1, "a response with no request counted");
	http_streams_free(s);
}

int main(void)
{
	test_split_everywhere();
	test_pipelined_and_bodies();
	test_limits_and_gaps();
	test_close_and_evict();
	test_responses();
	th_free(th);
	return tally_close();
}
