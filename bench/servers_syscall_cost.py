#!/usr/bin/env python3
"""Cost per hooked syscall of the server plugins, measured without network interrupts (root).

usage: bench/servers_syscall_cost.py BUILD_DIR [ROUNDS] [unwatched|watched|floor ...]

bpf run-time statistics taken under wrk include the softirqs that interrupt a program (on
loopback the network is processed there), so this bench isolates the syscalls:
  unwatched  `dd bs=1` (1M read() + 1M write() by a process no plugin watches), apache
             plugin (hooks read) off and on: the time added to each read by a process that
             leaves after the filter lookup
  watched    a process the nginx plugin watches (comm jp_bench_srv) recv()s 200-byte pieces
             of data already queued on an accepted loopback TCP connection: every call takes
             the capture path (lookup, ring buffer reserve, copy, submit)
Times are CPU times of the process (other load on the host does not count in them). Off and
on alternate ROUNDS times; medians are printed with the plugin's programs' own run
time (kernel.bpf_stats_enabled) over the same calls, per run and per timed call (the latter
also counts the runs of other processes meanwhile).
"""
import os
import resource
import socket
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
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
PARTS = sys.argv[3:] or ["unwatched", "watched", "floor"]
JA4PROBE = os.path.join(BUILD, "core", "ja4probe")
PLUGINS = os.path.join(BUILD, "plugins")
COMM = "jp_bench_srv"
READS = 1500		# 300 KB: fits the default socket receive buffer
REPEAT = 5
PIECE = 200


def prog_stats(pid, prefix):
    """run_time_ns and run_cnt summed over the process's programs named prefix*"""
    runs = [v for name, v in bpf_prog_stats(pid).items() if name.startswith(prefix)]
    return sum(v[0] for v in runs), sum(v[1] for v in runs)


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def dd_ns():
    t = children_cpu()
    subprocess.run(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=1000000"],
                   capture_output=True, check=True)
    return (children_cpu() - t) * 1e9 / 1e6


def unwatched():
    off, on, prog = [], [], []
    for _ in range(ROUNDS):
        off.append(dd_ns())
        probe = httpd_env.Probe(JA4PROBE, PLUGINS, "apache").start()
        try:
            t0, c0 = prog_stats(probe.proc.pid, "hs_")
            on.append(dd_ns())
            t1, c1 = prog_stats(probe.proc.pid, "hs_")
            prog.append(((t1 - t0) / max(1, c1 - c0), (t1 - t0) / 1e6))
        finally:
            probe.cleanup()
    off.append(dd_ns())
    print("unwatched process (dd bs=1: one read + one write per byte), apache plugin:")
    print("  off %.0f ns, on %.0f ns per read+write: %+.0f ns; program %.0f ns per run, "
          "%.0f ns per read+write"
          % (statistics.median(off), statistics.median(on),
             statistics.median(on) - statistics.median(off),
             statistics.median(p[0] for p in prog), statistics.median(p[1] for p in prog)))


class Reader:
    """A listening socket in a thread-free child process named COMM that, on command,
    accepts one connection and times READS recv() calls of PIECE bytes."""

    def __init__(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.child = NamedChild(COMM, lambda: self.lsock, self.read_all)
        self.pid = self.child.pid

    @staticmethod
    def read_all(lsock):
        """in the child: ns per recv() over one connection's READS pieces"""
        c, _ = lsock.accept()
        while len(c.recv(PIECE, socket.MSG_PEEK | socket.MSG_WAITALL)) < PIECE:
            pass
        time.sleep(0.3)	# the client has queued everything
        t = time.process_time()
        for _ in range(READS):
            c.recv(PIECE)
        c.close()
        return int((time.process_time() - t) * 1e9 / READS)

    def run(self):
        return statistics.median(self.run_once() for _ in range(REPEAT))

    def run_once(self):
        self.child.start()
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"x" * (READS * PIECE))
        ns = self.child.result()
        s.close()
        return ns

    def stop(self):
        self.child.stop()


def watched():
    rd = Reader()
    off, on, prog = [], [], []
    try:
        for _ in range(ROUNDS):
            off.append(rd.run())
            probe = httpd_env.Probe(JA4PROBE, PLUGINS, "nginx",
                                    "    comm: [%s]\n    exe: []\n" % COMM).start()
            try:
                t0, c0 = prog_stats(probe.proc.pid, "hs_")
                on.append(rd.run())
                t1, c1 = prog_stats(probe.proc.pid, "hs_")
                prog.append(((t1 - t0) / max(1, c1 - c0), (t1 - t0) / (READS * REPEAT)))
            finally:
                probe.cleanup()
        off.append(rd.run())
    finally:
        rd.stop()
    print("watched process, recv() of %d queued bytes on an accepted TCP socket, nginx "
          "plugin:" % PIECE)
    print("  off %.0f ns, on %.0f ns per recv: %+.0f ns per captured read; program %.0f ns "
          "per run, %.0f ns per recv"
          % (statistics.median(off), statistics.median(on),
             statistics.median(on) - statistics.median(off),
             statistics.median(p[0] for p in prog), statistics.median(p[1] for p in prog)))


def floor():
    rd = Reader()
    loader = os.path.join(BUILD, "bench", "read_floor")
    progs = ["floor_empty", "floor_copy16", "floor_copy200", "floor_reserve"]
    res = {p: [] for p in progs}
    try:
        for _ in range(ROUNDS):
            for prog in progs:
                ld = subprocess.Popen([loader, prog, str(rd.pid)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
                try:
                    if ld.stdout.readline().strip() != "ready":
                        sys.exit("read_floor %s did not start" % prog)
                    t0, c0 = prog_stats(ld.pid, "floor_")
                    rd.run()
                    t1, c1 = prog_stats(ld.pid, "floor_")
                    res[prog].append((t1 - t0) / max(1, c1 - c0))
                finally:
                    ld.stdin.close()
                    ld.wait()
    finally:
        rd.stop()
    print("floor of a captured read: one piece of the path per program, ns per run "
          "(medians; the empty program's run is the statistics' own cost):")
    base = statistics.median(res["floor_empty"])
    for prog in progs:
        m = statistics.median(res[prog])
        print("  %-14s %5.0f ns per run  %+5.0f ns over empty" % (prog, m, m - base))


def main():
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        was = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    try:
        for part in PARTS:
            {"unwatched": unwatched, "watched": watched, "floor": floor}[part]()
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(was)


if __name__ == "__main__":
    main()
