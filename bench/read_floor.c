// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bench only: attaches one program of read_floor.bpf.c (argv[1]) for the reads of process
 * argv[2], prints "ready" and holds it until stdin closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "read_floor.skel.h"

int main(int argc, char **argv)
{
	struct read_floor_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *link;
	char line[16];

	if (argc != 3) {
		fprintf(stderr, "usage: read_floor PROGRAM PID\n");
		return 2;
	}
	skel = read_floor_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->target_tgid = (__u32)strtoul(argv[2], NULL, 10);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), argv[1]));
	if (read_floor_bpf__load(skel)) {
		fprintf(stderr, "cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(skel->obj, argv[1]);
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "cannot attach %s\n", argv[1]);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	bpf_link__destroy(link);
	read_floor_bpf__destroy(skel);
	return 0;
}
