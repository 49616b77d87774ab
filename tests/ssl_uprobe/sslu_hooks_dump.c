// SPDX-License-Identifier: BSD-3-Clause
/*
 * Prints what the ssl_uprobe hook finder makes of an ELF file, one hook a line:
 * "<name> <kind> 0x<file offset> <emulated 0|1>", for test_hooks.py to check against objdump.
 */
#include <stdio.h>
#include <string.h>

#include "sslu_offsets.h"

static void sslu_dump(const char *name, const struct sslu_hook *h)
{
	if (h->kind != SSLU_HOOK_NONE)
		printf("%s %d 0x%llx %d\n", name, h->kind, (unsigned long long)h->offset,
		       h->emulated);
}

int main(int argc, char **argv)
{
	struct sslu_hooks h;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ELF\n", argv[0]);
		return 2;
	}
	err = sslu_find_hooks(argv[1], &h);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	sslu_dump("read", &h.read[0]);
	sslu_dump("read_ex", &h.read[1]);
	sslu_dump("write", &h.write[0]);
	sslu_dump("write_ex", &h.write[1]);
	sslu_dump("handshake", &h.handshake);
	sslu_dump("copy", &h.copy);
	sslu_dump("new_conn", &h.new_conn);
	return 0;
}
