// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target: HTTP/1.x request head parser, value copies and JA4H. */
#include <stdlib.h>

#include <ja4probe/fingerprint.h>

static struct fp_http_request req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char value[256];

	fp_http_looks_like_request(data, size);
	if (fp_http_parse_request(data, size, &req))
		return 0;
	if (req.head_len > size)
		abort();
	for (size_t i = 0; i < req.n_headers; i++) {
		const struct fp_http_header *h = &req.headers[i];

		if ((size_t)h->name.off + h->name.len > req.head_len ||
		    (size_t)h->value.off + h->value.len > req.head_len)
			abort();
		fp_http_copy_value(data, h->value, value, sizeof(value));
	}
#if FP_HAVE_JA4PLUS
	{
		static struct fp_ja4h ja4h;

		fp_ja4h(data, &req, &ja4h);
	}
#endif
	return 0;
}
