#!/usr/bin/env python3
"""Known answers from the FoxIO reference captures, checked on the library directly.

For every capture in ../shared/ja4-testdata/pcap, tshark (Debian's, no FoxIO plugin) gives
the bytes: TCP headers of SYN/SYN-ACKs, TLS hellos (TCP payload or reassembled PDU, QUIC
CRYPTO frames put back in order) and HTTP request heads. fp_tool runs the library on them.
Expectations come from elsewhere:
  JA3/JA3S           tshark's own tls.handshake.ja3(_full) / ja3s(_full), per frame
  JA4 (+_r _o _ro)   FoxIO Python and Rust expected files, per capture; the ALPN characters
                     re-derived from the ALPN bytes tshark shows with the spec's hex rule
                     (the files still use the old '99' substitution, FoxIO-LLC/ja4#178)
  JA4S, JA4T, JA4TS,
  JA4H (+_r _ro)     FoxIO Wireshark-plugin expected files, per frame
Every expected fingerprint must come out on its frame, and nothing extra.
With ja4plus disabled, no JA4+ value may come out at all.

usage: test_fp_captures.py FP_TOOL TESTDATA_DIR
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

from fp_testlib import Tally, alpn_chars, find, first, fp_tool, ja4plus, raw_hex, tcp_bytes

TOOL, DATA = sys.argv[1], sys.argv[2]
check = Tally()
JA4PLUS = ja4plus(TOOL)


def tshark_packets(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-T", "json", "-x", "--no-duplicate-keys"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def expected_ja4(name, alpn_first):
    """JA4 strings of the FoxIO Python and Rust files, with the spec's ALPN characters."""
    exp = set()
    py = os.path.join(DATA, "expected", "python", name + ".json")
    for entry in json.load(open(py)):
        for k, v in entry.items():
            if re.fullmatch(r"JA4(_r|_o|_ro)?\.\d+", k):
                exp.add((k.split(".")[0].lower(), v))
    snap = os.path.join(DATA, "expected", "rust-snapshots", "ja4__insta@" + name + ".snap")
    for m in re.finditer(r"^\s+ja4: (\S+)$", open(snap).read(), re.M):
        exp.add(("ja4", m.group(1)))
    if alpn_first is not None:
        exp = {(k, v[:8] + alpn_chars(alpn_first) + v[10:]) for k, v in exp}
    return exp


def expected_plugin(name):
    """{frame: {field: value}} from the FoxIO Wireshark plugin's expected output."""
    path = os.path.join(DATA, "expected", "wireshark-plugin", name + ".json")
    out = {}
    for p in json.load(open(path)):
        lay = p["_source"]["layers"]
        frame = int(lay["frame.number"][0])
        out[frame] = {k[len("ja4."):]: v[0] for k, v in lay.items() if k.startswith("ja4.")}
    return out


PLUS = ("ja4s", "ja4s_r", "ja4t", "ja4ts", "ja4h", "ja4h_r", "ja4h_ro")


def quic_crypto(layers):
    """CRYPTO frames of a QUIC Initial, put back in offset order."""
    buf = {}
    for q in find(layers, "quic"):
        for fr in find(q, "quic.frame"):
            off, data = first(fr, "quic.crypto.offset"), first(fr, "quic.crypto.crypto_data_raw")
            if off is not None and data is not None:
                buf[int(off)] = bytes.fromhex(raw_hex(data))
    out, pos = b"", 0
    for off in sorted(buf):
        if off > pos:
            return None
        out += buf[off][pos - off:]
        pos = len(out)
    return out.hex()


def run_capture(pcap):
    name = os.path.basename(pcap)
    plugin = expected_plugin(name)
    got_ja4, got_plugin, alpn_first = set(), {}, None
    for pkt in tshark_packets(pcap):
        lay = pkt["_source"]["layers"]
        frame = int(first(lay, "frame.number"))
        mine = {}
        types = [str(t) for t in find(lay, "tls.handshake.type")]
        if "quic" in lay and "1" in types:
            data = quic_crypto(lay)
            check(data is not None, f"{name} frame {frame}: QUIC CRYPTO data has a gap")
            if data:
                res = fp_tool(TOOL, "handshake", data, "q")
                got_ja4 |= {(k, res[k]) for k in ("ja4", "ja4_r", "ja4_o", "ja4_ro")}
        elif "tcp" in lay and ("1" in types or "2" in types):
            res = fp_tool(TOOL, "tls", tcp_bytes(lay))
            check(res["rc"] == "0", f"{name} frame {frame}: TLS hello rc={res['rc']}")
            if res.get("client") == "1":
                a = first(lay, "tls.handshake.extensions_alpn_str_raw")
                if a is not None and alpn_first is None:
                    alpn_first = bytes.fromhex(raw_hex(a))
                got_ja4 |= {(k, res[k]) for k in ("ja4", "ja4_r", "ja4_o", "ja4_ro")}
                for k in ("ja3", "ja3_full"):
                    check(res[k] == first(lay, "tls.handshake." + k),
                          f"{name} frame {frame}: {k} {res[k]} != tshark's")
            elif res.get("client") == "0":
                for k in ("ja3s", "ja3s_full"):
                    check(res[k] == first(lay, "tls.handshake." + k),
                          f"{name} frame {frame}: {k} {res[k]} != tshark's")
                mine.update({k: res[k] for k in ("ja4s", "ja4s_r") if k in res})
        if "tcp" in lay and first(lay, "tcp.flags.syn") == "1":
            res = fp_tool(TOOL, "tcp", raw_hex(first(lay, "tcp_raw")))
            check(res["rc"] == "0", f"{name} frame {frame}: TCP rc={res['rc']}")
            if "ja4t" in res:
                mine["ja4ts" if res["ack"] == "1" else "ja4t"] = res["ja4t"]
        if "http" in lay and first(lay, "http.request") is not None:
            res = fp_tool(TOOL, "http", tcp_bytes(lay))
            if res["rc"] == "0":
                mine.update({k: res[k] for k in ("ja4h", "ja4h_r", "ja4h_ro") if k in res})
        if mine:
            got_plugin[frame] = mine

    if not JA4PLUS:
        leaked = {f: v for f, v in got_plugin.items() if set(v) & set(PLUS)}
        check(not leaked, f"{name}: JA4+ values with ja4plus disabled: {leaked}")
    else:
        for frame in sorted(set(plugin) | set(got_plugin)):
            exp = {k: v for k, v in plugin.get(frame, {}).items() if k in PLUS}
            # the plugin leaves a trailing comma after the wire-order cookie pairs; the
            # Python and Rust implementations do not, nor do we (README "Fingerprints")
            if "ja4h_ro" in exp:
                exp["ja4h_ro"] = exp["ja4h_ro"].rstrip(",")
            got = got_plugin.get(frame, {})
            check(exp == got, f"{name} frame {frame}: JA4+ expected {exp} got {got}")
    exp = expected_ja4(name, alpn_first)
    kinds = {k for k, _ in exp}  # some files give only ja4, not the raw or _o forms
    got_ja4 = {(k, v) for k, v in got_ja4 if k in kinds}
    check(exp == got_ja4, f"{name}: JA4 expected {sorted(exp - got_ja4)} "
                          f"missing, {sorted(got_ja4 - exp)} extra")


def main():
    if shutil.which("tshark") is None:
        print("tshark not installed (scripts/install-deps.sh --test): skipped")
        return 77
    pcaps = sorted(glob.glob(os.path.join(DATA, "pcap", "*")))
    if not pcaps:
        print(f"no captures under {DATA}/pcap", file=sys.stderr)
        return 1
    for pcap in pcaps:
        run_capture(pcap)
    return check.close(f"(ja4plus={int(JA4PLUS)})")


sys.exit(main())
