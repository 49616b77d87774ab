# SPDX-License-Identifier: BSD-3-Clause
"""What the tc_capture tests share: a server and a client network namespace joined by a veth
pair (names carry the pid), servers, tcpdump, ja4probe runs, and reading their output."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# the check tally the Python tests share (re-exported to the tc_capture tests)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from tally import Tally  # noqa: E402,F401

PID = os.getpid()
SRV_NS, CLI_NS = f"jpts{PID}", f"jptc{PID}"
SRV_IF, CLI_IF = f"vts{PID}", f"vtc{PID}"
SRV4, CLI4, IGN4 = "10.99.0.1", "10.99.0.2", "10.99.0.3"
SRV6, CLI6, IGN6 = "fd99::1", "fd99::2", "fd99::3"
TC_HANDLE = "0x4a34"   # TCAP_TC_HANDLE in plugins/tc_capture/tcap_attach.h


def run(cmd, ns=None, check=True, **kw):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def spawn(cmd, ns=None, **kw):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    return subprocess.Popen(cmd, text=True, **kw)


class Net:
    """Two namespaces, one veth pair (MTU 1500), IPv4 and IPv6 on both ends."""

    def __init__(self):
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix=f"tcap{PID}-")
        self.down()
        run(["ip", "netns", "add", SRV_NS])
        run(["ip", "netns", "add", CLI_NS])
        run(["ip", "link", "add", SRV_IF, "mtu", "1500", "type", "veth", "peer", "name", CLI_IF,
             "mtu", "1500"])
        run(["ip", "link", "set", SRV_IF, "netns", SRV_NS])
        run(["ip", "link", "set", CLI_IF, "netns", CLI_NS])
        for ns, dev, addrs in ((SRV_NS, SRV_IF, [SRV4 + "/24", SRV6 + "/64"]),
                               (CLI_NS, CLI_IF, [CLI4 + "/24", IGN4 + "/24", CLI6 + "/64",
                                                 IGN6 + "/64"])):
            for a in addrs:
                # the ignored client addresses are used only when a client binds them
                extra = ["preferred_lft", "0"] if a.split("/")[0] in (IGN4, IGN6) else []
                run(["ip", "addr", "add", a, "dev", dev] + (["nodad"] if ":" in a else []) +
                    extra, ns=ns)
            run(["ip", "link", "set", dev, "up"], ns=ns)
            run(["ip", "link", "set", "lo", "up"], ns=ns)
        # a veth passes TSO aggregates through whole; a link of MTU 1500 carries segments
        for ns, dev in ((SRV_NS, SRV_IF), (CLI_NS, CLI_IF)):
            run(["ip", "link", "set", "dev", dev, "gso_max_size", "1500"], ns=ns)

    def close(self):
        self.down()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def down(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
                p.wait()
        self.procs = []
        for ns in (SRV_NS, CLI_NS):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def keep(self, p):
        self.procs.append(p)
        return p

    def cert(self):
        key, crt = self.path("key.pem"), self.path("cert.pem")
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
             crt, "-subj", "/CN=tcap.test", "-days", "1"])
        return key, crt

    def tls_server(self, port):
        key, crt = self.cert()
        p = self.keep(spawn(["openssl", "s_server", "-accept", str(port), "-cert", crt,
                             "-key", key, "-www", "-quiet"], ns=SRV_NS,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL))
        self.wait_listen(port)
        return p

    def http_server(self, port):
        p = self.keep(spawn([sys.executable, "-m", "http.server", str(port), "--bind", "::",
                             "--directory", self.tmp], ns=SRV_NS, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL))
        self.wait_listen(port)
        return p

    def wait_listen(self, port, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if f":{port} " in run(["ss", "-Hltn"], ns=SRV_NS).stdout:
                return
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {port}")

    def tcpdump(self, name, dev=SRV_IF):
        out = self.path(name)
        # immediate mode: packets still in a ring block at SIGTERM would be lost
        p = self.keep(spawn(["tcpdump", "-i", dev, "--immediate-mode", "-U", "-s", "0", "-w",
                             out, "tcp"],
                            ns=SRV_NS, stderr=subprocess.PIPE))
        p.stderr.readline()   # "listening on ...": capturing from here on
        return p, out

    @staticmethod
    def stop(p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            p.send_signal(sig)
        return p.wait(timeout)

    def filters(self, hook, dev=SRV_IF):
        """Our filters on an ingress or egress hook in the server namespace."""
        out = run(["tc", "filter", "show", "dev", dev, hook], ns=SRV_NS, check=False).stdout
        return [line for line in out.splitlines() if f"handle {TC_HANDLE} " in line]

    def all_filters(self, hook, dev=SRV_IF):
        return run(["tc", "filter", "show", "dev", dev, hook], ns=SRV_NS,
                   check=False).stdout.strip()

    def qdiscs(self):
        return run(["tc", "qdisc", "show", "dev", SRV_IF], ns=SRV_NS).stdout


class Probe:
    """ja4probe with the tc_capture plugin, run in the server namespace."""

    def __init__(self, net, exe, plugin_dir, plugin_cfg, name="probe"):
        self.net, self.exe, self.plugin_dir = net, exe, plugin_dir
        self.events_path = net.path(name + ".json")
        self.cfg_path = net.path(name + ".yaml")
        lines = ["log_level: info", "stats_interval: 1", "outputs:", "  - type: json",
                 f"    path: {json.dumps(self.events_path)}", "plugins:", "  tc_capture:",
                 "    enabled: true"]
        lines += [f"    {k}: {json.dumps(v)}" for k, v in plugin_cfg.items()]
        with open(self.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(net.path(name + ".log"), "w")
        self.proc = None

    def start(self, ready=None, timeout=15):
        """ready(): attached; default: our filter is on the server veth's ingress"""
        ready = ready or (lambda: self.net.filters("ingress"))
        self.proc = self.net.keep(spawn([self.exe, "-c", self.cfg_path, "--plugin-dir",
                                         self.plugin_dir], ns=SRV_NS, stdout=self.log,
                                        stderr=self.log))
        end = time.time() + timeout
        while time.time() < end:
            if ready():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"ja4probe did not attach: {open(self.log.name).read()}")

    def events(self):
        try:
            with open(self.events_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def wait_events(self, pred, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            evs = self.events()
            if pred(evs):
                return evs
            time.sleep(0.1)
        return self.events()

    def last_stats(self):
        stats = [e for e in self.events() if e.get("event_type") == "stats"]
        return stats[-1]["stats"]["plugins"]["tc_capture"] if stats else {}


def capture_events(testrun, pcap):
    """The decoder's events of a capture (`tcap_testrun --events`): the fingerprint library on
    the bytes on the wire, through neither BPF nor the plugin."""
    r = subprocess.run([testrun, "--events", pcap], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def flow(ev):
    return (ev.get("src_ip"), ev.get("src_port"), ev.get("dest_ip"), ev.get("dest_port"))


