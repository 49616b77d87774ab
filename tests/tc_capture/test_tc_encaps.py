# SPDX-License-Identifier: BSD-3-Clause
"""The BPF parser on the encapsulations a TC program meets: the frames of an Ethernet/IPv4
reference capture rewritten with an 802.1Q tag, with 802.1ad + 802.1Q (QinQ), with IPv4
options, and as IPv6 behind a hop-by-hop and a destination-options header. Each variant must
give, through BPF_PROG_TEST_RUN and the decoder, the events the decoder gives on the variant
itself (tcap_testrun), and the same fingerprints as the original capture (`--events`).

usage: test_tc_encaps.py TCAP_TESTRUN CAPTURE...
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from tcap_net import Tally


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        raise ValueError(f"{path}: not Ethernet")
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append((sec, frac, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], endian, frames


def write_pcap(path, header, endian, frames):
    with open(path, "wb") as f:
        f.write(header)
        for sec, frac, fr in frames:
            f.write(struct.pack(endian + "IIII", sec, frac, len(fr), len(fr)) + fr)


def vlan(fr, tags):
    out = fr[:12]
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + fr[12:]


def ipv4_options(fr):
    if fr[12:14] != b"\x08\x00":
        return fr
    ip = fr[14:]
    ihl = (ip[0] & 0x0f) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    opts = b"\x01\x01\x01\x00"    # NOP NOP NOP EOL: one more 32-bit word
    hdr = bytes([0x40 | (ihl + 4) // 4]) + ip[1:2] + struct.pack("!H", tot + 4) + ip[4:ihl]
    return fr[:14] + hdr + opts + ip[ihl:]


def ipv6_ext(fr):
    """IPv4 -> IPv6 (addresses 2001:db8::a.b.c.d) with hop-by-hop + destination options"""
    if fr[12:14] != b"\x08\x00":
        return fr
    ip = fr[14:]
    ihl = (ip[0] & 0x0f) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    proto, src, dst = ip[9], ip[12:16], ip[16:20]
    payload = ip[ihl:tot]
    hbh = bytes([60, 0]) + b"\x01\x04\x00\x00\x00\x00"      # next: dest opts; PadN
    dopt = bytes([proto, 0]) + b"\x01\x04\x00\x00\x00\x00"   # next: TCP/UDP; PadN
    ext = hbh + dopt
    prefix = bytes.fromhex("20010db8000000000000000000000000")[:12]
    hdr = struct.pack("!IHBB", 6 << 28, len(ext) + len(payload), 0, ip[8]) + prefix + src + \
        prefix + dst
    return fr[:12] + b"\x86\xdd" + hdr + ext + payload


VARIANTS = {
    "802.1Q": lambda fr: vlan(fr, [(0x8100, 42)]),
    "QinQ": lambda fr: vlan(fr, [(0x88a8, 7), (0x8100, 42)]),
    "IPv4 options": ipv4_options,
    "IPv6 extension headers": ipv6_ext,
}


def fingerprints(testrun, pcap):
    out = subprocess.run([testrun, "--events", pcap], capture_output=True, text=True,
                         check=True).stdout
    fps = []
    for ev in map(json.loads, out.splitlines()):
        proto = ev.get("tls") or ev.get("tcp") or ev.get("http") or {}
        fps.append((ev["event_type"], proto.get("ja4") or proto.get("ja4s") or
                    proto.get("ja4t") or proto.get("ja4ts") or proto.get("ja4h")))
    return fps


def check_capture(c, testrun, capture, tmp):
    header, endian, frames = read_pcap(capture)
    want = fingerprints(testrun, capture)
    c.check(len(want) >= 3, f"{capture}: the original gives events: {want}")
    for name, rewrite in VARIANTS.items():
        path = os.path.join(tmp, name.replace(" ", "_") + ".pcap")
        write_pcap(path, header, endian, [(s, f, rewrite(fr)) for s, f, fr in frames])
        r = subprocess.run([testrun, path], capture_output=True, text=True)
        c.check(r.returncode == 0, f"{capture} {name}: via BPF == the decoder on the variant: "
                f"{r.stdout}")
        got = fingerprints(testrun, path)
        # JA4T leaves IP options out; IPv6 has no DF/IP ID, which JA4T does not use either
        c.check(got == want, f"{capture} {name}: fingerprints {got} == the original's {want}")
        os.unlink(path)


def main():
    testrun = sys.argv[1]
    c = Tally()
    tmp = tempfile.mkdtemp(prefix=f"tcapenc{os.getpid()}-")
    try:
        for capture in sys.argv[2:]:
            check_capture(c, testrun, capture, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return c.close()


if __name__ == "__main__":
    sys.exit(main())
