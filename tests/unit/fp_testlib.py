"""Shared by the fingerprint test scripts: running fp_tool, counting checks, reading tshark's
JSON, and the fingerprint spec written in Python, independently of the C library (the
decisions where implementations differ are those of README.md, "Fingerprints")."""
import hashlib
import os
import subprocess
import sys


# the check tally the Python tests share (re-exported to the fingerprint tests)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from tally import Tally  # noqa: E402,F401


def fp_tool(tool, mode, data, *extra):
    """Run 'fp_tool MODE - EXTRA...' on bytes or hex; its key=value lines as a dict."""
    hexdata = data.hex() if isinstance(data, (bytes, bytearray)) else data
    out = subprocess.run([tool, mode, "-", *extra], input=hexdata, capture_output=True,
                         text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def fp_lines(tool, mode, data):
    """The same, as a list of (key, value) in order (repeated keys kept)."""
    out = subprocess.run([tool, mode, "-"], input=data.hex(), capture_output=True, text=True,
                         check=True).stdout
    return [tuple(line.split("=", 1)) for line in out.splitlines() if "=" in line]


def prefixes(tool, kind, data):
    out = subprocess.run([tool, "prefixes", kind, "-"], input=data.hex(), capture_output=True,
                         text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def ja4plus(tool):
    return subprocess.run([tool, "features"], capture_output=True, text=True,
                          check=True).stdout.strip() == "ja4plus=1"


# ---- tshark -T json -x --no-duplicate-keys --------------------------------------------------

def find(obj, key):
    """Every value of key at any depth (lists of values are flattened)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                # a raw value is itself a list: [hex, offset, length, bitmask, type]
                flat = isinstance(v, list) and not key.endswith("_raw")
                yield from (v if flat else [v])
            yield from find(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from find(v, key)


def raw_hex(v):
    """tshark -x gives [hex, offset, length, bitmask, type] (or a list of such)."""
    if isinstance(v, list) and v and isinstance(v[0], list):
        v = v[0]
    return v[0]


def first(obj, key, default=None):
    return next(find(obj, key), default)


def tcp_bytes(layers):
    """The TCP data a dissector saw: the reassembled PDU if any, else this segment's."""
    r = first(layers, "tcp.reassembled.data_raw")
    if r is None:
        r = first(layers, "tcp.payload_raw")
    return raw_hex(r) if r is not None else None


# ---- the spec --------------------------------------------------------------------------------

GREASE = [0x0a0a + 0x1010 * i for i in range(16)]


def is_grease(v):
    return v in GREASE


def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"


VERSION_CODES = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                 0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def alpn_chars(v):
    if not v:
        return "00"
    ok = lambda c: (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5a) or (0x61 <= c <= 0x7a)
    if ok(v[0]) and ok(v[-1]):
        return chr(v[0]) + chr(v[-1])
    return v.hex()[0] + v.hex()[-1]


def expect_ja4(ciphers, ext_types, sigs, versions, legacy, alpn, transport="t"):
    c = [x for x in ciphers if not is_grease(x)]
    e = [x for x in ext_types if not is_grease(x)]
    s = [x for x in sigs if not is_grease(x)]
    vs = [x for x in versions if not is_grease(x)]
    ver = VERSION_CODES.get(max(vs) if vs else legacy, "00")
    a = (f"{transport}{ver}{'d' if 0 in e else 'i'}{min(len(c), 99):02d}{min(len(e), 99):02d}"
         f"{alpn_chars(alpn[0]) if alpn else '00'}")
    hexl = lambda xs: ",".join(f"{x:04x}" for x in xs)
    sig_part = ("_" + hexl(s)) if s else ""
    sorted_e = sorted(x for x in e if x not in (0, 16))
    r = f"{a}_{hexl(sorted(c))}_{hexl(sorted_e)}{sig_part}"
    ro = f"{a}_{hexl(c)}_{hexl(e)}{sig_part}"
    ext_hash = sha12(hexl(sorted_e) + sig_part) if sorted_e else "000000000000"
    ja4 = f"{a}_{sha12(hexl(sorted(c)))}_{ext_hash}"
    ja4_o = f"{a}_{sha12(hexl(c))}_{sha12(hexl(e) + sig_part) if e else '000000000000'}"
    return {"ja4": ja4, "ja4_r": r, "ja4_o": ja4_o, "ja4_ro": ro}


def expect_ja3(legacy, ciphers, ext_types, groups, ecpf):
    d = lambda xs: "-".join(str(x) for x in xs if not is_grease(x))
    full = f"{legacy},{d(ciphers)},{d(ext_types)},{d(groups)},{'-'.join(map(str, ecpf))}"
    return {"ja3": hashlib.md5(full.encode()).hexdigest(), "ja3_full": full}


def expect_ja4t(window, kinds, mss, wscale):
    """As FoxIO's Wireshark plugin prints: "00" for no options, %02d MSS and zero scale."""
    opts = "-".join(map(str, kinds)) if kinds else "00"
    return f"{window}_{opts}_{mss or 0:02d}_{wscale if wscale else '00'}"


def expect_ja4h(method, version, headers):
    """headers: [(name, value)] as sent. Decisions as in README 'Fingerprints'."""
    names = [n for n, _ in headers if n.lower() not in ("cookie", "referer")
             and not n.startswith(":")]
    cookies = []
    for n, v in headers:
        if n.lower() == "cookie":
            cookies += [c.strip() for c in v.split(";") if c.strip()]
    has_cookie = any(n.lower() == "cookie" for n, _ in headers)
    has_ref = any(n.lower() == "referer" for n, _ in headers)
    lang = next((v for n, v in headers if n.lower() == "accept-language"), "")
    lang = lang.replace("-", "").replace(" ", "").replace(";", ",").lower().split(",")[0]
    lang = (lang[:4] + "0000")[:4]
    ver = version.split("/", 1)[1].replace(".", "")
    ver = (ver + "0")[:2] if len(ver) < 2 else ver[:2]
    a = (f"{(method.lower() + '00')[:2]}{ver}{'c' if has_cookie else 'n'}"
         f"{'r' if has_ref else 'n'}{min(len(names), 99):02d}{lang}")
    cname = lambda c: c.split("=", 1)[0]
    srt = sorted(cookies, key=lambda c: (cname(c), c))
    ja4h = (f"{a}_{sha12(','.join(names))}_{sha12(','.join(map(cname, srt)))}_"
            f"{sha12(','.join(srt))}")
    r = f"{a}_{','.join(names)}_{','.join(map(cname, srt))}_{','.join(srt)}"
    ro = f"{a}_{','.join(names)}_{','.join(map(cname, cookies))}_{','.join(cookies)}"
    return {"ja4h": ja4h, "ja4h_r": r, "ja4h_ro": ro}
