// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target: TCP header and options parser, and JA4T. */
#include <stdlib.h>

#include <ja4probe/fingerprint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_tcp_syn syn;

	if (fp_tcp_parse(data, size, &syn))
		return 0;
	if (syn.n_options > sizeof(syn.options))
		abort();
#if FP_HAVE_JA4PLUS
	{
		char ja4t[FP_JA4_LEN];

		fp_ja4t(&syn, ja4t, sizeof(ja4t));
	}
#endif
	return 0;
}
