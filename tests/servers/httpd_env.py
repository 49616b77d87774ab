"""Real nginx / apache2 servers and a running ja4probe, for the server-plugin tests and bench.

Each server runs from its own config in a temp dir on free loopback ports and is stopped by
stop() (the callers also stop it from a finally/atexit). Nothing here asserts: the tests do.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    """A TCP port free on 127.0.0.1 and ::1 right now."""
    for _ in range(50):
        s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s4.bind(("127.0.0.1", 0))
        port = s4.getsockname()[1]
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s6.bind(("::1", port))
            s6.close()
            return port
        except OSError:
            continue
        finally:
            s4.close()
    raise RuntimeError("no free port on 127.0.0.1 and ::1")


def wait_for(pred, timeout=15.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return set()
    return {int(x) for x in out.split()}


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Server:
    """nginx (kind 'nginx') or apache2 (kind 'apache', mpm 'prefork' or 'event')."""

    def __init__(self, kind, mpm="prefork", workers=2, daemon=False, own_binary=False):
        """daemon (nginx): the master detaches, as a binary upgrade needs (nginx refuses one
        while its parent is not init). own_binary: run a copy of the binary from the temp dir,
        which upgrade() replaces by a new file (a new inode) as a package upgrade does."""
        self.kind, self.mpm, self.daemon = kind, mpm, daemon
        self.masters = []
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="ja4probe-%s-%d-" % (kind, os.getpid()))
        os.chmod(self.dir, 0o755)
        self.proc = None
        self.conf = os.path.join(self.dir, kind + ".conf")
        self.binary = shutil.which("nginx" if kind == "nginx" else "apache2")
        if own_binary:
            self.binary = os.path.join(self.dir, os.path.basename(self.binary))
            shutil.copy2(shutil.which(kind if kind == "nginx" else "apache2"), self.binary)
        self.pidfile = os.path.join(self.dir, kind + ".pid")
        with open(self.conf, "w") as f:
            f.write(self._nginx_conf(workers) if kind == "nginx" else self._apache_conf(workers))

    def _nginx_conf(self, workers):
        d = self.dir
        return f"""daemon {"on" if self.daemon else "off"};
worker_processes {workers};
pid {self.pidfile};
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{self.port};
    listen [::1]:{self.port};
    location / {{ return 200 "ok\\n"; }}
  }}
}}
"""

    def _apache_conf(self, workers):
        d, mods = self.dir, "/usr/lib/apache2/modules"
        htdocs = os.path.join(d, "htdocs")
        os.makedirs(htdocs)
        os.chmod(htdocs, 0o755)
        with open(os.path.join(htdocs, "index.html"), "w") as f:
            f.write("ok\n")
        mpm = {"prefork": f"StartServers {workers}\nMinSpareServers {workers}\n",
               "event": f"StartServers {workers}\nThreadsPerChild 8\nServerLimit 4\n"
                        "MaxRequestWorkers 32\n"}[self.mpm]
        return f"""ServerRoot {d}
DefaultRuntimeDir {d}
PidFile {self.pidfile}
Mutex file:{d} default
Listen 127.0.0.1:{self.port}
Listen [::1]:{self.port}
LoadModule mpm_{self.mpm}_module {mods}/mod_mpm_{self.mpm}.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule dir_module {mods}/mod_dir.so
ServerName localhost
User www-data
Group www-data
ErrorLog {d}/error.log
LogLevel warn
DocumentRoot {htdocs}
DirectoryIndex index.html
KeepAlive On
MaxKeepAliveRequests 0
ErrorDocument 404 "ok"
{mpm}"""

    def command(self):
        if self.kind == "nginx":
            # by path: a binary upgrade execs argv[0]
            return [self.binary, "-c", self.conf, "-p", self.dir]
        return [self.binary, "-f", self.conf, "-DFOREGROUND"]

    def start(self):
        self.log = open(os.path.join(self.dir, "stdout"), "w")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if self.daemon:
            self.proc.wait(20)
            self.masters = [wait_for(self._pid_from_file, 20)]
        else:
            self.masters = [self.proc.pid]
        if not wait_for(lambda: port_open(self.port) and len(self.workers()) > 0, 20):
            raise RuntimeError("%s did not start: %s" % (self.kind, self.errors()))
        return self

    def errors(self):
        out = []
        for name in ("stdout", "error.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    out.append(f.read()[-2000:])
            except OSError:
                pass
        return "\n".join(out)

    def _pid_from_file(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def workers(self):
        return children(self.masters[0]) if self.masters and self.masters[0] else set()

    def reload(self):
        """nginx -s reload / apache graceful restart; returns once every worker is new."""
        old = self.workers()
        if self.kind == "nginx":
            subprocess.run(self.command() + ["-s", "reload"], check=True,
                           capture_output=True)
        else:
            os.kill(self.masters[0], signal.SIGUSR1)
        ok = wait_for(lambda: (lambda w: w and not (w & old))(self.workers()), 30)
        if not ok:
            raise RuntimeError("%s reload: workers %s did not all change (%s)"
                               % (self.kind, sorted(old), sorted(self.workers())))
        return self.workers()

    def upgrade(self):
        """nginx binary upgrade (USR2, then WINCH to the old master): returns the workers of
        the new master once the old master's workers are gone."""
        old_master, old = self.masters[0], self.workers()
        if os.path.dirname(self.binary) == self.dir:
            new = self.binary + ".new"
            shutil.copy2(self.binary, new)
            os.rename(new, self.binary)
        os.kill(old_master, signal.SIGUSR2)
        new_master = wait_for(lambda: [p for p in children(old_master)
                                       if children(p) and p not in old], 30)
        if not new_master:
            raise RuntimeError("nginx upgrade: no new master (%s)" % self.errors())
        os.kill(old_master, signal.SIGWINCH)
        if not wait_for(lambda: children(old_master) == set(new_master), 30):
            raise RuntimeError("nginx upgrade: old workers %s stay" % sorted(old))
        self.masters.append(new_master[0])
        return children(new_master[0])

    def stop(self):
        sig = signal.SIGTERM if self.kind == "apache" else signal.SIGQUIT
        for pid in reversed(self.masters):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, TypeError):
                pass
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.masters:
            if pid and wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10) is False:
                os.kill(pid, signal.SIGKILL)
        if self.proc:
            # whatever the server started and left is in its session (or its own, if daemon)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        self.proc = None
        self.masters = []
        shutil.rmtree(self.dir, ignore_errors=True)


class Probe:
    """ja4probe with one server plugin enabled, JSON lines to a file."""

    def __init__(self, ja4probe, plugin_dir, plugin, extra=""):
        self.dir = tempfile.mkdtemp(prefix="ja4probe-probe-%d-" % os.getpid())
        self.out = os.path.join(self.dir, "events.json")
        self.err = os.path.join(self.dir, "stderr")
        self.conf = os.path.join(self.dir, "ja4probe.yaml")
        with open(self.conf, "w") as f:
            f.write(f"""log_level: info
stats_interval: 1
outputs:
  - type: json
    path: "{self.out}"
plugins:
  {plugin}:
    enabled: true
{extra}""")
        self.cmd = [ja4probe, "-c", self.conf, "--plugin-dir", plugin_dir]
        self.proc = None

    def start(self):
        self.errf = open(self.err, "w")
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=self.errf)
        if not wait_for(lambda: " started" in self.stderr() or self.proc.poll() is not None,
                        30) or self.proc.poll() is not None:
            raise RuntimeError("ja4probe did not start: " + self.stderr())
        return self

    def stderr(self):
        with open(self.err) as f:
            return f.read()

    def stop(self):
        """SIGTERM, wait, and return the events it wrote."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        events = []
        if os.path.exists(self.out):
            with open(self.out) as f:
                events = [json.loads(line) for line in f if line.strip()]
        return events

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def last_stats(events, plugin):
    stats = [e for e in events if e.get("event_type") == "stats"]
    for e in reversed(stats):
        p = e.get("stats", {}).get("plugins", {}).get(plugin)
        if p is not None:
            return p
    return None


def wrk(url, seconds=2, connections=4, threads=1):
    """Runs wrk; returns (requests completed, requests/s, socket errors): a request that
    timed out was sent (and read by the server) but is not counted as completed."""
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, url],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"(\d+) requests in", out)
    r = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or not r:
        raise RuntimeError("wrk said: " + out)
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return int(m.group(1)), float(r.group(1)), sum(int(x) for x in e.groups()) if e else 0
