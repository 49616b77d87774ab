// SPDX-License-Identifier: BSD-3-Clause
/* Which processes a plugin watches: the match lists into BPF maps, one /proc scan at start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../../bpf/conn_track.h"
#include "proc_filter.h"
#include "proc_walk.h"

static int ct_map_fd(const struct jp_host *host, struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map) {
		host->log(host->ctx, JP_LOG_ERROR, "BPF object %s has no map %s",
			  bpf_object__name(obj), name);
		return -ENOENT;
	}
	return bpf_map__fd(map);
}

/* The kernel's encoding of a device number (MKDEV), as inode->i_sb->s_dev holds it. */
static __u32 ct_kernel_dev(dev_t dev)
{
	return (__u32)(major(dev) << 20 | minor(dev));
}

static int ct_update(const struct jp_host *host, int fd, const void *key, const char *what,
		     const char *value)
{
	__u8 one = 1;

	if (bpf_map_update_elem(fd, key, &one, BPF_ANY)) {
		int err = -errno;

		host->log(host->ctx, JP_LOG_ERROR, "cannot add %s %s to the process filter: %s",
			  what, value, strerror(-err));
		return err;
	}
	return 0;
}

int ct_filter_configure(const struct jp_host *host, struct bpf_object *obj,
			const struct ct_match *match)
{
	int comms = ct_map_fd(host, obj, "ct_comms");
	int exes = ct_map_fd(host, obj, "ct_exes");
	int paths = ct_map_fd(host, obj, "ct_paths");
	int err;

	if (comms < 0 || exes < 0 || paths < 0)
		return -ENOENT;
	for (size_t i = 0; i < match->n_comms; i++) {
		char comm[CT_COMM_LEN] = { 0 };
		size_t len = strlen(match->comms[i]);

		if (len == 0 || len >= CT_COMM_LEN) {
			host->log(host->ctx, JP_LOG_ERROR,
				  "comm \"%s\": a process name has 1 to %d bytes",
				  match->comms[i], CT_COMM_LEN - 1);
			return -EINVAL;
		}
		memcpy(comm, match->comms[i], len);
		err = ct_update(host, comms, comm, "comm", match->comms[i]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < match->n_exes; i++) {
		const char *exe = match->exes[i];
		char path[CT_PATH_LEN] = { 0 };
		struct stat st;

		if (strlen(exe) < CT_PATH_LEN) {
			memcpy(path, exe, strlen(exe));
			err = ct_update(host, paths, path, "exe path", exe);
			if (err)
				return err;
		}
		if (stat(exe, &st)) {
			host->log(host->ctx, JP_LOG_WARN,
				  "exe %s: %s; it is matched by path only when it appears",
				  exe, strerror(errno));
			continue;
		}
		struct ct_exe_key key = { .ino = st.st_ino, .dev = ct_kernel_dev(st.st_dev) };

		err = ct_update(host, exes, &key, "exe", exe);
		if (err)
			return err;
	}
	return 0;
}

static int ct_read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static bool ct_proc_matches(const struct ct_match *match, const struct proc_info *p)
{
	struct stat want;

	for (size_t i = 0; i < match->n_comms; i++)
		if (!strcmp(p->comm, match->comms[i]))
			return true;
	for (size_t i = 0; i < match->n_exes; i++) {
		/* the file at the path now: the scan follows ct_filter_configure, which put that
		 * inode in ct_exes for the BPF side */
		bool known = !stat(match->exes[i], &want);

		if (proc_exe_matches(p, match->exes[i], known ? want.st_dev : 0,
				     known ? want.st_ino : 0))
			return true;
	}
	return false;
}

int ct_filter_prepare(const struct jp_host *host, struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "ct_procs");
	unsigned long pid_max = 4194304;	/* PID_MAX_LIMIT on 64-bit */
	char buf[32];
	int err;

	if (!map) {
		host->log(host->ctx, JP_LOG_ERROR, "BPF object %s has no map ct_procs",
			  bpf_object__name(obj));
		return -ENOENT;
	}
	if (ct_read_small("/proc/sys/kernel/pid_max", buf, sizeof(buf)) > 0)
		pid_max = strtoul(buf, NULL, 10);
	if (pid_max == 0 || pid_max > (unsigned long)CT_PROC_WORDS_MAX * 64)
		pid_max = (unsigned long)CT_PROC_WORDS_MAX * 64;
	err = bpf_map__set_max_entries(map, (__u32)((pid_max + 63) / 64));
	if (err)
		host->log(host->ctx, JP_LOG_ERROR, "cannot size ct_procs for pid_max %lu: %s",
			  pid_max, strerror(-err));
	return err;
}

/* The ct_procs bitmap, mapped; *words gets its length. */
static uint64_t *ct_procs_map(const struct jp_host *host, struct bpf_object *obj, size_t *words)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "ct_procs");
	size_t len;
	void *mem;

	if (!map || bpf_map__fd(map) < 0) {
		host->log(host->ctx, JP_LOG_ERROR, "BPF object %s has no loaded map ct_procs",
			  bpf_object__name(obj));
		return NULL;
	}
	*words = bpf_map__max_entries(map);
	len = (*words * sizeof(uint64_t) + 4095) & ~(size_t)4095;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (mem == MAP_FAILED) {
		host->log(host->ctx, JP_LOG_ERROR, "cannot map ct_procs: %s", strerror(errno));
		return NULL;
	}
	return mem;
}

static void ct_procs_unmap(uint64_t *bits, size_t words)
{
	munmap(bits, (words * sizeof(uint64_t) + 4095) & ~(size_t)4095);
}

struct ct_scan {
	const struct jp_host *host;
	const struct ct_match *match;
	uint64_t *bits;
	size_t words;
	size_t watched;
};

static void ct_scan_one(const struct proc_info *p, void *arg)
{
	struct ct_scan *c = arg;
	unsigned long pid = (unsigned long)p->pid;

	if (!ct_proc_matches(c->match, p))
		return;
	if (pid / 64 >= c->words) {
		c->host->log(c->host->ctx, JP_LOG_WARN, "process %lu is beyond kernel.pid_max as "
			     "it was at start: not watched", pid);
		return;
	}
	/* the same atomic op as the BPF programs that may change this word meanwhile */
	__atomic_fetch_or(&c->bits[pid / 64], 1ull << (pid % 64), __ATOMIC_RELAXED);
	c->watched++;
}

int ct_filter_scan_proc(const struct jp_host *host, struct bpf_object *obj,
			const struct ct_match *match, size_t *watched)
{
	struct ct_scan c = { .host = host, .match = match };
	int err;

	*watched = 0;
	c.bits = ct_procs_map(host, obj, &c.words);
	if (!c.bits)
		return -ENOENT;
	err = proc_for_each(PROC_WANT_COMM | (match->n_exes ? PROC_WANT_EXE : 0), ct_scan_one, &c);
	if (err)
		host->log(host->ctx, JP_LOG_ERROR, "cannot open /proc: %s", strerror(-err));
	ct_procs_unmap(c.bits, c.words);
	*watched = c.watched;
	return err;
}

int ct_filter_set_pid(const struct jp_host *host, struct bpf_object *obj, int pid, bool watch)
{
	size_t words;
	uint64_t *bits = ct_procs_map(host, obj, &words);
	unsigned long p = (unsigned long)pid;
	int err = 0;

	if (!bits)
		return -ENOENT;
	if (pid <= 0 || p / 64 >= words)
		err = -ERANGE;
	else if (watch)
		__atomic_fetch_or(&bits[p / 64], 1ull << (p % 64), __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&bits[p / 64], ~(1ull << (p % 64)), __ATOMIC_RELAXED);
	ct_procs_unmap(bits, words);
	return err;
}

int ct_filter_count(const struct jp_host *host, struct bpf_object *obj, size_t *watched)
{
	size_t words;
	uint64_t *bits = ct_procs_map(host, obj, &words);

	*watched = 0;
	if (!bits)
		return -ENOENT;
	for (size_t i = 0; i < words; i++)
		*watched += (size_t)__builtin_popcountll(__atomic_load_n(&bits[i], __ATOMIC_RELAXED));
	ct_procs_unmap(bits, words);
	return 0;
}
