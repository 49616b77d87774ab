#!/usr/bin/env python3
"""Edge cases of the fingerprint parsers and builders on inputs built here.

Each case builds its bytes with struct and computes the expected fingerprint with its own
implementation of the FoxIO spec text (hashlib), independent of the C library, then
compares with what fp_tool prints. Cases: GREASE everywhere, 99-item caps, absent SNI /
ALPN / signature algorithms, single-character and non-alphanumeric ALPN, supported_versions
present and absent, zero-length extensions, a hello over three records, every truncation
(-EAGAIN, never a crash), malformed input, HTTP bare LF / obs-fold / CONNECT / odd headers,
TCP options with EOL padding and empty values.

usage: test_fp_synthetic.py FP_TOOL
"""
import hashlib
import random
import struct
import sys

from fp_testlib import (GREASE, Tally, expect_ja3, expect_ja4, expect_ja4h, expect_ja4t,
                        fp_lines, fp_tool, ja4plus, prefixes as fp_prefixes, sha12)

TOOL = sys.argv[1]
EAGAIN, EBADMSG, E2BIG = -11, -74, -7
check = Tally()
JA4PLUS = ja4plus(TOOL)


def tool(mode, data, *extra):
    return fp_tool(TOOL, mode, data, *extra)


def prefixes(kind, data):
    return fp_prefixes(TOOL, kind, data)


# ---- TLS builders -------------------------------------------------------------------------

def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def ext(t, body=b""):
    return u16(t) + vec16(body)


def sni_ext(name):
    return ext(0, vec16(u8(0) + vec16(name.encode())))


def alpn_ext(values):
    return ext(16, vec16(b"".join(vec8(v) for v in values)))


def u16_list_ext(t, values):
    return ext(t, vec16(b"".join(u16(v) for v in values)))


def versions_ext(values):
    return ext(43, vec8(b"".join(u16(v) for v in values)))


def client_hello(ciphers, exts, legacy=0x0303, no_ext_block=False):
    body = u16(legacy) + bytes(32) + vec8(bytes(32)) + vec16(b"".join(u16(c) for c in ciphers))
    body += vec8(b"\x00")
    if not no_ext_block:
        body += vec16(b"".join(exts))
    return u8(1) + struct.pack(">I", len(body))[1:] + body


def server_hello(cipher, exts, legacy=0x0303):
    body = u16(legacy) + bytes(32) + vec8(bytes(32)) + u16(cipher) + u8(0) + vec16(b"".join(exts))
    return u8(2) + struct.pack(">I", len(body))[1:] + body


def records(msg, parts=1, version=0x0301, size=None):
    """The message cut into 'parts' records of about equal size (or records of 'size')."""
    out, step = b"", size or -(-len(msg) // parts)
    for i in range(0, len(msg), step):
        out += u8(22) + u16(version) + vec16(msg[i:i + step])
    return out


def ext_type(e):
    return struct.unpack(">H", e[:2])[0]


def tls_case(name, ciphers, exts, sigs=(), versions=(), legacy=0x0303, alpn=(), groups=(),
             ecpf=(), parts=1, transport="t"):
    msg = client_hello(ciphers, exts, legacy)
    stream = records(msg, parts)
    res = tool("tls", stream, transport)
    check(res.get("rc") == "0", f"{name}: rc {res.get('rc')}")
    if res.get("rc") != "0":
        return res
    check(res["consumed"] == str(len(stream)), f"{name}: consumed {res['consumed']}")
    types = [ext_type(e) for e in exts]
    exp = expect_ja4(ciphers, types, sigs, versions, legacy, alpn, transport)
    exp.update(expect_ja3(legacy, ciphers, types, groups, ecpf))
    for k, v in exp.items():
        check(res.get(k) == v, f"{name}: {k} {res.get(k)} != {v}")
    return res


def tls_cases():
    # Chrome-like, GREASE in ciphers, extensions, groups, versions and signature algorithms
    g = GREASE
    ciphers = [g[3], 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
               0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    sigs = [0x0403, g[5], 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    groups = [g[7], 0x11ec, 0x001d, 0x0017, 0x0018]
    versions = [g[9], 0x0304, 0x0303]
    exts = [ext(g[1]), sni_ext("example.com"), ext(0x0017), ext(0xff01, b"\x00"),
            u16_list_ext(10, groups), ext(11, vec8(b"\x00")), ext(0x0023),
            alpn_ext([b"h2", b"http/1.1"]), ext(0x0005, b"\x01\x00\x00\x00\x00"),
            u16_list_ext(13, sigs), ext(0x0012), ext(0x0033, vec16(u16(g[7]) + vec16(b"\x00"))),
            versions_ext(versions), ext(0x002d, vec8(b"\x01")), ext(0x001b, b"\x02\x00\x02"),
            ext(0x4469, vec16(vec8(b"h2"))), ext(g[2], b"\x00")]
    res = tls_case("grease everywhere", ciphers, exts, sigs, versions, alpn=[b"h2"],
                   groups=groups, ecpf=[0])
    check(res.get("sni") == "example.com", "grease everywhere: sni")
    check(res.get("alpn_last") == b"http/1.1".hex(), "grease everywhere: last ALPN")
    full = client_hello(ciphers, exts)
    # the same hello over three records, and followed by another record
    tls_case("three records", ciphers, exts, sigs, versions, alpn=[b"h2"], groups=groups,
             ecpf=[0], parts=3)
    stream = records(full, 3) + records(b"\x14\x00\x00\x00")
    res = tool("tls", stream)
    check(res.get("consumed") == str(len(records(full, 3))), "three records: consumed")
    # records of 1, 2, 3, 7 and 100 bytes: every value split across records somewhere
    for size in (1, 2, 3, 7, 100):
        res = tool("tls", records(full, size=size))
        check(res.get("ja4") == tool("tls", records(full)).get("ja4") and
              res.get("consumed") == str(len(records(full, size=size))),
              f"records of {size} bytes: {res.get('rc')} {res.get('ja4')}")
    # a post-quantum-sized hello (1.2 KB key share + padding), over two records
    big = [e for e in exts[:-1] if ext_type(e) != 0x0033]
    big += [ext(0x0033, vec16(u16(0x11ec) + vec16(bytes(1216)))), ext(0x0015, bytes(300)),
            exts[-1]]
    tls_case("large hello", ciphers, big, sigs, versions, alpn=[b"h2"], groups=groups,
             ecpf=[0], parts=2)
    p = prefixes("tls", records(client_hello(ciphers, big), 2))
    check(p.get("bad") == "0", f"truncated large hello: {p}")
    # every cut of the stream asks for more bytes, in records and as a bare message
    for kind, data in (("tls", records(full, 3)), ("tls", records(full, 1)),
                       ("handshake", full)):
        p = prefixes(kind, data)
        check(p.get("bad") == "0", f"truncated {kind}: {p}")
    # QUIC transport marker and the bare handshake entry point
    tcp_ja4 = tool("tls", records(full))["ja4"]
    res = tool("handshake", full, "q")
    check(res.get("ja4") == "q" + tcp_ja4[1:], f"quic marker: {res.get('ja4')} vs {tcp_ja4}")

    # 99 caps: 120 ciphers, 110 extensions
    many_c = list(range(0x0100, 0x0100 + 120))
    many_e = [ext(0x0100 + i) for i in range(110)]
    res = tls_case("caps", many_c, many_e, legacy=0x0303)
    check(res.get("ja4", "")[4:8] == "9999", f"caps: {res.get('ja4')}")

    # lists longer than the insertion-sort cut (32) in random order, with duplicates and
    # values whose high and low bytes both vary: the library's radix sort against sorted()
    rnd = random.Random(4)
    shuffled_c = [rnd.randrange(0x0001, 0xff00) for _ in range(70)] + [0x1301, 0x1301, 0xc02f]
    rnd.shuffle(shuffled_c)
    shuffled_e = [ext(t) for t in rnd.sample(range(0x0100, 0xfe00), 60)] + [ext(0x0017)]
    rnd.shuffle(shuffled_e)
    tls_case("long shuffled lists", shuffled_c, shuffled_e, legacy=0x0303)

    # no SNI, no ALPN, no signature algorithms: 'i', '00', no underscore before sig algs
    tls_case("bare", [0x002f, 0x0035], [ext(0x0017), ext(0xff01, b"\x00")])
    # no extensions block at all (TLS 1.0 style), empty lists
    msg = client_hello([0x002f], [], legacy=0x0301, no_ext_block=True)
    res = tool("tls", records(msg))
    check(res.get("ja4") == "t10i010000_" + sha12("002f") + "_000000000000",
          f"no extensions: {res.get('ja4')}")
    # empty cipher list and only SNI + ALPN: both hashes are zeros, the _o form is not
    res = tls_case("empty lists", [], [sni_ext("a.b"), alpn_ext([b"h2"])], alpn=[b"h2"])
    check(res.get("ja4") == "t12d0002h2_000000000000_000000000000", f"zeros: {res.get('ja4')}")

    # ALPN: single character, non-alphanumeric first or last byte, empty first value
    for values in ([b"a"], [b"\xba\xad", b"h2"], [b" a"], [b"a "], [b"0\xab\xcd1"], [b"\xab"]):
        tls_case(f"alpn {values[0]!r}", [0x1301], [alpn_ext(values)], alpn=values)
    tls_case("alpn empty first", [0x1301], [alpn_ext([b"", b"h2"])], alpn=[b""])

    # supported_versions absent / present / GREASE only; legacy and unknown versions
    tls_case("tls1.2 no sv", [0x1301], [ext(0x0017)], legacy=0x0303)
    tls_case("tls1.0 no sv", [0x1301], [ext(0x0017)], legacy=0x0301)
    tls_case("sv 1.3", [0x1301], [versions_ext([0x0304, 0x0303])], versions=[0x0304, 0x0303])
    tls_case("sv grease only", [0x1301], [versions_ext([g[0]])], versions=[g[0]])
    tls_case("unknown version", [0x1301], [ext(0x0017)], legacy=0x7f1c)

    # zero-length extensions, including list extensions sent empty
    tls_case("zero-length", [0x1301], [ext(0x0017), ext(0x0023), ext(10), ext(13), ext(16),
                                       ext(43), ext(0)])

    # malformed: extension longer than its block, wrong content type, bad record header
    bad = bytearray(records(client_hello([0x1301], [ext(0x0017, b"abc")])))
    bad[-4] = 0xff  # the extension's length high byte
    check(tool("tls", bytes(bad)).get("rc") == str(EBADMSG), "extension overrun")
    check(tool("tls", b"\x17\x03\x03\x00\x05hello").get("rc") == str(EBADMSG), "app data")
    check(tool("tls", b"GET / HTTP/1.1\r\n").get("rc") == str(EBADMSG), "http as tls")
    check(tool("tls", b"\x16\x03\x01\x00\x00").get("rc") == str(EBADMSG), "empty record")
    # more list entries than the parser keeps: refused, not fingerprinted
    res = tool("tls", records(client_hello(list(range(1, 600)), [])))
    check(res.get("rc") == str(E2BIG), f"600 ciphers: {res.get('rc')}")

    # ServerHello in the same record as the next handshake message
    sh_exts = [ext(0xff01, b"\x00"), ext(43, u16(0x0304)),
               alpn_ext([b"h2"]), ext(g[4])]
    sh = server_hello(0x1301, sh_exts)
    stream = u8(22) + u16(0x0303) + vec16(sh + b"\x0b\x00\x00\x00")
    res = tool("tls", stream)
    check(res.get("rc") == "0" and res.get("consumed") == str(5 + len(sh)), f"SH: {res}")
    full = f"771,4865,{'-'.join(str(t) for t in (65281, 43, 16))}"
    check(res.get("ja3s_full") == full and
          res.get("ja3s") == hashlib.md5(full.encode()).hexdigest(), f"JA3S: {res}")
    if JA4PLUS:
        exts_hex = "ff01,002b,0010"
        check(res.get("ja4s") == f"t1303h2_1301_{sha12(exts_hex)}", f"JA4S {res.get('ja4s')}")
        check(res.get("ja4s_r") == f"t1303h2_1301_{exts_hex}", f"JA4S_r {res.get('ja4s_r')}")
    else:
        check("ja4s" not in res, "JA4S present without ja4plus")


# ---- TCP ----------------------------------------------------------------------------------

def tcp_header(window, options, flags=0x02):
    opts = bytes(options)
    assert len(opts) % 4 == 0
    off = (20 + len(opts)) // 4
    return struct.pack(">HHIIBBHHH", 40000, 443, 1, 0, off << 4, flags, window, 0, 0) + opts


def tcp_cases():
    cases = [
        ("macOS with EOL padding", 65535,
         [2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10] + [0] * 8 + [4, 2, 0, 0],
         [2, 1, 3, 1, 1, 8, 4, 0, 0], 1460, 6),
        ("no options", 8192, [], [], None, None),
        ("window scale 0", 8192, [2, 4, 5, 0xa0, 1, 3, 3, 0], [2, 1, 3], 1440, 0),
        ("syn-ack", 29200, [2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7, 0, 0], [2, 4, 1, 3, 0, 0], 1460, 7),
    ]
    for name, window, opts, kinds, mss, wscale in cases:
        res = tool("tcp", tcp_header(window, opts, 0x12 if "ack" in name else 0x02))
        check(res.get("rc") == "0", f"tcp {name}: rc {res.get('rc')}")
        check(res.get("options") == "-".join(map(str, kinds)), f"tcp {name}: {res}")
        check(res.get("mss") == str(mss if mss is not None else -1), f"tcp {name}: mss")
        if JA4PLUS:
            exp = expect_ja4t(window, kinds, mss, wscale)
            check(res.get("ja4t") == exp, f"tcp {name}: ja4t {res.get('ja4t')} != {exp}")
        else:
            check("ja4t" not in res, "JA4T present without ja4plus")
        p = prefixes("tcp", tcp_header(window, opts))
        check(p.get("bad") == "0", f"tcp {name} truncated: {p}")
    bad = tcp_header(1024, [2, 4, 5, 0xb4, 8, 12, 0, 0])  # timestamp option runs past the end
    check(tool("tcp", bad).get("rc") == str(EBADMSG), "tcp option overrun")
    bad = tcp_header(1024, [2, 3, 5, 0xb4])  # MSS with a wrong length
    check(tool("tcp", bad).get("rc") == str(EBADMSG), "tcp bad mss length")


# ---- HTTP ---------------------------------------------------------------------------------

def http_case(name, raw, method, target, version, headers, eol=b"\r\n"):
    res = tool("http", raw)
    check(res.get("rc") == "0", f"http {name}: rc {res.get('rc')}")
    if res.get("rc") != "0":
        return
    check((res["method"], res["target"], res["version"]) == (method, target, version),
          f"http {name}: request line {res}")
    got = [tuple(v.split("\t", 1)) for k, v in fp_lines(TOOL, "http", raw) if k == "header"]
    check(got == headers, f"http {name}: headers {got} != {headers}")
    check(res.get("head_len") == str(raw.index(eol + eol) + 2 * len(eol)),
          f"http {name}: head_len {res.get('head_len')}")
    if JA4PLUS:
        for k, v in expect_ja4h(method, version, headers).items():
            check(res.get(k) == v, f"http {name}: {k} {res.get(k)} != {v}")
    else:
        check("ja4h" not in res, "JA4H present without ja4plus")
    p = prefixes("http", raw[:int(res["head_len"])])
    check(p.get("bad") == "0", f"http {name} truncated: {p}")


def http_cases():
    hs = [("Host", "example.com"), ("User-Agent", "curl/8.0"), ("Accept", "*/*"),
          ("Cookie", "b=2; a=1; c"), ("Referer", "http://x/"),
          ("Accept-Language", "en-US,en;q=0.9"), ("cookie", "a=0")]
    head = lambda eol, hh, line="GET /p?q=1 HTTP/1.1": (
        eol.join([line.encode()] + [f"{n}: {v}".encode() for n, v in hh]) + eol + eol)
    http_case("crlf", head(b"\r\n", hs), "GET", "/p?q=1", "HTTP/1.1", hs)
    http_case("bare lf", head(b"\n", hs), "GET", "/p?q=1", "HTTP/1.1", hs, eol=b"\n")
    http_case("connect", head(b"\r\n", [("Host", "a:443")], "CONNECT a:443 HTTP/1.0"),
              "CONNECT", "a:443", "HTTP/1.0", [("Host", "a:443")])
    # obs-fold: the continuation joins the value with one space
    raw = b"POST /f HTTP/1.1\r\nX-Long: one\r\n  two\r\n\tthree\r\nHost: h\r\n\r\nbody"
    http_case("folded", raw, "POST", "/f", "HTTP/1.1",
              [("X-Long", "one two three"), ("Host", "h")])
    # odd but valid: empty value, no space after the colon, tabs, upper/lower case names
    odd = [("X-Empty", ""), ("x-lower", "v"), ("X-Tab", "a\tb"), ("ACCEPT-LANGUAGE", "da")]
    raw = (b"GET / HTTP/1.0\r\nX-Empty:\r\nx-lower:v\r\nX-Tab:\t a\tb \r\n"
           b"ACCEPT-LANGUAGE: da\r\n\r\n")
    http_case("odd headers", raw, "GET", "/", "HTTP/1.0", odd)
    # empty lines before the request line are skipped
    http_case("leading crlf", b"\r\n" + head(b"\r\n", hs[:1]), "GET", "/p?q=1", "HTTP/1.1",
              hs[:1])
    # 120 headers: the count is capped at 99, the hash covers all of them
    many = [(f"X-H{i}", str(i)) for i in range(120)]
    http_case("120 headers", head(b"\r\n", many), "GET", "/p?q=1", "HTTP/1.1", many)
    check(tool("http", head(b"\r\n", [(f"X-H{i}", "v") for i in range(200)])).get("rc") ==
          str(E2BIG), "200 headers")
    for name, raw in (("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
                      ("no colon", b"GET / HTTP/1.1\r\nHost\r\n\r\n"),
                      ("fold first", b"GET / HTTP/1.1\r\n x\r\n\r\n"),
                      ("no version", b"GET /\r\n\r\n"),
                      ("binary", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
                      ("pseudo header", b"GET / HTTP/1.1\r\n:authority: x\r\n\r\n")):
        check(tool("http", raw).get("rc") == str(EBADMSG), f"http {name} accepted")
    check(tool("http", b"GET / HTTP/1.1\r\nX: " + b"a" * 20000).get("rc") == str(E2BIG),
          "endless head")
    check(tool("http", b"GET / HT").get("looks_like") == "1", "looks like GET")
    check(tool("http", b"HELLO / HTTP/1.1").get("looks_like") == "0", "looks like HELLO")


tls_cases()
tcp_cases()
http_cases()
sys.exit(check.close(f"(ja4plus={int(JA4PLUS)})"))
