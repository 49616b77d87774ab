// SPDX-License-Identifier: BSD-3-Clause
/*
 * The machinery every sink shares. A sink's life: open (parse the target, open the file or
 * start a nonblocking connect) -> write (frame, queue, flush what the fd takes now) -> on
 * EAGAIN wait for EPOLLOUT -> on a lost connection retry with exponential backoff -> reopen on
 * SIGHUP -> close (drain for a bounded time). Nothing here ever blocks the loop: a slow or
 * absent reader fills the bounded queue and further events are dropped and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "sink.h"
#include "sink_impl.h"

#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 30000
/*
 * Events come in bursts (a plugin drains its ring buffer on a timer), and a write() per event
 * cost more than building the event. A sink writes what it queued once per loop turn, with one
 * writev() of up to WRITE_BATCH frames, or at once when that many are waiting (or the queue is
 * full).
 */
#define WRITE_BATCH 64

struct sink_set {
	struct loop *loop;
	bool closing;		/* sinks_close() is draining: no more retry timers */
	size_t n;
	struct sink *sinks;
};

static void sink_flush(struct sink *s);
static void sink_connect(struct sink *s);

/* ---- helpers ---------------------------------------------------------------------------- */

int sink_buf_append(struct sink_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n)
			cap *= 2;
		char *d = realloc(b->data, cap);

		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int sink_buf_printf(struct sink_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);

	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EOVERFLOW;
	return sink_buf_append(b, tmp, n);
}

void sink_log(const struct sink *s, enum jp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, s->name, fmt, ap);
	va_end(ap);
}

/* The first failure of a run is a warning; repeats while it lasts would only flood the log. */
static void sink_fail(struct sink *s, const char *fmt, ...) JP_PRINTF(2, 3);
static void sink_fail(struct sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(s->failing ? JP_LOG_DEBUG : JP_LOG_WARN, s->name, fmt, ap);
	va_end(ap);
	s->failing = true;
}

static void sink_recovered(struct sink *s, const char *what)
{
	if (s->failing)
		sink_log(s, JP_LOG_INFO, "%s", what);
	s->failing = false;
}

/* Sockets that can go away and come back; UDP has no connection to lose. */
static bool sink_reconnects(const struct sink *s)
{
	return target_is_socket(&s->target) && s->target.kind != TARGET_UDP;
}

/* ---- the loop watch: stream sockets always (to see the peer close), others while EAGAIN -- */

static void sink_on_fd(void *arg, int fd, uint32_t events);

static void sink_update_watch(struct sink *s)
{
	bool stream_socket = target_is_socket(&s->target) && target_is_stream(&s->target);
	uint32_t events = s->want_out ? EPOLLOUT : 0;

	if (stream_socket && s->state == SINK_UP)
		events |= EPOLLIN | EPOLLRDHUP;
	if (s->fd < 0 || s->target.kind == TARGET_FILE || !events) {
		if (s->watched)
			loop_unwatch(s->loop, s->fd);
		s->watched = false;
		return;
	}
	int rc = s->watched ? loop_modify(s->loop, s->fd, events)
			    : loop_watch(s->loop, s->fd, events, sink_on_fd, s);

	if (rc == -EPERM) {
		/* stdout is a regular file: writes complete, there is nothing to wait for */
		s->want_out = false;
		return;
	}
	if (rc)
		sink_log(s, JP_LOG_ERROR, "watching fd %d: %s", s->fd, strerror(-rc));
	s->watched = rc == 0;
}

static void sink_close_fd(struct sink *s)
{
	if (s->fd < 0)
		return;
	if (s->watched)
		loop_unwatch(s->loop, s->fd);
	s->watched = false;
	s->want_out = false;
	if (s->target.kind != TARGET_STDOUT)
		close(s->fd);
	s->fd = -1;
}

/* ---- connecting ---------------------------------------------------------------------------- */

static void sink_on_retry(void *arg)
{
	struct sink *s = arg;

	s->retry_timer = -1;
	sink_connect(s);
}

static void sink_schedule_retry(struct sink *s)
{
	if (s->retry_timer >= 0 || s->set->closing)
		return;
	int id = loop_timer_add(s->loop, s->backoff_ms, 0, sink_on_retry, s);

	if (id < 0) {
		sink_log(s, JP_LOG_ERROR, "retry timer: %s", strerror(-id));
		return;
	}
	s->retry_timer = id;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void sink_cancel_retry(struct sink *s)
{
	if (s->retry_timer >= 0)
		loop_timer_remove(s->loop, s->retry_timer);
	s->retry_timer = -1;
}

/* The connection broke: a half-written stream frame is sent again whole on the next one. */
static void sink_lost(struct sink *s, const char *what, int err)
{
	struct sink_msg *m = sink_queue_peek(&s->queue);

	if (m)
		m->off = 0;
	sink_close_fd(s);
	s->state = SINK_DOWN;
	sink_fail(s, "%s: %s — will retry", what, err ? strerror(err) : "peer closed");
	sink_schedule_retry(s);
}

static void sink_up(struct sink *s)
{
	s->state = SINK_UP;
	if (s->ever_up)
		s->reconnects++;
	s->ever_up = true;
	s->backoff_ms = BACKOFF_FIRST_MS;
	sink_recovered(s, "connected");
	s->want_out = false;
	sink_update_watch(s);
	sink_flush(s);
}

static void sink_connect(struct sink *s)
{
	bool in_progress;
	int fd = target_connect(&s->target, &in_progress);

	if (fd < 0) {
		s->state = SINK_DOWN;
		sink_fail(s, "connect: %s — will retry", strerror(-fd));
		sink_schedule_retry(s);
		return;
	}
	s->fd = fd;
	if (!in_progress) {
		sink_up(s);
		return;
	}
	s->state = SINK_CONNECTING;
	s->want_out = true;
	sink_update_watch(s);
}

static void sink_finish_connect(struct sink *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		sink_close_fd(s);
		s->state = SINK_DOWN;
		sink_fail(s, "connect: %s — will retry", strerror(err));
		sink_schedule_retry(s);
		return;
	}
	sink_up(s);
}

/* ---- writing ------------------------------------------------------------------------------- */

static ssize_t sink_send(struct sink *s, const char *p, size_t n)
{
	ssize_t w;

	do {
		if (target_is_socket(&s->target))
			w = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			w = write(s->fd, p, n);
	} while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : w;
}

static void sink_drop_head(struct sink *s, int err)
{
	sink_fail(s, "write: %s — event dropped", strerror(err));
	sink_queue_pop(&s->queue);
	s->dropped++;
}

/*
 * Streams and files: one writev() of the queued frames from the head on. Returns the bytes
 * written or a negative errno; the frames written whole are popped and counted.
 */
static ssize_t sink_send_batch(struct sink *s)
{
	struct iovec iov[WRITE_BATCH];
	int n = 0;

	for (size_t i = 0; i < s->queue.count && n < WRITE_BATCH; i++) {
		struct sink_msg *m = &s->queue.ring[(s->queue.head + i) % s->queue.cap];

		iov[n++] = (struct iovec){ m->data + m->off, m->len - m->off };
	}
	ssize_t w;

	do {
		if (target_is_socket(&s->target)) {
			struct msghdr msg = { .msg_iov = iov, .msg_iovlen = n };

			w = sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else {
			w = writev(s->fd, iov, n);
		}
	} while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	for (size_t left = w; left;) {
		struct sink_msg *m = sink_queue_peek(&s->queue);
		size_t rest = m->len - m->off;

		if (left < rest) {
			m->off += left;	/* partial: the rest when the fd is writable */
			break;
		}
		left -= rest;
		sink_queue_pop(&s->queue);
		s->written++;
	}
	return w;
}

/* Write what the fd takes now; stop at EAGAIN and ask the loop for EPOLLOUT. */
static void sink_flush(struct sink *s)
{
	/* byte streams take many frames per call; a datagram is one frame */
	bool batch = target_is_stream(&s->target) || !target_is_socket(&s->target);
	bool retried = false;
	struct sink_msg *m;

	if (s->state != SINK_UP)
		return;
	while ((m = sink_queue_peek(&s->queue))) {
		ssize_t n;

		if (batch) {
			n = sink_send_batch(s);
		} else {
			n = sink_send(s, m->data, m->len);
			if (n >= 0) {
				sink_queue_pop(&s->queue);
				s->written++;
			}
		}
		if (n >= 0) {
			retried = false;
			sink_recovered(s, "writing again");
			continue;
		}
		if (n == -EAGAIN)
			break;
		if (s->target.kind == TARGET_UDP && n == -ECONNREFUSED && !retried) {
			/* an ICMP error left by an earlier datagram; reporting it cleared it */
			retried = true;
			continue;
		}
		if (sink_reconnects(s) && n != -EMSGSIZE) {
			sink_lost(s, "send", -n);
			return;
		}
		sink_drop_head(s, -n);	/* a file, stdout or UDP: this event cannot be written */
	}
	bool want_out = sink_queue_peek(&s->queue) != NULL;

	if (!want_out)
		s->dropping = false;	/* the next drop starts a new episode worth a warning */
	if (want_out != s->want_out) {
		s->want_out = want_out;
		sink_update_watch(s);
	}
}

/* End of a loop turn: write what every sink queued during it. */
static void sinks_flush_deferred(void *arg)
{
	struct sink_set *set = arg;

	for (size_t i = 0; i < set->n; i++)
		if (!set->sinks[i].want_out)
			sink_flush(&set->sinks[i]);
}

static void sink_on_fd(void *arg, int fd, uint32_t events)
{
	struct sink *s = arg;

	(void)fd;
	if (s->state == SINK_CONNECTING) {
		sink_finish_connect(s);
		return;
	}
	if (target_is_socket(&s->target) && (events & EPOLLERR)) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (sink_reconnects(s)) {
			sink_lost(s, "socket", err);
			return;
		}
		if (err)	/* UDP: an ICMP error about an earlier datagram */
			sink_fail(s, "send: %s", strerror(err));
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP) && target_is_socket(&s->target)) {
		/* receivers send nothing: data is discarded, EOF or an error means the peer left */
		char buf[512];
		ssize_t n;

		while ((n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			sink_lost(s, "connection", n == 0 ? 0 : errno);
			return;
		}
	}
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		sink_flush(s);
}

static void sink_write(struct sink *s, const char *json, size_t len, const struct timespec *ts)
{
	s->frame.len = 0;
	int rc = s->type->frame(s, &s->frame, json, len, ts);

	if (!rc)
		rc = sink_queue_push(&s->queue, &s->frame);	/* the frame's buffer moves */
	if (rc) {
		s->dropped++;
		if (rc == -ENOBUFS && !s->dropping)
			sink_log(s, JP_LOG_WARN,
				 "queue full (%zu events): dropping new events until it drains",
				 s->queue.cap);
		else if (rc != -ENOBUFS)
			sink_fail(s, "framing an event: %s — event dropped", strerror(-rc));
		s->dropping |= rc == -ENOBUFS;
		return;
	}
	if (s->want_out)
		return;		/* the fd is full: EPOLLOUT will flush */
	/* a queue smaller than a batch must not overflow while it waits for the turn's end */
	if (s->queue.count >= WRITE_BATCH || s->queue.count == s->queue.cap ||
	    loop_defer(s->loop, sinks_flush_deferred, s->set))
		sink_flush(s);
}

/* ---- open / reopen ------------------------------------------------------------------------ */

static const char *schema_description(const struct jp_config_key *schema, const char *key)
{
	for (; schema->name; schema++)
		if (strcmp(schema->name, key) == 0)
			return schema->description;
	return "";
}

static int sink_open_fd(struct sink *s, const struct cfg *cfg, const struct cfg_output *out)
{
	if (s->target.kind == TARGET_STDOUT) {
		int fl = fcntl(STDOUT_FILENO, F_GETFL);

		if (fl < 0 || fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) < 0) {
			int err = -errno;

			sink_log(s, JP_LOG_ERROR, "stdout: %s", strerror(-err));
			return err;
		}
		/* a closed pipe must give EPIPE, not kill the daemon */
		signal(SIGPIPE, SIG_IGN);
		s->fd = STDOUT_FILENO;
		s->state = SINK_UP;
		return 0;
	}
	if (s->target.kind == TARGET_FILE) {
		int fd = target_open_file(&s->target);

		if (fd < 0) {
			log_error("%s:%d:%d: %s: open: %s", cfg->path,
				  out->line, out->col, s->name, target_open_strerror(fd));
			return fd;
		}
		s->fd = fd;
		s->state = SINK_UP;
		return 0;
	}
	/* a receiver that is down now may come up later: retry in the background */
	sink_connect(s);
	return 0;
}

static int sink_open(struct sink_set *set, struct sink *s, size_t index, const struct cfg *cfg,
		     const struct cfg_output *out)
{
	const struct sink_type *type = sink_type_find(out->type);
	char err[200];

	s->fd = -1;
	s->retry_timer = -1;
	s->backoff_ms = BACKOFF_FIRST_MS;
	s->set = set;
	s->loop = set->loop;
	if (!type) {
		log_error("%s:%d:%d: output %zu: unknown type %s (expected one of: %s)", cfg->path,
			  out->line, out->col, index + 1, out->type, sink_type_names());
		return -EINVAL;
	}
	s->type = type;
	const char *text = cfg_get_string(out->keys, type->target_key);

	if (!text)
		text = "";
	if (asprintf(&s->name, "output %zu (%s %s)", index + 1, type->name, text) < 0 ||
	    asprintf(&s->stats_key, "%s:%s", type->name, text) < 0)
		return -ENOMEM;
	int rc = target_parse(text, type->unix_kind, &s->target, err, sizeof(err));

	if (!rc && !(type->target_kinds & 1u << s->target.kind)) {
		snprintf(err, sizeof(err), "expected %s",
			 schema_description(type->schema, type->target_key));
		rc = -EINVAL;
	}
	if (rc) {
		log_error("%s:%d:%d: %s: %s: %s", cfg->path, out->line, out->col, s->name,
			  type->target_key, err);
		return rc;
	}
	rc = sink_queue_init(&s->queue, cfg_get_int(out->keys, "queue_size"));
	if (!rc && type->open)
		rc = type->open(s, out->keys, cfg);
	return rc ? rc : sink_open_fd(s, cfg, out);
}

int sinks_open(const struct cfg *cfg, struct loop *loop, struct sink_set **out)
{
	struct sink_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	set->loop = loop;
	set->sinks = calloc(cfg->n_outputs ? cfg->n_outputs : 1, sizeof(*set->sinks));
	if (!set->sinks) {
		free(set);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		set->n = i + 1;
		int rc = sink_open(set, &set->sinks[i], i, cfg, &cfg->outputs[i]);

		if (rc) {
			sinks_close(set, 0);
			return rc;
		}
	}
	*out = set;
	return 0;
}

void sinks_write(struct sink_set *set, const char *json, size_t len, const struct timespec *ts)
{
	for (size_t i = 0; set && i < set->n; i++)
		sink_write(&set->sinks[i], json, len, ts);
}

static void sink_reopen(struct sink *s)
{
	if (s->target.kind == TARGET_FILE) {
		sink_flush(s);	/* what was queued before the rotation belongs to the old file */
		int fd = target_open_file(&s->target);

		if (fd < 0) {
			sink_log(s, JP_LOG_ERROR, "reopen: %s — still writing the old file",
				 target_open_strerror(fd));
			return;
		}
		close(s->fd);
		s->fd = fd;
		sink_log(s, JP_LOG_INFO, "reopened");
		sink_flush(s);
	} else if (sink_reconnects(s) && s->state == SINK_DOWN) {
		/* someone fixed the receiver and tells us: do not wait for the backoff */
		sink_cancel_retry(s);
		s->backoff_ms = BACKOFF_FIRST_MS;
		sink_connect(s);
	}
}

void sinks_reopen(struct sink_set *set)
{
	for (size_t i = 0; set && i < set->n; i++)
		sink_reopen(&set->sinks[i]);
}

/* ---- close --------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Drain with poll(): the loop no longer runs when the daemon exits. */
static void sinks_drain(struct sink_set *set, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd[set->n ? set->n : 1];
	struct sink *polled[set->n ? set->n : 1];

	for (size_t i = 0; i < set->n; i++) {
		struct sink *s = &set->sinks[i];

		sink_cancel_retry(s);
		if (s->type && s->state == SINK_DOWN && sink_reconnects(s) &&
		    sink_queue_peek(&s->queue))
			sink_connect(s);	/* one last attempt */
	}
	for (;;) {
		nfds_t n = 0;

		for (size_t i = 0; i < set->n; i++) {
			struct sink *s = &set->sinks[i];

			if (s->state == SINK_UP)
				sink_flush(s);
			bool waiting = s->state == SINK_CONNECTING || sink_queue_peek(&s->queue);

			if (s->fd >= 0 && waiting) {
				pfd[n] = (struct pollfd){ .fd = s->fd, .events = POLLOUT };
				polled[n++] = s;
			}
		}
		int64_t left = deadline - now_ms();

		if (n == 0 || left <= 0 || poll(pfd, n, left) <= 0)
			return;
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents && polled[i]->state == SINK_CONNECTING)
				sink_finish_connect(polled[i]);
	}
}

void sinks_close(struct sink_set *set, int timeout_ms)
{
	if (!set)
		return;
	set->closing = true;
	sinks_drain(set, timeout_ms);
	for (size_t i = 0; i < set->n; i++) {
		struct sink *s = &set->sinks[i];

		if (s->queue.count) {
			sink_log(s, JP_LOG_WARN, "%zu events not delivered at exit",
				 s->queue.count);
			s->dropped += s->queue.count;
		}
		sink_cancel_retry(s);
		sink_close_fd(s);
		if (s->type && s->type->close)
			s->type->close(s);
		sink_queue_free(&s->queue);
		target_free(&s->target);
		free(s->frame.data);
		free(s->name);
		free(s->stats_key);
	}
	free(set->sinks);
	free(set);
}

json_t *sinks_stats(struct sink_set *set)
{
	json_t *o = json_object();

	for (size_t i = 0; set && i < set->n; i++) {
		struct sink *s = &set->sinks[i];
		char key[300];

		/* two outputs to the same place still get two entries */
		if (json_object_get(o, s->stats_key))
			snprintf(key, sizeof(key), "%s#%zu", s->stats_key, i + 1);
		else
			snprintf(key, sizeof(key), "%s", s->stats_key);
		json_object_set_new(o, key, json_pack("{s:I, s:I, s:I, s:I}", "written",
						      (json_int_t)s->written, "dropped",
						      (json_int_t)s->dropped, "reconnects",
						      (json_int_t)s->reconnects, "queued",
						      (json_int_t)s->queue.count));
	}
	return o;
}
