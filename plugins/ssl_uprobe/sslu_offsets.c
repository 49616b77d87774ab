// SPDX-License-Identifier: BSD-3-Clause
/* Finds the uprobe offsets of OpenSSL's read/write paths in one ELF file (see sslu_offsets.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>

#include "sslu_offsets.h"

/* bytes of an export decoded to find its call: the wrappers are a few instructions long */
#define SSLU_DECODE_BYTES 96

struct sslu_sym {
	uint64_t vaddr;
	uint64_t size;
};

struct sslu_elf {
	int fd;
	Elf *elf;
};

static int sslu_elf_open(const char *path, struct sslu_elf *e)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0)
		return -errno;
	e->elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF) {
		if (e->elf)
			elf_end(e->elf);
		close(e->fd);
		return -ENOEXEC;
	}
	return 0;
}

static void sslu_elf_close(struct sslu_elf *e)
{
	elf_end(e->elf);
	close(e->fd);
}

/* a defined function symbol by name, from .dynsym or else .symtab */
static int sslu_elf_sym(struct sslu_elf *e, const char *name, struct sslu_sym *out)
{
	static const Elf64_Word types[] = { SHT_DYNSYM, SHT_SYMTAB };

	for (size_t t = 0; t < 2; t++) {
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(e->elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *data;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[t] || !sh.sh_entsize)
				continue;
			data = elf_getdata(scn, NULL);
			if (!data)
				continue;
			for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				const char *n;

				if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
				    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
					continue;
				n = elf_strptr(e->elf, sh.sh_link, sym.st_name);
				if (n && !strcmp(n, name)) {
					out->vaddr = sym.st_value;
					out->size = sym.st_size;
					return 0;
				}
			}
		}
	}
	return -ENOENT;
}

/* virtual address -> file offset through the PT_LOAD segments */
static int sslu_elf_file_off(struct sslu_elf *e, uint64_t vaddr, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(e->elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ERANGE;
}

static int sslu_elf_code(struct sslu_elf *e, uint64_t vaddr, uint8_t *buf, size_t *len)
{
	uint64_t off;
	ssize_t n;
	int err;

	err = sslu_elf_file_off(e, vaddr, &off);
	if (err)
		return err;
	n = pread(e->fd, buf, *len, (off_t)off);
	if (n <= 0)
		return n < 0 ? -errno : -ERANGE;
	*len = (size_t)n;
	return 0;
}

/* instructions the x86 uprobe code emulates instead of single-stepping */
static bool sslu_insn_emulated(csh cs, const cs_insn *insn)
{
	switch (insn->id) {
	case X86_INS_PUSH:
	case X86_INS_NOP:
	case X86_INS_CALL:
	case X86_INS_JMP:
		return true;
	default:
		return cs_insn_group(cs, insn, X86_GRP_JUMP);
	}
}

/*
 * The target of the first direct call in the export, or 0. Decoding stops at the first
 * return or jump: the shared call comes before either in the wrappers.
 */
static uint64_t sslu_first_call(csh cs, struct sslu_elf *e, const struct sslu_sym *sym)
{
	uint8_t code[SSLU_DECODE_BYTES];
	size_t len = sizeof(code);
	uint64_t target = 0;
	cs_insn *insn;
	size_t n;

	if (sym->size && sym->size < len)
		len = sym->size;
	if (sslu_elf_code(e, sym->vaddr, code, &len))
		return 0;
	n = cs_disasm(cs, code, len, sym->vaddr, 0, &insn);
	for (size_t i = 0; i < n && insn[i].detail; i++) {
		cs_x86 *x = &insn[i].detail->x86;

		if (insn[i].id == X86_INS_CALL) {
			if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
				target = (uint64_t)x->operands[0].imm;
			break;
		}
		if (insn[i].id == X86_INS_RET || insn[i].id == X86_INS_JMP)
			break;
	}
	if (n)
		cs_free(insn, n);
	return target;
}

static bool sslu_first_insn_emulated(csh cs, struct sslu_elf *e, uint64_t vaddr)
{
	uint8_t code[16];
	size_t len = sizeof(code);
	bool emulated;
	cs_insn *insn;

	if (sslu_elf_code(e, vaddr, code, &len))
		return false;
	if (cs_disasm(cs, code, len, vaddr, 1, &insn) != 1)
		return false;
	emulated = sslu_insn_emulated(cs, insn);
	cs_free(insn, 1);
	return emulated;
}

static int sslu_hook_at(csh cs, struct sslu_elf *e, struct sslu_hook *h, enum sslu_hook_kind kind,
			uint64_t vaddr, const char *what)
{
	int err = sslu_elf_file_off(e, vaddr, &h->offset);

	if (err)
		return err;
	h->kind = kind;
	h->emulated = sslu_first_insn_emulated(cs, e, vaddr);
	snprintf(h->what, sizeof(h->what), "%s", what);
	return 0;
}

/* the 8-byte pointer stored at vaddr: its R_X86_64_RELATIVE addend, or the bytes in the file */
static int sslu_elf_pointer(struct sslu_elf *e, uint64_t vaddr, uint64_t *out)
{
	Elf_Scn *scn = NULL;
	uint8_t buf[8];
	size_t len = sizeof(buf);

	while ((scn = elf_nextscn(e->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;

			if (gelf_getrela(data, (int)i, &r) && r.r_offset == vaddr &&
			    GELF_R_TYPE(r.r_info) == R_X86_64_RELATIVE) {
				*out = (uint64_t)r.r_addend;
				return 0;
			}
		}
	}
	if (sslu_elf_code(e, vaddr, buf, &len) || len != sizeof(buf))
		return -ENOENT;
	memcpy(out, buf, sizeof(*out));
	return *out ? 0 : -ENOENT;
}

/* SSL_METHOD (OpenSSL 1.1.1 and 3.x): ssl_read_bytes follows 3 ints/longs and 11 pointers */
#define SSLU_METHOD_READ_BYTES 0x68
/* SSL3_RECORD: off and data, the source of the application-data copy */
#define SSLU_RECORD_OFF 0x18
#define SSLU_RECORD_DATA 0x20
/* bytes of ssl3_read_bytes decoded at most, and instructions looked back from a call */
#define SSLU_READ_BYTES_MAX 0x2000
#define SSLU_LOOKBACK 10

static bool sslu_is_mem(const cs_x86_op *op, x86_reg base, int64_t disp)
{
	return op->type == X86_OP_MEM && op->mem.base == base && op->mem.index == X86_REG_INVALID &&
	       op->mem.disp == disp;
}

/*
 * Is insn[i] the call of memcpy(buf, rr->data + rr->off, n)? Before it: rsi loaded from
 * off(%rX) and data(%rX) of one record register, and rdi moved from a register (the caller's
 * buffer; the handshake-fragment copy loads rdi with lea into the SSL struct instead).
 */
/* the slot of a register in struct pt_regs (x86-64), as 8-byte words; -1: not there */
static int sslu_pt_regs_slot(x86_reg reg)
{
	static const x86_reg order[] = {
		X86_REG_R15, X86_REG_R14, X86_REG_R13, X86_REG_R12, X86_REG_RBP, X86_REG_RBX,
		X86_REG_R11, X86_REG_R10, X86_REG_R9, X86_REG_R8, X86_REG_RAX, X86_REG_RCX,
		X86_REG_RDX, X86_REG_RSI, X86_REG_RDI,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == reg)
			return (int)i;
	return -1;
}

static bool sslu_is_app_copy(csh cs, const cs_insn *insn, size_t i, x86_reg *record)
{
	x86_reg rec = X86_REG_INVALID;
	bool off = false, data = false, dst = false;

	for (size_t k = i; k > 0 && i - k < SSLU_LOOKBACK; k--) {
		const cs_insn *p = &insn[k - 1];
		const cs_x86 *x;

		/* data skipped inside the code has no detail */
		if (!p->detail || cs_insn_group(cs, p, X86_GRP_JUMP) ||
		    cs_insn_group(cs, p, X86_GRP_CALL) || cs_insn_group(cs, p, X86_GRP_RET))
			break;
		x = &p->detail->x86;
		if (x->op_count != 2)
			continue;
		if (x->operands[0].type != X86_OP_REG)
			continue;
		if (x->operands[0].reg == X86_REG_RDI && !dst)
			dst = p->id == X86_INS_MOV && x->operands[1].type == X86_OP_REG;
		if (x->operands[0].reg != X86_REG_RSI || x->operands[1].type != X86_OP_MEM)
			continue;
		if (rec == X86_REG_INVALID)
			rec = x->operands[1].mem.base;
		if ((p->id == X86_INS_MOV || p->id == X86_INS_ADD) &&
		    sslu_is_mem(&x->operands[1], rec, SSLU_RECORD_OFF))
			off = true;
		if ((p->id == X86_INS_MOV || p->id == X86_INS_ADD) &&
		    sslu_is_mem(&x->operands[1], rec, SSLU_RECORD_DATA))
			data = true;
	}
	*record = rec;
	return off && data && dst;
}

/*
 * The application-data copy in ssl3_read_bytes: the one place a read's plaintext passes with
 * its length in registers, reached only when there is data (a read that finds none, half of
 * nginx's calls, never gets there). Found through TLS_method's SSL_METHOD table.
 */
static int sslu_find_copy(csh cs, struct sslu_elf *e, struct sslu_hook *hook)
{
	static uint8_t code[SSLU_READ_BYTES_MAX];
	struct sslu_sym m;
	uint64_t table = 0, fn, site = 0;
	x86_reg rec = X86_REG_INVALID, r;
	size_t len = 16, n, found = 0;
	int err;
	cs_insn *insn;

	if (sslu_elf_sym(e, "TLS_method", &m) || sslu_elf_code(e, m.vaddr, code, &len))
		return -ENOENT;
	/* TLS_method(): lea table(%rip),%rax; ret */
	n = cs_disasm(cs, code, len, m.vaddr, 2, &insn);
	if (n == 2 && insn[0].id == X86_INS_LEA && insn[1].id == X86_INS_RET &&
	    insn[0].detail->x86.operands[1].mem.base == X86_REG_RIP)
		table = insn[1].address + (uint64_t)insn[0].detail->x86.operands[1].mem.disp;
	if (n)
		cs_free(insn, n);
	if (!table || sslu_elf_pointer(e, table + SSLU_METHOD_READ_BYTES, &fn))
		return -ENOENT;
	len = sizeof(code);
	if (sslu_elf_code(e, fn, code, &len))
		return -ENOENT;
	n = cs_disasm(cs, code, len, fn, 0, &insn);
	for (size_t i = 0; i < n; i++) {
		if (insn[i].id == X86_INS_CALL && sslu_is_app_copy(cs, insn, i, &r)) {
			site = insn[i].address;
			rec = r;
			found++;
		}
	}
	if (n)
		cs_free(insn, n);
	/* more than one candidate: not the code this was written for, do not guess */
	if (found != 1 || sslu_pt_regs_slot(rec) < 0 || rec == X86_REG_RSI)
		return -ENOENT;
	err = sslu_hook_at(cs, e, hook, SSLU_HOOK_COPY, site, "memcpy in ssl3_read_bytes");
	hook->record_reg = sslu_pt_regs_slot(rec);
	return err;
}

/* one direction: plain = "SSL_read", ex = "SSL_read_ex"; hooks[2] filled */
static int sslu_find_dir(csh cs, struct sslu_elf *e, const char *plain, const char *ex,
			 struct sslu_hook *hooks)
{
	struct sslu_sym sp, sx;
	bool have_p, have_x;
	uint64_t tp = 0, tx = 0;
	char what[48];

	have_p = !sslu_elf_sym(e, plain, &sp);
	have_x = !sslu_elf_sym(e, ex, &sx);	/* OpenSSL 1.1.0 and older have no _ex */
	if (!have_p)
		return -ENOENT;
	tp = sslu_first_call(cs, e, &sp);
	if (have_x)
		tx = sslu_first_call(cs, e, &sx);
	/* the shared internal function: both exports call it, or only SSL_read exists */
	if (tp && (tp == tx || !have_x) && sslu_first_insn_emulated(cs, e, tp)) {
		snprintf(what, sizeof(what), "internal function called by %s", plain);
		return sslu_hook_at(cs, e, &hooks[0], SSLU_HOOK_EX, tp, what);
	}
	/* fallback: the exports themselves (each caller pays what its first instruction costs) */
	if (sslu_hook_at(cs, e, &hooks[0], SSLU_HOOK_RET, sp.vaddr, plain))
		return -ERANGE;
	if (have_x && sslu_hook_at(cs, e, &hooks[1], SSLU_HOOK_EX, sx.vaddr, ex))
		return -ERANGE;
	return 0;
}

int sslu_find_hooks(const char *path, struct sslu_hooks *hooks)
{
	struct sslu_elf e;
	csh cs;
	int err;

	memset(hooks, 0, sizeof(*hooks));
	err = sslu_elf_open(path, &e);
	if (err)
		return err;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		sslu_elf_close(&e);
		return -ENOMEM;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(cs, CS_OPT_SKIPDATA, CS_OPT_ON);	/* a jump table inside a function */
	err = sslu_find_dir(cs, &e, "SSL_read", "SSL_read_ex", hooks->read);
	if (!err) {
		struct sslu_sym hs;

		/* a library that reads but cannot write would be odd: write is optional */
		sslu_find_dir(cs, &e, "SSL_write", "SSL_write_ex", hooks->write);
		if (!sslu_find_copy(cs, &e, &hooks->copy) && !sslu_elf_sym(&e, "SSL_new", &hs))
			sslu_hook_at(cs, &e, &hooks->new_conn, SSLU_HOOK_EX, hs.vaddr, "SSL_new");
		if (!sslu_elf_sym(&e, "SSL_do_handshake", &hs))
			sslu_hook_at(cs, &e, &hooks->handshake, SSLU_HOOK_EX, hs.vaddr,
				     "SSL_do_handshake");
	}
	cs_close(&cs);
	sslu_elf_close(&e);
	return err;
}
