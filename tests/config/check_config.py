#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The config cases through the daemon: `ja4probe --check-config -c FILE` must exit 2 and print
exactly the "# expect:" lines of every bad/*.yaml (prefixed with the file name), and exit 0 on
every good/*.yaml. Cases marked "# only: unit" need a schema only the unit test has.

usage: check_config.py JA4PROBE CASES_DIR TEST_PLUGIN_DIR
"""
import errno
import os
import shutil
import subprocess
import sys
import tempfile

EXIT_CONFIG = 2


def expectations(path):
    want, unit_only = [], False
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace")
            unit_only |= line.startswith("# only: unit")
            if line.startswith("# expect: "):
                want.append(path + ":" + line[len("# expect: "):].rstrip("\n"))
    return want, unit_only


def plugin_dir(tmp, test_plugins):
    # the daemon refuses plugins writable by group or others: a private copy with safe modes
    d = os.path.join(tmp, "plugins")
    os.mkdir(d)
    os.chmod(d, 0o755)
    for name in ("tp_good", "tp_second"):
        shutil.copy(os.path.join(test_plugins, name + ".so"), d)
        os.chmod(os.path.join(d, name + ".so"), 0o644)
    return d


def check(exe, plugins, path, want_rc, want_err):
    r = subprocess.run([exe, "--check-config", "-c", path, "--plugin-dir", plugins],
                       capture_output=True, text=True, errors="replace", timeout=30)
    got = r.stderr.splitlines()
    if r.returncode == want_rc and (want_err is None or got == want_err):
        return True
    print(f"FAIL {path}: exit {r.returncode} (expected {want_rc})")
    if want_err is not None:
        print("--- expected\n" + "\n".join(want_err) + "\n--- got\n" + r.stderr, end="")
    return False


def main():
    exe, cases, test_plugins = sys.argv[1:4]
    ok = total = 0
    with tempfile.TemporaryDirectory(prefix="ja4probe-check-config-") as tmp:
        plugins = plugin_dir(tmp, test_plugins)
        bad = os.path.join(cases, "bad")
        for name in sorted(os.listdir(bad)):
            path = os.path.join(bad, name)
            want, unit_only = expectations(path)
            if unit_only:
                continue
            total += 1
            ok += check(exe, plugins, path, EXIT_CONFIG, want)

        empty = os.path.join(tmp, "empty.yaml")
        open(empty, "w").close()
        total += 1
        ok += check(exe, plugins, empty, EXIT_CONFIG, [
            empty + ":1:1: top level: expected a mapping of settings, found an empty file"])

        missing = os.path.join(tmp, "missing.yaml")
        total += 2
        ok += check(exe, plugins, missing, EXIT_CONFIG, [
            missing + ": cannot read the config: " + os.strerror(errno.ENOENT)])
        ok += check(exe, plugins, tmp, EXIT_CONFIG, [
            tmp + ": expected a regular file of at most 1048576 bytes"])

        good = os.path.join(cases, "good")
        for name in sorted(os.listdir(good)):
            total += 1
            ok += check(exe, plugins, os.path.join(good, name), 0, [])

    print(f"{ok} of {total} configs gave the expected exit code and messages")
    return 0 if ok == total else 1


if __name__ == "__main__":
    sys.exit(main())
