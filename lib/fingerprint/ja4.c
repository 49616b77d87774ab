// SPDX-License-Identifier: BSD-3-Clause
/*
 * JA4 (TLS client fingerprint), per FoxIO's technical_details/JA4.md; JA4 is BSD-3-Clause.
 *
 *   ja4     a_b_c    a: transport, version, d/i (SNI), #ciphers, #extensions, ALPN chars
 *                    b: sha256[:12] of the sorted cipher list
 *                    c: sha256[:12] of the sorted extensions without SNI/ALPN "_" sig algs
 *   ja4_r   the same lists in clear; ja4_o/ja4_ro: wire order, SNI and ALPN kept.
 * GREASE is ignored everywhere, including the signature algorithms.
 */
#include <errno.h>

#include "fp_internal.h"

#define EXT_SERVER_NAME 0x0000
#define EXT_ALPN 0x0010

/* three u16 lists as hex with separators and the prefix always fit a raw field: the raw
 * string is built in place */
_Static_assert(3 * FP_TLS_MAX_LIST * 5 + 64 <= FP_JA4_RAW_LEN, "JA4 raw field too small");

struct ja4_lists {
	uint16_t ciphers[FP_TLS_MAX_LIST];
	size_t n_ciphers;
	uint16_t exts[FP_TLS_MAX_LIST];
	size_t n_exts;
	uint16_t sigs[FP_TLS_MAX_LIST];
	size_t n_sigs;
};

static void ja4_prefix(const struct fp_tls_hello *h, enum fp_transport transport,
		       size_t n_ciphers, size_t n_exts, char out[11])
{
	struct fp_str s;
	char alpn[2] = { '0', '0' };

	if (h->n_alpn)
		fp_alpn_chars(h->alpn[0].value, h->alpn[0].len, alpn);
	fp_str_init(&s, out, 11);
	fp_str_addc(&s, (char)transport);
	fp_str_puts(&s, fp_ja4_version_code(fp_tls_effective_version(h)));
	fp_str_addc(&s, h->has_sni ? 'd' : 'i');
	fp_str_count2(&s, n_ciphers);
	fp_str_count2(&s, n_exts);
	fp_str_add(&s, alpn, 2);
}

/* "ext,ext,..._sig,sig" (no underscore without signature algorithms) */
static void ja4_ext_part(struct fp_str *s, const struct ja4_lists *l)
{
	fp_str_hex_list(s, l->exts, l->n_exts);
	if (l->n_sigs) {
		fp_str_addc(s, '_');
		fp_str_hex_list(s, l->sigs, l->n_sigs);
	}
}

/*
 * One variant: hashed into 'hashed' ("a_b_c") and in clear into 'raw' ("a_ciphers_exts").
 * An empty cipher or extension list hashes to twelve zeros, per the spec.
 */
static int ja4_variant(const char *prefix, const struct ja4_lists *l, char *hashed,
		       size_t hashed_size, char *raw, size_t raw_size)
{
	char hb[FP_HASH12_LEN + 1], hc[FP_HASH12_LEN + 1];
	struct fp_str s, out;
	size_t ciphers_len;
	int err;

	fp_str_init(&s, raw, raw_size);
	fp_str_puts(&s, prefix);
	fp_str_addc(&s, '_');
	ciphers_len = s.len;
	fp_str_hex_list(&s, l->ciphers, l->n_ciphers);
	err = fp_hash12(raw + ciphers_len, s.len - ciphers_len, hb);
	fp_str_addc(&s, '_');
	ciphers_len = s.len;
	ja4_ext_part(&s, l);
	if (s.overflow)
		return -E2BIG;
	if (!err)
		err = fp_hash12(raw + ciphers_len, l->n_exts ? s.len - ciphers_len : 0, hc);
	if (err)
		return err;

	fp_str_init(&out, hashed, hashed_size);
	fp_str_puts(&out, prefix);
	fp_str_addc(&out, '_');
	fp_str_add(&out, hb, FP_HASH12_LEN);
	fp_str_addc(&out, '_');
	fp_str_add(&out, hc, FP_HASH12_LEN);
	return out.overflow ? -E2BIG : 0;
}

int fp_ja4(const struct fp_tls_hello *h, enum fp_transport transport, struct fp_ja4 *out)
{
	struct ja4_lists l;
	size_t n_exts_all;
	char prefix[11];
	int err;

	if (!h->client)
		return -EINVAL;
	l.n_ciphers = fp_tls_strip_grease(h->ciphers, h->n_ciphers, l.ciphers);
	l.n_exts = fp_tls_strip_grease(h->extensions, h->n_extensions, l.exts);
	l.n_sigs = fp_tls_strip_grease(h->sig_algs, h->n_sig_algs, l.sigs);
	n_exts_all = l.n_exts;
	ja4_prefix(h, transport, l.n_ciphers, n_exts_all, prefix);

	/* original order: every non-GREASE extension as sent */
	err = ja4_variant(prefix, &l, out->ja4_o, sizeof(out->ja4_o), out->ja4_ro,
			  sizeof(out->ja4_ro));
	if (err)
		return err;

	/* sorted, SNI and ALPN left out of the list (they are counted in the prefix) */
	{
		size_t m = 0;

		for (size_t i = 0; i < l.n_exts; i++)
			if (l.exts[i] != EXT_SERVER_NAME && l.exts[i] != EXT_ALPN)
				l.exts[m++] = l.exts[i];
		l.n_exts = m;
	}
	fp_sort_u16(l.ciphers, l.n_ciphers);
	fp_sort_u16(l.exts, l.n_exts);
	return ja4_variant(prefix, &l, out->ja4, sizeof(out->ja4), out->ja4_r,
			   sizeof(out->ja4_r));
}
