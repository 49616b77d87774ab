// SPDX-License-Identifier: BSD-3-Clause
/* Reading and walking running processes (proc_walk.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_walk.h"

static const char proc_deleted[] = " (deleted)";

static void proc_read_comm(int pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void proc_read_exe(int pid, struct proc_info *p)
{
	size_t cut = sizeof(proc_deleted) - 1;
	char path[64];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (!stat(path, &st)) {
		p->exe_dev = st.st_dev;
		p->exe_ino = st.st_ino;
	}
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	if (n <= 0) {
		p->exe[0] = '\0';	/* a kernel thread, or gone */
		return;
	}
	p->exe[n] = '\0';
	if ((size_t)n > cut && !strcmp(p->exe + n - cut, proc_deleted))
		p->exe[n - cut] = '\0';
}

void proc_info_read(int pid, unsigned int want, struct proc_info *p)
{
	p->pid = pid;
	p->comm[0] = '\0';
	p->exe[0] = '\0';
	p->exe_dev = 0;
	p->exe_ino = 0;
	if (want & PROC_WANT_COMM)
		proc_read_comm(pid, p->comm, sizeof(p->comm));
	if (want & PROC_WANT_EXE)
		proc_read_exe(pid, p);
}

bool proc_exe_matches(const struct proc_info *p, const char *path, dev_t dev, ino_t ino)
{
	if (ino && p->exe_ino == ino && p->exe_dev == dev)
		return true;
	return p->exe[0] && !strcmp(p->exe, path);
}

int proc_for_each(unsigned int want, void (*cb)(const struct proc_info *p, void *arg), void *arg)
{
	struct proc_info p;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		unsigned long pid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		pid = strtoul(de->d_name, &end, 10);
		if (*end || pid == 0 || pid > INT_MAX)
			continue;
		proc_info_read((int)pid, want, &p);
		cb(&p, arg);
	}
	closedir(dir);
	return 0;
}
