#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tc_capture benchmark, side by side in one run (root, real kernel, two network namespaces
joined by a veth, segments of at most 1500 bytes):

 0. The ingress program and an empty program on the same fixed frames with BPF_PROG_TEST_RUN:
    ns per packet kind, and the difference (the program's own cost, no statistics overhead).
 1. iperf3 bulk TCP over the veth (client and server pinned to separate CPUs), short rounds of:
    without the plugin, an empty TC program on both hooks (the floor: hook dispatch plus the
    run-time statistics' own cost), the plugin (ingress + egress); the order rotated every
    round, each ratio taken inside its round, median [min-max, IQR] over the rounds. Beside
    throughput, which other load on this 2-CPU machine moves by +-15%, CPU seconds per GB of
    the iperf3 pair + ja4probe (a cgroup's cpu.stat, softirq run in their context included)
    and ksoftirqd, and the BPF programs' own time per GB from the kernel's run-time statistics
    (kernel.bpf_stats_enabled=1, on in every mode) set against that CPU per GB: the throughput
    ratio the programs allow when the transfer is CPU-bound, which noise does not move.
    Once with the iperf3 port listed (every segment goes through the port check and the flow
    lookup: the worst case, an upload to a watched port), once not listed (parse + port check).
 2. A bounded burst of new HTTP connections, as fast as the client manages: events per second
    delivered, and the books: every expected event delivered or counted lost (the ring
    buffer's tc_lost). Run with the default ring and with a deliberately tiny one.

usage: tc_capture_bench.py JA4PROBE PLUGIN_DIR [seconds=3] [connections=5000] [rounds=9]
"""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "tc_capture"))
from tcap_net import CLI_NS, SRV4, SRV_IF, SRV_NS, Net, Probe, run, spawn  # noqa: E402

IPERF_PORT, HTTP_PORT = 5201, 18080


def frame(dport, payload=b"", flags=0x18, sport=40000):
    """an Ethernet/IPv4/TCP frame (checksums are not looked at)"""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 1, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 1, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1]))
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + payload


def bench_test_run(bpf_obj, empty_obj, tmp):
    """ns per packet of the ingress program and of the empty program on the same fixed frames,
    BPF_PROG_TEST_RUN (the kernel's own loop: no network stack, no run-time statistics, little
    noise); the difference is the program's own cost"""
    pin = f"/sys/fs/bpf/tcap_bench{os.getpid()}"
    os.makedirs(pin)
    run(["bpftool", "prog", "loadall", bpf_obj, pin + "/p", "type", "tc", "pinmaps", pin + "/m"])
    run(["bpftool", "prog", "loadall", empty_obj, pin + "/e", "type", "tc"])
    try:
        run(["bpftool", "map", "update", "pinned", pin + "/m/tcap_ports", "key", "0x51", "0x14",
             "0", "0", "value", "1"])   # port 5201 listed
        cases = [("ACK without payload, listed port", frame(5201, flags=0x10), 1000000),
                 ("1448-byte segment of an established flow, listed port",
                  frame(5201, b"y" * 1448), 1000000),
                 ("1448-byte segment, port not listed", frame(5202, b"y" * 1448), 1000000),
                 ("SYN, listed port: parse + flow insert + ring record", frame(5201, flags=0x02),
                  10000)]
        print("BPF_PROG_TEST_RUN ns per packet, tcap_ingress | tc_empty | difference:")
        for what, data, repeat in cases:
            path = os.path.join(tmp, "frame.bin")
            with open(path, "wb") as f:
                f.write(data)
            ns = []
            for prog in ("/p/tcap_ingress", "/e/tc_empty"):
                out = run(["bpftool", "prog", "run", "pinned", pin + prog, "data_in", path,
                           "repeat", str(repeat)]).stdout
                ns.append(int(out.split("duration (average):")[1].split("ns")[0].strip()))
            print(f"  {what}: {ns[0]} | {ns[1]} | {ns[0] - ns[1]}")
    finally:
        shutil.rmtree(pin, ignore_errors=True)


CGROUP = f"/sys/fs/cgroup/unified/tcap_bench{os.getpid()}"
CLIENT_CPU, SERVER_CPU = "1", "0"   # pinned apart, so CPU placement does not vary per run
MODES = ("off", "empty", "on")


def join_cgroup(pid=0):
    """into our cgroup (from the child before exec: `ip netns exec` mounts its own /sys)"""
    with open(CGROUP + "/cgroup.procs", "w") as f:
        f.write(str(pid or os.getpid()))


def iperf(seconds):
    """one pinned iperf3 run in the client namespace, its process in our cgroup"""
    cmd = ["taskset", "-c", CLIENT_CPU, "iperf3", "-c", SRV4, "-p", str(IPERF_PORT), "-t",
           str(seconds), "-l", "128K", "-J"]
    end = json.loads(run(cmd, ns=CLI_NS, preexec_fn=join_cgroup).stdout)["end"]
    return end["sum_received"]["bits_per_second"], end["sum_received"]["bytes"]


def cgroup_usec():
    """CPU time of iperf3 client + server + ja4probe, softirq run in their context included
    (this kernel has no IRQ_TIME_ACCOUNTING, so it is charged to the task it interrupts)"""
    with open(CGROUP + "/cpu.stat") as f:
        return int(f.readline().split()[1])


def ksoftirqd_ns():
    """softirq work deferred to ksoftirqd is outside our cgroup: count it apart"""
    total = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith("ksoftirqd/"):
                    continue
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError):
            continue
    return total


def host_busy_s():
    """all CPUs, every task (other benchmarks too): user+nice+system+irq+softirq+steal"""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def prog_stats():
    """{"name hook": (run_time_ns, run_cnt)} of the programs on the server veth"""
    by_id = {p["id"]: p for p in json.loads(run(["bpftool", "prog", "show", "--json"]).stdout)}
    out = {}
    for hook in ("ingress", "egress"):
        text = run(["tc", "filter", "show", "dev", SRV_IF, hook], ns=SRV_NS, check=False).stdout
        for pid in re.findall(r" id (\d+)", text):
            p = by_id.get(int(pid), {})
            out[f"{p.get('name')} {hook}"] = (p.get("run_time_ns", 0), p.get("run_cnt", 0))
    return out


def attach_empty(obj, on):
    """the empty TC program on both hooks of the server veth, or gone"""
    if on:
        run(["tc", "qdisc", "add", "dev", SRV_IF, "clsact"], ns=SRV_NS)
        for hook in ("ingress", "egress"):
            run(["tc", "filter", "add", "dev", SRV_IF, hook, "bpf", "da", "obj", obj, "sec",
                 "tc"], ns=SRV_NS)
    else:
        run(["tc", "qdisc", "del", "dev", SRV_IF, "clsact"], ns=SRV_NS)


def one_run(mode, net, exe, plugin_dir, empty_obj, ports, seconds, tag):
    """one iperf3 run in mode off/empty/on: throughput and what it cost"""
    probe = None
    if mode == "empty":
        attach_empty(empty_obj, True)
    elif mode == "on":
        probe = Probe(net, exe, plugin_dir, {"egress": True, "ports": ports}, tag)
        probe.start()
        join_cgroup(probe.proc.pid)
    try:
        b = (cgroup_usec(), ksoftirqd_ns(), host_busy_s(), prog_stats())
        bps, nbytes = iperf(seconds)
        a = (cgroup_usec(), ksoftirqd_ns(), host_busy_s(), prog_stats())
    finally:
        if mode == "empty":
            attach_empty(empty_obj, False)
        elif probe:
            Net.stop(probe.proc)
    gb = nbytes / 1e9
    return {"gbps": bps / 1e9, "cpu_gb": (a[0] - b[0]) / 1e6 / gb,
            "ksirq_gb": (a[1] - b[1]) / 1e9 / gb, "host_gb": (a[2] - b[2]) / gb,
            "all_gb": ((a[0] - b[0]) / 1e6 + (a[1] - b[1]) / 1e9) / gb,
            "bpf_gb": sum(a[3][n][0] - b[3].get(n, (0, 0))[0] for n in a[3]) / 1e9 / gb,
            "stats": {n: (a[3][n][0] - b[3].get(n, (0, 0))[0],
                          a[3][n][1] - b[3].get(n, (0, 0))[1]) for n in a[3]}}


def spread(xs):
    """median [min-max] IQR of a list"""
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return f"{q[1]:.3f} [{min(xs):.3f}-{max(xs):.3f}, IQR {q[0]:.3f}-{q[2]:.3f}]"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def bench_iperf(net, exe, plugin_dir, empty_obj, seconds, listed, rounds):
    """Short interleaved rounds of off / empty program / tc_capture, the order rotated each
    round so drift and other load fall on every mode alike; each ratio is taken inside its
    round (neighbouring runs), then median and spread over the rounds. Beside throughput,
    CPU seconds per GB of the pinned iperf3 pair + ja4probe (a cost view that contention
    from other work moves far less than throughput). BPF run-time statistics stay on in all
    modes, so empty and on both carry their overhead."""
    os.makedirs(CGROUP, exist_ok=True)
    server = net.keep(spawn(["taskset", "-c", SERVER_CPU, "iperf3", "-s", "-p", str(IPERF_PORT)],
                            ns=SRV_NS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=join_cgroup))
    net.wait_listen(IPERF_PORT)
    ports = [IPERF_PORT, 443] if listed else [443]
    iperf(1)   # warm-up
    load0 = loadavg()
    res = {m: [] for m in MODES}
    run(["sysctl", "-q", "kernel.bpf_stats_enabled=1"])
    try:
        for i in range(rounds):
            for mode in MODES[i % 3:] + MODES[:i % 3]:
                res[mode].append(one_run(mode, net, exe, plugin_dir, empty_obj, ports, seconds,
                                         f"iperf{int(listed)}_{i}"))
    finally:
        run(["sysctl", "-q", "kernel.bpf_stats_enabled=0"])
        Net.stop(server)
    print(f"iperf3 -t {seconds} -l 128K, client CPU {CLIENT_CPU} / server CPU {SERVER_CPU}, "
          f"{rounds} rounds off/empty/on rotated, MTU 1500, iperf3 port "
          f"{'listed' if listed else 'not listed'}; load average {load0} -> {loadavg()}")
    for key, what in (("gbps", "Gbit/s"), ("cpu_gb", "CPU s/GB (iperf3 pair + ja4probe)"),
                      ("ksirq_gb", "ksoftirqd s/GB"), ("all_gb", "CPU s/GB, the two above summed"),
                      ("host_gb", "host busy s/GB (all tasks)")):
        print(f"  {what:36s} " + "  ".join(
            f"{m} {statistics.median(r[key] for r in res[m]):.3f}" for m in MODES))
    for key, what in (("gbps", "throughput"), ("cpu_gb", "CPU per GB (pair + ja4probe)"),
                      ("all_gb", "CPU per GB (+ ksoftirqd)"), ("host_gb", "host busy per GB")):
        for m in ("empty", "on"):
            xs = [r[key] / o[key] for r, o in zip(res[m], res["off"])]
            print(f"  {what} ratio {m}/off: {spread(xs)}")
    print("  rounds Gbit/s off|empty|on: " + "  ".join(
        "|".join(f"{res[m][i]['gbps']:.2f}" for m in MODES) for i in range(rounds)))
    off_cpu = statistics.median(r["all_gb"] for r in res["off"])
    bpf = {m: statistics.median(r["bpf_gb"] for r in res[m]) for m in ("empty", "on")}
    print(f"  BPF time per GB from the run-time statistics (both hooks): tc_capture "
          f"{bpf['on'] * 1e3:.0f} ms, empty program {bpf['empty'] * 1e3:.0f} ms, against "
          f"{off_cpu:.2f} s CPU per GB without; so if CPU-bound, throughput ratio "
          f"{1 / (1 + bpf['on'] / off_cpu):.4f} (whole program, stats overhead included), "
          f"{1 / (1 + (bpf['on'] - bpf['empty']) / off_cpu):.4f} (above the empty floor)")
    per = {}
    for m in ("empty", "on"):
        for r in res[m]:
            for name, (ns, cnt) in r["stats"].items():
                t = per.setdefault(name, [0, 0, []])
                t[0] += ns
                t[1] += cnt
                if cnt:
                    t[2].append(ns / cnt)
    for name in sorted(per):
        ns, cnt, rs = per[name]
        if cnt:
            print(f"  {name}: {cnt} packets, {ns / cnt:.1f} ns per packet (BPF run-time stats; "
                  f"per run {min(rs):.1f}-{max(rs):.1f})")
    for hook in ("ingress", "egress"):
        e, t = per.get(f"tc_empty {hook}"), per.get(f"tcap_{hook} {hook}")
        if e and t and e[1] and t[1]:
            print(f"  tcap_{hook} over the empty program's floor: "
                  f"{t[0] / t[1] - e[0] / e[1]:.1f} ns per packet")


async def burst_client(n, parallel):
    """n connections, each: connect, send a request head, close; parallel at a time"""
    sem = asyncio.Semaphore(parallel)
    failed = 0

    async def one(i):
        nonlocal failed
        async with sem:
            try:
                _, w = await asyncio.open_connection(SRV4, HTTP_PORT)
                w.write(f"GET /burst/{i} HTTP/1.1\r\nHost: bench\r\nUser-Agent: burst\r\n"
                        f"\r\n".encode())
                await w.drain()
                w.close()
            except OSError:
                failed += 1
    await asyncio.gather(*(one(i) for i in range(n)))
    return failed


def burst_server():
    """The kernel completes handshakes and queues requests; nothing is accepted, so the
    client, not a userspace server, sets the pace."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", HTTP_PORT))
    s.listen(65535)
    signal.pause()


def bench_burst(net, exe, plugin_dir, n, ring_kib):
    me = os.path.abspath(__file__)
    run(["sysctl", "-q", "-w", "net.core.somaxconn=65535",
         "net.ipv4.tcp_max_syn_backlog=65535"], ns=SRV_NS)
    server = net.keep(spawn([sys.executable, me, "--server"], ns=SRV_NS))
    net.wait_listen(HTTP_PORT)
    probe = Probe(net, exe, plugin_dir, {"ports": [HTTP_PORT], "ring_buffer_size": ring_kib},
                  f"burst{ring_kib}")
    probe.start()
    t0 = time.monotonic()
    r = run([sys.executable, me, "--client", str(n)], ns=CLI_NS)
    elapsed = time.monotonic() - t0
    failed = int(r.stdout.strip() or 0)
    want = lambda evs: sum(e["event_type"] in ("tcp_syn", "http_request") for e in evs)
    probe.wait_events(lambda evs: want(evs) >= 2 * (n - failed), timeout=5)
    probe.wait_events(lambda evs: False, timeout=1.5)   # one more stats event
    Net.stop(probe.proc)
    Net.stop(server)
    evs = probe.events()
    st = probe.last_stats()
    syn = sum(e["event_type"] == "tcp_syn" for e in evs)
    req = sum(e["event_type"] == "http_request" for e in evs)
    lost = st.get("tc_lost", 0)
    expected = 2 * n
    print(f"burst of {n} connections ({failed} failed to connect), ring {ring_kib} KiB: "
          f"{elapsed:.2f} s, {(syn + req) / elapsed:.0f} events/s delivered")
    print(f"  tcp_syn {syn} + http_request {req} delivered, ring buffer lost {lost}, "
          f"decoder: hello_truncated {st.get('hello_truncated')}, flows_evicted "
          f"{st.get('flows_evicted')}")
    print(f"  accounted (delivered + lost) / expected: {(syn + req + lost) / expected:.3f}")


def main():
    if sys.argv[1] == "--server":
        burst_server()
        return 0
    if sys.argv[1] == "--client":
        print(asyncio.run(burst_client(int(sys.argv[2]), 256)))
        return 0
    exe, plugin_dir = sys.argv[1], sys.argv[2]
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 9
    empty = os.path.join(os.path.dirname(os.path.abspath(plugin_dir)), "bench", "tc_empty.bpf.o")
    net = Net()
    try:
        bench_test_run(os.path.join(plugin_dir, "tc_capture", "tc_capture.bpf.o"), empty,
                       net.tmp)
        bench_iperf(net, exe, plugin_dir, empty, seconds, True, rounds)
        bench_iperf(net, exe, plugin_dir, empty, seconds, False, rounds)
        bench_burst(net, exe, plugin_dir, n, 4096)
        bench_burst(net, exe, plugin_dir, n, 64)
    finally:
        net.close()
        if os.path.isdir(CGROUP):
            os.rmdir(CGROUP)
    return 0


if __name__ == "__main__":
    sys.exit(main())
