#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Damaged captures never crash `ja4probe --read-pcap` and never yield a wrong fingerprint.

Every FoxIO capture (pcapng converted to pcap with editcap for the per-packet cases) is
  - cut at many byte offsets: every fingerprint that comes out equals the intact file's for
    that flow and event; a cut inside a record ends with a non-zero exit and a message;
  - snapped: every packet's captured length lowered (as `tcpdump -s N` does): fingerprints are
    the intact ones or absent, and a missing one is accounted for by truncated_packets;
  - flipped: single bytes changed inside packets: flows the flip did not touch keep their
    fingerprints exactly; a JA3 that comes out equals tshark's JA3 for the same damaged packets.
A crash, a sanitizer report or an exit status other than 0/1 fails. Built with
-Db_sanitize=address,undefined the same runs check memory safety.

usage: test_damaged.py JA4PROBE TESTDATA_DIR"""
import os
import random
import struct
import subprocess
import sys
import tempfile

from jp_decode import (event_fingerprints, read_pcap_records, reference_pcaps, require,
                       run_read_pcap, Tally, tshark_fields)

CUTS_PER_FILE = 40
SNAPS = (34, 40, 54, 60, 74, 100, 160, 300, 600, 1000)
FLIPS_PER_FILE = 12


def fingerprints(events):
    """{(flow, event type, field): value}"""
    out = {}
    for ev in events:
        sender, receiver, fps = event_fingerprints(ev)
        for field, value in fps.items():
            out[(frozenset((sender, receiver)), ev["event_type"], field)] = value
    return out


def flows_of(fps):
    return {k[0] for k in fps}


def sane_exit(t, what, rc, err):
    t.check(rc in (0, 1), "%s: exit status %d: %s" % (what, rc, err.strip()[-300:]))
    t.check("Sanitizer" not in err and "runtime error" not in err,
            "%s: sanitizer report: %s" % (what, err.strip()[-600:]))


def subset(t, what, got, intact):
    bad = {k: v for k, v in got.items() if intact.get(k) != v}
    t.check(not bad, "%s: fingerprints not in the intact output: %s" % (what, bad))
    return set(intact) - set(got)


def as_pcap(path, tmp):
    if path.endswith(".pcap"):
        return path
    out = os.path.join(tmp, os.path.basename(path) + ".pcap")
    subprocess.run(["editcap", "-F", "pcap", path, out], check=True, capture_output=True)
    return out


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def check_cuts(t, exe, path, intact, tmp, rng):
    with open(path, "rb") as f:
        raw = f.read()
    offsets = sorted(set(rng.randrange(1, len(raw)) for _ in range(CUTS_PER_FILE)))
    boundaries = set()
    if path.endswith(".pcap"):
        _, _, recs = read_pcap_records(path)
        off = 24
        for hdr, data in recs:
            off += len(hdr) + len(data)
            boundaries.add(off)
    for cut in offsets:
        damaged = os.path.join(tmp, "cut.pcap")
        write(damaged, raw[:cut])
        what = "%s cut at %d" % (os.path.basename(path), cut)
        rc, events, counters, err = run_read_pcap(exe, damaged)
        sane_exit(t, what, rc, err)
        subset(t, what, fingerprints(events), intact)
        if path.endswith(".pcap") and cut > 24 and cut not in boundaries:
            t.check(rc == 1 and err.strip(), "%s: a cut record was not reported" % what)


def check_snaps(t, exe, path, intact, tmp):
    header, endian, recs = read_pcap_records(path)
    for snap in SNAPS:
        out = bytearray(header)
        for hdr, data in recs:
            sec, usec, incl, orig = struct.unpack(endian + "IIII", hdr)
            keep = data[:snap]
            out += struct.pack(endian + "IIII", sec, usec, len(keep), orig) + keep
        damaged = os.path.join(tmp, "snap.pcap")
        write(damaged, bytes(out))
        what = "%s snapped to %d" % (os.path.basename(path), snap)
        rc, events, counters, err = run_read_pcap(exe, damaged)
        sane_exit(t, what, rc, err)
        t.check(rc == 0, "%s: exit status %d" % (what, rc))
        missing = subset(t, what, fingerprints(events), intact)
        if missing:
            t.check(counters.get("truncated_packets", 0) > 0,
                    "%s: %d fingerprints missing and no truncated_packets" % (what, len(missing)))


def frame_flows(path):
    """Frame number -> flow endpoints, from tshark."""
    from jp_decode import tshark_frames
    return {n: frozenset((f["src"], f["dst"])) for n, f in tshark_frames(path).items()}


def check_flips(t, exe, path, intact, tmp, rng):
    header, endian, recs = read_pcap_records(path)
    flows = frame_flows(path)
    for _ in range(FLIPS_PER_FILE):
        k = rng.randrange(len(recs))
        hdr, data = recs[k]
        if not data:
            continue
        pos = rng.randrange(len(data))
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        out = bytearray(header)
        for i, (h, d) in enumerate(recs):
            out += h + (bytes(flipped) if i == k else d)
        damaged = os.path.join(tmp, "flip.pcap")
        write(damaged, bytes(out))
        what = "%s frame %d byte %d flipped" % (os.path.basename(path), k + 1, pos)
        rc, events, counters, err = run_read_pcap(exe, damaged)
        sane_exit(t, what, rc, err)
        got = fingerprints(events)
        touched = flows.get(k + 1)
        untouched = {key: v for key, v in got.items() if key[0] != touched and
                     key[0] in flows_of(intact)}
        subset(t, what + " (untouched flows)", untouched, intact)
        ja3s = {key: v for key, v in got.items() if key[2] == "ja3"}
        if ja3s:
            theirs = {r["tls.handshake.ja3"] for r in tshark_fields(
                damaged, ["tls.handshake.ja3"], "tls.handshake.type == 1")}
            for key, v in ja3s.items():
                t.check(v in theirs, "%s: ja3 %s, tshark gives %s" % (what, v, theirs))


def main():
    exe, testdata = sys.argv[1], sys.argv[2]
    require(testdata)
    t = Tally()
    rng = random.Random(20261122)   # fixed: a failure reproduces
    with tempfile.TemporaryDirectory() as tmp:
        for name in reference_pcaps(testdata):
            path = os.path.join(testdata, "pcap", name)
            rc, events, _, err = run_read_pcap(exe, path)
            t.check(rc == 0, "%s: intact file: exit status %d" % (name, rc))
            intact = fingerprints(events)
            check_cuts(t, exe, path, intact, tmp, rng)
            pcap = as_pcap(path, tmp)
            check_snaps(t, exe, pcap, intact, tmp)
            check_flips(t, exe, pcap, intact, tmp, rng)
    return t.close()


if __name__ == "__main__":
    sys.exit(main())
