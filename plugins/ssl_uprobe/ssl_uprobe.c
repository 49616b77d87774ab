// SPDX-License-Identifier: BSD-3-Clause
/*
 * ssl_uprobe plugin: HTTP requests decrypted by OpenSSL, tied to their connection.
 *
 * BPF half: bpf/ssl_uprobe.bpf.c. This file: config, finding and hooking the libraries
 * (sslu_libs, sslu_offsets, sslu_attach), following target processes (exec/fork/exit records),
 * and turning plaintext records into http_request events through the shared per-connection
 * request-head reassembler (ja4probe/http_stream.h).
 *
 * Scope: with no `targets:` every libssl found is hooked system-wide (one uprobe per function
 * and library). With targets, uprobes are attached per process: only matching processes (and
 * their forks) trap, so e.g. a load generator linked with the same libssl pays nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include <ja4probe/plugin.h>
#include <ja4probe/fingerprint.h>
#include <ja4probe/fp_event.h>
#include <ja4probe/http_stream.h>

#include "pcpu_counters.h"
#include "proc_filter.h"
#include "rb_reader.h"
#include "ssl_uprobe.h"
#include "ssl_uprobe.skel.h"
#include "sslu_attach.h"
#include "sslu_libs.h"
#include "sslu_rescan.h"
#include "sslu_targets.h"

#define SSLU_EXE_CACHE 256	/* processes whose exe path is remembered (direct-mapped) */

struct sslu_exe {
	int pid;
	char exe[PATH_MAX];
};

struct sslu {
	const struct jp_host *host;
	struct ssl_uprobe_bpf *skel;
	struct rb_reader reader;

	/* config */
	bool outbound, responses, http_raw;
	uint32_t poll_ms;
	struct sslu_target *targets;	/* none: system-wide */
	size_t n_targets;

	struct sslu_libs libs;
	/* libraries every new target process gets: the standard libssl copies, `libraries:` */
	size_t *common_libs;
	size_t n_common_libs;
	struct sslu_attach attach;
	struct http_streams *streams;
	struct sslu_exe *exes;		/* SSLU_EXE_CACHE entries */
	struct sslu_rescan rescan;	/* recent execs whose maps are read again */
	int rescan_timer;		/* -1: none */

	uint64_t *c_lost, *c_copy_truncated, *c_client_responses, *c_no_tuple;
	uint64_t *c_forks_unfollowed;	/* a traced process's child beyond the ct_procs bitmap */
	uint64_t *c_processes, *c_libraries, *c_attach_err, *c_execs_unscanned;
	uint64_t user_lost;		/* lost in userspace (records too short to be read) */
};

static const char *const sslu_read_hooks[] = { "auto", "entry_return", NULL };

static const struct jp_config_key sslu_keys[] = {
	{ .name = "targets", .type = JP_CFG_STRING_LIST, .default_value = NULL,
	  .description = "processes to capture: comm:NAME, exe:PATH, pid:N, cgroup:PATH or NAME; "
			 "empty: every process using libssl (hooked system-wide)" },
	{ .name = "libraries", .type = JP_CFG_STRING_LIST, .default_value = NULL,
	  .description = "more libssl files to hook besides those found in the library "
			 "directories and in the memory maps of running processes" },
	{ .name = "binaries", .type = JP_CFG_STRING_LIST, .default_value = NULL,
	  .description = "executables linked statically with OpenSSL that export SSL_read" },
	{ .name = "outbound", .type = JP_CFG_BOOL, .default_value = "false",
	  .description = "also report requests local clients send (SSL_write), marked outbound; "
			 "costs probes on the write path" },
	{ .name = "capture_responses", .type = JP_CFG_BOOL, .default_value = "false",
	  .description = "http_response events (status, latency) from what servers write; "
			 "costs probes on the write path" },
	{ .name = "max_head_bytes", .type = JP_CFG_INT, .default_value = "8192",
	  .description = "bytes of a request head reassembled per connection; longer heads are "
			 "reported truncated (and counted)", .min = 64, .max = SSLU_DATA_MAX },
	{ .name = "max_connections", .type = JP_CFG_INT, .default_value = "65536",
	  .description = "connections with a partial request head kept at once; the least "
			 "recently used is evicted (and counted)", .min = 16, .max = 1048576 },
	{ .name = "poll_interval_ms", .type = JP_CFG_INT, .default_value = "20",
	  .description = "how often the ring buffer is drained (the BPF side never wakes the "
			 "reader for data, which would cost 6-9 us per request)",
	  .min = 1, .max = 1000 },
	{ .name = "read_hook", .type = JP_CFG_STRING, .default_value = "auto",
	  .description = "auto: one uprobe where OpenSSL copies a read's plaintext when that "
			 "place is recognised (one emulated trap per read with data), else "
			 "entry and return probes on the internal read function; entry_return: "
			 "always the latter (for comparison)", .choices = sslu_read_hooks },
	{ .name = "http_raw", .type = JP_CFG_BOOL, .default_value = "false",
	  .description = "add ja4h_r and ja4h_ro (they carry cookie values)" },
	{ .name = NULL },
};

#define sslu_log(s, lvl, ...) (s)->host->log((s)->host->ctx, lvl, __VA_ARGS__)

/* ---- events ---------------------------------------------------------------------------- */

static const char *sslu_exe_of(struct sslu *s, int pid)
{
	struct sslu_exe *e = &s->exes[(unsigned int)pid % SSLU_EXE_CACHE];
	char path[64];
	ssize_t n;

	if (e->pid == pid)
		return e->exe;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, e->exe, sizeof(e->exe) - 1);
	if (n <= 0)
		return NULL;
	e->exe[n] = '\0';
	e->pid = pid;
	return e->exe;
}

/* pid ran exec or exited: its cached path (if any) is no longer its executable */
static void sslu_exe_forget(struct sslu *s, int pid)
{
	struct sslu_exe *e = &s->exes[(unsigned int)pid % SSLU_EXE_CACHE];

	if (e->pid == pid)
		e->pid = 0;
}

static void sslu_on_data(struct sslu *s, const struct sslu_data_rec *r, size_t size)
{
	const struct ct_tuple *t = &r->tuple;
	const uint8_t *data = r->data;
	struct http_stream_info info = { 0 };
	struct http_stream_key key;
	char comm[SSLU_COMM_LEN + 1];
	bool response = false, outbound = false;

	if (size < sizeof(*r) || r->cap_len > size - sizeof(*r) || r->cap_len > r->len) {
		s->user_lost++;
		return;
	}
	/*
	 * What a process reads is a request to it. What it writes is a response when it starts
	 * with a status line, else (outbound: true) a request of its own, or a piece of one.
	 */
	if (r->dir == SSLU_DIR_WRITE) {
		response = r->cap_len >= 5 && !memcmp(data, "HTTP/", 5);
		outbound = !response;
		if ((response && !s->responses) || (outbound && !s->outbound))
			return;
	}
	if (!t->family)
		(*s->c_no_tuple)++;
	memcpy(comm, r->comm, SSLU_COMM_LEN);
	comm[SSLU_COMM_LEN] = '\0';
	info.family = t->family;
	if (outbound) {
		/* we are the client: src is this socket */
		info.src_addr = t->dst_addr;
		info.src_port = t->dst_port;
		info.dst_addr = t->src_addr;
		info.dst_port = t->src_port;
		info.outbound = true;
	} else {
		info.src_addr = t->src_addr;
		info.src_port = t->src_port;
		info.dst_addr = t->dst_addr;
		info.dst_port = t->dst_port;
	}
	info.pid = r->pid;
	info.tid = r->tid;
	info.comm = comm;
	info.exe = sslu_exe_of(s, (int)r->pid);
	info.tls = true;
	rb_realtime(&s->reader, r->ts_ns, &info.realtime);
	info.mono_ns = r->ts_ns;
	/*
	 * The connection: (pid, socket) when the socket is known (reads at the copy site carry
	 * no SSL*), else (pid, SSL*): a kernel and a user address are never equal. A client's
	 * own requests are a stream of their own (both are 8-byte aligned: bit 0 is free).
	 */
	key.pid = r->pid;
	key.fd = 0;
	key.id = (r->sk ? r->sk : r->ssl) | outbound;
	if (response)
		http_stream_response(s->streams, &key, &info, data, r->cap_len);
	else
		http_stream_data(s->streams, &key, &info, data, r->cap_len, r->len);
}

/* the socket closed: its streams go (a head still partial is counted as truncated) */
static void sslu_close_conn(struct sslu *s, uint32_t pid, uint64_t sk)
{
	struct http_stream_key key = { .pid = pid, .fd = 0, .id = sk };

	http_stream_close(s->streams, &key);
	key.id = sk | 1;	/* this process's own outbound requests on that socket */
	http_stream_close(s->streams, &key);
}

/* ---- following target processes (per-process mode) ------------------------------------ */

struct sslu_pid_ctx {
	struct sslu *s;
	int pid;
	bool gone;		/* the process exited before it could be hooked */
};

static void sslu_attach_one(struct sslu_pid_ctx *p, size_t lib)
{
	struct sslu *s = p->s;
	int err = sslu_attach_lib(&s->attach, &s->libs, lib, p->pid);

	/* a short-lived process (a traced server's helper) gone before it could be hooked */
	if (err == -ESRCH) {
		p->gone = true;
		return;
	}
	if (err) {
		(*s->c_attach_err)++;
		sslu_log(s, JP_LOG_WARN, "cannot attach uprobes to %s for pid %d: %s",
			 s->libs.v[lib].path, p->pid, strerror(-err));
	}
}

/* a libssl found in a target process's maps: hook it for that process */
static int sslu_proc_lib_cb(void *arg, const char *path)
{
	struct sslu_pid_ctx *p = arg;
	size_t idx;
	int err = sslu_libs_add(&p->s->libs, path, &idx);

	if (err && err != -EEXIST) {
		sslu_log(p->s, JP_LOG_DEBUG, "no OpenSSL hooks in %s: %s", path, strerror(-err));
		return 0;
	}
	*p->s->c_libraries = p->s->libs.n;
	sslu_attach_one(p, idx);
	return 0;
}

/* a process already using OpenSSL: its threads' reads are followed from their first one */
static void sslu_mark_ssl_pid(struct sslu *s, int pid)
{
	__u32 key = (__u32)pid;
	__u8 one = 1;

	bpf_map__update_elem(s->skel->maps.ssl_pids, &key, sizeof(key), &one, sizeof(one),
			     BPF_ANY);
}

static void sslu_untrace_pid(struct sslu *s, int pid)
{
	ct_filter_set_pid(s->host, s->skel->obj, pid, false);
	sslu_detach_pid(&s->attach, pid);
	*s->c_processes = s->attach.n;
}

/*
 * Hook the common libraries (and, with scan_maps, those in its maps) for pid. Hooks already
 * there stay: they are bound to the task, not to its image, so they survive an exec (the
 * library's inode and offsets are the same in the new image), and detaching costs the
 * kernel an RCU grace period per probe (~0.1 s each here), time in which a freshly exec'd
 * server would answer its first requests unhooked.
 */
static void sslu_trace_pid(struct sslu *s, int pid, bool scan_maps)
{
	struct sslu_pid_ctx p = { .s = s, .pid = pid };

	/* followed by the BPF fork and exit programs from now on */
	if (ct_filter_set_pid(s->host, s->skel->obj, pid, true) == -ERANGE)
		sslu_log(s, JP_LOG_WARN, "pid %d is beyond kernel.pid_max as it was at start: its "
			 "sockets, children and execs are not followed", pid);
	for (size_t i = 0; i < s->n_common_libs && !p.gone; i++)
		sslu_attach_one(&p, s->common_libs[i]);
	if (scan_maps && !p.gone)
		sslu_proc_libssl(pid, sslu_proc_lib_cb, &p);
	if (p.gone) {
		/* its exit already went by: a traced entry left now would outlive it */
		sslu_untrace_pid(s, pid);
		return;
	}
	sslu_mark_ssl_pid(s, pid);
	*s->c_processes = s->attach.n;
}

static uint64_t sslu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sslu_on_ctl(struct sslu *s, const struct sslu_ctl_rec *r)
{
	switch (r->type) {
	case SSLU_REC_EXEC:
		sslu_exe_forget(s, (int)r->pid);
		/* system-wide, or a target: its libssl may be at a path no hook covers yet */
		if (!s->n_targets) {
			sslu_rescan_add(&s->rescan, (int)r->pid, sslu_now_ms());
		} else if (sslu_targets_match_pid(s->targets, s->n_targets, (int)r->pid)) {
			sslu_trace_pid(s, (int)r->pid, false);
			sslu_rescan_add(&s->rescan, (int)r->pid, sslu_now_ms());
		} else {
			/* a traced process that now runs something else is let go */
			sslu_untrace_pid(s, (int)r->pid);
		}
		break;
	case SSLU_REC_FORK:
		sslu_trace_pid(s, (int)r->pid, true);
		break;
	case SSLU_REC_EXIT:
		sslu_exe_forget(s, (int)r->pid);
		sslu_untrace_pid(s, (int)r->pid);
		break;
	case SSLU_REC_CLOSE:
		sslu_close_conn(s, r->pid, r->sk);
		break;
	}
}

static int sslu_rb_cb(void *ctx, void *data, size_t size)
{
	struct sslu *s = ctx;
	unsigned int type;

	if (size < sizeof(type)) {
		s->user_lost++;
		return 0;
	}
	memcpy(&type, data, sizeof(type));
	if (type == SSLU_REC_DATA)
		sslu_on_data(s, data, size);
	else if (size >= sizeof(struct sslu_ctl_rec))
		sslu_on_ctl(s, data);
	else
		s->user_lost++;
	return 0;
}

/* ---- libraries ------------------------------------------------------------------------- */

struct sslu_scan_ctx {
	struct sslu *s;
	int pid;		/* > 0: the process whose maps are scanned */
	bool common;		/* the library goes to common_libs */
	bool quiet;		/* a file without SSL_read is not worth a warning */
	bool attach;		/* a new library is hooked in every process at once */
};

static int sslu_add_lib_cb(void *arg, const char *path)
{
	struct sslu_scan_ctx *c = arg;
	struct sslu *s = c->s;
	size_t idx, *v;
	int err = sslu_libs_add(&s->libs, path, &idx);

	if (c->pid > 0)
		sslu_mark_ssl_pid(s, c->pid);
	if (err == -EEXIST && !c->common)
		return 0;
	if (err && err != -EEXIST) {
		if (!c->quiet)
			sslu_log(s, JP_LOG_WARN, "cannot hook %s: %s", path,
				 err == -ENOENT ? "it exports no SSL_read" : strerror(-err));
		return 0;
	}
	if (!err) {
		const struct sslu_hook *h = &s->libs.v[idx].hooks.read[0];

		const struct sslu_hook *cp = &s->libs.v[idx].hooks.copy;

		if (cp->kind == SSLU_HOOK_COPY)
			h = cp;
		sslu_log(s, JP_LOG_INFO, "%s: read hook at %s, offset 0x%llx%s", path, h->what,
			 (unsigned long long)h->offset,
			 h->emulated ? "" : " (single-stepped: about 10 us per call)");
		if (c->attach) {
			struct sslu_pid_ctx all = { .s = s, .pid = -1 };

			sslu_attach_one(&all, idx);
			*s->c_libraries = s->libs.n;
		}
	}
	if (!c->common)
		return 0;
	for (size_t i = 0; i < s->n_common_libs; i++)
		if (s->common_libs[i] == idx)
			return 0;
	v = realloc(s->common_libs, (s->n_common_libs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->common_libs = v;
	s->common_libs[s->n_common_libs++] = idx;
	return 0;
}

static int sslu_config_libs(struct sslu *s, const struct jp_config *cfg)
{
	const struct jp_host *h = s->host;
	struct sslu_scan_ctx c = { .s = s, .common = true, .quiet = true };
	static const char *const keys[] = { "libraries", "binaries" };

	sslu_system_libssl(sslu_add_lib_cb, &c);
	c.quiet = false;
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < h->cfg_list_len(cfg, keys[k]); i++) {
			int err = sslu_add_lib_cb(&c, h->cfg_list_string(cfg, keys[k], i));

			if (err)
				return err;
		}
	}
	return 0;
}

static void sslu_scan_one(const struct proc_info *p, void *arg)
{
	struct sslu_scan_ctx *c = arg;
	struct sslu *s = c->s;

	if (p->pid == getpid())
		return;
	c->pid = p->pid;
	if (!s->n_targets)
		sslu_proc_libssl(p->pid, sslu_add_lib_cb, c);
	else if (sslu_targets_match(s->targets, s->n_targets, p))
		sslu_trace_pid(s, p->pid, true);
}

/* every running process: system-wide, collect its libssl; per process, trace the targets */
static void sslu_scan_proc(struct sslu *s)
{
	struct sslu_scan_ctx c = { .s = s, .common = false, .quiet = true };
	int err = proc_for_each(sslu_targets_want(s->targets, s->n_targets), sslu_scan_one, &c);

	if (err)
		sslu_log(s, JP_LOG_WARN, "cannot list /proc: %s", strerror(-err));
}

/* the processes that exec'd SSLU_RESCAN_FIRST/LAST_MS ago: hook a libssl they mapped since */
static void sslu_rescan_tick(void *arg)
{
	struct sslu *s = arg;
	int pids[32];
	size_t n = sslu_rescan_due(&s->rescan, sslu_now_ms(), pids, 32);

	for (size_t i = 0; i < n; i++) {
		if (s->n_targets) {
			struct sslu_pid_ctx p = { .s = s, .pid = pids[i] };

			if (sslu_attach_has_pid(&s->attach, pids[i]))
				sslu_proc_libssl(pids[i], sslu_proc_lib_cb, &p);
		} else {
			struct sslu_scan_ctx c = { .s = s, .pid = pids[i], .quiet = true,
						   .attach = true };

			sslu_proc_libssl(pids[i], sslu_add_lib_cb, &c);
		}
	}
	*s->c_execs_unscanned = s->rescan.dropped;
}

/* ---- lifecycle ------------------------------------------------------------------------- */

static int sslu_read_config(struct sslu *s, const struct jp_config *cfg)
{
	const struct jp_host *h = s->host;
	size_t n = h->cfg_list_len(cfg, "targets");

	s->outbound = h->cfg_bool(cfg, "outbound");
	s->responses = h->cfg_bool(cfg, "capture_responses");
	s->http_raw = h->cfg_bool(cfg, "http_raw");
	s->poll_ms = (uint32_t)h->cfg_int(cfg, "poll_interval_ms");
	if (n) {
		s->targets = calloc(n, sizeof(*s->targets));
		if (!s->targets)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = h->cfg_list_string(cfg, "targets", i);

		if (sslu_target_parse(t, &s->targets[i])) {
			sslu_log(s, JP_LOG_ERROR, "targets: cannot read \"%s\" (want comm:NAME, "
				 "exe:PATH, pid:N, cgroup:PATH or NAME)", t);
			return -EINVAL;
		}
	}
	s->n_targets = n;
	return 0;
}

static void sslu_counters(struct sslu *s)
{
	struct jp_plugin_ctx *ctx = s->host->ctx;

	s->c_lost = s->host->counter(ctx, "lost");
	s->c_copy_truncated = s->host->counter(ctx, "copy_truncated");
	s->c_client_responses = s->host->counter(ctx, "client_responses");
	s->c_no_tuple = s->host->counter(ctx, "no_tuple");
	s->c_forks_unfollowed = s->host->counter(ctx, "forks_unfollowed");
	s->c_processes = s->host->counter(ctx, "processes");
	s->c_libraries = s->host->counter(ctx, "libraries");
	s->c_attach_err = s->host->counter(ctx, "attach_errors");
	s->c_execs_unscanned = s->host->counter(ctx, "execs_unscanned");
}

static void sslu_destroy(void *state);

/*
 * conn_track.bpf.h comes in for its socket readers and, with targets, its process following
 * (ct_procs, ct_fork, ct_exit); its connection table and other programs stay out.
 */
static int sslu_use_conn_track(struct sslu *s)
{
	struct ssl_uprobe_bpf *skel = s->skel;
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
		if (!strncmp(bpf_program__name(prog), "ct_", 3))
			bpf_program__set_autoload(prog, false);
	bpf_map__set_max_entries(skel->maps.ct_conns, 1);
	if (!s->n_targets)
		return bpf_map__set_max_entries(skel->maps.ct_procs, 1);
	bpf_program__set_autoload(skel->progs.ct_fork, true);
	bpf_program__set_autoload(skel->progs.ct_exit, true);
	return ct_filter_prepare(s->host, skel->obj);
}

/*
 * targets: of comm: names only: the BPF exec program drops the execs of other names itself;
 * other kinds (exe, pid, cgroup) need a look at /proc for every exec.
 */
static void sslu_filter_execs(struct sslu *s)
{
	char comm[SSLU_COMM_LEN];
	__u8 one = 1;

	if (!s->n_targets || s->n_targets > SSLU_TARGET_COMMS_MAX)
		return;
	for (size_t i = 0; i < s->n_targets; i++)
		if (s->targets[i].kind != SSLU_T_COMM)
			return;
	for (size_t i = 0; i < s->n_targets; i++) {
		/* a longer name never matches /proc/PID/comm either */
		if (strlen(s->targets[i].value) >= sizeof(comm))
			continue;
		memset(comm, 0, sizeof(comm));
		strcpy(comm, s->targets[i].value);
		if (bpf_map__update_elem(s->skel->maps.target_comms, comm, sizeof(comm), &one,
					 sizeof(one), BPF_ANY)) {
			sslu_log(s, JP_LOG_WARN, "cannot add target comm:%s to the BPF exec filter: "
				 "every exec is looked at", comm);
			return;
		}
	}
	s->skel->bss->exec_comm_filter = 1;
}

/*
 * The socket of a read comes from the sock_recv_length tracepoint (Linux 6.3): without it the
 * BPF object cannot load, and libbpf's error would not say why.
 */
static int sslu_check_kernel(struct sslu *s)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id;

	if (!vmlinux)
		return 0;	/* no BTF: the load says so itself */
	id = btf__find_by_name_kind(vmlinux, "btf_trace_sock_recv_length", BTF_KIND_TYPEDEF);
	btf__free(vmlinux);
	if (id > 0)
		return 0;
	sslu_log(s, JP_LOG_ERROR, "this kernel has no sock_recv_length tracepoint, which tells "
		 "the socket of each TLS read: ssl_uprobe needs Linux 6.3 or later");
	return -ENOTSUP;
}

static int sslu_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
	struct sslu *s = calloc(1, sizeof(*s));
	struct http_stream_config scfg = { 0 };
	bool writes;
	int err;

	if (!s)
		return -ENOMEM;
	s->host = host;
	s->rescan_timer = -1;
	sslu_counters(s);
	err = sslu_read_config(s, config);
	if (err)
		goto fail;
	s->exes = calloc(SSLU_EXE_CACHE, sizeof(*s->exes));
	scfg.max_streams = (uint32_t)host->cfg_int(config, "max_connections");
	scfg.max_head = (uint32_t)host->cfg_int(config, "max_head_bytes");
	scfg.responses = s->responses;
	scfg.http.ja4h_raw = s->http_raw;
	s->streams = http_streams_new(host, &scfg);
	if (!s->exes || !s->streams) {
		err = -ENOMEM;
		goto fail;
	}

	err = sslu_check_kernel(s);
	if (err)
		goto fail;
	s->skel = ssl_uprobe_bpf__open();
	if (!s->skel) {
		err = -errno;
		sslu_log(s, JP_LOG_ERROR, "cannot open the BPF object ssl_uprobe: %s",
			 strerror(-err));
		goto fail;
	}
	s->skel->rodata->cfg.copy_max = scfg.max_head;
	s->skel->rodata->cfg.per_process = s->n_targets > 0;
	err = sslu_use_conn_track(s);
	if (err)
		goto fail;
	writes = s->outbound || s->responses;
	bpf_program__set_autoload(s->skel->progs.sslu_sock_send, writes);
	bpf_program__set_autoload(s->skel->progs.sslu_write_enter, writes);
	bpf_program__set_autoload(s->skel->progs.sslu_write_enter_ex, writes);
	err = ssl_uprobe_bpf__load(s->skel);
	if (err) {
		sslu_log(s, JP_LOG_ERROR, "cannot load the BPF object ssl_uprobe: %s",
			 strerror(-err));
		goto fail;
	}
	sslu_filter_execs(s);
	s->attach.progs = (struct sslu_progs){
		.read_enter_ex = s->skel->progs.sslu_read_enter_ex,
		.read_enter = s->skel->progs.sslu_read_enter,
		.write_enter_ex = s->skel->progs.sslu_write_enter_ex,
		.write_enter = s->skel->progs.sslu_write_enter,
		.handshake_enter = s->skel->progs.sslu_handshake_enter,
		.copy = s->skel->progs.sslu_copy,
		.new_conn = s->skel->progs.sslu_new,
		.entry_return = !strcmp(host->cfg_string(config, "read_hook"), "entry_return"),
		.ret = s->skel->progs.sslu_ret,
		.writes = writes,
	};
	err = sslu_config_libs(s, config);
	if (err)
		goto fail;
	*state = s;
	return 0;
fail:
	sslu_destroy(s);
	return err;
}

static int sslu_attach_tracepoints(struct sslu *s)
{
	struct bpf_program *progs[] = {
		s->skel->progs.sslu_sock_recv, s->skel->progs.sslu_sock_send,
		s->skel->progs.sslu_sys_close,
		s->skel->progs.sslu_exec, s->skel->progs.ct_fork, s->skel->progs.ct_exit,
	};
	struct bpf_link **links[] = {
		&s->skel->links.sslu_sock_recv, &s->skel->links.sslu_sock_send,
		&s->skel->links.sslu_sys_close,
		&s->skel->links.sslu_exec, &s->skel->links.ct_fork, &s->skel->links.ct_exit,
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		if (!bpf_program__autoload(progs[i]))
			continue;
		*links[i] = bpf_program__attach(progs[i]);
		if (!*links[i]) {
			int err = -errno;

			sslu_log(s, JP_LOG_ERROR, "cannot attach %s: %s",
				 bpf_program__name(progs[i]), strerror(-err));
			return err;
		}
	}
	return 0;
}

static int sslu_start(void *state)
{
	struct sslu *s = state;
	int err;

	err = rb_reader_start(&s->reader, s->host, bpf_map__fd(s->skel->maps.rb), CLOCK_MONOTONIC,
			      s->poll_ms, sslu_rb_cb, s);
	if (err)
		return err;
	/* socket calls and exec/fork/exit first, so nothing that starts during the scan is missed */
	err = sslu_attach_tracepoints(s);
	if (err)
		return err;
	sslu_scan_proc(s);
	if (!s->n_targets) {
		struct sslu_pid_ctx all = { .s = s, .pid = -1 };

		for (size_t i = 0; i < s->libs.n; i++)
			sslu_attach_one(&all, i);
	}
	*s->c_libraries = s->libs.n;
	s->rescan_timer = s->host->add_timer(s->host->ctx, SSLU_RESCAN_FIRST_MS / 2,
					     sslu_rescan_tick, s);
	if (s->rescan_timer < 0)
		return s->rescan_timer;
	sslu_log(s, JP_LOG_INFO, "%zu libraries with OpenSSL hooks; %s", s->libs.n,
		 s->n_targets ? "attached per target process" : "attached system-wide");
	return 0;
}

static void sslu_collect_stats(void *state)
{
	struct sslu *s = state;
	uint64_t v[SSLU_CNT_MAX], ct[CT_STAT_MAX];

	rb_reader_drain(&s->reader);
	if (s->n_targets && !pcpu_counters_read(bpf_map__fd(s->skel->maps.ct_stats), CT_STAT_MAX,
						ct))
		*s->c_forks_unfollowed = ct[CT_STAT_PROCS_FULL];
	if (pcpu_counters_read(bpf_map__fd(s->skel->maps.counters), SSLU_CNT_MAX, v))
		return;
	/* reassembly losses are counted by http_stream under http_* */
	*s->c_lost = v[SSLU_CNT_RB_FULL] + v[SSLU_CNT_CTL_LOST] + v[SSLU_CNT_CALLS_FULL] +
		     v[SSLU_CNT_READ_FAULT] + s->user_lost;
	*s->c_copy_truncated = v[SSLU_CNT_TRUNCATED];
	*s->c_client_responses = v[SSLU_CNT_RESPONSES];
}

static void sslu_stop(void *state)
{
	struct sslu *s = state;

	if (s->rescan_timer >= 0)
		s->host->remove_timer(s->host->ctx, s->rescan_timer);
	s->rescan_timer = -1;
	sslu_detach_all(&s->attach);
	if (s->skel)
		ssl_uprobe_bpf__detach(s->skel);
	/* what was already captured still becomes events */
	rb_reader_stop(&s->reader);
}

static void sslu_destroy(void *state)
{
	struct sslu *s = state;

	if (!s)
		return;
	sslu_detach_all(&s->attach);	/* a start that failed half-way left links */
	ssl_uprobe_bpf__destroy(s->skel);
	http_streams_free(s->streams);
	sslu_libs_free(&s->libs);
	free(s->common_libs);
	free(s->targets);
	free(s->exes);
	free(s);
}

JP_PLUGIN_DEFINE(
	.name = "ssl_uprobe",
	.version = "0.1.0",
	.description = "decrypted HTTP requests (JA4H) from OpenSSL uprobes, with their connection",
	.config_keys = sslu_keys,
	.init = sslu_init,
	.start = sslu_start,
	.collect_stats = sslu_collect_stats,
	.stop = sslu_stop,
	.destroy = sslu_destroy);
