# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the decode tests and the read-pcap benchmark: pcap writing, packet builders,
running `ja4probe --read-pcap`, and the reference expectations of the FoxIO captures."""
import glob
import json
import os
import struct
import subprocess
import tempfile
import sys

# the check tally the Python tests share (re-exported to the decode tests)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from tally import Tally  # noqa: E402,F401

# ---- pcap files --------------------------------------------------------------------------

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_LOOP, LINKTYPE_SLL, LINKTYPE_SLL2 = 108, 113, 276


def write_pcap(path, linktype, packets, snaplen=262144):
    """packets: iterable of (timestamp seconds as float, bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for ts, data in packets:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def read_pcap_records(path):
    """Classic pcap only: (header bytes, [(record header, data)]) for rewriting captures."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack("<I", raw[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, recs = 24, []
    while off + 16 <= len(raw):
        incl = struct.unpack(endian + "I", raw[off + 8:off + 12])[0]
        recs.append((raw[off:off + 16], raw[off + 16:off + 16 + incl]))
        off += 16 + incl
    return raw[:24], endian, recs


# ---- packet builders (checksums are left zero: the decoder does not verify them) --------

def ip4(addr):
    return bytes(int(x) for x in addr.split("."))


def ip6(addr):
    import ipaddress
    return ipaddress.IPv6Address(addr).packed


def tcp(sport, dport, seq, ack, flags, payload=b"", options=b"", window=65535):
    """flags: a string of S A P F R."""
    bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    options += b"\x00" * (-len(options) % 4)
    doff = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       doff << 4, bits, window, 0, 0) + options + payload


def ipv4(src, dst, payload, proto=6, ttl=64, options=b"", ident=1, frag=0x4000):
    options += b"\x00" * (-len(options) % 4)
    ihl = (20 + len(options)) // 4
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), ident,
                       frag, ttl, proto, 0, ip4(src), ip4(dst)) + options + payload


def ipv6(src, dst, payload, next_header=6, hop_limit=64, ext=()):
    """ext: [(header type, body bytes)] chained before the payload; bodies are padded."""
    chain = b""
    types = [t for t, _ in ext] + [next_header]
    for i, (t, body) in enumerate(ext):
        if t == 44:  # fragment header: fixed 8 bytes
            chain += struct.pack("!BB", types[i + 1], 0) + body[:6].ljust(6, b"\x00")
            continue
        body += b"\x00" * (-(len(body) + 2) % 8)
        chain += struct.pack("!BB", types[i + 1], (len(body) + 2) // 8 - 1) + body
    first = types[0]
    return struct.pack("!IHBB16s16s", 0x60000000, len(chain) + len(payload), first, hop_limit,
                       ip6(src), ip6(dst)) + chain + payload


def ether(l3, vlans=(), ethertype=None):
    """vlans: [(tpid, vid)] outermost first."""
    if ethertype is None:
        ethertype = 0x86DD if l3[0] >> 4 == 6 else 0x0800
    out = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    for tpid, vid in vlans:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype) + l3


def sll(l3):
    proto = 0x86DD if l3[0] >> 4 == 6 else 0x0800
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\x00\x00\x00\x00\x01\x00\x00", proto) + l3


def sll2(l3):
    proto = 0x86DD if l3[0] >> 4 == 6 else 0x0800
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, b"\x02\x00\x00\x00\x00\x01\x00\x00") \
        + l3


def null(l3, big_endian=False):
    af = 30 if l3[0] >> 4 == 6 else 2  # macOS AF_INET6, to check the family table
    return struct.pack(">I" if big_endian else "<I", af) + l3


# ---- TLS record surgery ------------------------------------------------------------------

def tls_records(handshake, sizes, version=b"\x03\x01"):
    """Split one handshake message (type byte on) over TLS records of the given sizes."""
    out, off = b"", 0
    for i, n in enumerate(sizes):
        chunk = handshake[off:] if i == len(sizes) - 1 else handshake[off:off + n]
        off += len(chunk)
        out += b"\x16" + version + struct.pack("!H", len(chunk)) + chunk
    return out


def handshake_of(records):
    """The handshake bytes carried by a run of TLS handshake records."""
    out, off = b"", 0
    while off + 5 <= len(records) and records[off] == 0x16:
        n = struct.unpack("!H", records[off + 3:off + 5])[0]
        out += records[off + 5:off + 5 + n]
        off += 5 + n
    return out


def alpn_chars(client_hello_records):
    """JA4's two ALPN characters by the spec text (hex rule for non-alphanumeric ends),
    computed from the ClientHello bytes: an independent check of the library."""
    hs = handshake_of(client_hello_records)
    p = 4 + 2 + 32
    p += 1 + hs[p]
    p += 2 + struct.unpack("!H", hs[p:p + 2])[0]
    p += 1 + hs[p]
    end = p + 2 + struct.unpack("!H", hs[p:p + 2])[0]
    p += 2
    while p + 4 <= end:
        etype, elen = struct.unpack("!HH", hs[p:p + 4])
        body = hs[p + 4:p + 4 + elen]
        if etype == 16 and len(body) >= 3 and body[2]:
            first = body[3:3 + body[2]]
            ok = lambda b: chr(b).isascii() and chr(b).isalnum()
            if ok(first[0]) and ok(first[-1]):
                return chr(first[0]) + chr(first[-1])
            h = first.hex()
            return h[0] + h[-1]
        p += 4 + elen
    return "00"


# ---- running ja4probe ----------------------------------------------------------------------

def run_read_pcap(exe, pcap, read_pcap_keys=None, timeout=120):
    """Run `ja4probe --read-pcap PCAP -c CONFIG`; returns (rc, events, counters, stderr)."""
    keys = {"http_raw": True}
    keys.update(read_pcap_keys or {})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as cf:
        cf.write("log_level: error\nstats_interval: 60\noutputs:\n  - type: json\n"
                 "    path: \"-\"\nread_pcap:\n")
        for k, v in keys.items():
            cf.write("  %s: %s\n" % (k, json.dumps(v)))
    try:
        p = subprocess.run([exe, "--read-pcap", pcap, "-c", cf.name], capture_output=True,
                           timeout=timeout)
    finally:
        os.unlink(cf.name)
    events, counters = [], {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        ev = json.loads(line)
        if ev.get("event_type") == "stats":
            for name, c in ev.get("stats", {}).get("plugins", {}).items():
                if isinstance(c, dict) and "packets" in c:
                    counters = c
        else:
            events.append(ev)
    return p.returncode, events, counters, p.stderr.decode("utf-8", "replace")


# The fingerprint fields of each event type, and which end of the flow sends that event.
EVENT_FIELDS = {
    "tcp_syn": ("tcp", ["ja4t"], "client"),
    "tcp_syn_ack": ("tcp", ["ja4ts"], "server"),
    "tls_client_hello": ("tls", ["ja4", "ja4_r", "ja4_o", "ja4_ro", "ja3", "ja3_full"], "client"),
    "tls_server_hello": ("tls", ["ja4s", "ja4s_r", "ja3s"], "server"),
    "http_request": ("http", ["ja4h", "ja4h_r", "ja4h_ro"], "client"),
}
# FoxIO License 1.1 fingerprints: absent from every event when built with -Dja4plus=disabled
JA4PLUS_FIELDS = {"ja4t", "ja4ts", "ja4s", "ja4s_r", "ja4h", "ja4h_r", "ja4h_ro"}
PRIMARY = {"tcp_syn": "ja4t", "tcp_syn_ack": "ja4ts", "tls_client_hello": "ja4",
           "tls_server_hello": "ja4s", "http_request": "ja4h"}
FIELD_ROLE = {f: role for _, (_, fields, role) in EVENT_FIELDS.items() for f in fields}


def endpoint(ip, port):
    import ipaddress
    return (str(ipaddress.ip_address(ip)), int(port))


def event_fingerprints(ev):
    """(sender, receiver, {field: value}) of one event."""
    obj, fields, _ = EVENT_FIELDS[ev["event_type"]]
    sub = ev.get(obj, {})
    return (endpoint(ev["src_ip"], ev["src_port"]), endpoint(ev["dest_ip"], ev["dest_port"]),
            {f: sub[f] for f in fields if f in sub})


# ---- tshark: flows, roles, JA3 -------------------------------------------------------------

def tshark_fields(pcap, fields, display_filter=None, extra=()):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"] + list(extra)
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout.decode("utf-8", "replace")
    return [dict(zip(fields, line.split("\t"))) for line in out.splitlines()]


def tshark_frames(pcap, extra=()):
    """Per TCP or UDP frame: number, sender, receiver, stream, flags, hello types, JA3/JA3S,
    TCP payload."""
    rows = tshark_fields(pcap, ["frame.number", "tcp.stream", "udp.stream", "ip.src", "ipv6.src",
                                "tcp.srcport", "udp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
                                "udp.dstport", "tcp.flags.syn", "tcp.flags.ack", "http.request",
                                "tls.handshake.type", "tls.handshake.ja3", "tls.handshake.ja3s",
                                "tcp.payload"], "tcp or udp", extra)
    frames = {}
    for r in rows:
        frames[int(r["frame.number"])] = {
            "stream": ("tcp", int(r["tcp.stream"])) if r["tcp.stream"] else
                      ("udp", int(r["udp.stream"] or 0)),
            "src": endpoint(r["ip.src"] or r["ipv6.src"], r["tcp.srcport"] or r["udp.srcport"]),
            "dst": endpoint(r["ip.dst"] or r["ipv6.dst"], r["tcp.dstport"] or r["udp.dstport"]),
            "syn": r["tcp.flags.syn"] in ("1", "True"),
            "ack": r["tcp.flags.ack"] in ("1", "True"),
            "http_request": bool(r["http.request"]),
            "hs_types": [t for t in r["tls.handshake.type"].split(",") if t],
            "ja3": r["tls.handshake.ja3"],
            "ja3s": r["tls.handshake.ja3s"],
            "payload": bytes.fromhex(r["tcp.payload"].replace(":", "")),
        }
    return frames


def flow_roles(frames):
    """{frozenset(endpoints): (client, server)} from SYNs, else from who sends hellos/requests."""
    roles = {}
    for fr in sorted(frames.values(), key=lambda f: (not f["syn"], f["stream"])):
        key = frozenset((fr["src"], fr["dst"]))
        if key in roles:
            continue
        if fr["syn"]:
            roles[key] = (fr["src"], fr["dst"]) if not fr["ack"] else (fr["dst"], fr["src"])
        elif fr["http_request"] or "1" in fr["hs_types"]:
            roles[key] = (fr["src"], fr["dst"])
        elif "2" in fr["hs_types"]:
            roles[key] = (fr["dst"], fr["src"])
    return roles


# ---- the FoxIO reference expectations -------------------------------------------------------

class Expectations:
    """For one capture: {(frozenset(endpoints), field): {source: value}}, plus the roles."""

    def __init__(self, testdata, pcap_name):
        import yaml
        self.name = pcap_name
        self.pcap = os.path.join(testdata, "pcap", pcap_name)
        self.frames = tshark_frames(self.pcap)
        self.roles = flow_roles(self.frames)
        self.values = {}
        exp = os.path.join(testdata, "expected")

        snap = os.path.join(exp, "rust-snapshots", "ja4__insta@%s.snap" % pcap_name)
        if os.path.exists(snap):
            with open(snap) as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
            for ent in docs[-1] or []:
                key = frozenset((endpoint(ent["src"], ent["src_port"]),
                                 endpoint(ent["dst"], ent["dst_port"])))
                for field in ("ja4t", "ja4", "ja4s"):
                    if field in ent:
                        self._add(key, field, "rust", ent[field])
                for h in ent.get("http", []) or []:
                    self._add(key, "ja4h", "rust", h["ja4h"])

        py = os.path.join(exp, "python", pcap_name + ".json")
        if os.path.exists(py):
            with open(py) as f:
                for ent in json.load(f):
                    key = frozenset((endpoint(ent["src"], ent["srcport"]),
                                     endpoint(ent["dst"], ent["dstport"])))
                    for k, v in ent.items():
                        field = {"JA4": "ja4", "JA4_r": "ja4_r", "JA4_o": "ja4_o",
                                 "JA4_ro": "ja4_ro", "JA4S": "ja4s", "JA4S_r": "ja4s_r",
                                 "JA4H": "ja4h", "JA4H_r": "ja4h_r",
                                 "JA4H_ro": "ja4h_ro"}.get(k.split(".")[0])
                        if field:
                            self._add(key, field, "python", v)

        ws = os.path.join(exp, "wireshark-plugin", pcap_name + ".json")
        if os.path.exists(ws):
            with open(ws) as f:
                for ent in json.load(f):
                    layers = ent["_source"]["layers"]
                    fr = self.frames[int(layers["frame.number"][0])]
                    key = frozenset((fr["src"], fr["dst"]))
                    for k, v in layers.items():
                        field = k[len("ja4."):] if k.startswith("ja4.") else None
                        if field in FIELD_ROLE:
                            self._add(key, field, "wireshark", v[0])

        for fr in self.frames.values():
            key = frozenset((fr["src"], fr["dst"]))
            if fr["ja3"]:
                self._add(key, "ja3", "tshark", fr["ja3"])
            if fr["ja3s"]:
                self._add(key, "ja3s", "tshark", fr["ja3s"])
        self._alpn_rule()

    def _add(self, key, field, source, value):
        self.values.setdefault((key, field), {})[source] = value

    def _alpn_rule(self):
        """EXPECTED.txt: the ALPN characters follow the spec's hex rule. The reference tools'
        characters are replaced by the ones computed from the hello bytes themselves."""
        for fr in self.frames.values():
            if "1" not in fr["hs_types"] or not fr["payload"].startswith(b"\x16"):
                continue
            chars = alpn_chars(fr["payload"])
            key = frozenset((fr["src"], fr["dst"]))
            for field in ("ja4", "ja4_r", "ja4_o", "ja4_ro"):
                for src, v in self.values.get((key, field), {}).items():
                    self.values[(key, field)][src] = v[:8] + chars + v[10:]

    def expected(self):
        """{(flow, field): (value or None when the sources disagree, {source: value})}.
        Disagreements the decisions settle: JA4T/JA4TS follow the Wireshark plugin."""
        out = {}
        for (key, field), by_src in self.values.items():
            vals = set(by_src.values())
            if len(vals) == 1:
                out[(key, field)] = (vals.pop(), by_src)
            elif field in ("ja4t", "ja4ts") and "wireshark" in by_src:
                out[(key, field)] = (by_src["wireshark"], by_src)
            else:
                out[(key, field)] = (None, by_src)
        return out


def reference_pcaps(testdata):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(testdata, "pcap", "*")))


def ja4plus_built(argv):
    """The tests' third argument: "ja4plus" when the JA4+ builders are built, else "no-ja4plus"."""
    return len(argv) < 4 or argv[3] == "ja4plus"


def require(testdata):
    """Exit with meson's skip status when the FoxIO captures or tshark are not there."""
    import shutil
    import sys
    if not os.path.isdir(os.path.join(testdata, "pcap")) or not shutil.which("tshark"):
        print("skipped: needs %s/pcap and tshark" % testdata)
        sys.exit(77)
