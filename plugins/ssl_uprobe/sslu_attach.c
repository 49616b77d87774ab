// SPDX-License-Identifier: BSD-3-Clause
/* Attaching and detaching ssl_uprobe's uprobes per library and scope (sslu_attach.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "sslu_attach.h"

static void sslu_reaper_wait_pid(struct sslu_reaper *r, int pid);

static struct sslu_scope *sslu_scope_get(struct sslu_attach *a, int pid, bool create)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].pid == pid)
			return &a->v[i];
	if (!create)
		return NULL;
	sslu_reaper_wait_pid(&a->reaper, pid);	/* its old links must not fire beside new ones */
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct sslu_scope *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	a->v[a->n].pid = pid;
	return &a->v[a->n++];
}

static int sslu_scope_link(struct sslu_scope *s, struct bpf_program *prog, bool ret, int pid,
			   const char *path, uint64_t offset, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret, .bpf_cookie = cookie);
	struct bpf_link *link, **links;

	links = realloc(s->links, (s->n_links + 1) * sizeof(*links));
	if (!links)
		return -ENOMEM;
	s->links = links;
	link = bpf_program__attach_uprobe_opts(prog, pid, path, (size_t)offset, &opts);
	if (!link)
		return -errno;
	s->links[s->n_links++] = link;
	return 0;
}

static int sslu_attach_hooks(struct sslu_scope *s, const struct sslu_hook *hooks,
			     struct bpf_program *enter_ex, struct bpf_program *enter,
			     struct bpf_program *ret, int pid, const char *path)
{
	for (size_t i = 0; i < 2; i++) {
		const struct sslu_hook *h = &hooks[i];
		int err;

		if (h->kind == SSLU_HOOK_NONE)
			continue;
		err = sslu_scope_link(s, h->kind == SSLU_HOOK_EX ? enter_ex : enter, false, pid,
				      path, h->offset, 0);
		if (!err)
			err = sslu_scope_link(s, ret, true, pid, path, h->offset, 0);
		if (err)
			return err;
	}
	return 0;
}

int sslu_attach_lib(struct sslu_attach *a, const struct sslu_libs *libs, size_t lib_index,
		    int pid)
{
	const struct sslu_lib *lib = &libs->v[lib_index];
	const struct sslu_progs *p = &a->progs;
	struct sslu_scope *s = sslu_scope_get(a, pid, true);
	size_t *v;
	int err;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_libs; i++)
		if (s->libs[i] == lib_index)
			return 0;
	v = realloc(s->libs, (s->n_libs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->libs = v;
	s->libs[s->n_libs++] = lib_index;
	if (lib->hooks.copy.kind == SSLU_HOOK_COPY && !p->entry_return) {
		err = sslu_scope_link(s, p->copy, false, pid, lib->path, lib->hooks.copy.offset,
				      (uint64_t)lib->hooks.copy.record_reg);
		if (!err && lib->hooks.new_conn.kind != SSLU_HOOK_NONE)
			err = sslu_scope_link(s, p->new_conn, false, pid, lib->path,
					      lib->hooks.new_conn.offset, 0);
	} else {
		err = sslu_attach_hooks(s, lib->hooks.read, p->read_enter_ex, p->read_enter,
					p->ret, pid, lib->path);
	}
	if (!err && p->writes)
		err = sslu_attach_hooks(s, lib->hooks.write, p->write_enter_ex, p->write_enter,
					p->ret, pid, lib->path);
	if (!err && lib->hooks.handshake.kind != SSLU_HOOK_NONE) {
		err = sslu_scope_link(s, p->handshake_enter, false, pid, lib->path,
				      lib->hooks.handshake.offset, 0);
		if (!err)
			err = sslu_scope_link(s, p->ret, true, pid, lib->path,
					      lib->hooks.handshake.offset, 0);
	}
	return err;
}

bool sslu_attach_has_pid(const struct sslu_attach *a, int pid)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].pid == pid)
			return true;
	return false;
}

static void *sslu_reaper_main(void *arg)
{
	struct sslu_reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if (!r->n) {
			if (r->stop)
				break;
			pthread_cond_wait(&r->wake, &r->lock);
			continue;
		}
		r->busy = r->queued;
		r->n_busy = r->n;
		r->queued = NULL;
		r->n = r->cap = 0;
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < r->n_busy; i++)
			bpf_link__destroy(r->busy[i].link);
		pthread_mutex_lock(&r->lock);
		free(r->busy);
		r->busy = NULL;
		r->n_busy = 0;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int sslu_reaper_start(struct sslu_reaper *r)
{
	if (pthread_mutex_init(&r->lock, NULL))
		return -1;
	if (pthread_cond_init(&r->wake, NULL))
		goto no_wake;
	if (pthread_cond_init(&r->done, NULL))
		goto no_done;
	r->stop = false;
	if (pthread_create(&r->thread, NULL, sslu_reaper_main, r))
		goto no_thread;
	r->running = true;
	return 0;
no_thread:
	pthread_cond_destroy(&r->done);
no_done:
	pthread_cond_destroy(&r->wake);
no_wake:
	pthread_mutex_destroy(&r->lock);
	return -1;
}

/* Queue n links of pid for the reaper, started at its first use; false: destroy them yourself. */
static bool sslu_reaper_take(struct sslu_reaper *r, struct bpf_link **links, size_t n, int pid)
{
	bool taken = false;

	if (!r->running && sslu_reaper_start(r))
		return false;
	pthread_mutex_lock(&r->lock);
	if (r->n + n > r->cap) {
		size_t cap = r->cap ? r->cap : 16;
		struct sslu_doomed *v;

		while (cap < r->n + n)
			cap *= 2;
		v = realloc(r->queued, cap * sizeof(*v));
		if (v) {
			r->queued = v;
			r->cap = cap;
		}
	}
	if (r->n + n <= r->cap) {
		for (size_t i = 0; i < n; i++)
			r->queued[r->n++] = (struct sslu_doomed){ .link = links[i], .pid = pid };
		taken = true;
		pthread_cond_signal(&r->wake);
	}
	pthread_mutex_unlock(&r->lock);
	return taken;
}

static bool sslu_doomed_has(const struct sslu_doomed *v, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid)
			return true;
	return false;
}

/* Wait until no link of pid is left to destroy. */
static void sslu_reaper_wait_pid(struct sslu_reaper *r, int pid)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->lock);
	while (sslu_doomed_has(r->queued, r->n, pid) || sslu_doomed_has(r->busy, r->n_busy, pid))
		pthread_cond_wait(&r->done, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void sslu_reaper_stop(struct sslu_reaper *r)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);	/* it destroys what is queued before it returns */
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->queued);
	r->queued = NULL;
	r->n = r->cap = 0;
	r->running = false;
}

static void sslu_scope_free(struct sslu_scope *s, struct sslu_reaper *r)
{
	if (!r || !sslu_reaper_take(r, s->links, s->n_links, s->pid))
		for (size_t i = 0; i < s->n_links; i++)
			bpf_link__destroy(s->links[i]);
	free(s->links);
	free(s->libs);
}

void sslu_detach_pid(struct sslu_attach *a, int pid)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].pid != pid)
			continue;
		sslu_scope_free(&a->v[i], &a->reaper);
		a->v[i] = a->v[--a->n];
		return;
	}
}

void sslu_detach_all(struct sslu_attach *a)
{
	for (size_t i = 0; i < a->n; i++)
		sslu_scope_free(&a->v[i], NULL);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
	sslu_reaper_stop(&a->reaper);
}
