#!/usr/bin/env python3
"""The ssl_uprobe hook finder on the system's libssl, checked against binutils' objdump.

usage: test_hooks.py SSLU_HOOKS_DUMP [LIBSSL]
  read/write  the target of the first call in SSL_read and SSL_write (objdump), which
              SSL_read_ex / SSL_write_ex call too, and whose first instruction is a push
  handshake   SSL_do_handshake
  copy        a `call memcpy@plt` inside the function SSL_METHOD.ssl_read_bytes points to
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from tally import Tally  # noqa: E402

DUMP = sys.argv[1]
LIB = sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/x86_64-linux-gnu/libssl.so.3"
CHECKS = Tally()
check = CHECKS.check


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def symbols():
    out = {}
    for line in run("objdump", "-T", LIB).splitlines():
        f = line.split()
        if len(f) >= 7 and "DF" in f and ".text" in f:
            out[f[-1]] = int(f[0], 16)
    return out


def loads():
    """(vaddr, offset, filesz) of each PT_LOAD"""
    segs = []
    for line in run("readelf", "-lW", LIB).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[2], 16), int(f[1], 16), int(f[4], 16)))
    return segs


def to_off(vaddr):
    for v, o, n in loads():
        if v <= vaddr < v + n:
            return vaddr - v + o
    raise ValueError(hex(vaddr))


def disasm(start, length):
    out = run("objdump", "-d", "--no-show-raw-insn", "--start-address=%#x" % start,
              "--stop-address=%#x" % (start + length), LIB)
    return [l for l in out.splitlines() if re.match(r"\s+[0-9a-f]+:\t", l)]


def first_call(vaddr):
    for l in disasm(vaddr, 96):
        m = re.search(r"\tcall\s+([0-9a-f]+)", l)
        if m:
            return int(m.group(1), 16)
    return None


hooks = {}
for line in run(DUMP, LIB).splitlines():
    name, kind, off, emulated = line.split()
    hooks[name] = (int(kind), int(off, 16), emulated == "1")
print(hooks)
sym = symbols()
for name, plain, ex in (("read", "SSL_read", "SSL_read_ex"),
                        ("write", "SSL_write", "SSL_write_ex")):
    target = first_call(sym[plain])
    check(target is not None and target == first_call(sym[ex]),
          "%s and %s do not call one function (objdump)" % (plain, ex))
    if check(name in hooks, "no %s hook" % name):
        check(hooks[name][1] == to_off(target), "%s hook at %#x, objdump: call %#x"
              % (name, hooks[name][1], target))
        check(hooks[name][2], "%s hook on an instruction that is single-stepped" % name)
        check(re.search(r"\tpush", disasm(target, 4)[0]) is not None,
              "%s hook does not start with push: %s" % (name, disasm(target, 4)))
check(hooks.get("handshake", (0, -1))[1] == to_off(sym["SSL_do_handshake"]),
      "handshake hook %s, SSL_do_handshake at %#x" % (hooks.get("handshake"),
                                                    sym["SSL_do_handshake"]))
if "copy" in hooks:
    off = hooks["copy"][1]
    vaddr = [v + off - o for v, o, n in loads() if o <= off < o + n][0]
    insn = disasm(vaddr, 5)
    check(insn and re.search(r"call\s+[0-9a-f]+ <memcpy@plt>", insn[0]),
          "copy hook is not a call of memcpy: %s" % insn)
else:
    print("no copy site recognised in %s: reads use entry/return probes" % LIB)
sys.exit(CHECKS.close("(hooks)"))
