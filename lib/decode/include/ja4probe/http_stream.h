/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.x request heads from the bytes a server read on each of its connections, in the
 * order it read them (syscall capture: nginx, apache). One table per plugin.
 *
 * Per connection: a head that arrives over several reads is reassembled up to max_head bytes;
 * pipelined heads in one read are each reported; a body announced by Content-Length is skipped
 * by count, a chunked (or unknown) body by waiting for the next read that starts a request.
 * A read the capture cut short (total > len) leaves a gap: a head that was not complete
 * before it is lost and counted.
 *
 * Events: http_request (fp_event_flow + fp_event_http_request, plus "server" and
 * "process": {pid, tid, comm}); with responses on, http_response ("http": {status, version,
 * method, path, latency_us}) for each status line written, paired with the requests of the
 * connection in order (up to 4 waiting at once, pipelining included).
 *
 * Counters (host->counter()): http_heads_truncated (longer than max_head, or cut by a gap),
 * http_parse_errors, http_too_big (beyond the parser's capacities), http_not_request (a read
 * that should start a request does not), http_streams_evicted (more connections than
 * max_streams), http_nomem, http_responses_unmatched (a status line with no request
 * waiting), http_responses_missed (more requests waiting than kept).
 */
#ifndef JA4PROBE_HTTP_STREAM_H
#define JA4PROBE_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <ja4probe/fp_event.h>
#include <ja4probe/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct http_stream_config {
	uint32_t max_head;		/* bytes of one head reassembled at most (<= FP_HTTP_MAX_HEAD) */
	uint32_t max_streams;		/* connections tracked at once; the least recent is dropped */
	bool responses;			/* keep what http_response events need */
	struct fp_http_options http;	/* what secrets the http object may carry */
};

/* A connection: (pid, fd) and something that tells apart reuses of the fd (accept time). */
struct http_stream_key {
	uint32_t pid;
	int32_t fd;
	uint64_t id;
};

/* What the caller knows of the connection and the read, added to each event. */
struct http_stream_info {
	int family;			/* AF_INET or AF_INET6; 0: unknown (no flow fields) */
	const uint8_t *src_addr;	/* the client: 4 or 16 bytes */
	const uint8_t *dst_addr;	/* the server */
	uint16_t src_port, dst_port;
	uint32_t pid, tid;
	const char *comm;		/* NULL: none */
	const char *server;		/* "nginx", "apache"; NULL: none */
	bool tls;			/* bytes were decrypted: "http": {"tls": true} */
	struct timespec realtime;	/* when the bytes were read */
	uint64_t mono_ns;		/* the same instant, CLOCK_MONOTONIC: for latencies */
	const char *exe;		/* "process": {"exe"}; NULL: none */
	bool outbound;			/* a request this host sent: "http": {"outbound": true} */
};

struct http_streams;

/* host must outlive the table. NULL on failure (logged). */
struct http_streams *http_streams_new(const struct jp_host *host,
				      const struct http_stream_config *cfg);

/*
 * len bytes a read returned on the connection (the first len of total: total > len when the
 * capture kept less than was read). Returns 0, or a negative errno when an event could not
 * be built (counted; the stream goes on).
 */
int http_stream_data(struct http_streams *s, const struct http_stream_key *key,
		     const struct http_stream_info *info, const uint8_t *data, size_t len,
		     size_t total);

/* The first bytes of a write that starts a status line ("HTTP/1.1 200 OK..."); with responses. */
int http_stream_response(struct http_streams *s, const struct http_stream_key *key,
			 const struct http_stream_info *info, const uint8_t *data, size_t len);

/* The connection was closed: its state goes (a head still partial is counted as truncated). */
void http_stream_close(struct http_streams *s, const struct http_stream_key *key);

size_t http_streams_count(const struct http_streams *s);

void http_streams_free(struct http_streams *s);

#ifdef __cplusplus
}
#endif

#endif /* JA4PROBE_HTTP_STREAM_H */
