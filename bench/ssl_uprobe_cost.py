#!/usr/bin/env python3
"""CPU cost of ssl_uprobe per TLS read, measured without a load generator (root).

usage: bench/ssl_uprobe_cost.py BUILD_DIR [ROUNDS] [READS]

Under wrk, nginx's requests per second swing by 10-20% from run to run on these machines, more
than the differences between designs. Here one process (comm jp_sslu_cost) holds both ends of a
TLS connection over loopback TCP and, READS times, writes a 40-byte request head on the client
end and SSL_reads it on the server end: one plaintext copy (the copy-site hook) and one socket
receive per iteration, nothing else running. Its own CPU time per iteration is compared, off
and on alternating ROUNDS times:
  off       no probes
  trap      an empty program at the copy site ssl_uprobe hooks, for this process only
            (ssl_uprobe_naive trap): the trap alone, the floor of any uprobe design
  targeted  ja4probe, ssl_uprobe with targets: [comm:jp_sslu_cost]: trap, BPF programs and
            the ring buffer record, plus ja4probe's own CPU per event (another process)
Medians are printed with each program's run time from the BPF statistics.
"""
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "servers"))
import httpd_env  # noqa: E402
from bpf_prog_stats import bpf_prog_stats  # noqa: E402
from named_child import NamedChild  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
READS = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
JA4PROBE = os.path.join(BUILD, "core", "ja4probe")
PLUGINS = os.path.join(BUILD, "plugins")
NAIVE = os.path.join(BUILD, "bench", "ssl_uprobe_naive")
HOOKS_DUMP = os.path.join(BUILD, "tests", "ssl_uprobe", "sslu_hooks_dump")
COMM = "jp_sslu_cost"
HEAD = b"GET /x HTTP/1.1\r\nHost: bench\r\nA: b\r\n\r\n"
HZ = os.sysconf("SC_CLK_TCK")


def libssl_path():
    """the libssl.so.3 this Python's ssl module mapped"""
    with open("/proc/self/maps") as f:
        for line in f:
            if "libssl.so" in line:
                return line.split()[-1]
    raise RuntimeError("no libssl mapped")


class Pair:
    """A child process named COMM holding a TLS connection to itself; on command it times
    READS write+read iterations and answers with the ns per iteration."""

    def __init__(self, tmp):
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        self.child = NamedChild(COMM, lambda: self.connect(cert, key), self.iterate)
        self.pid = self.child.pid

    @staticmethod
    def iterate(ends):
        """in the child: ns per write of HEAD on one end and SSL_read of it on the other"""
        srv, cli = ends
        buf = bytearray(4096)
        t = time.process_time()
        for _ in range(READS):
            cli.write(HEAD)
            srv.recv_into(buf)
        return int((time.process_time() - t) * 1e9 / READS)

    @staticmethod
    def connect(cert, key):
        lsock = socket.create_server(("127.0.0.1", 0))
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cert, key)
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.check_hostname = False
        cctx.verify_mode = ssl.CERT_NONE
        out = {}

        def accept():
            c, _ = lsock.accept()
            out["srv"] = sctx.wrap_socket(c, server_side=True)

        t = threading.Thread(target=accept)
        t.start()
        cli = cctx.wrap_socket(socket.create_connection(lsock.getsockname()))
        t.join()
        return out["srv"], cli

    def run(self):
        return self.child.run()

    def stop(self):
        self.child.stop()


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def measured(pair, holder, settle=0.0):
    """ns per iteration, the holder's CPU ns per iteration (counted until settle seconds after,
    for what it drains late), {program: (ns/run, runs/iter)}"""
    s0, c0 = bpf_prog_stats(holder.pid), cpu_ticks(holder.pid)
    ns = pair.run()
    s1 = bpf_prog_stats(holder.pid)
    time.sleep(settle)
    c1 = cpu_ticks(holder.pid)
    progs = {name: ((t - s0[name][0]) / (n - s0[name][1]), (n - s0[name][1]) / READS)
             for name, (t, n) in s1.items() if name in s0 and n > s0[name][1]}
    return ns, (c1 - c0) * 1e9 / HZ / READS, progs


def main():
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        stats_was = f.read().strip()
    tmp = tempfile.mkdtemp(prefix="jp-sslu-cost-")
    lib = libssl_path()
    site = [line.split()[2] for line in subprocess.run([HOOKS_DUMP, lib], check=True,
                                                       capture_output=True, text=True)
            .stdout.splitlines() if line.startswith("copy ")][0]
    pair = Pair(tmp)
    res = {"off": [], "trap": [], "targeted": []}
    holder_cpu, progs = {"trap": [], "targeted": []}, {}
    events = []
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        for _ in range(ROUNDS):
            res["off"].append(pair.run())
            trap = subprocess.Popen([NAIVE, lib, "trap", site, str(pair.pid)],
                                    stdout=subprocess.PIPE, text=True)
            try:
                if trap.stdout.readline().strip() != "ready":
                    raise RuntimeError("the trap did not attach")
                ns, cpu, p = measured(pair, trap)
            finally:
                trap.terminate()
                trap.wait()
            res["trap"].append(ns)
            holder_cpu["trap"].append(cpu)
            for k, v in p.items():
                progs.setdefault(("trap", k), []).append(v)
            probe = httpd_env.Probe(JA4PROBE, PLUGINS, "ssl_uprobe",
                                    "    targets: [comm:%s]\n" % COMM).start()
            try:
                time.sleep(0.5)	# the per-process uprobes are attached after " started"
                ns, cpu, p = measured(pair, probe.proc, 1.5)	# drains, a stats interval
            finally:
                evs = probe.stop()
            res["targeted"].append(ns)
            holder_cpu["targeted"].append(cpu)
            for k, v in p.items():
                progs.setdefault(("targeted", k), []).append(v)
            events.append(sum(1 for e in evs if e.get("event_type") == "http_request"))
        res["off"].append(pair.run())
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(stats_was)
        pair.stop()
    off = statistics.median(res["off"])
    print("one TLS write + SSL_read of %d bytes per iteration, %d iterations, medians of %d "
          "rounds (CPU time of the process; of the probe's holder per iteration beside it):"
          % (len(HEAD), READS, ROUNDS))
    print("  off       %6.0f ns" % off)
    for m in ("trap", "targeted"):
        med = statistics.median(res[m])
        print("  %-9s %6.0f ns  %+6.0f ns   holder %5.0f ns" %
              (m, med, med - off, statistics.median(holder_cpu[m])))
    print("  http_request events per round: %s (of %d requests each)" % (events, READS))
    print("BPF run time (medians): mode program ns/run runs/iteration")
    for (m, name), v in sorted(progs.items()):
        print("  %-9s %-22s %5.0f %6.2f" % (m, name, statistics.median(x[0] for x in v),
                                           statistics.median(x[1] for x in v)))


if __name__ == "__main__":
    main()
