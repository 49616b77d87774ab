// SPDX-License-Identifier: BSD-3-Clause
/*
 * A plugin for the host's tests, built in several variants (tests/plugins/meson.build):
 * the good one emits `events` events every `interval_ms` using every field type of the SDK;
 * the others break one rule of the ABI each (TP_ABI_MAJOR, TP_ABI_MINOR, TP_SYMBOL,
 * TP_FAIL_INIT).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <ja4probe/plugin.h>

#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR JP_ABI_MAJOR
#endif
#ifndef TP_ABI_MINOR
#define TP_ABI_MINOR JP_ABI_MINOR
#endif

struct tp_state {
	const struct jp_host *host;
	int64_t remaining;
	int64_t burst;
	int64_t sequence;
	int timer;
	bool stopped;
	uint64_t *ticks;
	uint64_t *collected_after_stop;	/* the SDK promises one collect_stats() after stop() */
};

static int tp_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
#ifdef TP_FAIL_INIT
	(void)config;
	(void)state;
	host->log(host->ctx, JP_LOG_ERROR, "failing init on purpose");
	return -EIO;
#else
	struct tp_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->host = host;
	s->remaining = host->cfg_int(config, "events");
	s->burst = host->cfg_int(config, "burst");
	s->timer = -1;
	s->ticks = host->counter(host->ctx, "ticks");
	s->collected_after_stop = host->counter(host->ctx, "collected_after_stop");
	*state = s;
	return 0;
#endif
}

static void tp_emit(struct tp_state *s)
{
	const struct jp_host *h = s->host;
	struct jp_event *ev = h->event_new(h->ctx, "test_event", NULL);
	struct jp_obj *root = h->event_root(ev);
	struct in_addr v4 = { htonl(0xc0000207) };		/* 192.0.2.7 */
	struct in6_addr v6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };	/* 2001:db8::1 */
	static const char *const alpn[] = { "h2", "http/1.1" };
	static const char raw[] = { 'a', 0, (char)0xff, 'b' };

	h->obj_ip(root, "src_ip", AF_INET, &v4);
	h->obj_int(root, "src_port", 40000 + s->sequence);
	h->obj_ip(root, "dest_ip", AF_INET6, &v6);
	h->obj_int(root, "dest_port", 443);
	struct jp_obj *t = h->obj_object(root, "test");

	h->obj_int(t, "sequence", s->sequence++);
	h->obj_bool(t, "flag", true);
	h->obj_string(t, "text", "hello");
	h->obj_string_len(t, "raw", raw, sizeof(raw));
	h->obj_string_list(t, "alpn", alpn, 2);
	h->event_emit(ev);
}

static void tp_tick(void *arg)
{
	struct tp_state *s = arg;

	(*s->ticks)++;
	for (int64_t i = 0; i < s->burst && s->remaining > 0; i++) {
		s->remaining--;
		tp_emit(s);
	}
}

static int tp_start(void *state)
{
	struct tp_state *s = state;

	s->timer = s->host->add_timer(s->host->ctx, 10, tp_tick, s);
	return s->timer < 0 ? s->timer : 0;
}

static void tp_stop(void *state)
{
	struct tp_state *s = state;

	if (s && s->timer >= 0)
		s->host->remove_timer(s->host->ctx, s->timer);
	if (s) {
		s->timer = -1;
		s->stopped = true;
	}
}

static void tp_collect_stats(void *state)
{
	struct tp_state *s = state;

	if (s->stopped)
		(*s->collected_after_stop)++;
}

static void tp_destroy(void *state)
{
	free(state);
}

static const struct jp_config_key tp_keys[] = {
	{ .name = "events", .type = JP_CFG_INT, .default_value = "3", .min = 0, .max = 1000000,
	  .description = "how many test events to emit" },
	{ .name = "burst", .type = JP_CFG_INT, .default_value = "1", .min = 1, .max = 100000,
	  .description = "events per 10 ms tick" },
	{ .name = "label", .type = JP_CFG_STRING, .choices = (const char *const[]){ "a", "b", NULL },
	  .description = "a string with choices, for config validation tests" },
	{ .name = "ports", .type = JP_CFG_INT_LIST, .default_value = "[80, 443]", .min = 1,
	  .max = 65535, .description = "an int list, for config validation tests" },
	{ 0 },
};

/* TP_SYMBOL: the no-descriptor variant exports the same struct under another name */
#ifndef TP_SYMBOL
#define TP_SYMBOL ja4probe_plugin
#endif
JP_EXPORT const struct jp_plugin_descriptor TP_SYMBOL = {
	.abi_major = TP_ABI_MAJOR,
	.abi_minor = TP_ABI_MINOR,
	.struct_size = sizeof(struct jp_plugin_descriptor),
	.name = TP_NAME,
	.version = "1.2.3",
	.description = "test plugin " TP_NAME,
	.config_keys = tp_keys,
	.init = tp_init,
	.start = tp_start,
	.collect_stats = tp_collect_stats,
	.stop = tp_stop,
	.destroy = tp_destroy,
};
