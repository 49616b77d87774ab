// SPDX-License-Identifier: BSD-3-Clause
/* Per-connection HTTP/1.x request head reassembly for syscall capture (see http_stream.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ja4probe/http_stream.h>

#define HS_PATH_KEEP 256	/* bytes of the request target kept for http_response */
#define HS_PENDING_MAX 4	/* requests of one connection waiting for their responses */

enum hs_state {
	HS_IDLE,	/* the next byte starts a request */
	HS_HEAD,	/* inside a head: buf holds its first len bytes */
	HS_BODY,	/* body_left bytes of a Content-Length body still to come */
	HS_RESYNC,	/* unknown length (chunked, after an error): wait for a read that starts one */
};

struct hs_stream {
	struct http_stream_key key;
	struct hs_stream *hnext;		/* hash chain */
	struct hs_stream *prev, *next;		/* recency list, most recent first */
	enum hs_state state;
	uint8_t *buf;				/* max_head bytes while state == HS_HEAD */
	uint32_t len;
	uint64_t body_left;
	/* requests waiting for their responses, oldest first (cfg.responses) */
	struct hs_pending *pending;		/* HS_PENDING_MAX, allocated at the first request */
	uint8_t p_first, p_count;
};

struct hs_pending {
	uint64_t mono_ns;
	char method[16];
	char path[HS_PATH_KEEP];
};

struct http_streams {
	const struct jp_host *host;
	struct http_stream_config cfg;
	struct hs_stream **buckets;
	size_t n_buckets;			/* a power of two */
	size_t count;
	struct hs_stream *head, *tail;		/* recency list */
	struct fp_http_request req;		/* parse scratch: too big for the stack */
	uint64_t *truncated, *parse_errors, *too_big, *not_request, *evicted, *nomem,
		*unmatched, *missed;
};

static uint64_t hs_dummy_counter;

static uint64_t *hs_counter(const struct jp_host *host, const char *name)
{
	uint64_t *slot = host->counter(host->ctx, name);

	return slot ? slot : &hs_dummy_counter;
}

struct http_streams *http_streams_new(const struct jp_host *host,
				      const struct http_stream_config *cfg)
{
	struct http_streams *s = calloc(1, sizeof(*s));

	if (!s) {
		host->log(host->ctx, JP_LOG_ERROR, "http streams: out of memory");
		return NULL;
	}
	s->host = host;
	s->cfg = *cfg;
	if (s->cfg.max_head == 0 || s->cfg.max_head > FP_HTTP_MAX_HEAD)
		s->cfg.max_head = FP_HTTP_MAX_HEAD;
	if (s->cfg.max_streams == 0)
		s->cfg.max_streams = 1;
	s->n_buckets = 64;
	while (s->n_buckets < s->cfg.max_streams && s->n_buckets < (1u << 24))
		s->n_buckets <<= 1;
	s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
	if (!s->buckets) {
		host->log(host->ctx, JP_LOG_ERROR, "http streams: out of memory for %zu buckets",
			  s->n_buckets);
		free(s);
		return NULL;
	}
	s->truncated = hs_counter(host, "http_heads_truncated");
	s->parse_errors = hs_counter(host, "http_parse_errors");
	s->too_big = hs_counter(host, "http_too_big");
	s->not_request = hs_counter(host, "http_not_request");
	s->evicted = hs_counter(host, "http_streams_evicted");
	s->nomem = hs_counter(host, "http_nomem");
	s->unmatched = hs_counter(host, "http_responses_unmatched");
	s->missed = hs_counter(host, "http_responses_missed");
	return s;
}

static size_t hs_hash(const struct http_streams *s, const struct http_stream_key *k)
{
	uint64_t h = ((uint64_t)k->pid << 32 | (uint32_t)k->fd) ^ (k->id * 0x9e3779b97f4a7c15ull);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)h & (s->n_buckets - 1);
}

static bool hs_key_eq(const struct http_stream_key *a, const struct http_stream_key *b)
{
	return a->pid == b->pid && a->fd == b->fd && a->id == b->id;
}

static void hs_list_unlink(struct http_streams *s, struct hs_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		s->head = st->next;
	if (st->next)
		st->next->prev = st->prev;
	else
		s->tail = st->prev;
	st->prev = st->next = NULL;
}

static void hs_list_push(struct http_streams *s, struct hs_stream *st)
{
	st->next = s->head;
	if (s->head)
		s->head->prev = st;
	s->head = st;
	if (!s->tail)
		s->tail = st;
}

static void hs_remove(struct http_streams *s, struct hs_stream *st)
{
	struct hs_stream **pp = &s->buckets[hs_hash(s, &st->key)];

	while (*pp && *pp != st)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = st->hnext;
	hs_list_unlink(s, st);
	free(st->buf);
	free(st->pending);
	free(st);
	s->count--;
}

static struct hs_stream *hs_lookup(struct http_streams *s, const struct http_stream_key *key)
{
	for (struct hs_stream *st = s->buckets[hs_hash(s, key)]; st; st = st->hnext)
		if (hs_key_eq(&st->key, key))
			return st;
	return NULL;
}

static struct hs_stream *hs_get(struct http_streams *s, const struct http_stream_key *key)
{
	struct hs_stream *st = hs_lookup(s, key);
	size_t b;

	if (st) {
		hs_list_unlink(s, st);
		hs_list_push(s, st);
		return st;
	}
	if (s->count >= s->cfg.max_streams && s->tail) {
		(*s->evicted)++;
		hs_remove(s, s->tail);
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		(*s->nomem)++;
		return NULL;
	}
	st->key = *key;
	b = hs_hash(s, key);
	st->hnext = s->buckets[b];
	s->buckets[b] = st;
	hs_list_push(s, st);
	s->count++;
	return st;
}

/* A header's value by name (case-insensitive), or NULL. */
static const struct fp_http_header *hs_header(const uint8_t *buf, const struct fp_http_request *r,
					      const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < r->n_headers; i++)
		if (r->headers[i].name.len == n &&
		    !strncasecmp((const char *)buf + r->headers[i].name.off, name, n))
			return &r->headers[i];
	return NULL;
}

/* What follows the head: a counted body, none, or one of unknown length. */
static void hs_after_head(struct hs_stream *st, const uint8_t *buf, const struct fp_http_request *r)
{
	const struct fp_http_header *te = hs_header(buf, r, "transfer-encoding");
	const struct fp_http_header *cl = hs_header(buf, r, "content-length");
	uint64_t n = 0;

	st->state = HS_IDLE;
	if (te) {
		st->state = HS_RESYNC;
		return;
	}
	if (!cl)
		return;
	for (uint32_t i = 0; i < cl->value.len; i++) {
		uint8_t c = buf[cl->value.off + i];

		if (c < '0' || c > '9' || n > UINT64_MAX / 16) {
			st->state = HS_RESYNC;	/* not a length we can trust */
			return;
		}
		n = n * 10 + (c - '0');
	}
	if (n) {
		st->state = HS_BODY;
		st->body_left = n;
	}
}

static void hs_span_copy(char *out, size_t size, const uint8_t *buf, struct fp_span sp)
{
	size_t n = sp.len < size - 1 ? sp.len : size - 1;

	memcpy(out, buf + sp.off, n);
	out[n] = '\0';
}

static int hs_event_common(const struct http_streams *s, struct jp_obj *root,
			   const struct http_stream_info *info)
{
	const struct jp_host *h = s->host;
	struct jp_obj *proc;
	int err;

	if (info->family) {
		err = fp_event_flow(h, root, info->family, info->src_addr, info->src_port,
				    info->dst_addr, info->dst_port);
		if (err)
			return err;
	}
	if (info->server) {
		err = h->obj_string(root, "server", info->server);
		if (err)
			return err;
	}
	proc = h->obj_object(root, "process");
	if (!proc)
		return -ENOMEM;
	err = h->obj_int(proc, "pid", info->pid);
	if (!err)
		err = h->obj_int(proc, "tid", info->tid);
	if (!err && info->comm)
		err = h->obj_string(proc, "comm", info->comm);
	if (!err && info->exe)
		err = h->obj_string(proc, "exe", info->exe);
	return err;
}

/* Remember a request for the response that will follow it; the oldest gives way. */
static void hs_pending_push(struct http_streams *s, struct hs_stream *st, uint64_t mono_ns,
			    const uint8_t *buf, const struct fp_http_request *r)
{
	struct hs_pending *p;

	if (!st->pending) {
		st->pending = calloc(HS_PENDING_MAX, sizeof(*st->pending));
		if (!st->pending) {
			(*s->nomem)++;
			return;
		}
	}
	if (st->p_count == HS_PENDING_MAX) {
		(*s->missed)++;
		st->p_first = (st->p_first + 1) % HS_PENDING_MAX;
		st->p_count--;
	}
	p = &st->pending[(st->p_first + st->p_count) % HS_PENDING_MAX];
	st->p_count++;
	p->mono_ns = mono_ns;
	hs_span_copy(p->method, sizeof(p->method), buf, r->method);
	hs_span_copy(p->path, sizeof(p->path), buf, r->target);
}

static int hs_emit_request(struct http_streams *s, struct hs_stream *st,
			   const struct http_stream_info *info, const uint8_t *buf,
			   const struct fp_http_request *r)
{
	const struct jp_host *h = s->host;
	struct jp_event *ev = h->event_new(h->ctx, "http_request", &info->realtime);
	struct jp_obj *root;
	int err;

	if (s->cfg.responses)
		hs_pending_push(s, st, info->mono_ns, buf, r);
	if (!ev)
		return -ENOMEM;
	root = h->event_root(ev);
	err = hs_event_common(s, root, info);
	if (!err)
		err = fp_event_http_request(h, root, buf, r, &s->cfg.http);
	if (!err && info->tls) {
		struct jp_obj *http = h->obj_object(root, "http");

		err = http ? h->obj_bool(http, "tls", true) : -ENOMEM;
	}
	if (!err && info->outbound) {
		struct jp_obj *http = h->obj_object(root, "http");

		err = http ? h->obj_bool(http, "outbound", true) : -ENOMEM;
	}
	if (err) {
		h->event_discard(ev);
		return err;
	}
	return h->event_emit(ev);
}

/* Give up on the head in progress (counted) and wait for the next request. */
static void hs_drop_head(struct hs_stream *st, uint64_t *counter)
{
	(*counter)++;
	free(st->buf);
	st->buf = NULL;
	st->len = 0;
	st->state = HS_RESYNC;
}

static void hs_parse_failed(struct http_streams *s, struct hs_stream *st, int rc)
{
	hs_drop_head(st, rc == -E2BIG ? s->too_big : s->parse_errors);
}

/*
 * Bytes of a head: parse them in place when nothing is buffered, else append and parse the
 * buffer. Returns the bytes of p used (all of them while the head is incomplete).
 */
static size_t hs_head(struct http_streams *s, struct hs_stream *st,
		      const struct http_stream_info *info, const uint8_t *p, size_t n, int *err)
{
	struct fp_http_request *r = &s->req;
	size_t old = st->len, take;
	int rc;

	if (!st->buf) {
		rc = fp_http_parse_request(p, n < s->cfg.max_head ? n : s->cfg.max_head, r);
		if (rc == 0) {
			*err = hs_emit_request(s, st, info, p, r);
			hs_after_head(st, p, r);
			return r->head_len;
		}
		if (rc != -EAGAIN) {
			hs_parse_failed(s, st, rc);
			return n;
		}
		if (n >= s->cfg.max_head) {
			hs_drop_head(st, s->truncated);
			return n;
		}
		st->buf = malloc(s->cfg.max_head);
		if (!st->buf) {
			hs_drop_head(st, s->nomem);
			return n;
		}
		memcpy(st->buf, p, n);
		st->len = (uint32_t)n;
		return n;
	}
	take = s->cfg.max_head - old;
	if (take > n)
		take = n;
	memcpy(st->buf + old, p, take);
	st->len = (uint32_t)(old + take);
	rc = fp_http_parse_request(st->buf, st->len, r);
	if (rc == 0) {
		*err = hs_emit_request(s, st, info, st->buf, r);
		hs_after_head(st, st->buf, r);
		free(st->buf);
		st->buf = NULL;
		st->len = 0;
		return r->head_len > old ? r->head_len - old : 0;
	}
	if (rc != -EAGAIN) {
		hs_parse_failed(s, st, rc);
		return n;
	}
	if (st->len >= s->cfg.max_head)
		hs_drop_head(st, s->truncated);
	return n;
}

int http_stream_data(struct http_streams *s, const struct http_stream_key *key,
		     const struct http_stream_info *info, const uint8_t *data, size_t len,
		     size_t total)
{
	struct hs_stream *st = hs_get(s, key);
	size_t pos = 0;
	int err = 0;

	if (!st)
		return -ENOMEM;
	if (total < len)
		total = len;
	while (pos < len) {
		const uint8_t *p = data + pos;
		size_t n = len - pos, used;

		switch (st->state) {
		case HS_BODY:
			used = st->body_left < n ? (size_t)st->body_left : n;
			st->body_left -= used;
			if (!st->body_left)
				st->state = HS_IDLE;
			pos += used;
			continue;
		case HS_RESYNC:
			/* only the start of a read may begin the next request */
			if (pos || !fp_http_looks_like_request(p, n))
				return err;
			st->state = HS_IDLE;
			/* fall through */
		case HS_IDLE:
			/* empty lines before a request line are allowed (RFC 9112 2.2) */
			if (*p == '\r' || *p == '\n') {
				pos++;
				continue;
			}
			if (!fp_http_looks_like_request(p, n) && n >= 16) {
				(*s->not_request)++;
				st->state = HS_RESYNC;
				return err;
			}
			st->state = HS_HEAD;
			/* fall through */
		case HS_HEAD:
			pos += hs_head(s, st, info, p, n, &err);
			continue;
		}
	}
	/* the bytes the capture did not keep */
	if (total > len) {
		uint64_t gap = total - len;

		if (st->state == HS_BODY && gap <= st->body_left) {
			st->body_left -= gap;
			if (!st->body_left)
				st->state = HS_IDLE;
		} else if (st->state != HS_RESYNC) {
			/* a head in progress, or one that began in the gap, is lost */
			hs_drop_head(st, s->truncated);
		}
	}
	return err;
}

/* "HTTP/1.1 200 ..." -> 200; -1 when it is not a status line. */
static int hs_status(const uint8_t *d, size_t len, char *version, size_t vsize)
{
	size_t sp;

	if (len < 12 || memcmp(d, "HTTP/", 5))
		return -1;
	for (sp = 5; sp < len && d[sp] != ' '; sp++)
		;
	if (sp + 4 > len || sp >= vsize)
		return -1;
	for (int i = 1; i <= 3; i++)
		if (d[sp + i] < '0' || d[sp + i] > '9')
			return -1;
	memcpy(version, d, sp);
	version[sp] = '\0';
	return (d[sp + 1] - '0') * 100 + (d[sp + 2] - '0') * 10 + (d[sp + 3] - '0');
}

int http_stream_response(struct http_streams *s, const struct http_stream_key *key,
			 const struct http_stream_info *info, const uint8_t *data, size_t len)
{
	const struct jp_host *h = s->host;
	struct hs_stream *st = hs_lookup(s, key);
	struct jp_obj *root, *http;
	struct hs_pending *p;
	struct jp_event *ev;
	char version[16];
	int status, err;

	if (!st || !st->p_count) {
		(*s->unmatched)++;
		return 0;
	}
	p = &st->pending[st->p_first];
	st->p_first = (st->p_first + 1) % HS_PENDING_MAX;
	st->p_count--;
	status = hs_status(data, len, version, sizeof(version));
	ev = h->event_new(h->ctx, "http_response", &info->realtime);
	if (!ev)
		return -ENOMEM;
	root = h->event_root(ev);
	err = hs_event_common(s, root, info);
	http = err ? NULL : h->obj_object(root, "http");
	if (!http)
		err = err ? err : -ENOMEM;
	if (!err && status >= 0)
		err = h->obj_int(http, "status", status);
	if (!err && status >= 0)
		err = h->obj_string(http, "version", version);
	if (!err)
		err = h->obj_string(http, "method", p->method);
	if (!err)
		err = h->obj_string(http, "path", p->path);
	if (!err && info->mono_ns >= p->mono_ns)
		err = h->obj_int(http, "latency_us", (int64_t)((info->mono_ns - p->mono_ns) / 1000));
	if (err) {
		h->event_discard(ev);
		return err;
	}
	return h->event_emit(ev);
}

void http_stream_close(struct http_streams *s, const struct http_stream_key *key)
{
	struct hs_stream *st = hs_lookup(s, key);

	if (!st)
		return;
	if (st->state == HS_HEAD)
		(*s->truncated)++;
	hs_remove(s, st);
}

size_t http_streams_count(const struct http_streams *s)
{
	return s->count;
}

void http_streams_free(struct http_streams *s)
{
	if (!s)
		return;
	while (s->head)
		hs_remove(s, s->head);
	free(s->buckets);
	free(s);
}
