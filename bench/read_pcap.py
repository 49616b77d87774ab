#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--read-pcap throughput against tshark and tcpdump on the same large capture.

The capture replays every TCP flow of the FoxIO reference captures many times, each replica
with its own client port (and, past 60000 replicas, client address), re-framed as Ethernet.
Then, side by side in one run, interleaved (each round runs every command once; medians of
--runs rounds):
    ja4probe --read-pcap FILE              (JSON events to /dev/null)
    tshark -r FILE -T fields -e tls.handshake.ja3
    tcpdump -r FILE -w /dev/null           (a bare read and write of every packet)
and prints the times and the ratios. Goals (printed, not asserted): at least 20x faster than
tshark, within 3x of tcpdump.

usage: read_pcap.py JA4PROBE TESTDATA_DIR [--replicas N] [--runs N] [--keep FILE]"""
import argparse
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "decode"))
from jp_decode import (LINKTYPE_ETHERNET, ether, flow_roles, read_pcap_records,  # noqa: E402
                       reference_pcaps, tshark_frames)

LINK_HEADER = {0: 4, 1: 14, 101: 0, 108: 4, 113: 16, 276: 20}


def ip_packets(path, tmp):
    """The IP packets of a capture's TCP frames, each with its flow's client endpoint."""
    frames = tshark_frames(path)
    roles = flow_roles(frames)
    pcap = os.path.join(tmp, "one.pcap")
    subprocess.run(["editcap", "-F", "pcap", path, pcap], check=True, capture_output=True)
    header, endian, recs = read_pcap_records(pcap)
    link = struct.unpack(endian + "I", header[20:24])[0]
    out = []
    for n, (_, frame) in enumerate(recs, 1):
        fr = frames.get(n)
        if fr is None:
            continue
        start = LINK_HEADER[link]
        if link == LINKTYPE_ETHERNET:
            while frame[start - 2:start] in (b"\x81\x00", b"\x88\xa8"):
                start += 4
        ip = frame[start:]
        iplen = 40 + struct.unpack("!H", ip[4:6])[0] if ip[0] >> 4 == 6 else \
            struct.unpack("!H", ip[2:4])[0]
        client = roles.get(frozenset((fr["src"], fr["dst"])), (fr["src"],))[0]
        out.append((client, ip[:iplen]))
    return out


def replica(pkt, client, i):
    """The packet with the client's port (and past 60000 replicas its address) made unique."""
    p = bytearray(pkt)
    v6 = p[0] >> 4 == 6
    ihl = 40 if v6 else (p[0] & 15) * 4
    port = 1024 + i % 60000
    sport, dport = struct.unpack("!HH", p[ihl:ihl + 4])
    src_is_client = sport == client[1]
    p[ihl + (0 if src_is_client else 2):ihl + (2 if src_is_client else 4)] = \
        struct.pack("!H", port)
    if not v6 and i >= 60000:
        p[12 + (0 if src_is_client else 4) + 2] = (i // 60000) & 0xFF
    return bytes(p)


def build(testdata, replicas, path, tmp):
    flows = [ip_packets(os.path.join(testdata, "pcap", name), tmp)
             for name in reference_pcaps(testdata)]
    n = 0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        ts = 1700000000.0
        for i in range(replicas):
            for cap in flows:
                for client, pkt in cap:
                    frame = ether(replica(pkt, client, i))
                    ts += 0.00001
                    sec = int(ts)
                    f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(frame),
                                        len(frame)))
                    f.write(frame)
                    n += 1
    return n


def run_once(cmd):
    """Wall time and CPU time (user + sys of the child) of one run: CPU time is the steadier
    figure on a shared machine (MEASUREMENTS.md)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE if cmd[0] == "tshark" else
                       subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.decode()))
    return dt, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ja4probe")
    ap.add_argument("testdata")
    ap.add_argument("--null-host", help="build/bench/read_pcap_null_host: everything but the outputs (events are built, then dropped)")
    ap.add_argument("--replicas", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", help="write the capture here and keep it")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = a.keep or os.path.join(tmp, "replayed.pcap")
        n = build(a.testdata, a.replicas, path, tmp)
        print("capture: %d packets, %.1f MB, %d replicas of the reference flows" %
              (n, os.path.getsize(path) / 1e6, a.replicas))
        rows = [("ja4probe --read-pcap", [a.ja4probe, "--read-pcap", path])]
        if a.null_host:
            rows.append(("  without outputs (events dropped)", [a.null_host, path]))
        rows += [("tshark -T fields -e ja3", ["tshark", "-r", path, "-T", "fields", "-e",
                                              "tls.handshake.ja3"]),
                 ("tcpdump -r -w /dev/null", ["tcpdump", "-r", path, "-w", "/dev/null"])]
        times = {name: [] for name, _ in rows}
        for _ in range(a.runs):
            for name, cmd in rows:
                times[name].append(run_once(cmd))
        res = {}
        print("%-34s %9s %9s %12s   (medians of %d interleaved runs)" %
              ("", "wall s", "cpu s", "packets/cpu s", a.runs))
        for name, _ in rows:
            wall = statistics.median(t[0] for t in times[name])
            cpu = statistics.median(t[1] for t in times[name])
            res[name] = (wall, cpu)
            print("%-34s %9.3f %9.3f %12.0f" % (name, wall, cpu, n / cpu))
        ours = res["ja4probe --read-pcap"]
        theirs = res["tshark -T fields -e ja3"]
        bare = res["tcpdump -r -w /dev/null"]
        for i, what in ((0, "wall"), (1, "cpu")):
            print("%-4s ratio tshark / ja4probe : %6.1fx  (goal >= 20x)" %
                  (what, theirs[i] / ours[i]))
            print("%-4s ratio ja4probe / tcpdump: %6.2fx  (goal <= 3x)" %
                  (what, ours[i] / bare[i]))
            if a.null_host:
                alone = res["  without outputs (events dropped)"]
                print("%-4s ratio without outputs / tcpdump: %6.2fx" % (what, alone[i] / bare[i]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
