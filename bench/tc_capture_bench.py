#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tc_capture benchmark, side by side in one run (root, real kernel, two network namespaces
joined by a veth, segments of at most 1500 bytes):

 0. The ingress program alone on fixed frames with BPF_PROG_TEST_RUN: ns per packet kind.
 1. iperf3 bulk TCP over the veth without the plugin, with an empty TC program (the floor:
    the run-time statistics cost time themselves), with the plugin (ingress + egress), and
    without again: throughput ratios, and the BPF programs' average ns per packet from the
    kernel's run-time statistics (kernel.bpf_stats_enabled=1, run_time_ns / run_cnt). Once
    with the iperf3 port listed (every segment goes through the port check and the flow
    lookup: the worst case, an upload to a watched port), once not listed (parse + port check).
 2. A bounded burst of new HTTP connections, as fast as the client manages: events per second
    delivered, and the books: every expected event delivered or counted lost (the ring
    buffer's tc_lost). Run with the default ring and with a deliberately tiny one.

usage: tc_capture_bench.py JA4PROBE PLUGIN_DIR [seconds=5] [connections=5000]
"""
import asyncio
import json
import os
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


def bench_test_run(bpf_obj, tmp):
    """ns per packet of the ingress program on fixed frames, BPF_PROG_TEST_RUN (the kernel's
    own loop, so no network stack and little noise; it includes the test-run overhead, about
    25 ns here for an empty program)"""
    pin = f"/sys/fs/bpf/tcap_bench{os.getpid()}"
    os.makedirs(pin)
    run(["bpftool", "prog", "loadall", bpf_obj, pin + "/p", "type", "tc", "pinmaps", pin + "/m"])
    try:
        run(["bpftool", "map", "update", "pinned", pin + "/m/tcap_ports", "key", "0x51", "0x14",
             "0", "0", "value", "1"])   # port 5201 listed
        cases = [("ACK without payload, listed port", frame(5201, flags=0x10), 1000000),
                 ("1448-byte segment of an established flow, listed port",
                  frame(5201, b"y" * 1448), 1000000),
                 ("1448-byte segment, port not listed", frame(5202, b"y" * 1448), 1000000),
                 ("SYN, listed port: parse + flow insert + ring record", frame(5201, flags=0x02),
                  10000)]
        print("BPF_PROG_TEST_RUN, tcap_ingress:")
        for what, data, repeat in cases:
            path = os.path.join(tmp, "frame.bin")
            with open(path, "wb") as f:
                f.write(data)
            out = run(["bpftool", "prog", "run", "pinned", pin + "/p/tcap_ingress", "data_in",
                       path, "repeat", str(repeat)]).stdout
            ns = out.split("duration (average):")[1].split("ns")[0].strip()
            print(f"  {what}: {ns} ns")
    finally:
        shutil.rmtree(pin, ignore_errors=True)


def iperf(seconds):
    r = run(["iperf3", "-c", SRV4, "-p", str(IPERF_PORT), "-t", str(seconds), "-J"], ns=CLI_NS)
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]


def prog_stats():
    """{name: (run_time_ns, run_cnt)} of the loaded tcap_* programs"""
    out = json.loads(run(["bpftool", "prog", "show", "--json"]).stdout)
    return {p["name"]: (p.get("run_time_ns", 0), p.get("run_cnt", 0)) for p in out
            if p.get("name", "").startswith(("tcap_", "tc_empty"))}


def attach_empty(obj, on):
    """the empty TC program on both hooks of the server veth, or gone"""
    if on:
        run(["tc", "qdisc", "add", "dev", SRV_IF, "clsact"], ns=SRV_NS)
        for hook in ("ingress", "egress"):
            run(["tc", "filter", "add", "dev", SRV_IF, hook, "bpf", "da", "obj", obj, "sec",
                 "tc"], ns=SRV_NS)
    else:
        run(["tc", "qdisc", "del", "dev", SRV_IF, "clsact"], ns=SRV_NS)


def measured(fn):
    """(iperf result, {prog: (ns, count)}) with the kernel's BPF run-time statistics on"""
    run(["sysctl", "-q", "kernel.bpf_stats_enabled=1"])
    try:
        before = prog_stats()
        result = fn()
        after = prog_stats()
    finally:
        run(["sysctl", "-q", "kernel.bpf_stats_enabled=0"])
    return result, {n: (after[n][0] - before.get(n, (0, 0))[0],
                        after[n][1] - before.get(n, (0, 0))[1]) for n in after}


def bench_iperf(net, exe, plugin_dir, empty_obj, seconds, listed, rounds=3):
    """rounds of: without, the empty program, tc_capture; each against the mean of the
    baselines around it, and the median of the rounds (throughput here swings a lot)"""
    server = net.keep(spawn(["iperf3", "-s", "-p", str(IPERF_PORT)], ns=SRV_NS,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    net.wait_listen(IPERF_PORT)
    ports = [IPERF_PORT, 443] if listed else [443]
    ratios, empty_ratios, runs, totals = [], [], [], {}
    base = iperf(seconds)
    for i in range(rounds):
        attach_empty(empty_obj, True)
        empty, stats_empty = measured(lambda: iperf(seconds))
        attach_empty(empty_obj, False)
        probe = Probe(net, exe, plugin_dir, {"egress": True, "ports": ports}, f"iperf{i}")
        probe.start()
        with_plugin, stats = measured(lambda: iperf(seconds))
        Net.stop(probe.proc)
        for name, (ns, cnt) in list(stats.items()) + list(stats_empty.items()):
            t = totals.setdefault(name, [0, 0])
            t[0] += ns
            t[1] += cnt
        base_after = iperf(seconds)
        mean = (base + base_after) / 2
        ratios.append(with_plugin / mean)
        empty_ratios.append(empty / mean)
        runs.append(f"{base / 1e9:.2f}|{empty / 1e9:.2f}|{with_plugin / 1e9:.2f}")
        base = base_after
    Net.stop(server)
    print(f"iperf3 {seconds}s x {rounds}, MTU 1500, iperf3 port "
          f"{'listed' if listed else 'not listed'}: without|empty prog|tc_capture Gbit/s "
          f"{'  '.join(runs)}  (last without {base / 1e9:.2f})")
    print(f"  throughput ratio tc_capture/without: median {statistics.median(ratios):.3f} "
          f"(rounds: {' '.join(f'{r:.3f}' for r in ratios)}); empty program/without: median "
          f"{statistics.median(empty_ratios):.3f}")
    per = {n: t[0] / t[1] for n, t in totals.items() if t[1]}
    for name in sorted(per):
        print(f"  {name}: {totals[name][1]} packets, {per[name]:.1f} ns per packet "
              f"(BPF run-time stats)")
    if "tc_empty" in per and "tcap_ingress" in per:
        print(f"  tcap_ingress over the empty program: {per['tcap_ingress'] - per['tc_empty']:.1f}"
              f" ns per packet")


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
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    net = Net()
    try:
        bench_test_run(os.path.join(plugin_dir, "tc_capture", "tc_capture.bpf.o"), net.tmp)
        empty = os.path.join(os.path.dirname(os.path.abspath(plugin_dir)), "bench",
                             "tc_empty.bpf.o")
        bench_iperf(net, exe, plugin_dir, empty, seconds, listed=True)
        bench_iperf(net, exe, plugin_dir, empty, seconds, listed=False)
        bench_burst(net, exe, plugin_dir, n, 4096)
        bench_burst(net, exe, plugin_dir, n, 64)
    finally:
        net.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
