# SPDX-License-Identifier: BSD-3-Clause
"""The reference captures through the real tc_capture BPF programs (BPF_PROG_TEST_RUN, by
tcap_testrun) give the same events as the offline reader on the captures themselves: what the
kernel side copies is all any fingerprint needs, and nothing more is invented.

usage: test_tc_testrun.py JA4PROBE PLUGIN_DIR TCAP_TESTRUN PCAP_DIR
"""
import os
import subprocess
import sys
import tempfile

from tcap_net import Checks, read_pcap


def main():
    exe, plugin_dir, testrun, pcap_dir = sys.argv[1:5]
    c = Checks()
    tmp = tempfile.mkdtemp(prefix=f"tcaprun{os.getpid()}-")
    names = sorted(n for n in os.listdir(pcap_dir) if n.endswith((".pcap", ".pcapng")))
    c.check(len(names) > 0, f"reference captures in {pcap_dir}")
    total = 0
    for name in names:
        src = os.path.join(pcap_dir, name)
        out = os.path.join(tmp, name + ".bpf.pcap")
        r = subprocess.run([testrun, src, out], capture_output=True, text=True)
        if not c.check(r.returncode == 0, f"{name}: tcap_testrun: {r.stderr}"):
            continue
        ref = read_pcap(exe, plugin_dir, src, tmp, name + ".ref")
        got = read_pcap(exe, plugin_dir, out, tmp, name + ".bpf")
        total += len(ref)
        key = lambda e: (e["timestamp"], e["event_type"], str(e))
        c.check(sorted(got, key=key) == sorted(ref, key=key),
                f"{name}: events through BPF == events of the capture\n"
                f"  bpf {sorted(got, key=key)}\n  ref {sorted(ref, key=key)}")
    c.check(total > 0, f"the captures gave events at all ({total})")
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
