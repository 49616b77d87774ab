#!/usr/bin/env python3
"""The nginx and apache plugins against real servers (root).

usage: test_httpd.py CASE JA4PROBE PLUGIN_DIR JA4H_REF
  nginx           curl (IPv4, IPv6, keep-alive), a slow client whose head comes in pieces,
                  pipelined heads, a POST body, TLS bytes (skipped), wrk; with
                  capture_responses: an http_response (status, latency) per request
  nginx_reload    requests during and after `nginx -s reload`: the new workers' are captured
  nginx_upgrade   binary upgrade: the binary replaced by a new file, USR2, WINCH: the new
                  master's workers are captured; the plugin matches by exe path only
                  (comm: []), so the exec of the new file is followed by its path
  apache_prefork  as nginx, plus a graceful restart mid-run, prefork MPM
  apache_event    the same with the event MPM

Every request the test sends must give exactly one http_request event with its method, path,
4-tuple (the client's port as the client saw it) and the JA4H the fingerprint library
(ja4h_ref) computes on the exact bytes sent; wrk's requests are counted. Nothing may be
counted lost.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import httpd_env  # noqa: E402
from tally import Tally  # noqa: E402

CASE, JA4PROBE, PLUGIN_DIR, JA4H_REF = sys.argv[1:5]
CHECKS = Tally()
check = CHECKS.check


class Sent:
    """One request the test sent: what the events must show."""

    def __init__(self, family, lport, method, path, raw):
        self.family, self.lport, self.method, self.path, self.raw = \
            family, lport, method, path, raw


def recv_all(s, timeout=10):
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def raw_requests(port, chunks, requests, family=socket.AF_INET, pause=0.0):
    """Send the chunks on one connection (pause between them), read to EOF; the
    (method, path, head bytes) of each request in requests become Sent entries."""
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect((host, port))
    for i, c in enumerate(chunks):
        if i and pause:
            time.sleep(pause)
        s.sendall(c)
    resp = recv_all(s)
    lport = s.getsockname()[1]
    s.close()
    check(resp.startswith(b"HTTP/1."), "no HTTP response to %r: %r" % (chunks[0][:40], resp[:80]))
    return [Sent(family, lport, m, p, raw) for m, p, raw in requests]


def get(port, path):
    """One GET of path on a connection of its own: its Sent entries"""
    h = head("GET", path, "localhost")
    return raw_requests(port, [h], [("GET", path, h)])


def gets(port, prefix, n):
    """n GETs of prefix/0 .. prefix/n-1, a connection each"""
    return [s for i in range(n) for s in get(port, "%s/%d" % (prefix, i))]


def head(method, path, host, extra=b"", close=True):
    h = b"%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ja4probe-test/1\r\nAccept: */*\r\n" \
        % (method.encode(), path.encode(), host.encode())
    h += b"Accept-Language: en-US\r\nCookie: session=abc; theme=dark\r\n" + extra
    if close:
        h += b"Connection: close\r\n"
    return h + b"\r\n"


def curl_trace_heads(trace):
    """The request heads curl sent, from its --trace hex dump."""
    heads, cur = [], None
    for line in trace.splitlines():
        if line.startswith("=> Send header"):
            cur = bytearray()
            heads.append(cur)
        elif line.startswith("=>") or line.startswith("<=") or line.startswith("=="):
            cur = None
        elif cur is not None and re.match(r"^[0-9a-f]{4}: ", line):
            cur.extend(bytes.fromhex("".join(re.findall(r"[0-9a-f]{2}", line[6:54]))))
    return [bytes(h) for h in heads]


def curl(port, paths, v6=False):
    host = "[::1]" if v6 else "127.0.0.1"
    urls = ["http://%s:%d%s" % (host, port, p) for p in paths]
    with tempfile.NamedTemporaryFile("r", suffix=".trace") as tr:
        out = subprocess.run(["curl", "-s", "-g", "--trace", tr.name, "-w", "%{local_port}\\n"]
                             + sum([[u, "-o", "/dev/null"] for u in urls], []),
                             capture_output=True, text=True, timeout=30)
        heads = curl_trace_heads(tr.read())
    ports = [int(x) for x in out.stdout.split()]
    check(out.returncode == 0 and len(ports) == len(paths) and len(heads) == len(paths),
          "curl %s: rc %d, ports %s, %d heads" % (urls, out.returncode, ports, len(heads)))
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    return [Sent(fam, lp, "GET", p, h) for lp, p, h in zip(ports, paths, heads)]


def ja4h_of(raws):
    """JA4H of each head, by the fingerprint library."""
    if not raws:
        return []
    d = tempfile.mkdtemp()
    files = []
    for i, r in enumerate(raws):
        files.append(os.path.join(d, "%d.req" % i))
        with open(files[-1], "wb") as f:
            f.write(r)
    out = subprocess.run([JA4H_REF] + files, capture_output=True, text=True, check=True).stdout
    for f in files:
        os.unlink(f)
    os.rmdir(d)
    return [line.split("=", 1)[1] for line in out.splitlines()]


def client_batch(port, tag):
    """Every kind of client the plugin must read right; returns what was sent."""
    sent = []
    for i in range(6):
        sent += curl(port, ["/%s/curl/%d?q=%d" % (tag, i, i)], v6=bool(i % 2))
    sent += curl(port, ["/%s/keepalive/a" % tag, "/%s/keepalive/b" % tag])
    # a slow client: the head arrives in pieces, each read separately
    h = head("GET", "/%s/slow" % tag, "127.0.0.1:%d" % port)
    sent += raw_requests(port, [h[:7], h[7:25], h[25:70], h[70:]],
                         [("GET", "/%s/slow" % tag, h)], pause=0.3)
    # a 6 KB head (a big cookie) in one segment: nginx reads it in pieces, Apache at once
    h = head("GET", "/%s/big-head" % tag, "localhost",
             extra=b"X-Filler: " + b"f" * 6000 + b"\r\n")
    sent += raw_requests(port, [h], [("GET", "/%s/big-head" % tag, h)])
    # pipelined heads in one segment
    h1 = head("GET", "/%s/pipe/1" % tag, "localhost", close=False)
    h2 = head("HEAD", "/%s/pipe/2" % tag, "localhost")
    sent += raw_requests(port, [h1 + h2], [("GET", "/%s/pipe/1" % tag, h1),
                                           ("HEAD", "/%s/pipe/2" % tag, h2)])
    # a body between two heads on one connection (IPv6)
    body = b"x" * 3000
    h1 = head("POST", "/%s/post" % tag, "[::1]", close=False,
              extra=b"Content-Type: text/plain\r\nContent-Length: %d\r\n" % len(body))
    h2 = head("GET", "/%s/after-post" % tag, "[::1]")
    sent += raw_requests(port, [h1 + body[:1000], body[1000:] + h2],
                         [("POST", "/%s/post" % tag, h1), ("GET", "/%s/after-post" % tag, h2)],
                         family=socket.AF_INET6, pause=0.1)
    return sent


def tls_bytes(port):
    """A connection whose first bytes are a TLS record: its reads are skipped."""
    s = socket.create_connection(("127.0.0.1", port))
    hello = bytes.fromhex("16030100310100002d0303") + bytes(32) + bytes.fromhex("000002002f0100")
    s.sendall(hello + b"GET /tls-must-not-show HTTP/1.1\r\nHost: x\r\n\r\n")
    recv_all(s, 5)
    lport = s.getsockname()[1]
    s.close()
    return lport


def check_events(events, port, sent, workers=None):
    mine = [e for e in events if e.get("event_type") == "http_request"
            and e.get("dest_port") == port]
    by_key = {}
    for e in mine:
        by_key.setdefault((e["src_port"], e["http"]["path"]), []).append(e)
    expect = ja4h_of([s.raw for s in sent])
    for s, ja4h in zip(sent, expect):
        got = by_key.get((s.lport, s.path), [])
        if not check(len(got) == 1, "%s %s from port %d: %d events"
                     % (s.method, s.path, s.lport, len(got))):
            continue
        e = got[0]
        ip = "127.0.0.1" if s.family == socket.AF_INET else "::1"
        check(e["http"]["method"] == s.method, "%s: method %s" % (s.path, e["http"]["method"]))
        check(e["src_ip"] == ip and e["dest_ip"] == ip, "%s: ips %s -> %s"
              % (s.path, e["src_ip"], e["dest_ip"]))
        check(e.get("server") == SERVER, "%s: server %s" % (s.path, e.get("server")))
        if ja4h:
            check(e["http"].get("ja4h") == ja4h, "%s: ja4h %s, library says %s"
                  % (s.path, e["http"].get("ja4h"), ja4h))
        if workers is not None:
            check(e["process"]["pid"] in workers, "%s: pid %d not a worker %s"
                  % (s.path, e["process"]["pid"], sorted(workers)))
    return mine


def check_responses(events, port, sent):
    """With capture_responses: one http_response per request (pipelined ones too, paired in
    order), status 200 (nginx's return), with the request's method and a latency."""
    resp = {}
    for e in events:
        if e.get("event_type") == "http_response" and e.get("dest_port") == port:
            resp.setdefault((e["src_port"], e["http"].get("path")), []).append(e)
    for s in sent:
        got = resp.get((s.lport, s.path), [])
        if not check(len(got) == 1, "response to %s from port %d: %d events"
                     % (s.path, s.lport, len(got))):
            continue
        h = got[0]["http"]
        check(h.get("status") == 200 and h.get("method") == s.method
              and h.get("latency_us", -1) >= 0, "response to %s: %s" % (s.path, h))


def check_stats(events, under_load=False):
    """Nothing dropped or misread. Under wrk the ring buffer may overflow (counted: lost),
    and responses whose request was lost (or the reverse) are then unmatched."""
    st = httpd_env.last_stats(events, PLUGIN)
    if not check(st is not None, "no stats event for " + PLUGIN):
        return {}
    keys = ["http_streams_evicted", "http_parse_errors", "http_nomem", "http_not_request"]
    if not (under_load and st.get("lost", 0)):
        keys += ["lost", "bpf_ringbuf_full", "http_responses_unmatched", "http_responses_missed"]
    for k in keys:
        check(st.get(k, 0) == 0, "stats %s = %s" % (k, st.get(k)))
    check(st.get("lost", 0) == st.get("bpf_ringbuf_full", 0),
          "lost %s but ring buffer full %s" % (st.get("lost"), st.get("bpf_ringbuf_full")))
    return st


def run_basic(server, probe):
    port = server.port
    sent = client_batch(port, "before")
    tls_port = tls_bytes(port)
    if server.kind == "apache":
        server.reload()
        sent += client_batch(port, "after-graceful")
    wrk_n, _, wrk_errors = httpd_env.wrk("http://127.0.0.1:%d/wrk" % port, seconds=2,
                                         connections=4)
    time.sleep(0.3)
    events = probe.stop()
    check_events(events, port, sent)
    if RESPONSES:
        check_responses(events, port, sent)
    mine = [e for e in events if e.get("event_type") == "http_request"
            and e.get("dest_port") == port]
    check(not [e for e in mine if e["src_port"] == tls_port],
          "the connection that started with TLS bytes gave an http_request")
    n_wrk = len([e for e in mine if e["http"]["path"] == "/wrk"])
    st = check_stats(events, under_load=True)
    # wrk counts completed responses; up to one request per connection may be in flight.
    # On a busy machine the ring buffer may fill: then every request is an event or counted.
    lost = st.get("lost", 0)
    check(wrk_n <= n_wrk + lost and n_wrk <= wrk_n + 4 + wrk_errors,
          "wrk completed %d requests: %d events, %d counted lost" % (wrk_n, n_wrk, lost))
    print("wrk: %d requests, %d events, %d lost" % (wrk_n, n_wrk, lost))
    check(st.get("tls_connections_skipped", 0) >= 1, "no TLS connection counted as skipped")
    return len(sent), n_wrk


def run_reload(server, probe):
    port, sent, stop = server.port, [], threading.Event()
    errors = []

    def loop():
        i = 0
        while not stop.is_set():
            try:
                sent.extend(get(port, "/during/%d" % i))
            except OSError as e:
                errors.append(e)
            i += 1

    t = threading.Thread(target=loop)
    t.start()
    time.sleep(0.5)
    new_workers = server.reload()
    time.sleep(0.5)
    stop.set()
    t.join()
    check(not errors, "requests failed during the reload: %s" % errors[:3])
    after = gets(port, "/after-reload", 20)
    time.sleep(0.3)
    events = probe.stop()
    check_events(events, port, sent)
    check_events(events, port, after, workers=new_workers)
    check_stats(events)
    return len(sent) + len(after), 0


def run_upgrade(server, probe):
    port = server.port
    before = gets(port, "/before-upgrade", 5)
    new_workers = server.upgrade()
    after = gets(port, "/after-upgrade", 20)
    time.sleep(0.3)
    events = probe.stop()
    check_events(events, port, before)
    check_events(events, port, after, workers=new_workers)
    check_stats(events)
    return len(before) + len(after), 0


PLUGIN = "nginx" if CASE.startswith("nginx") else "apache"
SERVER = PLUGIN
RESPONSES = CASE == "nginx"


def main():
    mpm = CASE.split("_", 1)[1] if PLUGIN == "apache" else "prefork"
    upgrade = CASE == "nginx_upgrade"
    server = httpd_env.Server(PLUGIN, mpm=mpm, daemon=upgrade, own_binary=upgrade)
    extra = "    capture_responses: true\n" if RESPONSES else ""
    if CASE == "nginx_upgrade":
        extra += "    comm: []\n    exe: [%s]\n" % server.binary
    probe = httpd_env.Probe(JA4PROBE, PLUGIN_DIR, PLUGIN, extra)
    try:
        server.start()
        probe.start()
        run = {"nginx_reload": run_reload, "nginx_upgrade": run_upgrade}.get(CASE, run_basic)
        n, n_wrk = run(server, probe)
    finally:
        probe.cleanup()
        server.stop()
    return CHECKS.close("(%s: %d requests sent and matched, %d wrk requests)"
                        % (CASE, n, n_wrk))


if __name__ == "__main__":
    sys.exit(main())
