// SPDX-License-Identifier: BSD-3-Clause
/*
 * JA3 (Salesforce, BSD-3-Clause): MD5 of
 *   ClientHello: "version,ciphers,extensions,groups,ec_point_formats"
 *   ServerHello: "version,cipher,extensions" (JA3S)
 * decimal values joined by '-', GREASE left out, legacy (not supported_versions) version.
 */
#include <errno.h>

#include "fp_internal.h"

#define JA3_MAX (4 * FP_TLS_MAX_LIST * 6 + 64)

static void ja3_list(struct fp_str *s, const uint16_t *v, size_t n)
{
	uint16_t clean[FP_TLS_MAX_LIST];

	fp_str_dec_list(s, clean, fp_tls_strip_grease(v, n, clean));
}

int fp_ja3(const struct fp_tls_hello *h, struct fp_ja3 *out)
{
	char buf[JA3_MAX];
	struct fp_str s;
	int err;

	fp_str_init(&s, buf, sizeof(buf));
	fp_str_dec(&s, h->legacy_version);
	fp_str_addc(&s, ',');
	ja3_list(&s, h->ciphers, h->n_ciphers);
	fp_str_addc(&s, ',');
	ja3_list(&s, h->extensions, h->n_extensions);
	if (h->client) {
		fp_str_addc(&s, ',');
		ja3_list(&s, h->groups, h->n_groups);
		fp_str_addc(&s, ',');
		for (size_t i = 0; i < h->n_ec_point_formats; i++) {
			if (i)
				fp_str_addc(&s, '-');
			fp_str_dec(&s, h->ec_point_formats[i]);
		}
	}
	if (s.overflow)
		return -E2BIG;
	err = fp_md5_hex(s.p, s.len, out->ja3);
	if (err)
		return err;
	fp_copy_raw(out->ja3_full, sizeof(out->ja3_full), &s);
	return 0;
}
