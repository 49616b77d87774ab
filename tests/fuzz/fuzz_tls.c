// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target: TLS hello parser (record stream and bare handshake) and its builders. */
#include <stdlib.h>

#include <ja4probe/fingerprint.h>

static struct fp_tls_hello hello;
static struct fp_ja4 ja4;
static struct fp_ja3 ja3;

static void build(enum fp_transport transport)
{
	fp_ja3(&hello, &ja3);
	if (hello.client) {
		fp_ja4(&hello, transport, &ja4);
		return;
	}
#if FP_HAVE_JA4PLUS
	{
		static struct fp_ja4s ja4s;

		fp_ja4s(&hello, transport, &ja4s);
	}
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t consumed = 0;

	if (fp_tls_parse_hello(data, size, &hello, &consumed) == 0) {
		if (consumed > size)
			abort();
		build(FP_TRANSPORT_TCP);
	}
	if (fp_tls_parse_handshake(data, size, &hello) == 0)
		build(FP_TRANSPORT_QUIC);
	fp_tls_looks_like_handshake(data, size);
	return 0;
}
