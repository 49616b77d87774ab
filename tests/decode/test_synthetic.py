#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic captures, written here with struct, around the real hello and request bytes of
the FoxIO captures: reassembly (out of order, retransmissions with equal and with different
bytes, a ClientHello over 3 TCP segments and 2 TLS records), link layers (VLAN/QinQ, SLL,
SLL2, null/loop, raw IP), IPv4 options, IPv6 extension headers, flow-table eviction, the byte
limit and flows that started before the capture. The expected JA4/JA4H come from the FoxIO
expected files of the capture the bytes were taken from, JA3 from tshark on the synthetic file.

usage: test_synthetic.py JA4PROBE TESTDATA_DIR [ja4plus|no-ja4plus]"""
import os
import sys
import tempfile

from jp_decode import (LINKTYPE_ETHERNET, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_SLL,
                       LINKTYPE_SLL2, ether, Expectations, handshake_of, ipv4, ipv6, ja4plus_built,
                       null, require, run_read_pcap, sll, sll2, Tally, tcp, tls_records,
                       tshark_fields, write_pcap)

SYN_OPTS = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2])  # MSS 1460, NOP, wscale 7, SACK ok


class Flow:
    """One TCP connection, packets appended in capture order."""

    def __init__(self, cli, srv, v6=False, isn_c=1000, isn_s=5000):
        self.cli, self.srv, self.v6 = cli, srv, v6
        self.isn_c, self.isn_s = isn_c, isn_s
        self.pkts = []

    def _ip(self, src, dst, seg, ext=()):
        if self.v6:
            return ipv6(src[0], dst[0], seg, ext=ext)
        return ipv4(src[0], dst[0], seg)

    def handshake(self):
        self.syn()
        self.pkts.append(self._ip(self.srv, self.cli, tcp(self.srv[1], self.cli[1], self.isn_s,
                                                          self.isn_c + 1, "SA", options=SYN_OPTS)))
        return self

    def syn(self):
        self.pkts.append(self._ip(self.cli, self.srv, tcp(self.cli[1], self.srv[1], self.isn_c, 0,
                                                          "S", options=SYN_OPTS)))
        return self

    def client(self, off, data, ext=()):
        """Client bytes at stream offset off (0: the byte after the SYN)."""
        self.pkts.append(self._ip(self.cli, self.srv,
                                  tcp(self.cli[1], self.srv[1], self.isn_c + 1 + off,
                                      self.isn_s + 1, "PA", data), ext))
        return self


def frames(link, l3s):
    """link: a LINKTYPE_*, or (LINKTYPE_*, function wrapping an IP packet)."""
    if isinstance(link, tuple):
        return [(1700000000 + i * 0.001, link[1](p)) for i, p in enumerate(l3s)]
    wrap = {LINKTYPE_ETHERNET: ether, LINKTYPE_SLL: sll, LINKTYPE_SLL2: sll2,
            LINKTYPE_NULL: null, LINKTYPE_LOOP: lambda p: null(p, big_endian=True),
            LINKTYPE_RAW: lambda p: p}[link]
    return [(1700000000 + i * 0.001, wrap(p)) for i, p in enumerate(l3s)]


def cut(data, points):
    """Split data at the given offsets: [(offset, bytes)]."""
    edges = [0] + list(points) + [len(data)]
    return [(edges[i], data[edges[i]:edges[i + 1]]) for i in range(len(edges) - 1)]


class Suite:
    def __init__(self, exe, testdata, tmp):
        self.exe, self.tmp, self.t = exe, tmp, Tally()
        tls12 = Expectations(testdata, "tls12.pcap")
        hello_frame = next(f for f in tls12.frames.values() if "1" in f["hs_types"])
        self.hello = hello_frame["payload"]
        self.ja4 = tls12.expected()[(frozenset((hello_frame["src"], hello_frame["dst"])),
                                     "ja4")][0]
        http = Expectations(testdata, "http1-with-cookies.pcapng")
        req = next(f for f in http.frames.values() if f["http_request"])
        self.request = req["payload"]
        self.ja4h = http.expected()[(frozenset((req["src"], req["dst"])), "ja4h")][0]

    def run(self, name, link, l3s, keys=None):
        path = os.path.join(self.tmp, name + ".pcap")
        write_pcap(path, link[0] if isinstance(link, tuple) else link, frames(link, l3s))
        rc, events, counters, err = run_read_pcap(self.exe, path, keys)
        self.t.check(rc == 0, "%s: exit status %d: %s" % (name, rc, err.strip()))
        return path, events, counters

    def of_type(self, events, etype):
        return [e for e in events if e["event_type"] == etype]

    def expect_hello(self, name, link, l3s, keys=None, tshark_opts=()):
        """Exactly one ClientHello event with the reference JA4 and tshark's JA3."""
        path, events, counters = self.run(name, link, l3s, keys)
        hellos = self.of_type(events, "tls_client_hello")
        if not self.t.check(len(hellos) == 1, "%s: %d ClientHello events (counters %s)" %
                            (name, len(hellos), {k: v for k, v in counters.items() if v})):
            return events, counters
        self.t.check(hellos[0]["tls"]["ja4"] == self.ja4, "%s: ja4 %s, expected %s" %
                     (name, hellos[0]["tls"]["ja4"], self.ja4))
        ja3 = [r["tls.handshake.ja3"] for r in tshark_fields(
            path, ["tls.handshake.ja3"], "tls.handshake.type == 1",
            ["-o", "tcp.reassemble_out_of_order:TRUE"] + list(tshark_opts))]
        self.t.check(ja3 == [hellos[0]["tls"]["ja3"]], "%s: ja3 %s, tshark says %s" %
                     (name, hellos[0]["tls"]["ja3"], ja3))
        return events, counters


def main():
    exe, testdata = sys.argv[1], sys.argv[2]
    require(testdata)
    with tempfile.TemporaryDirectory() as tmp:
        s = Suite(exe, testdata, tmp)
        t = s.t
        hs = handshake_of(s.hello)
        two_records = tls_records(hs, [len(hs) // 3, len(hs)])
        c = ("192.0.2.7", 51234)
        srv = ("192.0.2.1", 443)

        # a ClientHello over 2 TLS records and 3 TCP segments, cut inside the record headers
        segs = cut(two_records, [len(hs) // 3 + 2, len(two_records) - 40])
        f = Flow(c, srv).handshake()
        for off, data in segs:
            f.client(off, data)
        events, _ = s.expect_hello("split_3seg_2rec", LINKTYPE_ETHERNET, f.pkts)
        t.check(len(s.of_type(events, "tcp_syn")) == 1 and
                len(s.of_type(events, "tcp_syn_ack")) == 1, "split_3seg_2rec: SYN events")

        # out of order: 3, 1, 2, with a repeated SYN (one tcp_syn event)
        f = Flow(c, srv).handshake().syn()
        for i in (2, 0, 1):
            f.client(*segs[i])
        events, _ = s.expect_hello("out_of_order", LINKTYPE_ETHERNET, f.pkts)
        t.check(len(s.of_type(events, "tcp_syn")) == 1, "out_of_order: a retransmitted SYN "
                "made %d tcp_syn events" % len(s.of_type(events, "tcp_syn")))

        # a retransmission overlapping two segments with the same bytes
        f = Flow(c, srv).handshake()
        f.client(*segs[0]).client(*segs[1])
        f.client(100, two_records[100:len(hs) // 3 + 50])
        f.client(*segs[2])
        _, counters = s.expect_hello("retransmit_same", LINKTYPE_ETHERNET, f.pkts)
        t.check(counters.get("reasm_conflicts") == 0, "retransmit_same: conflicts counted")

        # ... and with different bytes: ambiguous, no fingerprint, counted
        other = bytearray(two_records)
        other[120] ^= 0xFF
        f = Flow(c, srv).handshake()
        f.client(*segs[0]).client(100, bytes(other[100:len(hs) // 3 + 50]))
        f.client(*segs[1]).client(*segs[2])
        _, events, counters = s.run("retransmit_conflict", LINKTYPE_ETHERNET, f.pkts)
        t.check(not s.of_type(events, "tls_client_hello"),
                "retransmit_conflict: a hello came out of conflicting bytes")
        t.check(counters.get("reasm_conflicts") == 1, "retransmit_conflict: reasm_conflicts %s"
                % counters.get("reasm_conflicts"))

        # link layers and network layers, each with the hello in 3 segments
        def hello_flow(v6=False, ext=()):
            fl = Flow(("2001:db8::7", 51234), ("2001:db8::1", 443), v6=True) if v6 else \
                Flow(c, srv)
            fl.handshake()
            for off, data in segs:
                fl.client(off, data, ext)
            return fl.pkts

        s.expect_hello("raw_ip", LINKTYPE_RAW, hello_flow())
        s.expect_hello("vlan_qinq", (LINKTYPE_ETHERNET, lambda p: ether(
            p, vlans=[(0x88A8, 100), (0x8100, 200)])), hello_flow(v6=True))
        for name, link in (("sll", LINKTYPE_SLL), ("sll2", LINKTYPE_SLL2),
                           ("null", LINKTYPE_NULL), ("loop", LINKTYPE_LOOP)):
            s.expect_hello(name, link, hello_flow())
            s.expect_hello(name + "_ipv6", link, hello_flow(v6=True))
        ext = [(0, b"\x01\x04\x00\x00\x00\x00"), (60, b"\x01\x02\x00\x00"),
               (43, b"\x00\x00\x00\x00\x00\x00"), (44, b"\x00\x00\x00\x00\x00\x01")]
        s.expect_hello("ipv6_ext_headers", LINKTYPE_SLL2, hello_flow(v6=True, ext=ext))
        s.expect_hello("ipv4_options", LINKTYPE_ETHERNET,
                       [ipv4(c[0], srv[0], p[20:], options=b"\x94\x04\x00\x00") for p in
                        hello_flow()])

        # an IPv6 fragment (not the atomic kind) is counted, not read
        frag = [(44, b"\x00\x01\x00\x00\x00\x02")]  # offset 0, more fragments
        _, events, counters = s.run("ipv6_fragment", LINKTYPE_RAW, hello_flow(v6=True, ext=frag))
        t.check(not s.of_type(events, "tls_client_hello") and counters.get("ip_fragments") == 3,
                "ipv6_fragment: %d hellos, ip_fragments %s" % (
                    len(s.of_type(events, "tls_client_hello")), counters.get("ip_fragments")))

        # eviction: 2 flows fit. A and B start hellos; C's SYN evicts A (the least recently
        # seen), whose half hello is counted; B and C finish theirs; A's rest is then a flow
        # without a SYN whose first payload does not start a hello: never fingerprinted
        a, b, cc = (Flow((c[0], 40000 + i), srv) for i in range(3))
        pk = a.handshake().pkts + b.handshake().pkts
        pk += a.client(*segs[0]).pkts[-1:] + b.client(*segs[0]).pkts[-1:]
        pk += cc.handshake().pkts
        pk += [b.client(*segs[1]).pkts[-1], b.client(*segs[2]).pkts[-1]]
        pk += [cc.client(off, data).pkts[-1] for off, data in segs]
        pk += [a.client(*segs[1]).pkts[-1], a.client(*segs[2]).pkts[-1]]
        _, events, counters = s.run("eviction", LINKTYPE_ETHERNET, pk, {"max_flows": 2})
        hellos = {e["src_port"]: e["tls"]["ja4"] for e in s.of_type(events, "tls_client_hello")}
        t.check(hellos == {40001: s.ja4, 40002: s.ja4},
                "eviction: hellos %s, expected ports 40001 and 40002" % hellos)
        t.check(counters.get("flows_evicted") == 2 and counters.get("hello_truncated") == 1 and
                counters.get("midstream_skipped") == 1,
                "eviction: counters %s" % {k: v for k, v in counters.items() if v})

        # the byte limit: a hello longer than flow_bytes is counted, not fingerprinted
        f = Flow(c, srv).handshake()
        for off, data in segs:
            f.client(off, data)
        _, events, counters = s.run("flow_bytes", LINKTYPE_ETHERNET, f.pkts, {"flow_bytes": 256})
        t.check(not s.of_type(events, "tls_client_hello") and
                counters.get("hello_truncated") == 1,
                "flow_bytes: counters %s" % {k: v for k, v in counters.items() if v})

        # started before the capture: read only from a payload that starts a hello
        f1 = Flow(c, srv)
        for off, data in segs:
            f1.client(off, data)
        s.expect_hello("midstream_start", LINKTYPE_ETHERNET, f1.pkts)
        f2 = Flow(c, srv)
        for off, data in segs[1:]:
            f2.client(off, data)
        f2.client(*segs[0])     # the beginning comes late: before what was taken as offset 0
        _, events, counters = s.run("midstream_late", LINKTYPE_ETHERNET, f2.pkts)
        t.check(not s.of_type(events, "tls_client_hello") and
                counters.get("midstream_skipped") == 1,
                "midstream_late: counters %s" % {k: v for k, v in counters.items() if v})
        _, events, counters = s.run("midstream_off", LINKTYPE_ETHERNET, f1.pkts,
                                    {"midstream": False})
        t.check(not events and counters.get("midstream_skipped") == 1,
                "midstream off: %d events, counters %s" % (len(events), counters))

        # an HTTP request head over 3 segments, out of order (JA4H: a JA4+ fingerprint)
        f = Flow(c, ("192.0.2.1", 80)).handshake()
        parts = cut(s.request, [7, len(s.request) - 9])
        for i in (1, 2, 0):
            f.client(*parts[i])
        _, events, _ = s.run("http_out_of_order", LINKTYPE_ETHERNET, f.pkts)
        got = [e["http"].get("ja4h") for e in s.of_type(events, "http_request")]
        want = s.ja4h if ja4plus_built(sys.argv) else None
        t.check(got == [want], "http_out_of_order: %s, expected [%s]" % (got, want))
        return t.close()


if __name__ == "__main__":
    sys.exit(main())
