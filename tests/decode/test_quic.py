#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""QUIC: the reference capture's client Initial is opened here (RFC 9001, with python3-
cryptography: an implementation independent of the decoder's), its ClientHello re-sent in
two new Initial packets with the CRYPTO frames cut, shuffled and spread over both packets,
among PING and PADDING frames, and a server Initial carrying the ServerHello of
tls-non-ascii-alpn.pcapng sealed with the server's keys. ja4probe must give the reference JA4
(Rust snapshot), that capture's JA4S with 'q' for 't', and the JA3 and JA3S tshark computes on
the new file; with the second client packet damaged, no fingerprint and the loss counted.

usage: test_quic.py JA4PROBE TESTDATA_DIR [ja4plus|no-ja4plus]"""
import os
import random
import struct
import sys
import tempfile

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jp_decode import (LINKTYPE_ETHERNET, ether, Expectations, handshake_of, ipv4, ja4plus_built,
                       require, run_read_pcap, Tally, tshark_fields, write_pcap)

SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def hmac256(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return hmac256(secret, info + b"\x01")[:length]


def initial_keys(dcid, side=b"client in"):
    secret = expand_label(hmac256(SALT_V1, dcid), side, 32)
    return (expand_label(secret, b"quic key", 16), expand_label(secret, b"quic iv", 12),
            expand_label(secret, b"quic hp", 16))


def hp_mask(hp, sample):
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    return enc.update(sample) + enc.finalize()


def varint(v):
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack("!H", 0x4000 | v)
    return struct.pack("!I", 0x80000000 | v)


def read_varint(b, p):
    n = 1 << (b[p] >> 6)
    v = b[p] & 0x3F
    for i in range(1, n):
        v = v << 8 | b[p + i]
    return v, p + n


def open_initial(d):
    """(dcid, crypto stream bytes) of a client Initial."""
    dl = d[5]
    dcid = d[6:6 + dl]
    p = 6 + dl
    p += 1 + d[p]
    tok, p = read_varint(d, p)
    p += tok
    plen, p = read_varint(d, p)
    key, iv, hp = initial_keys(dcid)
    mask = hp_mask(hp, d[p + 4:p + 20])
    first = d[0] ^ (mask[0] & 0x0F)
    pnl = (first & 3) + 1
    pn_bytes = bytes(d[p + i] ^ mask[1 + i] for i in range(pnl))
    header = bytes([first]) + d[1:p] + pn_bytes
    nonce = bytes(a ^ b for a, b in zip(iv, int.from_bytes(pn_bytes, "big").to_bytes(12, "big")))
    plain = AESGCM(key).decrypt(nonce, d[p + pnl:p + plen], header)
    crypto, q = {}, 0
    while q < len(plain):
        t, q = read_varint(plain, q)
        if t in (0, 1):
            continue
        assert t == 6, "frame %d" % t
        off, q = read_varint(plain, q)
        n, q = read_varint(plain, q)
        crypto[off] = plain[q:q + n]
        q += n
    stream = b""
    for off in sorted(crypto):
        assert off == len(stream)
        stream += crypto[off]
    return dcid, stream


def seal_initial(odcid, pn, frames, dcid=None, scid=b"", side=b"client in"):
    """An Initial carrying frames, padded to 1200 bytes, protected with the keys of side from
    the client's original DCID; the header names dcid (default: odcid) and scid."""
    key, iv, hp = initial_keys(odcid, side)
    dcid = odcid if dcid is None else dcid
    payload = frames + b"\x00" * max(0, 1162 - len(frames))
    plen = 2 + len(payload) + 16        # 2-byte packet number
    header = bytes([0xC1]) + struct.pack("!I", 1) + bytes([len(dcid)]) + dcid + \
        bytes([len(scid)]) + scid + b"\x00" + struct.pack("!H", 0x4000 | plen) + \
        struct.pack("!H", pn)
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    pn_off = len(header) - 2
    mask = hp_mask(hp, sealed[2:18])
    out = bytearray(header + sealed)
    out[0] ^= mask[0] & 0x0F
    out[pn_off] ^= mask[1]
    out[pn_off + 1] ^= mask[2]
    return bytes(out)


def crypto_frame(off, data):
    return b"\x06" + varint(off) + varint(len(data)) + data


def udp_frame(payload, to_server=True):
    ends = [("198.51.100.7", 51000), ("198.51.100.1", 443)]
    (src, sport), (dst, dport) = ends if to_server else ends[::-1]
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ether(ipv4(src, dst, udp, proto=17))


def main():
    exe, testdata = sys.argv[1], sys.argv[2]
    require(testdata)
    t = Tally()
    ref = os.path.join(testdata, "pcap", "quic-tls-handshake.pcapng")
    exp = Expectations(testdata, "quic-tls-handshake.pcapng")
    ja4 = [v for (_, f), (v, _) in exp.expected().items() if f == "ja4"]
    dgram = bytes.fromhex(tshark_fields(ref, ["udp.payload"])[0]["udp.payload"].replace(":", ""))
    _, hello = open_initial(dgram)

    rng = random.Random(7)
    dcid = bytes(rng.randrange(256) for _ in range(8))
    cuts = sorted(rng.sample(range(1, len(hello)), 5))
    pieces = [(a, hello[a:b]) for a, b in zip([0] + cuts, cuts + [len(hello)])]
    rng.shuffle(pieces)
    first = b"\x01" + b"".join(crypto_frame(o, d) for o, d in pieces[:3]) + b"\x01"
    second = b"\x00" * 7 + b"".join(crypto_frame(o, d) for o, d in pieces[3:])
    packets = [seal_initial(dcid, 0, first), seal_initial(dcid, 1, second)]

    tcp_ref = Expectations(testdata, "tls-non-ascii-alpn.pcapng")
    sh = next(f for f in tcp_ref.frames.values() if "2" in f["hs_types"])
    ja4s = "q" + [v for (_, f), (v, _) in tcp_ref.expected().items() if f == "ja4s"][0][1:]
    server_hello = handshake_of(sh["payload"])
    server = seal_initial(dcid, 0, crypto_frame(0, server_hello[:40]) +
                          crypto_frame(40, server_hello[40:]), dcid=b"", scid=b"\x5e" * 8,
                          side=b"server in")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "quic.pcap")
        write_pcap(path, LINKTYPE_ETHERNET, [(1700000000 + i * 0.01, udp_frame(p))
                                             for i, p in enumerate(packets)] +
                   [(1700000001, udp_frame(server, to_server=False))])
        rc, events, counters, err = run_read_pcap(exe, path)
        t.check(rc == 0, "exit status %d: %s" % (rc, err))
        hellos = [e["tls"] for e in events if e["event_type"] == "tls_client_hello"]
        theirs = [r["tls.handshake.ja3"] for r in tshark_fields(
            path, ["tls.handshake.ja3"], "tls.handshake.type == 1")]
        if t.check(len(hellos) == 1, "%d ClientHello events, counters %s" % (len(hellos),
                                                                          counters)):
            t.check(hellos[0]["ja4"] == ja4[0], "ja4 %s, expected %s" % (hellos[0]["ja4"], ja4))
            t.check([hellos[0]["ja3"]] == theirs, "ja3 %s, tshark %s" % (hellos[0]["ja3"],
                                                                         theirs))
        shs = [e for e in events if e["event_type"] == "tls_server_hello"]
        theirs = [r["tls.handshake.ja3s"] for r in tshark_fields(
            path, ["tls.handshake.ja3s"], "tls.handshake.type == 2")]
        if t.check(len(shs) == 1, "%d ServerHello events" % len(shs)):
            t.check(shs[0]["src_port"] == 443, "ServerHello sent by %s" % shs[0]["src_port"])
            want = ja4s if ja4plus_built(sys.argv) else None
            t.check(shs[0]["tls"].get("ja4s") == want, "ja4s %s, expected %s" %
                    (shs[0]["tls"].get("ja4s"), want))
            t.check([shs[0]["tls"]["ja3s"]] == theirs, "ja3s %s, tshark %s" %
                    (shs[0]["tls"]["ja3s"], theirs))

        damaged = bytearray(packets[1])
        damaged[100] ^= 1
        write_pcap(path, LINKTYPE_ETHERNET, [(1700000000, udp_frame(packets[0])),
                                             (1700000001, udp_frame(bytes(damaged)))])
        rc, events, counters, err = run_read_pcap(exe, path)
        t.check(rc == 0 and not events, "damaged: exit %d, %d events" % (rc, len(events)))
        t.check(counters.get("quic_skipped") == 1 and counters.get("hello_truncated") == 1,
                "damaged: counters %s" % {k: v for k, v in counters.items() if v})
    return t.close()


if __name__ == "__main__":
    sys.exit(main())
