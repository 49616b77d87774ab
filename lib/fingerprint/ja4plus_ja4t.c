// SPDX-License-Identifier: LicenseRef-FoxIO-License-1.1
/*
 * JA4T / JA4TS (TCP client / server fingerprint) are JA4+ and licensed under the FoxIO
 * License 1.1 (non-commercial use; patent pending): see NOTICE and
 * LICENSES/FoxIO-License-1.1.txt. Built only with -Dja4plus=enabled.
 *
 *   window _ option kinds joined by '-' _ MSS _ window scale
 * Empty and zero values are printed as FoxIO's Wireshark plugin prints them: no options
 * "00", no MSS "00", no window scale or a scale of 0 "00" ("8192_00_00_00"); every EOL
 * byte of the options is listed.
 */
#include <errno.h>

#include "fp_internal.h"

int fp_ja4t(const struct fp_tcp_syn *syn, char *out, size_t size)
{
	struct fp_str s;

	if (syn->n_options > sizeof(syn->options))
		return -EINVAL;
	fp_str_init(&s, out, size);
	fp_str_dec(&s, syn->window);
	fp_str_addc(&s, '_');
	if (!syn->n_options)
		fp_str_puts(&s, "00");
	for (size_t i = 0; i < syn->n_options; i++) {
		if (i)
			fp_str_addc(&s, '-');
		fp_str_dec(&s, syn->options[i]);
	}
	fp_str_addc(&s, '_');
	if (syn->mss < 10)	/* absent (-1) or a one-digit value: two digits, as %02d */
		fp_str_addc(&s, '0');
	fp_str_dec(&s, syn->mss > 0 ? (unsigned long)syn->mss : 0);
	fp_str_addc(&s, '_');
	if (syn->wscale > 0)
		fp_str_dec(&s, (unsigned long)syn->wscale);
	else
		fp_str_puts(&s, "00");
	return s.overflow ? -E2BIG : 0;
}
