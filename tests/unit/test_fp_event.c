// SPDX-License-Identifier: BSD-3-Clause
/*
 * The event helpers (fp_event.h) against the tests' host (tests/common): the shape of
 * each event, JA4+ fields only when FP_HAVE_JA4PLUS, secrets (raw JA4H, Cookie,
 * Authorization) only when the options ask for them. The fingerprint values themselves are
 * checked against the library's builders on the same bytes (their correctness is the job
 * of test_fp_captures.py and test_fp_synthetic.py).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <ja4probe/fp_event.h>

#include "tally.h"
#include "test_host.h"

static struct th_host *th;
static const struct jp_host *host;
/* the event the helpers write into, until a field is read */
static struct jp_event *pending;
static struct jp_obj *root;

/* a fresh host and an event whose root the helpers get */
static void reset(void)
{
	if (pending)
		host->event_discard(pending);
	th_free(th);
	th = th_new("fp_event", true);
	host = th_services(th);
	pending = host->event_new(host->ctx, "test", NULL);
	root = host->event_root(pending);
}

/* the event as the host shows it: emitted once the helpers have written it */
static const char *event_line(void)
{
	if (pending) {
		host->event_emit(pending);
		pending = NULL;
	}
	return th_line(th, 0);
}

static const char *field(const char *path)
{
	event_line();
	return th_field(th, 0, path);
}

/* the event has a key beginning with key_prefix (in any object) */
static bool any_key_starts(const char *key_prefix)
{
	char quoted[64];

	snprintf(quoted, sizeof(quoted), "\"%s", key_prefix);
	return event_line() && strstr(event_line(), quoted);
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* GREASE cipher, extension and version; SNI example.com; ALPN h2, http/1.1; TLS 1.3 */
static const char client_hello_hex[] =
	"160301007a01000076030300000000000000000000000000000000000000000000000000000000000000"
	"000000062a2a1301c02b010000470a0a000000000010000e00000b6578616d706c652e636f6d0010000e00"
	"0c02683208687474702f312e31002b0007061a1a03040303000d0006000404030804000a00040002001d";

static void test_flow(void)
{
	uint8_t s[4] = { 192, 0, 2, 7 }, d[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	reset();
	expect(fp_event_flow(host, root, AF_INET, s, 51234, s, 443) == 0, "flow v4");
	expect(field("src_ip") && !strcmp(field("src_ip"), "192.0.2.7"), "src_ip");
	expect(field("dest_port") && !strcmp(field("dest_port"), "443"), "dest_port");
	reset();
	expect(fp_event_flow(host, root, AF_INET6, d, 1, d, 2) == 0, "flow v6");
	expect(field("dest_ip") && !strcmp(field("dest_ip"), "2001:db8::1"), "dest_ip v6");
}

static void test_client_hello(void)
{
	static uint8_t buf[512];
	static struct fp_tls_hello hello;
	static struct fp_ja4 ja4;
	static struct fp_ja3 ja3;
	size_t n = unhex(client_hello_hex, buf), consumed;

	reset();
	expect(fp_tls_parse_hello(buf, n, &hello, &consumed) == 0, "parse client hello");
	expect(fp_ja4(&hello, FP_TRANSPORT_TCP, &ja4) == 0 && fp_ja3(&hello, &ja3) == 0,
	       "build ja4/ja3");
	expect(fp_event_tls_hello(host, root, &hello, FP_TRANSPORT_TCP) == 0, "tls event");
	expect(field("tls.ja4") && !strcmp(field("tls.ja4"), ja4.ja4), "tls.ja4");
	expect(field("tls.ja4_r") && !strcmp(field("tls.ja4_r"), ja4.ja4_r), "tls.ja4_r");
	expect(field("tls.ja4_o") && !strcmp(field("tls.ja4_o"), ja4.ja4_o), "tls.ja4_o");
	expect(field("tls.ja4_ro") && !strcmp(field("tls.ja4_ro"), ja4.ja4_ro), "tls.ja4_ro");
	expect(field("tls.ja3") && !strcmp(field("tls.ja3"), ja3.ja3), "tls.ja3");
	expect(field("tls.ja3_full") && !strcmp(field("tls.ja3_full"), ja3.ja3_full),
	       "tls.ja3_full");
	expect(field("tls.sni") && !strcmp(field("tls.sni"), "example.com"), "tls.sni");
	expect(field("tls.alpn") && !strcmp(field("tls.alpn"), "h2,http/1.1"), "tls.alpn");
	expect(field("tls.versions") && !strcmp(field("tls.versions"), "1.3,1.2"),
	       "tls.versions without GREASE");
}

/* the same hello with the first ALPN value 0xBA 0xAD: escaped, never raw bytes in JSON */
static void test_binary_alpn(void)
{
	static char hex[sizeof(client_hello_hex)];
	static uint8_t buf[512];
	static struct fp_tls_hello hello;
	char *h2;
	size_t n, consumed;

	memcpy(hex, client_hello_hex, sizeof(hex));
	h2 = strstr(hex, "026832");	/* the value "h2" with its length */
	memcpy(h2, "02baad", 6);
	n = unhex(hex, buf);
	reset();
	expect(fp_tls_parse_hello(buf, n, &hello, &consumed) == 0, "parse binary alpn hello");
	expect(fp_event_tls_hello(host, root, &hello, FP_TRANSPORT_TCP) == 0,
	       "binary alpn event");
	expect(field("tls.alpn") && !strcmp(field("tls.alpn"), "\\xba\\xad,http/1.1"),
	       "binary ALPN escaped");
}

static void test_server_hello(void)
{
	/* ServerHello: TLS 1.2, cipher 0xc02f, extensions renegotiation_info and ALPN h2 */
	static const char hex[] = "160303003a020000360303"
				  "0000000000000000000000000000000000000000000000000000000000000000"
				  "00c02f00000eff01000100001000050003026832";
	static uint8_t buf[128];
	static struct fp_tls_hello hello;
	size_t n = unhex(hex, buf), consumed;

	reset();
	expect(fp_tls_parse_hello(buf, n, &hello, &consumed) == 0, "parse server hello");
	expect(fp_event_tls_hello(host, root, &hello, FP_TRANSPORT_TCP) == 0, "sh event");
	expect(field("tls.ja3s") != NULL, "tls.ja3s");
	expect(field("tls.version") && !strcmp(field("tls.version"), "1.2"), "tls.version");
	expect(field("tls.cipher") && !strcmp(field("tls.cipher"), "0xc02f"), "tls.cipher");
	expect(field("tls.alpn") && !strcmp(field("tls.alpn"), "h2"), "server tls.alpn");
	expect((field("tls.ja4s") != NULL) == FP_HAVE_JA4PLUS, "tls.ja4s iff ja4plus");
	expect((field("tls.ja4s_r") != NULL) == FP_HAVE_JA4PLUS, "tls.ja4s_r iff ja4plus");
}

static void test_tcp(void)
{
	/* SYN, window 65535, MSS 1460, NOP, wscale 6, SACK permitted, two EOL bytes */
	static const char syn_hex[] = "9c4001bb0000000100000000"
				      "8002ffff00000000020405b40103030604020000";
	uint8_t buf[64];
	struct fp_tcp_syn syn;
	size_t n = unhex(syn_hex, buf);

	reset();
	expect(fp_tcp_parse(buf, n, &syn) == 0, "parse syn");
	syn.ttl = 64;
	syn.df = true;
	syn.ip_id = 7;
	expect(fp_event_tcp_syn(host, root, &syn) == 0, "tcp event");
	expect(field("tcp.window") && !strcmp(field("tcp.window"), "65535"), "tcp.window");
	expect(field("tcp.options") && !strcmp(field("tcp.options"), "2,1,3,4,0,0"),
	       "tcp.options with every EOL byte");
	expect(field("tcp.mss") && !strcmp(field("tcp.mss"), "1460"), "tcp.mss");
	expect(field("tcp.wscale") && !strcmp(field("tcp.wscale"), "6"), "tcp.wscale");
	expect(field("tcp.ttl") && !strcmp(field("tcp.ttl"), "64"), "tcp.ttl");
	expect(field("tcp.df") && !strcmp(field("tcp.df"), "true"), "tcp.df");
	expect(field("tcp.ip_id") && !strcmp(field("tcp.ip_id"), "7"), "tcp.ip_id");
	expect((field("tcp.ja4t") != NULL) == FP_HAVE_JA4PLUS, "tcp.ja4t iff ja4plus");
	expect(field("tcp.ja4ts") == NULL, "no ja4ts on a SYN");
	buf[13] = 0x12;	/* SYN-ACK */
	reset();
	expect(fp_tcp_parse(buf, n, &syn) == 0, "parse syn-ack");
	expect(fp_event_tcp_syn(host, root, &syn) == 0, "syn-ack event");
	expect((field("tcp.ja4ts") != NULL) == FP_HAVE_JA4PLUS, "tcp.ja4ts iff ja4plus");
	expect(field("tcp.ja4t") == NULL, "no ja4t on a SYN-ACK");
}

static void test_http(void)
{
	static const char req_text[] = "GET /a?b HTTP/1.1\r\nHost: example.com\r\n"
				       "User-Agent: t/1\r\n  folded\r\nCookie: sid=secret\r\n"
				       "Authorization: Basic c2VjcmV0\r\n\r\n";
	const uint8_t *buf = (const uint8_t *)req_text;
	static struct fp_http_request req;
	struct fp_http_options all = { .ja4h_raw = true, .cookie = true, .authorization = true };

	reset();
	expect(fp_http_parse_request(buf, sizeof(req_text) - 1, &req) == 0, "parse request");
	expect(fp_event_http_request(host, root, buf, &req, NULL) == 0, "http event");
	expect(field("http.method") && !strcmp(field("http.method"), "GET"), "http.method");
	expect(field("http.path") && !strcmp(field("http.path"), "/a?b"), "http.path");
	expect(field("http.version") && !strcmp(field("http.version"), "HTTP/1.1"),
	       "http.version");
	expect(field("http.host") && !strcmp(field("http.host"), "example.com"), "http.host");
	expect(field("http.user_agent") && !strcmp(field("http.user_agent"), "t/1 folded"),
	       "http.user_agent with obs-fold joined");
	expect((field("http.ja4h") != NULL) == FP_HAVE_JA4PLUS, "http.ja4h iff ja4plus");
	expect(!any_key_starts("ja4h_r") && !field("http.cookie") &&
	       !field("http.authorization"), "no secrets by default");
	expect(!strstr(event_line(), "secret") && !strstr(event_line(), "c2VjcmV0"),
	       "no secret value in any default field");
	reset();
	expect(fp_event_http_request(host, root, buf, &req, &all) == 0, "http event, all");
	expect(field("http.cookie") && !strcmp(field("http.cookie"), "sid=secret"), "cookie");
	expect(field("http.authorization") != NULL, "authorization when asked");
	expect((field("http.ja4h_r") != NULL) == FP_HAVE_JA4PLUS, "ja4h_r when asked");
	expect((field("http.ja4h_ro") != NULL) == FP_HAVE_JA4PLUS, "ja4h_ro when asked");
}

int main(void)
{
	test_flow();
	test_client_hello();
	test_binary_alpn();
	test_server_hello();
	test_tcp();
	test_http();
	if (pending)
		host->event_discard(pending);
	th_free(th);
	printf("FP_HAVE_JA4PLUS=%d\n", FP_HAVE_JA4PLUS);
	return tally_close();
}
