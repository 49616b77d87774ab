#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The kernel's run-time statistics of the BPF programs a process holds (the benches' shared
reader; kernel.bpf_stats_enabled must be 1 for them to count).

usage: bpf_prog_stats.py PID     prints "name run_time_ns run_cnt" per program"""
import json
import os
import subprocess
import sys


def bpf_prog_stats(pid):
    """name -> (run_time_ns, run_cnt) of the BPF programs whose fds the process pid holds."""
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                ids |= {int(line.split()[1]) for line in f if line.startswith("prog_id:")}
        except OSError:
            pass
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    return {p.get("name", "?"): (p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in json.loads(out) if p.get("id") in ids}


if __name__ == "__main__":
    for name, (ns, cnt) in sorted(bpf_prog_stats(int(sys.argv[1])).items()):
        print(name, ns, cnt)
