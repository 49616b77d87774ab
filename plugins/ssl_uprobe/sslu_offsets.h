/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where to put the uprobes in one ELF file that exports OpenSSL's SSL_read/SSL_write.
 *
 * SSL_read and SSL_read_ex (likewise SSL_write and SSL_write_ex) both call one internal
 * function with (SSL *, buf, num, size_t *count). Hooking that function catches callers of
 * either export, and its first instruction is usually one the kernel emulates (push), where
 * SSL_read's own first instruction (sub $0x18,%rsp on Debian's libssl3) must be single-stepped,
 * ~15x dearer. It is found by decoding the first instructions of both exports (capstone) and
 * taking the direct call target they share.
 */
#ifndef SSLU_OFFSETS_H
#define SSLU_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

enum sslu_hook_kind {
	SSLU_HOOK_NONE = 0,
	SSLU_HOOK_EX,		/* (SSL *, buf, num, size_t *count): internal or SSL_*_ex */
	SSLU_HOOK_RET,		/* int SSL_read(SSL *, buf, int): the count is the return value */
	SSLU_HOOK_COPY,		/* a call memcpy(buf, plaintext, n) inside ssl3_read_bytes */
};

struct sslu_hook {
	enum sslu_hook_kind kind;
	uint64_t offset;	/* file offset, as uprobes want it */
	bool emulated;		/* its first instruction is one the kernel emulates */
	int record_reg;		/* SSLU_HOOK_COPY: the pt_regs slot (8-byte words, x86-64 order)
				 * holding the SSL3_RECORD copied from, whose type tells
				 * application data from handshake messages */
	char what[48];		/* "internal function called by SSL_read" / "SSL_read_ex" */
};

/*
 * Up to two hooks per direction: one internal function, or the two exports as a fallback.
 * handshake: SSL_do_handshake (SSLU_HOOK_EX kind unused: only its SSL* matters), hooked to
 * learn the socket of a connection whose first read needs no receive.
 * copy: where ssl3_read_bytes copies a record's plaintext into the caller's buffer. When it
 * is found, reads are hooked there alone: one emulated trap per read that returns data and
 * none for reads that find nothing, where read[] costs an entry and a return trap per call.
 */
struct sslu_hooks {
	struct sslu_hook read[2];
	struct sslu_hook write[2];
	struct sslu_hook handshake;
	struct sslu_hook copy;
	struct sslu_hook new_conn;	/* SSL_new: per connection, marks the thread (copy mode) */
};

/*
 * Fill hooks for the ELF file at path. Returns 0 when at least the read side was found,
 * -ENOENT when the file exports no SSL_read, another negative errno when it cannot be read.
 */
int sslu_find_hooks(const char *path, struct sslu_hooks *hooks);

#endif /* SSLU_OFFSETS_H */
