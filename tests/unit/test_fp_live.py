#!/usr/bin/env python3
"""Real clients on loopback, fingerprinted by the library and checked against tshark.

Starts its own servers on free loopback ports (Python ssl for TLS, a raw TCP listener for
HTTP), captures the traffic with tcpdump, and runs real clients: curl and openssl
s_client with different TLS settings (TLS 1.3 and 1.2, with and without SNI and ALPN) and
curl and a raw socket for HTTP heads (cookies, referer, folded and bare-LF heads). For every
ClientHello, SYN and request in the capture the expected JA4, JA3, JA4T and JA4H are computed
in Python from tshark's dissection (lists of ciphers, extensions, signature algorithms,
options, header lines), not from the library, and compared with fp_tool on the bytes.

usage: test_fp_live.py FP_TOOL      (root: tcpdump on lo)
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from fp_testlib import (Tally, expect_ja3, expect_ja4, expect_ja4h, expect_ja4t, find, first,
                        fp_tool, ja4plus, raw_hex, tcp_bytes)

TOOL = sys.argv[1]
check = Tally()
JA4PLUS = ja4plus(TOOL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sink(sock, stop, tls=None):
    """Accept connections (TLS ones through the handshake), read one request, answer it."""
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        conn.settimeout(2)
        try:
            if tls:
                conn = tls.wrap_socket(conn, server_side=True)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()


def listener(port):
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen(8)
    return sock


def run_clients(tls_port, http_port, tmp):
    url = f"https://test.example:{tls_port}/"
    resolve = f"test.example:{tls_port}:127.0.0.1"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15)
    for args in (["--http1.1"], ["--tlsv1.2", "--tls-max", "1.2"], ["--http2"]):
        subprocess.run(["curl", "-sk", "--resolve", resolve, *args, url], **quiet)
    s_client = ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_port}"]
    for args in (["-noservername", "-alpn", "x"], ["-servername", "a.b", "-tls1_2"],
                 ["-servername", "c.d", "-alpn", "h2,http/1.1", "-tls1_3"]):
        subprocess.run(s_client + args, input=b"", **quiet)
    subprocess.run(["curl", "-s", f"http://127.0.0.1:{http_port}/a?b=1",
                    "-H", "Cookie: z=1; a=2", "-H", "Referer: http://r/",
                    "-H", "Accept-Language: de-DE,de;q=0.9"], **quiet)
    subprocess.run(["curl", "-s", "-X", "POST", "-d", "x=1", "--http1.0",
                    f"http://127.0.0.1:{http_port}/form"], **quiet)
    for raw in (b"GET /fold HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  b\r\nUser-Agent: raw\r\n\r\n",
                b"GET /lf HTTP/1.0\nUser-Agent:\nAccept: */*\n\n"):
        with socket.create_connection(("127.0.0.1", http_port), timeout=2) as c:
            c.sendall(raw)
            try:
                c.recv(1024)
            except OSError:
                pass


def capture(tmp):
    tls_port, http_port = free_port(), free_port()
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=test.example",
                    "-days", "1", "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    tls.set_alpn_protocols(["h2", "http/1.1"])
    pcap = os.path.join(tmp, "live.pcap")
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-w", pcap,
                             f"tcp port {tls_port} or tcp port {http_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()
    socks = [listener(tls_port), listener(http_port)]
    threads = [threading.Thread(target=sink, args=(socks[0], stop, tls)),
               threading.Thread(target=sink, args=(socks[1], stop))]
    for t in threads:
        t.start()
    try:
        for _ in range(5):  # "listening on lo ..." once it captures (maybe after warnings)
            line = dump.stderr.readline().decode()
            if "listening" in line or not line:
                break
        check("listening" in line, f"tcpdump did not start: {line}")
        run_clients(tls_port, http_port, tmp)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
        for sock in socks:
            sock.close()
        dump.send_signal(signal.SIGINT)
        stats = dump.communicate(timeout=10)[1].decode()
    # "N packets captured" and what the kernel dropped, to tell a silent capture from a bug
    print("tcpdump:", " ".join(stats.split()))
    return pcap


def ints(values, base=16):
    return [int(v, base) for v in values]


def expected_tls(hs):
    """JA4/JA3 of a ClientHello from tshark's dissection of it."""
    ciphers = ints(find(hs, "tls.handshake.ciphersuite"))
    types = ints(find(hs, "tls.handshake.extension.type"), 10)
    sigs = []
    for value in hs.values() if isinstance(hs, dict) else []:
        if isinstance(value, dict) and value.get("tls.handshake.extension.type") == "13":
            sigs = ints(find(value, "tls.handshake.sig_hash_alg"))
    versions = ints(find(hs, "tls.handshake.extensions.supported_version"))
    legacy = int(first(hs, "tls.handshake.version"), 16)
    alpn = first(hs, "tls.handshake.extensions_alpn_str_raw")
    alpn = [bytes.fromhex(raw_hex(alpn))] if alpn is not None else []
    groups = ints(find(hs, "tls.handshake.extensions_supported_group"))
    ecpf = ints(find(hs, "tls.handshake.extensions_ec_point_format"), 10)
    exp = expect_ja4(ciphers, types, sigs, versions, legacy, alpn)
    exp.update(expect_ja3(legacy, ciphers, types, groups, ecpf))
    return exp


def client_hello_of(lay):
    for hs in find(lay, "tls.handshake"):
        if isinstance(hs, dict) and hs.get("tls.handshake.type") == "1":
            return hs
    return None


def main():
    if os.geteuid() != 0:
        print("needs root for tcpdump on lo: skipped")
        return 77
    for t in ("tcpdump", "tshark", "openssl", "curl"):
        if shutil.which(t) is None:
            print(f"{t} not installed (scripts/install-deps.sh --test): skipped")
            return 77
    counts = {"hello": 0, "syn": 0, "http": 0}
    with tempfile.TemporaryDirectory(prefix="ja4probe-fplive.") as tmp:
        pcap = capture(tmp)
        out = subprocess.run(["tshark", "-r", pcap, "-T", "json", "-x", "--no-duplicate-keys",
                              "-o", "tls.desegment_ssl_records:TRUE"],
                             capture_output=True, text=True, check=True).stdout
    for pkt in json.loads(out):
        lay = pkt["_source"]["layers"]
        frame = first(lay, "frame.number")
        hs = client_hello_of(lay)
        if hs is not None:
            counts["hello"] += 1
            res = fp_tool(TOOL, "tls", tcp_bytes(lay))
            for k, v in expected_tls(hs).items():
                check(res.get(k) == v, f"frame {frame}: {k} {res.get(k)} != {v}")
            check(res.get("ja3") == first(lay, "tls.handshake.ja3"), f"frame {frame}: ja3")
        if first(lay, "tcp.flags.syn") == "1":
            counts["syn"] += 1
            res = fp_tool(TOOL, "tcp", raw_hex(first(lay, "tcp_raw")))
            kinds = ints(find(lay, "tcp.option_kind"), 10)
            mss = first(lay, "tcp.options.mss_val")
            ws = first(lay, "tcp.options.wscale.shift")
            check(res.get("options") == "-".join(map(str, kinds)), f"frame {frame}: options")
            if JA4PLUS:
                exp = expect_ja4t(int(first(lay, "tcp.window_size_value")), kinds,
                                  int(mss) if mss else None, int(ws) if ws else None)
                check(res.get("ja4t") == exp, f"frame {frame}: ja4t {res.get('ja4t')} != {exp}")
        if first(lay, "http.request") is not None:
            counts["http"] += 1
            res = fp_tool(TOOL, "http", tcp_bytes(lay))
            check(res.get("rc") == "0", f"frame {frame}: http rc {res.get('rc')}")
            lines = [l.rstrip("\r\n") for l in find(lay, "http.request.line")]
            headers = [(n, v.strip(" \t")) for n, v in (l.split(":", 1) for l in lines)]
            if JA4PLUS and not any("Long" in n for n, _ in headers):  # tshark splits folds
                exp = expect_ja4h(first(lay, "http.request.method"),
                                  first(lay, "http.request.version"), headers)
                for k, v in exp.items():
                    check(res.get(k) == v, f"frame {frame}: {k} {res.get(k)} != {v}")
    check(counts["hello"] >= 6, f"ClientHellos seen: {counts}")
    check(counts["syn"] >= 20, f"SYNs seen: {counts}")
    check(counts["http"] >= 4, f"HTTP requests seen: {counts}")
    return check.close(f"({counts['hello']} hellos, {counts['syn']} SYNs, "
                        f"{counts['http']} requests, ja4plus={int(JA4PLUS)})")


sys.exit(main())
