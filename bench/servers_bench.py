#!/usr/bin/env python3
"""Overhead of the nginx and apache plugins, side by side in one run (root).

usage: bench/servers_bench.py BUILD_DIR[,BUILD_DIR...] [SECONDS] [ROUNDS] [nginx|apache ...]

For each server (nginx with 1 worker; apache2 prefork): `wrk -t1 -c20` keep-alive against a
small response, ROUNDS times with the plugin off and on, interleaved (off, on, off, on, ...);
with several build dirs (e.g. before and after a change), each round runs the plugin of each
in turn after the same "off" run, and each is reported against the same "off" medians.
Printed, as medians: requests/s and its ratio on/off; CPU us per request of the server
workers (utime+stime from /proc/PID/stat over wrk's request count, steadier than requests/s
here) and of ja4probe; and, from the kernel's BPF run-time statistics
(kernel.bpf_stats_enabled=1), ns per run of each of the plugin's programs (run_time_ns /
run_cnt) and, over all its syscall programs, the mean per run and the total per request:
every hooked syscall of every process on the host counts, the server's and the others'.
The statistics cost two clock reads per program run (~50 ns here), which the CPU figures
then include: BPF_STATS=0 in the environment leaves them off, for CPU figures without that
cost.
"""
import os
import signal
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "servers"))
import httpd_env  # noqa: E402
from bpf_prog_stats import bpf_prog_stats  # noqa: E402

BUILDS = [os.path.abspath(b) for b in sys.argv[1].split(",")]
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
SERVERS = sys.argv[4:] or ["nginx", "apache"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / TICK


def one_run(server, probe):
    url = "http://127.0.0.1:%d/bench" % server.port
    workers = server.workers()
    probe_pid = probe.proc.pid if probe else None
    cpu0 = cpu_seconds(workers)
    jp0 = cpu_seconds([probe_pid]) if probe else 0
    bpf0 = bpf_prog_stats(probe_pid) if probe else {}
    n, rps, _ = httpd_env.wrk(url, seconds=SECONDS, connections=20)
    cpu = cpu_seconds(workers) - cpu0
    jp = (cpu_seconds([probe_pid]) - jp0) if probe else 0
    bpf = {}
    if probe:
        for name, (t, c) in bpf_prog_stats(probe_pid).items():
            t0, c0 = bpf0.get(name, (0, 0))
            bpf[name] = (t - t0, c - c0)
    return {"rps": rps, "n": n, "us_req": cpu * 1e6 / n, "jp_us_req": jp * 1e6 / n, "bpf": bpf}


def probe_run(server, kind, build):
    probe = httpd_env.Probe(os.path.join(build, "core", "ja4probe"),
                            os.path.join(build, "plugins"), kind)
    try:
        probe.start()
        run = one_run(server, probe)
        events = probe.stop()
    finally:
        probe.cleanup()
    st = httpd_env.last_stats(events, kind) or {}
    run["events"] = len([e for e in events if e.get("event_type") == "http_request"])
    run["lost"] = st.get("lost", "?")
    return run


def report(off, on):
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    print("  plugin off: %9.0f req/s   %6.2f us CPU/request (server)"
          % (med(off, "rps"), med(off, "us_req")))
    print("  plugin on : %9.0f req/s   %6.2f us CPU/request (server) + %.2f us (ja4probe)"
          % (med(on, "rps"), med(on, "us_req"), med(on, "jp_us_req")))
    print("  ratio on/off: %.3f req/s;  server CPU added per request: %+.2f us"
          % (med(on, "rps") / med(off, "rps"), med(on, "us_req") - med(off, "us_req")))
    print("  events: %s (wrk completed %s); lost: %s"
          % ([r["events"] for r in on], [r["n"] for r in on], [r["lost"] for r in on]))
    names = sorted({n for r in on for n in r["bpf"]})
    tot_t = tot_c = 0
    for name in names:
        ts = [r["bpf"].get(name, (0, 0)) for r in on]
        t, c = sum(x[0] for x in ts), sum(x[1] for x in ts)
        if name.startswith(("hs_", "ct_enter", "ct_exit_acc")):
            tot_t, tot_c = tot_t + t, tot_c + c
        if c:
            print("  %-18s %10d runs  %6.1f ns/run" % (name, c, t / c))
    if tot_c:
        print("  all syscall programs: %.1f ns per run (%d runs), %.1f ns per request"
              % (tot_t / tot_c, tot_c, tot_t / sum(r["n"] for r in on)))


def bench(kind):
    server = httpd_env.Server(kind, mpm="prefork", workers=1).start()
    off, on = [], {b: [] for b in BUILDS}
    try:
        httpd_env.wrk("http://127.0.0.1:%d/warmup" % server.port, seconds=1, connections=20)
        for _ in range(ROUNDS):
            off.append(one_run(server, None))
            for b in BUILDS:
                on[b].append(probe_run(server, kind, b))
        off.append(one_run(server, None))
    finally:
        server.stop()
    for b in BUILDS:
        print("== %s: wrk -t1 -c20 -d%ds keep-alive, %d rounds, medians; %s"
              % (kind, SECONDS, ROUNDS, b))
        report(off, on[b])


def main():
    stats = os.environ.get("BPF_STATS", "1")
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        was = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write(stats)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))	# so finally restores it
    try:
        for kind in SERVERS:
            bench(kind)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(was)


if __name__ == "__main__":
    main()
