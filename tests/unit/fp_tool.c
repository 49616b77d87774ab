// SPDX-License-Identifier: BSD-3-Clause
/*
 * Test driver for the fingerprint library: parses the hex bytes given on the command line
 * and prints what the library made of them as key=value lines, for the test scripts to
 * compare with expectations they compute themselves (tshark, FoxIO files, Python).
 *
 *   fp_tool features                      ja4plus=0|1
 * HEX may be "-" to read the hex digits from stdin.
 *   fp_tool tls HEX [t|q|d]               TLS record stream -> hello fields and fingerprints
 *   fp_tool handshake HEX [t|q|d]         bare handshake message (QUIC CRYPTO data)
 *   fp_tool tcp HEX                       TCP header -> fields, ja4t
 *   fp_tool http HEX                      request head -> spans, headers, ja4h
 *   fp_tool prefixes tls|handshake|http|tcp HEX
 *                                         every proper prefix must give -EAGAIN: prints the
 *                                         number of prefixes and of those that did not
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ja4probe/fingerprint.h>

#define MAX_INPUT (1 << 20)

static uint8_t input[MAX_INPUT];
static struct fp_tls_hello hello;
static struct fp_http_request req;

/* hex digits from the argument, or from stdin when it is "-" (hellos beyond ARG_MAX) */
static int unhex(const char *hex, size_t *len)
{
	static char in[2 * MAX_INPUT + 2];
	size_t n;

	if (!strcmp(hex, "-")) {
		n = fread(in, 1, sizeof(in) - 1, stdin);
		while (n && (in[n - 1] == '\n' || in[n - 1] == '\r'))
			n--;
		in[n] = '\0';
		hex = in;
	}
	n = strlen(hex);

	if (n % 2 || n / 2 > MAX_INPUT)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		input[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void print_bytes(const char *key, const void *p, size_t n)
{
	const uint8_t *b = p;

	printf("%s=", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static void print_u16s(const char *key, const uint16_t *v, size_t n)
{
	printf("%s=", key);
	for (size_t i = 0; i < n; i++)
		printf("%s%04x", i ? "," : "", v[i]);
	printf("\n");
}

static int print_hello(enum fp_transport transport)
{
	static struct fp_ja4 ja4;
	static struct fp_ja3 ja3;
	int rc;

	printf("client=%d\nlegacy_version=%04x\n", hello.client, hello.legacy_version);
	print_u16s("ciphers", hello.ciphers, hello.n_ciphers);
	print_u16s("extensions", hello.extensions, hello.n_extensions);
	print_u16s("sig_algs", hello.sig_algs, hello.n_sig_algs);
	print_u16s("versions", hello.versions, hello.n_versions);
	printf("has_sni=%d\nsni=%s\nn_alpn=%u\n", hello.has_sni, hello.sni, hello.n_alpn);
	if (hello.n_alpn) {
		print_bytes("alpn_first", hello.alpn[0].value, hello.alpn[0].len);
		print_bytes("alpn_last", hello.alpn_last.value, hello.alpn_last.len);
	}
	rc = fp_ja3(&hello, &ja3);
	printf("%s_rc=%d\n%s=%s\n%s_full=%s\n", hello.client ? "ja3" : "ja3s", rc,
	       hello.client ? "ja3" : "ja3s", ja3.ja3, hello.client ? "ja3" : "ja3s", ja3.ja3_full);
	if (hello.client) {
		rc = fp_ja4(&hello, transport, &ja4);
		printf("ja4_rc=%d\nja4=%s\nja4_r=%s\nja4_o=%s\nja4_ro=%s\n", rc, ja4.ja4,
		       ja4.ja4_r, ja4.ja4_o, ja4.ja4_ro);
		return 0;
	}
#if FP_HAVE_JA4PLUS
	{
		static struct fp_ja4s ja4s;

		rc = fp_ja4s(&hello, transport, &ja4s);
		printf("ja4s_rc=%d\nja4s=%s\nja4s_r=%s\n", rc, ja4s.ja4s, ja4s.ja4s_r);
	}
#endif
	return 0;
}

static int run_tls(size_t len, bool records, enum fp_transport transport)
{
	size_t consumed = 0;
	int rc = records ? fp_tls_parse_hello(input, len, &hello, &consumed)
			 : fp_tls_parse_handshake(input, len, &hello);

	printf("rc=%d\nconsumed=%zu\n", rc, consumed);
	return rc ? 0 : print_hello(transport);
}

static int run_tcp(size_t len)
{
	struct fp_tcp_syn syn;
	int rc = fp_tcp_parse(input, len, &syn);

	printf("rc=%d\n", rc);
	if (rc)
		return 0;
	printf("src_port=%u\ndst_port=%u\nsyn=%d\nack=%d\nwindow=%u\nmss=%d\nwscale=%d\n",
	       syn.src_port, syn.dst_port, syn.syn, syn.ack, syn.window, syn.mss, syn.wscale);
	printf("options=");
	for (size_t i = 0; i < syn.n_options; i++)
		printf("%s%u", i ? "-" : "", syn.options[i]);
	printf("\n");
#if FP_HAVE_JA4PLUS
	{
		char ja4t[FP_JA4_LEN];

		rc = fp_ja4t(&syn, ja4t, sizeof(ja4t));
		printf("ja4t_rc=%d\nja4t=%s\n", rc, ja4t);
	}
#endif
	return 0;
}

static void print_span(const char *key, struct fp_span s)
{
	printf("%s=%.*s\n", key, (int)s.len, (const char *)input + s.off);
}

static int run_http(size_t len)
{
	static char value[FP_HTTP_MAX_HEAD];
	int rc = fp_http_parse_request(input, len, &req);

	printf("rc=%d\nlooks_like=%d\n", rc, fp_http_looks_like_request(input, len));
	if (rc)
		return 0;
	printf("head_len=%u\nn_headers=%u\n", req.head_len, req.n_headers);
	print_span("method", req.method);
	print_span("target", req.target);
	print_span("version", req.version);
	for (size_t i = 0; i < req.n_headers; i++) {
		fp_http_copy_value(input, req.headers[i].value, value, sizeof(value));
		printf("header=%.*s\t%s\n", (int)req.headers[i].name.len,
		       (const char *)input + req.headers[i].name.off, value);
	}
#if FP_HAVE_JA4PLUS
	{
		static struct fp_ja4h ja4h;

		rc = fp_ja4h(input, &req, &ja4h);
		printf("ja4h_rc=%d\nja4h=%s\nja4h_r=%s\nja4h_ro=%s\n", rc, ja4h.ja4h, ja4h.ja4h_r,
		       ja4h.ja4h_ro);
	}
#endif
	return 0;
}

/* Every proper prefix of a complete message must read as "more bytes needed". */
static int run_prefixes(const char *kind, size_t len)
{
	size_t bad = 0;

	for (size_t n = 0; n < len; n++) {
		struct fp_tcp_syn syn;
		size_t consumed;
		int rc;

		if (!strcmp(kind, "tls"))
			rc = fp_tls_parse_hello(input, n, &hello, &consumed);
		else if (!strcmp(kind, "handshake"))
			rc = fp_tls_parse_handshake(input, n, &hello);
		else if (!strcmp(kind, "http"))
			rc = fp_http_parse_request(input, n, &req);
		else if (!strcmp(kind, "tcp"))
			rc = fp_tcp_parse(input, n, &syn);
		else
			return -EINVAL;
		if (rc != -EAGAIN) {
			if (bad < 5)
				printf("prefix_%zu_rc=%d\n", n, rc);
			bad++;
		}
	}
	printf("prefixes=%zu\nbad=%zu\n", len, bad);
	return 0;
}

static enum fp_transport transport_arg(int argc, char **argv)
{
	return argc > 3 ? (enum fp_transport)argv[3][0] : FP_TRANSPORT_TCP;
}

int main(int argc, char **argv)
{
	size_t len = 0;
	int err = -EINVAL;

	if (argc == 2 && !strcmp(argv[1], "features")) {
		printf("ja4plus=%d\n", FP_HAVE_JA4PLUS);
		return 0;
	}
	if (argc < 3 || unhex(argv[argc > 3 && !strcmp(argv[1], "prefixes") ? 3 : 2], &len)) {
		fprintf(stderr, "usage: see the comment at the top of fp_tool.c\n");
		return 2;
	}
	if (!strcmp(argv[1], "tls"))
		err = run_tls(len, true, transport_arg(argc, argv));
	else if (!strcmp(argv[1], "handshake"))
		err = run_tls(len, false, transport_arg(argc, argv));
	else if (!strcmp(argv[1], "tcp"))
		err = run_tcp(len);
	else if (!strcmp(argv[1], "http"))
		err = run_http(len);
	else if (!strcmp(argv[1], "prefixes") && argc > 3)
		err = run_prefixes(argv[2], len);
	if (err)
		fprintf(stderr, "fp_tool %s: %s\n", argv[1], strerror(-err));
	return err ? 1 : 0;
}
