// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_host: see test_host.h. The services are the daemon's own (core/host.c, core/event.c),
 * so the tests check the events the daemon would write; only the two ends are the tests':
 * sinks_write() below keeps each serialized event instead of sending it, and no configuration
 * is handed to the code under test. Allocation failures abort: this is test code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "host.h"
#include "log.h"
#include "sinks/sink.h"
#include "test_host.h"

/* the sink set the host writes to: here, the test host itself */
struct sink_set {
	struct th_host *h;
};

struct th_host {
	struct host host;
	struct sink_set sink;
	struct jp_plugin_ctx ctx;
	bool keep;		/* false: events are counted and dropped */
	char **lines;
	size_t n_lines;
	char **fields;		/* what th_field() returned, kept until th_free() */
	size_t n_fields;
};

static void *th_xalloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *th_strdup(const char *s)
{
	return strcpy(th_xalloc(NULL, strlen(s) + 1), s);
}

void sinks_write(struct sink_set *set, const char *json, size_t len, const struct timespec *ts)
{
	struct th_host *h = set->h;
	char *line;

	(void)ts;
	if (!h->keep)
		return;
	while (len && json[len - 1] == '\n')
		len--;
	line = th_xalloc(NULL, len + 1);
	memcpy(line, json, len);
	line[len] = '\0';
	h->lines = th_xalloc(h->lines, (h->n_lines + 1) * sizeof(*h->lines));
	h->lines[h->n_lines++] = line;
}

/*
 * The code the tests drive is handed no configuration (decoders take theirs as a struct), so
 * the config module and the sink types it names stay out; a call here is a bug in a test.
 */
bool cfg_get_bool(const struct jp_config *c, const char *key)
{
	(void)c, (void)key;
	abort();
}

int64_t cfg_get_int(const struct jp_config *c, const char *key)
{
	(void)c, (void)key;
	abort();
}

const char *cfg_get_string(const struct jp_config *c, const char *key)
{
	(void)c, (void)key;
	abort();
}

size_t cfg_list_len(const struct jp_config *c, const char *key)
{
	(void)c, (void)key;
	abort();
}

const char *cfg_list_string(const struct jp_config *c, const char *key, size_t i)
{
	(void)c, (void)key, (void)i;
	abort();
}

int64_t cfg_list_int(const struct jp_config *c, const char *key, size_t i)
{
	(void)c, (void)key, (void)i;
	abort();
}

struct th_host *th_new(const char *name, bool keep)
{
	struct th_host *h = th_xalloc(NULL, sizeof(*h));

	memset(h, 0, sizeof(*h));
	h->keep = keep;
	h->sink.h = h;
	h->host.sinks = &h->sink;
	snprintf(h->host.host_name, sizeof(h->host.host_name), "test-host");
	log_set_level(JP_LOG_WARN);
	if (host_ctx_init(&h->ctx, &h->host, name))
		abort();
	return h;
}

const struct jp_host *th_services(struct th_host *h)
{
	return &h->ctx.services;
}

size_t th_count(const struct th_host *h)
{
	return h->n_lines;
}

const char *th_line(const struct th_host *h, size_t i)
{
	return i < h->n_lines ? h->lines[i] : NULL;
}

/* a scalar or a list of scalars as th_field() shows it, appended to out */
static char *th_text(char *out, const json_t *v)
{
	char num[32];
	const char *s = num;
	size_t i;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				out = strcat(th_xalloc(out, strlen(out) + 2), ",");
			out = th_text(out, json_array_get(v, i));
		}
		return out;
	}
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	else
		s = "";		/* an object: only its presence is shown */
	return strcat(th_xalloc(out, strlen(out) + strlen(s) + 1), s);
}

const char *th_field(struct th_host *h, size_t i, const char *path)
{
	char *p = th_strdup(path), *key, *save = NULL;
	json_t *ev = i < h->n_lines ? json_loads(h->lines[i], 0, NULL) : NULL, *v = ev;

	for (key = strtok_r(p, ".", &save); v && key; key = strtok_r(NULL, ".", &save))
		v = json_object_get(v, key);
	free(p);
	if (!v) {
		json_decref(ev);
		return NULL;
	}
	h->fields = th_xalloc(h->fields, (h->n_fields + 1) * sizeof(*h->fields));
	h->fields[h->n_fields] = th_text(th_strdup(""), v);
	json_decref(ev);
	return h->fields[h->n_fields++];
}

uint64_t th_counter_value(const struct th_host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->ctx.n_counters; i++)
		if (!strcmp(h->ctx.counters[i].name, name))
			return *h->ctx.counters[i].value;
	return 0;
}

void th_print_counters(const struct th_host *h, FILE *out)
{
	size_t i;

	for (i = 0; i < h->ctx.n_counters; i++)	/* "events" is the first */
		if (i == HOST_CNT_EVENTS || *h->ctx.counters[i].value)
			fprintf(out, "%s%s %llu", i ? " " : "", h->ctx.counters[i].name,
				(unsigned long long)*h->ctx.counters[i].value);
	fputc('\n', out);
}

void th_free(struct th_host *h)
{
	size_t i;

	if (!h)
		return;
	host_ctx_free(&h->ctx);
	for (i = 0; i < h->n_lines; i++)
		free(h->lines[i]);
	for (i = 0; i < h->n_fields; i++)
		free(h->fields[i]);
	free(h->lines);
	free(h->fields);
	free(h);
}
