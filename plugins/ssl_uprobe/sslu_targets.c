// SPDX-License-Identifier: BSD-3-Clause
/* Matching processes against the `targets:` of the config (sslu_targets.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sslu_targets.h"

int sslu_target_parse(const char *text, struct sslu_target *t)
{
	static const struct { const char *prefix; enum sslu_target_kind kind; } kinds[] = {
		{ "comm:", SSLU_T_COMM }, { "exe:", SSLU_T_EXE }, { "pid:", SSLU_T_PID },
		{ "cgroup:", SSLU_T_CGROUP },
	};
	const char *v = text;
	struct stat st;
	char *end;

	memset(t, 0, sizeof(*t));
	t->kind = SSLU_T_COMM;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t l = strlen(kinds[i].prefix);

		if (!strncmp(text, kinds[i].prefix, l)) {
			t->kind = kinds[i].kind;
			v = text + l;
			break;
		}
	}
	if (!*v || strlen(v) >= sizeof(t->value))
		return -EINVAL;
	strcpy(t->value, v);
	if (t->kind == SSLU_T_PID) {
		long pid = strtol(v, &end, 10);

		if (*end || pid <= 0 || pid > INT_MAX)
			return -EINVAL;
		t->pid = (int)pid;
	} else if (t->kind == SSLU_T_EXE && !stat(v, &st)) {
		t->dev = st.st_dev;
		t->ino = st.st_ino;
	}
	return 0;
}

static int sslu_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static bool sslu_target_match(const struct sslu_target *t, const struct proc_info *p)
{
	char path[64], buf[PATH_MAX];

	switch (t->kind) {
	case SSLU_T_PID:
		return t->pid == p->pid;
	case SSLU_T_COMM:
		return !strcmp(p->comm, t->value);
	case SSLU_T_EXE:
		/* the file named at start (through any symlink), unlike ct_filter which takes the
		 * file at the path now: targets are parsed once and matched at every exec for the
		 * plugin's lifetime, and the path still catches the new file of an upgrade */
		return proc_exe_matches(p, t->value, t->dev, t->ino);
	case SSLU_T_CGROUP: {
		size_t l = strlen(t->value);
		const char *cg;

		/* cgroup v2: the single line "0::/path" */
		snprintf(path, sizeof(path), "/proc/%d/cgroup", p->pid);
		if (sslu_read_line(path, buf, sizeof(buf)) || strncmp(buf, "0::", 3))
			return false;
		cg = buf + 3;
		return !strncmp(cg, t->value, l) && (cg[l] == '\0' || cg[l] == '/' ||
						      t->value[l - 1] == '/');
	}
	}
	return false;
}

unsigned int sslu_targets_want(const struct sslu_target *t, size_t n)
{
	unsigned int want = 0;

	for (size_t i = 0; i < n; i++)
		want |= t[i].kind == SSLU_T_COMM ? PROC_WANT_COMM :
			t[i].kind == SSLU_T_EXE ? PROC_WANT_EXE : 0;
	return want;
}

bool sslu_targets_match(const struct sslu_target *t, size_t n, const struct proc_info *p)
{
	for (size_t i = 0; i < n; i++)
		if (sslu_target_match(&t[i], p))
			return true;
	return false;
}

bool sslu_targets_match_pid(const struct sslu_target *t, size_t n, int pid)
{
	struct proc_info p;

	if (!n)
		return false;
	proc_info_read(pid, sslu_targets_want(t, n), &p);
	return sslu_targets_match(t, n, &p);
}
