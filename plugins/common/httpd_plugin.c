// SPDX-License-Identifier: BSD-3-Clause
/* The userspace body of the HTTP server plugins (see httpd_plugin.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ja4probe/http_stream.h>
#include "../../bpf/http_syscalls.h"
#include "httpd_plugin.h"
#include "pcpu_counters.h"
#include "proc_filter.h"
#include "rb_reader.h"

#define HTTPD_MAX_LINKS 32

/* per-CPU BPF counters and the names they are reported under */
static const char *const httpd_ct_stat_names[CT_STAT_MAX] = {
	[CT_STAT_PROCS_FULL] = "bpf_procs_full",
	[CT_STAT_CONNS_FULL] = "bpf_conns_full",
	[CT_STAT_ACCEPT_NOSOCK] = "bpf_accept_nosock",
	[CT_STAT_ACCEPT_OTHER] = "accepted_not_inet",
};
static const char *const httpd_hs_stat_names[HS_STAT_MAX] = {
	[HS_STAT_RB_FULL] = "bpf_ringbuf_full",
	[HS_STAT_TLS_CONNS] = "tls_connections_skipped",
	[HS_STAT_READ_FAULT] = "bpf_read_faults",
	[HS_STAT_RECORDS] = "bpf_records",
};

struct httpd {
	const struct httpd_ops *ops;
	const struct jp_host *host;
	struct bpf_object *obj;
	struct bpf_link *links[HTTPD_MAX_LINKS];
	size_t n_links;
	struct rb_reader reader;
	struct http_streams *streams;
	struct ct_match match;
	char **strings;			/* the match lists' copies */
	size_t n_strings;
	bool responses;
	uint32_t capture_bytes;
	uint64_t poll_ms;
	uint64_t *ct_slots[CT_STAT_MAX], *hs_slots[HS_STAT_MAX];
	uint64_t *lost, *records, *watched_gauge;
	uint64_t lost_reported;		/* the part of *lost that came from BPF counters */
};

static void httpd_log_err(struct httpd *h, const char *what, const char *obj, int err)
{
	h->host->log(h->host->ctx, JP_LOG_ERROR, "%s %s: %s", what, obj, strerror(-err));
}

/* Copy a string list of the config, so it outlives the config. */
static int httpd_cfg_list(struct httpd *h, const struct jp_config *cfg, const char *key,
			  const char *const **out, size_t *n)
{
	size_t len = h->host->cfg_list_len(cfg, key);
	const char **list = calloc(len ? len : 1, sizeof(*list));
	char **strings = realloc(h->strings, (h->n_strings + len + 1) * sizeof(*strings));

	if (!list || !strings) {
		free(list);
		if (strings)
			h->strings = strings;
		return -ENOMEM;
	}
	h->strings = strings;
	for (size_t i = 0; i < len; i++) {
		char *s = strdup(h->host->cfg_list_string(cfg, key, i));

		if (!s) {
			free(list);
			return -ENOMEM;
		}
		h->strings[h->n_strings++] = s;
		list[i] = s;
	}
	*out = list;
	*n = len;
	return 0;
}

static uint32_t httpd_pow2(uint64_t v)
{
	uint32_t p = 4096;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

static int httpd_open(struct httpd *h, const struct jp_config *cfg)
{
	const struct jp_host *host = h->host;
	uint64_t ring = (uint64_t)host->cfg_int(cfg, "ring_buffer_kb") * 1024;
	struct hs_config bcfg = { .capture_bytes = h->capture_bytes, .precise_ts = h->responses };
	uint32_t ring_size = httpd_pow2(ring);
	struct bpf_program *prog;
	struct bpf_map *map;
	uint32_t zero = 0;
	size_t size;
	const void *elf = h->ops->elf_bytes(&size);
	int err;

	h->obj = bpf_object__open_mem(elf, size, NULL);
	if (!h->obj) {
		err = -errno;
		httpd_log_err(h, "cannot open the BPF object of", h->ops->server, err);
		return err;
	}
	map = bpf_object__find_map_by_name(h->obj, "hs_events");
	/* one wakeup each time the ring gets a quarter full; the timer does the rest */
	bcfg.wake_bytes = ring_size / 4;
	if (!map || bpf_map__set_max_entries(map, ring_size)) {
		httpd_log_err(h, "cannot size the ring buffer of", h->ops->server, -EINVAL);
		return -EINVAL;
	}
	bpf_object__for_each_program(prog, h->obj) {
		if (!strncmp(bpf_program__name(prog), "hs_resp_", 8))
			bpf_program__set_autoload(prog, h->responses);
	}
	err = ct_filter_prepare(host, h->obj);
	if (err)
		return err;
	err = bpf_object__load(h->obj);
	if (err) {
		httpd_log_err(h, "cannot load the BPF programs of", h->ops->server, err);
		return err;
	}
	map = bpf_object__find_map_by_name(h->obj, "hs_config");
	if (!map || bpf_map__update_elem(map, &zero, sizeof(zero), &bcfg, sizeof(bcfg), 0)) {
		httpd_log_err(h, "cannot set the capture config of", h->ops->server, -EINVAL);
		return -EINVAL;
	}
	return ct_filter_configure(host, h->obj, &h->match);
}

static int httpd_setup(struct httpd *h, const struct jp_config *cfg)
{
	const struct jp_host *host = h->host;
	struct http_stream_config scfg = { 0 };
	int err;

	h->responses = host->cfg_bool(cfg, "capture_responses");
	h->capture_bytes = (uint32_t)host->cfg_int(cfg, "capture_bytes");
	h->poll_ms = (uint64_t)host->cfg_int(cfg, "poll_interval_ms");
	err = httpd_cfg_list(h, cfg, "comm", &h->match.comms, &h->match.n_comms);
	if (!err)
		err = httpd_cfg_list(h, cfg, "exe", &h->match.exes, &h->match.n_exes);
	if (err) {
		host->log(host->ctx, JP_LOG_ERROR, "out of memory");
		return err;
	}
	if (!h->match.n_comms && !h->match.n_exes) {
		host->log(host->ctx, JP_LOG_ERROR, "neither comm nor exe is set: no process to watch");
		return -EINVAL;
	}
	scfg.max_head = (uint32_t)host->cfg_int(cfg, "max_head");
	scfg.max_streams = (uint32_t)host->cfg_int(cfg, "max_connections");
	scfg.responses = h->responses;
	scfg.http.ja4h_raw = host->cfg_bool(cfg, "http_raw");
	h->streams = http_streams_new(host, &scfg);
	if (!h->streams)
		return -ENOMEM;
	for (int i = 0; i < CT_STAT_MAX; i++)
		h->ct_slots[i] = host->counter(host->ctx, httpd_ct_stat_names[i]);
	for (int i = 0; i < HS_STAT_MAX; i++)
		h->hs_slots[i] = host->counter(host->ctx, httpd_hs_stat_names[i]);
	h->lost = host->counter(host->ctx, "lost");
	h->records = host->counter(host->ctx, "records");
	h->watched_gauge = host->counter(host->ctx, "processes_watched");
	return httpd_open(h, cfg);
}

int httpd_init(const struct httpd_ops *ops, const struct jp_host *host,
	       const struct jp_config *cfg, void **state)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int err;

	*state = NULL;
	if (!h) {
		host->log(host->ctx, JP_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	h->ops = ops;
	h->host = host;
	err = httpd_setup(h, cfg);
	if (err) {
		/* the host calls destroy() only after a successful init() */
		httpd_destroy(h);
		return err;
	}
	*state = h;
	return 0;
}

/* ::ffff:a.b.c.d on a dual-stack listener is an IPv4 client: report it as one. */
static bool httpd_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

static int httpd_record(void *ctx, void *data, size_t size)
{
	struct httpd *h = ctx;
	const struct hs_record *rec = data;
	struct http_stream_info info = { 0 };
	struct http_stream_key key;
	char comm[CT_COMM_LEN + 1];

	if (size < sizeof(*rec) || rec->len > size - sizeof(*rec)) {
		(*h->lost)++;
		return 0;
	}
	if (h->records)
		(*h->records)++;
	key = (struct http_stream_key){ .pid = rec->tgid, .fd = rec->fd, .id = rec->conn_start_ns };
	if (rec->type == HS_REC_CLOSE) {
		http_stream_close(h->streams, &key);
		return 0;
	}
	memcpy(comm, rec->comm, CT_COMM_LEN);
	comm[CT_COMM_LEN] = '\0';
	info.family = rec->tuple.family;
	info.src_addr = rec->tuple.src_addr;
	info.dst_addr = rec->tuple.dst_addr;
	if (info.family == AF_INET6 && httpd_v4_mapped(info.src_addr) &&
	    httpd_v4_mapped(info.dst_addr)) {
		info.family = AF_INET;
		info.src_addr += 12;
		info.dst_addr += 12;
	}
	info.src_port = rec->tuple.src_port;
	info.dst_port = rec->tuple.dst_port;
	info.pid = rec->tgid;
	info.tid = rec->tid;
	info.comm = comm;
	info.server = h->ops->server;
	rb_realtime(&h->reader, rec->ts_ns, &info.realtime);
	info.mono_ns = rec->ts_ns;
	if (rec->type == HS_REC_DATA)
		http_stream_data(h->streams, &key, &info, rec->data, rec->len, rec->total);
	else if (rec->type == HS_REC_RESP)
		http_stream_response(h->streams, &key, &info, rec->data, rec->len);
	return 0;
}

/* Attach the programs whose name starts (or not) with prefix. */
static int httpd_attach(struct httpd *h, const char *prefix, bool match)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, h->obj) {
		const char *name = bpf_program__name(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || (strncmp(name, prefix, strlen(prefix)) == 0) != match)
			continue;
		if (h->n_links == HTTPD_MAX_LINKS)
			return -E2BIG;
		link = bpf_program__attach(prog);
		if (!link) {
			int err = -errno;

			httpd_log_err(h, "cannot attach BPF program", name, err);
			return err;
		}
		h->links[h->n_links++] = link;
	}
	return 0;
}

int httpd_start(void *state)
{
	struct httpd *h = state;
	const struct jp_host *host = h->host;
	struct bpf_map *events = bpf_object__find_map_by_name(h->obj, "hs_events");
	size_t watched;
	int err;

	/* first follow forks and execs, then scan: a process started meanwhile is in either */
	err = httpd_attach(h, "ct_", true);
	if (err)
		return err;
	err = ct_filter_scan_proc(host, h->obj, &h->match, &watched);
	if (err)
		return err;
	host->log(host->ctx, JP_LOG_INFO, "%zu running %s processes watched", watched,
		  h->ops->server);
	err = rb_reader_start(&h->reader, host, bpf_map__fd(events), CLOCK_MONOTONIC,
			      (unsigned int)h->poll_ms, httpd_record, h);
	if (err)
		return err;
	return httpd_attach(h, "ct_", false);
}

/* Sum a per-CPU counter array (through sums, n entries) into the host's slots. */
static void httpd_sum_stats(struct httpd *h, const char *map_name, uint64_t **slots,
			    uint64_t *sums, unsigned int n)
{
	struct bpf_map *map = bpf_object__find_map_by_name(h->obj, map_name);

	if (!map || pcpu_counters_read(bpf_map__fd(map), n, sums))
		return;
	for (unsigned int i = 0; i < n; i++)
		if (slots[i])
			*slots[i] = sums[i];
}

void httpd_collect_stats(void *state)
{
	struct httpd *h = state;
	uint64_t ct[CT_STAT_MAX], hs[HS_STAT_MAX];
	size_t watched;
	uint64_t lost;

	if (!h->obj)
		return;
	httpd_sum_stats(h, "ct_stats", h->ct_slots, ct, CT_STAT_MAX);
	httpd_sum_stats(h, "hs_stats", h->hs_slots, hs, HS_STAT_MAX);
	/* what BPF could not hand over is lost */
	lost = h->hs_slots[HS_STAT_RB_FULL] ? *h->hs_slots[HS_STAT_RB_FULL] : 0;
	if (h->lost && lost > h->lost_reported) {
		*h->lost += lost - h->lost_reported;
		h->lost_reported = lost;
	}
	if (h->watched_gauge && !ct_filter_count(h->host, h->obj, &watched))
		*h->watched_gauge = watched;
}

void httpd_stop(void *state)
{
	struct httpd *h = state;

	while (h->n_links)
		bpf_link__destroy(h->links[--h->n_links]);
	rb_reader_stop(&h->reader);	/* what is already in the ring still becomes events */
}

void httpd_destroy(void *state)
{
	struct httpd *h = state;

	if (!h)
		return;
	httpd_stop(h);
	bpf_object__close(h->obj);
	http_streams_free(h->streams);
	for (size_t i = 0; i < h->n_strings; i++)
		free(h->strings[i]);
	free(h->strings);
	free((void *)h->match.comms);
	free((void *)h->match.exes);
	free(h);
}
