#!/usr/bin/env python3
"""The ssl_uprobe plugin against real TLS servers and clients (root).

usage: test_ssl_uprobe.py CASE JA4PROBE PLUGIN_DIR JA4H_REF
  s_server        openssl s_server -WWW started before ja4probe (default targets: every
                  libssl user, hooked system-wide); an openssl s_client and a python ssl client
                  send known bytes, curl one more; with outbound: true the clients' own
                  requests are reported too, marked outbound; capture_responses: true gives
                  s_server's responses
  nginx           nginx with TLS, targets: [comm:nginx]: three requests on one keep-alive
                  connection, a head split over two TLS records, one over IPv6, curl; an
                  openssl s_server (outside the targets) is not captured
  apache_prefork  apache2 with mod_ssl (prefork MPM), default targets, keep-alive requests
  apache_event    the same with the event MPM
  python_later    a python3 ssl server started after ja4probe, targets: [exe:/usr/bin/python3]
  comm_later      the same with targets: [comm:NAME] (execs filtered by name in BPF); an
                  openssl s_server started after ja4probe, outside the targets, is not captured
  comm_forked     targets: [comm:python3], which this script matches too: the server it forks
                  and execs is captured from its first request; its own reads of the
                  responses (a body in a record of its own) are neither events nor errors
  exe_replaced    targets: [exe:COPY] of python3, the copy replaced by a new file (an upgrade)
                  after ja4probe started: a server started from the new file is captured
  lib_later       default targets: a python3 server started after ja4probe with its own copy
                  of libssl (LD_LIBRARY_PATH), a file no hook covered at start, is hooked once
                  its maps are read again after its exec, then captured
  lib_later_targeted  the same with targets: [exe:/usr/bin/python3]
  body_like_response  a POST body that starts like a response ("HTTP/"), in its own TLS
                  record, on a keep-alive connection: the requests before and after it on
                  that connection are captured
  fd_reused       a python ssl server moves its second connection onto the first one's fd with
                  dup2 (no close() of that number): the second request carries the second
                  client's 4-tuple, not the first connection's (a connection is its socket,
                  not its fd number)
  truncated       nginx, max_head_bytes: 512: a 1.6 kB head is counted truncated, not reported;
                  the next request is
  nginx_entry_return  as nginx, reads hooked by entry/return probes on OpenSSL's internal read
                  function (the fallback where the plaintext copy site is not recognised),
                  and capture_responses: an http_response (status 200) per request

Every request must give exactly one http_request event with "tls": true, its method, path,
version, host, user agent, the 4-tuple the client saw (its own port) and the JA4H the
fingerprint library (ja4h_ref) computes on the exact bytes the client sent.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import httpd_env  # noqa: E402
from tally import Tally  # noqa: E402

CASE, JA4PROBE, PLUGIN_DIR, JA4H_REF = sys.argv[1:5]
CHECKS = Tally()
check = CHECKS.check
CLEANUP = []
TMP = tempfile.mkdtemp(prefix="ja4probe-sslu-%d-" % os.getpid())


def make_cert():
    cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    os.chmod(key, 0o644)	# apache and nginx workers run as www-data / nobody
    os.chmod(TMP, 0o755)
    return cert, key


CERT, KEY = make_cert()


def head(path, host, extra=b""):
    return (b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sslu-test/1\r\nAccept: */*\r\n"
            b"Accept-Language: en\r\n%s\r\n" % (path.encode(), host.encode(), extra))


class Sent:
    """One request a client sent: what its event must show."""

    def __init__(self, lport, path, raw, pid=None, ip="127.0.0.1"):
        self.lport, self.path, self.raw, self.pid, self.ip = lport, path, raw, pid, ip


def read_response(s):
    """one whole response: its head, then Content-Length bytes of body"""
    s.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    hd, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in hd.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return hd + b"\r\n\r\n" + body


def tls_client(port, heads, split=False, host="127.0.0.1"):
    """One TLS connection (python ssl) to host; each head sent as one write (or, split, as
    two records), its response read before the next. Returns the Sent of each."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, port))
    s = ctx.wrap_socket(raw)
    lport = s.getsockname()[1]
    out = []
    for path, h in heads:
        if split:
            s.sendall(h[:20])
            time.sleep(0.2)
            s.sendall(h[20:])
        else:
            s.sendall(h)
        resp = read_response(s)
        check(resp.startswith(b"HTTP/1."), "no response to %s: %r" % (path, resp[:60]))
        out.append(Sent(lport, path, h, ip=host))
    s.close()
    return out


def s_client(port, h):
    """openssl s_client sends the head; its pid and port are the client's side of the event."""
    p = subprocess.Popen(["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:%d" % port],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ss = ""

    def port_of_client():
        nonlocal ss
        ss = subprocess.run(["ss", "-Htnp", "state", "established", "dport", "= :%d" % port],
                            capture_output=True, text=True).stdout
        for line in ss.splitlines():
            if "pid=%d," % p.pid in line:
                return int(line.split()[2].rsplit(":", 1)[1])
        return None

    lport = httpd_env.wait_for(port_of_client, 10)
    time.sleep(0.3)	# the handshake finishes before s_client reads its stdin
    p.stdin.write(h)
    p.stdin.flush()
    time.sleep(0.5)
    p.stdin.close()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    check(lport is not None, "s_client's port not found: %s" % ss)
    return Sent(lport, h.split(b" ")[1].decode(), h, p.pid)


def curl(port, path):
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{local_port}",
                        "https://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True)
    check(r.returncode == 0, "curl %s failed: %s" % (path, r.stderr))
    return int(r.stdout or 0)


def ja4h_of(raw):
    out = subprocess.run([JA4H_REF], input=raw, capture_output=True, check=True).stdout
    return out.decode().strip().split("=", 1)[1]


def requests_of(events):
    return [e for e in events if e.get("event_type") == "http_request"]


def check_sent(events, sent, server_pid=None, server_port=None):
    """exactly one inbound event per request, with everything the client knows of it"""
    for s in sent:
        mine = [e for e in requests_of(events) if e.get("src_port") == s.lport and
                e["http"].get("path") == s.path and not e["http"].get("outbound")]
        if not check(len(mine) == 1, "%d events for %s from port %d, want 1"
                     % (len(mine), s.path, s.lport)):
            continue
        e, h = mine[0], mine[0]["http"]
        check(h.get("tls") is True, "event without tls: true: %s" % e)
        check(h.get("method") == "GET" and h.get("version") == "HTTP/1.1",
              "request line: %s" % h)
        check(h.get("user_agent") == "sslu-test/1", "user agent: %s" % h)
        check(h.get("host", "").startswith("127.0.0.1") or h.get("host") == "sslu.test",
              "host: %s" % h)
        want = ja4h_of(s.raw)
        if want:
            check(h.get("ja4h") == want, "ja4h %s, want %s (fingerprint library on the bytes "
                  "sent)" % (h.get("ja4h"), want))
        ips = (s.ip, "::ffff:" + s.ip)
        check(e.get("src_ip") in ips and e.get("dest_ip") in ips, "addresses: %s" % e)
        if server_port:
            check(e.get("dest_port") == server_port, "dest_port: %s" % e)
        if server_pid:
            check(e["process"]["pid"] in server_pid, "process %s, want one of %s"
                  % (e.get("process"), server_pid))
        check(bool(e["process"].get("exe")), "process without exe: %s" % e.get("process"))


def check_curl(events, lport, path):
    mine = [e for e in requests_of(events) if e.get("src_port") == lport and
            not e["http"].get("outbound")]
    if check(len(mine) == 1, "%d events for curl from port %d" % (len(mine), lport)):
        check(mine[0]["http"].get("path") == path and
              mine[0]["http"].get("user_agent", "").startswith("curl/"),
              "curl event: %s" % mine[0])


def check_no_loss(events):
    stats = httpd_env.last_stats(events, "ssl_uprobe")
    if check(stats is not None, "no stats event of ssl_uprobe"):
        for k in ("lost", "http_heads_truncated", "http_parse_errors", "http_streams_evicted"):
            check(stats.get(k, 0) == 0, "counter %s = %s" % (k, stats.get(k)))


def start(cmd, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, **kw)
    CLEANUP.append(lambda: (p.poll() is None and p.kill(), p.wait()))
    return p


def s_server(port):
    with open(os.path.join(TMP, "index.html"), "w") as f:
        f.write("ok\n")
    p = start(["openssl", "s_server", "-accept", str(port), "-cert", CERT, "-key", KEY, "-WWW",
               "-quiet"], cwd=TMP)
    check(httpd_env.wait_for(lambda: httpd_env.port_open(port), 10), "s_server did not start")
    return p


def probe(extra=""):
    p = httpd_env.Probe(JA4PROBE, PLUGIN_DIR, "ssl_uprobe", extra)
    CLEANUP.append(p.cleanup)
    return p.start()


def settle():
    time.sleep(1.5)	# the ring buffer is drained on a timer; a stats event follows


def case_s_server():
    port = httpd_env.free_port()
    s_server(port)
    p = probe("    outbound: true\n    capture_responses: true\n")
    sent = [s_client(port, head("/index.html", "sslu.test"))]
    sent += tls_client(port, [("/index.html", head("/index.html", "127.0.0.1"))])
    lport = curl(port, "/index.html")
    settle()
    events = p.stop()
    check_sent(events, sent, server_port=port)
    check_curl(events, lport, "/index.html")
    # s_server's response to the python client (outbound and responses both on)
    resp = [e for e in events if e.get("event_type") == "http_response" and
            e.get("src_port") == sent[1].lport]
    check(len(resp) == 1 and resp[0]["http"].get("status") == 200,
          "http_response to port %d: %s" % (sent[1].lport, resp))
    # outbound: s_client's own write of the request, src = its own socket
    out = [e for e in requests_of(events) if e["http"].get("outbound")]
    mine = [e for e in out if e["process"]["pid"] == sent[0].pid]
    if check(len(mine) == 1, "%d outbound events of s_client, want 1: %s" % (len(mine), out)):
        check(mine[0].get("src_port") == sent[0].lport and mine[0].get("dest_port") == port,
              "outbound 4-tuple: %s" % mine[0])
        check(mine[0]["http"].get("ja4h") == ja4h_of(sent[0].raw) or not ja4h_of(sent[0].raw),
              "outbound ja4h: %s" % mine[0])
    check_no_loss(events)


class TlsServer(httpd_env.Server):
    """httpd_env's nginx/apache config with TLS on its port."""

    def _nginx_conf(self, workers):
        conf = super()._nginx_conf(workers)
        return conf.replace("listen 127.0.0.1:%d;" % self.port,
                            "listen 127.0.0.1:%d ssl;\n    ssl_certificate %s;\n"
                            "    ssl_certificate_key %s;" % (self.port, CERT, KEY)) \
                   .replace("listen [::1]:%d;" % self.port, "listen [::1]:%d ssl;" % self.port)

    def _apache_conf(self, workers):
        mods = "/usr/lib/apache2/modules"
        return super()._apache_conf(workers).replace("Listen [::1]:%d\n" % self.port, "") + f"""
LoadModule socache_shmcb_module {mods}/mod_socache_shmcb.so
LoadModule ssl_module {mods}/mod_ssl.so
SSLSessionCache shmcb:{self.dir}/ssl_scache(512000)
SSLEngine on
SSLCertificateFile {CERT}
SSLCertificateKeyFile {KEY}
"""


def serve(kind, mpm="prefork"):
    srv = TlsServer(kind, mpm=mpm, workers=1)
    CLEANUP.append(srv.stop)
    return srv.start()


def case_nginx(extra=""):
    srv = serve("nginx")
    other = httpd_env.free_port()
    s_server(other)
    p = probe("    targets: [comm:nginx]\n" + extra)
    pids = srv.workers()
    heads = [("/a%d" % i, head("/a%d" % i, "127.0.0.1", b"Cookie: k=v%d\r\n" % i))
             for i in range(3)]
    sent = tls_client(srv.port, heads)
    sent += tls_client(srv.port, [("/split", head("/split", "127.0.0.1"))], split=True)
    sent += tls_client(srv.port, [("/v6", head("/v6", "127.0.0.1"))], host="::1")
    lport = curl(srv.port, "/curl")
    tls_client(other, [("/index.html", head("/index.html", "127.0.0.1"))])
    settle()
    events = p.stop()
    check_sent(events, sent, server_pid=pids, server_port=srv.port)
    check_curl(events, lport, "/curl")
    foreign = [e for e in requests_of(events) if e.get("dest_port") == other]
    check(not foreign, "a process outside the targets was captured: %s" % foreign)
    if "capture_responses" in extra:
        for s in sent:
            resp = [e for e in events if e.get("event_type") == "http_response" and
                    e.get("src_port") == s.lport and e["http"].get("path") == s.path]
            check(len(resp) == 1 and resp[0]["http"].get("status") == 200,
                  "http_response of %s from port %d: %s" % (s.path, s.lport, resp))
    check_no_loss(events)


def case_truncated():
    """a head longer than max_head_bytes is counted, not reported as a wrong request"""
    srv = serve("nginx")
    p = probe("    targets: [comm:nginx]\n    max_head_bytes: 512\n")
    big = head("/big", "127.0.0.1", b"X-Filler: %s\r\n" % (b"f" * 1500))
    tls_client(srv.port, [("/big", big)])
    sent = tls_client(srv.port, [("/small", head("/small", "127.0.0.1"))])
    settle()
    events = p.stop()
    check(not [e for e in requests_of(events) if e["http"].get("path") == "/big"],
          "a truncated head was reported")
    check_sent(events, sent, server_pid=srv.workers(), server_port=srv.port)
    stats = httpd_env.last_stats(events, "ssl_uprobe") or {}
    check(stats.get("http_heads_truncated", 0) == 1 and stats.get("copy_truncated", 0) >= 1,
          "truncation not counted: %s" % stats)


def case_apache(mpm):
    srv = serve("apache", mpm)
    p = probe()
    heads = [("/index.html", head("/index.html", "127.0.0.1")),
             ("/b", head("/b", "127.0.0.1", b"Cookie: x=1\r\n"))]
    sent = tls_client(srv.port, heads)
    lport = curl(srv.port, "/index.html")
    settle()
    events = p.stop()
    check_sent(events, sent, server_pid=srv.workers(), server_port=srv.port)
    check_curl(events, lport, "/index.html")
    check_no_loss(events)


PY_SERVER = r"""
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers()
        self.wfile.write(b"ok\n")
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.do_GET()
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
"""


def case_python_later():
    p = probe("    targets: [exe:/usr/bin/python3]\n")
    port = httpd_env.free_port()
    srv = start(["/usr/bin/python3", "-c", PY_SERVER, str(port), CERT, KEY])
    check(httpd_env.wait_for(lambda: httpd_env.port_open(port), 15), "python server down")
    heads = [("/p%d" % i, head("/p%d" % i, "127.0.0.1")) for i in range(2)]
    sent = tls_client(port, heads)
    lport = curl(port, "/later")
    settle()
    events = p.stop()
    check_sent(events, sent, server_pid={srv.pid}, server_port=port)
    check_curl(events, lport, "/later")
    check_no_loss(events)


def case_comm_later():
    # a name of its own: this script, a traced python3, would fork the server
    exe = os.path.join(TMP, "sslu-pysrv")
    shutil.copy2("/usr/bin/python3", exe)
    p = probe("    targets: [comm:sslu-pysrv]\n")
    port = httpd_env.free_port()
    srv = start([exe, "-c", PY_SERVER, str(port), CERT, KEY])
    other = httpd_env.free_port()
    s_server(other)
    check(httpd_env.wait_for(lambda: httpd_env.port_open(port), 15), "python server down")
    sent = tls_client(port, [("/comm", head("/comm", "127.0.0.1"))])
    tls_client(other, [("/index.html", head("/index.html", "127.0.0.1"))])
    settle()
    events = p.stop()
    check_sent(events, sent, server_pid={srv.pid}, server_port=port)
    foreign = [e for e in requests_of(events) if e.get("dest_port") == other]
    check(not foreign, "a process outside the targets was captured: %s" % foreign)
    check_no_loss(events)


def py_server(exe="/usr/bin/python3", env=None):
    """PY_SERVER run by exe on a free port, up; returns (process, port)"""
    port = httpd_env.free_port()
    srv = start([exe, "-c", PY_SERVER, str(port), CERT, KEY], env=env)
    check(httpd_env.wait_for(lambda: httpd_env.port_open(port), 15), "python server down")
    return srv, port


def request_captured(p, srv, port, path):
    """one request to the server, then exactly its event from ja4probe p, and no loss"""
    sent = tls_client(port, [(path, head(path, "127.0.0.1"))])
    settle()
    events = p.stop()
    check_sent(events, sent, server_pid={srv.pid}, server_port=port)
    check_no_loss(events)


def case_comm_forked():
    # targets: [comm:python3] traces this script too: the server is its fork, then an exec
    p = probe("    targets: [comm:python3]\n")
    srv, port = py_server()
    request_captured(p, srv, port, "/forked")


def live_stats(p):
    """the plugin's counters in the newest stats event ja4probe has written so far"""
    with open(p.out) as f:
        events = [json.loads(line) for line in f if line.strip()]
    return httpd_env.last_stats(events, "ssl_uprobe") or {}


def case_lib_later(targets=""):
    # a server started later with its own copy of libssl, at a path no hook covers at start
    libdir = os.path.join(TMP, "lib")
    os.makedirs(libdir)
    system = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    libssl = next(l.split("=> ")[1] for l in system.splitlines()
                  if "libssl.so.3 " in l and "x86-64" in l)
    shutil.copy2(libssl, os.path.join(libdir, "libssl.so.3"))
    p = probe(targets)
    check(httpd_env.wait_for(lambda: "libraries" in live_stats(p), 10), "no stats event")
    before = live_stats(p)["libraries"]
    srv, port = py_server(env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    with open("/proc/%d/maps" % srv.pid) as f:
        check(os.path.join(libdir, "libssl.so.3") in f.read(), "the copy of libssl is not used")
    # hooked when its maps are read again after the exec
    check(httpd_env.wait_for(lambda: live_stats(p).get("libraries", 0) > before, 15),
          "the new libssl was not hooked: %s" % live_stats(p))
    request_captured(p, srv, port, "/lib")


def case_body_like_response():
    # a request body that starts like a response ("HTTP/"), in a TLS record of its own, on a
    # keep-alive connection: the server's next request on it is still captured
    p = probe()
    srv, port = py_server()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    lport = s.getsockname()[1]
    before, after = head("/before", "127.0.0.1"), head("/after", "127.0.0.1")
    body = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    s.sendall(before)
    check(read_response(s).startswith(b"HTTP/1."), "no response to /before")
    s.sendall(b"POST /post HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sslu-test/1\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    time.sleep(0.2)
    s.sendall(body)
    check(read_response(s).startswith(b"HTTP/1."), "no response to /post")
    s.sendall(after)
    check(read_response(s).startswith(b"HTTP/1."), "no response to /after")
    s.close()
    settle()
    events = p.stop()
    check_sent(events, [Sent(lport, "/before", before), Sent(lport, "/after", after)],
               server_pid={srv.pid}, server_port=port)
    posts = [e for e in requests_of(events) if e["http"].get("path") == "/post"]
    check(len(posts) == 1 and posts[0]["http"].get("method") == "POST",
          "events for /post: %s" % posts)


def case_exe_replaced():
    exe = os.path.join(TMP, "python3")
    shutil.copy2("/usr/bin/python3", exe)
    p = probe("    targets: [exe:%s]\n" % exe)
    # what a package upgrade does: a new file renamed over the old path, a new inode
    shutil.copy2("/usr/bin/python3", exe + ".new")
    os.rename(exe + ".new", exe)
    srv, port = py_server(exe)
    request_captured(p, srv, port, "/new")


# serves one request per connection; the second connection is dup2'ed onto the first one's fd
FD_SERVER = r"""
import os, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
ls = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
def serve(sock):
    s = ctx.wrap_socket(sock, server_side=True)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
    return s
first = serve(ls.accept()[0])
second = ls.accept()[0]
fd = first.fileno()
os.dup2(second.fileno(), fd)	# closes the first connection without a close() of fd
second.close()
serve(socket.socket(fileno=fd))
print("fd %d" % fd, flush=True)
os._exit(0)	# first still owns fd: no second close of it
"""


def case_fd_reused():
    port = httpd_env.free_port()
    srv = subprocess.Popen(["/usr/bin/python3", "-c", FD_SERVER, str(port), CERT, KEY],
                           stdout=subprocess.PIPE, text=True, start_new_session=True)
    CLEANUP.append(lambda: (srv.poll() is None and srv.kill(), srv.wait()))
    check(srv.stdout.readline().strip() == "ready", "fd_reused server did not start")
    p = probe()
    sent = tls_client(port, [("/first", head("/first", "127.0.0.1"))])
    sent += tls_client(port, [("/second", head("/second", "127.0.0.1"))])
    check(sent[0].lport != sent[1].lport, "both clients used port %d" % sent[0].lport)
    check(srv.stdout.readline().startswith("fd "), "fd_reused server did not serve twice")
    settle()
    events = p.stop()
    check_sent(events, sent, server_pid={srv.pid}, server_port=port)
    check_no_loss(events)


CASES = {
    "s_server": case_s_server,
    "nginx": case_nginx,
    "nginx_entry_return": lambda: case_nginx("    read_hook: entry_return\n"
                                             "    capture_responses: true\n"),
    "apache_prefork": lambda: case_apache("prefork"),
    "apache_event": lambda: case_apache("event"),
    "python_later": case_python_later,
    "comm_later": case_comm_later,
    "comm_forked": case_comm_forked,
    "exe_replaced": case_exe_replaced,
    "body_like_response": case_body_like_response,
    "lib_later": case_lib_later,
    "lib_later_targeted": lambda: case_lib_later("    targets: [exe:/usr/bin/python3]\n"),
    "truncated": case_truncated,
    "fd_reused": case_fd_reused,
}

try:
    CASES[CASE]()
finally:
    for f in reversed(CLEANUP):
        try:
            f()
        except Exception as e:  # noqa: BLE001 (cleanup goes on)
            print("cleanup:", e)
    subprocess.run(["rm", "-rf", TMP])
sys.exit(CHECKS.close("(%s)" % CASE))
