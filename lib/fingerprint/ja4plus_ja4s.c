// SPDX-License-Identifier: LicenseRef-FoxIO-License-1.1
/*
 * JA4S (TLS server response fingerprint) is JA4+ and licensed under the FoxIO License 1.1
 * (non-commercial use; patent pending): see NOTICE and LICENSES/FoxIO-License-1.1.txt.
 * Built only with -Dja4plus=enabled.
 *
 *   ja4s    a_b_c   a: transport, version, #extensions, chosen ALPN chars
 *                   b: chosen cipher (hex)   c: sha256[:12] of the extensions in wire order
 *   ja4s_r  a_b_extensions
 * GREASE is left out of the extension list and count; the ALPN characters follow the same
 * hex rule as JA4.
 */
#include <errno.h>

#include "fp_internal.h"

int fp_ja4s(const struct fp_tls_hello *h, enum fp_transport transport, struct fp_ja4s *out)
{
	uint16_t exts[FP_TLS_MAX_LIST];
	char raw[FP_TLS_MAX_LIST * 5 + 32], hc[FP_HASH12_LEN + 1];
	char alpn[2] = { '0', '0' };
	struct fp_str s, o;
	size_t n_exts, list_off;
	int err;

	if (h->client || h->n_ciphers != 1)
		return -EINVAL;
	n_exts = fp_tls_strip_grease(h->extensions, h->n_extensions, exts);
	if (h->n_alpn)
		fp_alpn_chars(h->alpn[0].value, h->alpn[0].len, alpn);

	fp_str_init(&s, raw, sizeof(raw));
	fp_str_addc(&s, (char)transport);
	fp_str_puts(&s, fp_ja4_version_code(fp_tls_effective_version(h)));
	fp_str_count2(&s, n_exts);
	fp_str_add(&s, alpn, 2);
	fp_str_addc(&s, '_');
	fp_str_hex4(&s, h->ciphers[0]);
	fp_str_addc(&s, '_');
	list_off = s.len;
	fp_str_hex_list(&s, exts, n_exts);
	if (s.overflow)
		return -E2BIG;
	err = fp_hash12(raw + list_off, s.len - list_off, hc);
	if (err)
		return err;
	fp_copy_raw(out->ja4s_r, sizeof(out->ja4s_r), &s);

	fp_str_init(&o, out->ja4s, sizeof(out->ja4s));
	fp_str_add(&o, raw, list_off);
	fp_str_puts(&o, hc);
	return o.overflow ? -E2BIG : 0;
}
