#!/usr/bin/env python3
"""The host as a process: plugin loading and the ABI rules, the run loop, signals, outputs.

usage: test_host.py CASE JA4PROBE TEST_PLUGIN_DIR
Every case builds its own config and plugin directory in a temp dir and asserts on exit codes,
messages and the JSON lines the daemon wrote (parsed, never compared as text).
"""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CASE, JA4PROBE, PLUGINS = sys.argv[1], sys.argv[2], sys.argv[3]
BUILT_PLUGINS = sys.argv[4] if len(sys.argv) > 4 else None
TMP = tempfile.mkdtemp(prefix="ja4probe-host-")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def plugin_dir(*names, mode=0o644):
    """A private plugin dir holding copies of the named test plugins."""
    d = tempfile.mkdtemp(dir=TMP)
    os.chmod(d, 0o755)
    for n in names:
        shutil.copy(os.path.join(PLUGINS, n + ".so"), d)
        os.chmod(os.path.join(d, n + ".so"), mode)
    return d


def write_config(text):
    path = os.path.join(TMP, "ja4probe.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(args, timeout=20):
    return subprocess.run([JA4PROBE] + args, capture_output=True, text=True, timeout=timeout)


def read_events(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for(pred, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def count_lines(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if '"test_event"' in line)
    except FileNotFoundError:
        return 0


def start_daemon(config, pdir, **kw):
    return subprocess.Popen([JA4PROBE, "-c", config, "--plugin-dir", pdir],
                            stderr=subprocess.PIPE, text=True, **kw)


def stop_daemon(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("daemon did not exit within 15 s of " + sig.name)
    return proc.returncode, err


def case_version():
    r = run(["--version"])
    check(r.returncode == 0, "--version exit %d" % r.returncode)
    check(re.fullmatch(r"ja4probe \S+ \(plugin ABI \d+\.\d+\)\n", r.stdout), r.stdout)
    r = run(["--help"])
    check(r.returncode == 0 and "Exit status" in r.stdout, "--help must document exit codes")
    r = run(["--no-such-flag"])
    check(r.returncode == 2, "unknown flag must exit 2, got %d" % r.returncode)


def case_list_plugins():
    d = plugin_dir("tp_good", "tp_wrong_major", "tp_newer_minor", "tp_no_descriptor")
    r = run(["--list-plugins", "--plugin-dir", d])
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    lines = {l.split()[0]: l for l in r.stdout.splitlines()}
    check(set(lines) == {"tp_good", "tp_wrong_major", "tp_newer_minor", "tp_no_descriptor"},
          "plugins listed: %s" % r.stdout)
    major, minor = re.search(r"ABI (\d+)\.(\d+)", run(["--version"]).stdout).groups()
    good = lines["tp_good"]
    check(good.endswith(" ok") and "1.2.3" in good and "ABI %s.%s" % (major, minor) in good
          and "test plugin tp_good" in good, good)
    wm = lines["tp_wrong_major"]
    check("not loadable" in wm and "ABI %d.%s" % (int(major) + 1, minor) in wm
          and "(ABI %s.%s)" % (major, minor) in wm and "major" in wm, wm)
    nm = lines["tp_newer_minor"]
    check("not loadable" in nm and "ABI %s.%d" % (major, int(minor) + 1) in nm
          and "newer ja4probe" in nm, nm)
    nd = lines["tp_no_descriptor"]
    check("not loadable" in nd and "ja4probe_plugin" in nd, nd)


def daemon_config(out, plugins, extra=""):
    text = "log_level: info\nstats_interval: 3600\noutputs:\n  - type: json\n    path: %s\n" % out
    text += extra
    text += "plugins:\n"
    for name, keys in plugins.items():
        text += "  %s:\n    enabled: true\n" % name
        for k, v in keys.items():
            text += "    %s: %s\n" % (k, v)
    return write_config(text)


def case_run_and_events():
    """A good plugin runs beside one whose init fails; events and stats come out right."""
    d = plugin_dir("tp_good", "tp_fail_init")
    out = os.path.join(TMP, "events.json")
    cfg = daemon_config(out, {"tp_good": {"events": 5}, "tp_fail_init": {}})
    before = datetime.datetime.now(datetime.timezone.utc)
    p = start_daemon(cfg, d)
    check(wait_for(lambda: count_lines(out) >= 5), "5 events not written")
    rc, err = stop_daemon(p)
    check(rc == 0, "SIGTERM exit %d: %s" % (rc, err))
    check("tp_fail_init" in err and "init failed" in err, "failing init not reported: " + err)
    events = read_events(out)
    tests = [e for e in events if e["event_type"] == "test_event"]
    check(len(tests) == 5, "%d test events" % len(tests))
    for i, e in enumerate(tests):
        check(list(e)[:4] == ["timestamp", "event_type", "host", "plugin"], list(e))
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["timestamp"]), e)
        ts = datetime.datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc)
        check(abs((ts - before).total_seconds()) < 60, "timestamp %s" % e["timestamp"])
        check(e["plugin"] == "tp_good" and e["host"] == os.uname().nodename, e)
        check(e["src_ip"] == "192.0.2.7" and e["dest_ip"] == "2001:db8::1", e)
        check(e["test"] == {"sequence": i, "flag": True, "text": "hello", "raw": "a\\x00\\xffb",
                            "alpn": ["h2", "http/1.1"]}, e["test"])
    stats = [e for e in events if e["event_type"] == "stats"]
    check(len(stats) == 1, "one final stats event expected, got %d" % len(stats))
    s = stats[0]["stats"]
    check(s["plugins"]["tp_good"]["events"] == 5, s)
    check(s["plugins"]["tp_good"]["ticks"] >= 5, s)
    check(s["plugins"]["tp_good"]["collected_after_stop"] == 1,
          "the last stats must be collected after stop(): %s" % s)
    check(s["plugins"]["tp_fail_init"]["errors"] == 1, s)
    sink = list(s["sinks"].values())[0]
    check(sink["dropped"] == 0, s)


def case_required_fails():
    d = plugin_dir("tp_good", "tp_fail_init")
    cfg = daemon_config(os.path.join(TMP, "o.json"),
                        {"tp_good": {}, "tp_fail_init": {"required": "true"}})
    p = start_daemon(cfg, d)
    try:
        _, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("daemon kept running although a required plugin failed")
    check(p.returncode == 1, "exit %d, want 1: %s" % (p.returncode, err))
    check("tp_fail_init" in err and "required" in err, err)


def case_abi_refused_at_run():
    d = plugin_dir("tp_good", "tp_wrong_major", "tp_newer_minor")
    out = os.path.join(TMP, "o.json")
    cfg = daemon_config(out, {"tp_good": {"events": 1}, "tp_wrong_major": {},
                              "tp_newer_minor": {}})
    p = start_daemon(cfg, d)
    check(wait_for(lambda: count_lines(out) >= 1), "the good plugin must go on")
    rc, err = stop_daemon(p)
    check(rc == 0, "exit %d: %s" % (rc, err))
    check(re.search(r"tp_wrong_major: plugin ABI \d+\.\d+ is not supported", err), err)
    check(re.search(r"tp_newer_minor: plugin ABI \d+\.\d+ is not supported", err), err)
    cfg = daemon_config(out, {"tp_good": {}, "tp_wrong_major": {"required": "true"}})
    r = run(["-c", cfg, "--plugin-dir", d])
    check(r.returncode == 1, "required + wrong ABI: exit %d" % r.returncode)


def case_untrusted_plugin():
    d = plugin_dir("tp_good", mode=0o664)
    r = run(["--list-plugins", "--plugin-dir", d])
    check("writable by group or others" in r.stdout and "chmod go-w" in r.stdout, r.stdout)
    cfg = daemon_config(os.path.join(TMP, "o.json"), {"tp_good": {"required": "true"}})
    r = run(["-c", cfg, "--plugin-dir", d])
    check(r.returncode == 1 and "writable by group or others" in r.stderr,
          "group-writable plugin: exit %d %s" % (r.returncode, r.stderr))
    d = plugin_dir("tp_good")
    os.chmod(d, 0o777)
    r = run(["-c", cfg, "--plugin-dir", d])
    check(r.returncode == 1 and "writable by group or others" in r.stderr and d in r.stderr,
          "world-writable plugin directory: exit %d %s" % (r.returncode, r.stderr))


def case_config_errors_of_plugins():
    d = plugin_dir("tp_good")
    out = os.path.join(TMP, "o.json")
    cfg = daemon_config(out, {"tp_good": {"events": 2}})
    r = run(["--check-config", "-c", cfg, "--plugin-dir", d])
    check(r.returncode == 0, "valid config: exit %d %s" % (r.returncode, r.stderr))
    check(not os.path.exists(out) or os.path.getsize(out) == 0, "--check-config wrote events")
    cfg = daemon_config(out, {"tp_good": {"events": -1}})
    r = run(["--check-config", "-c", cfg, "--plugin-dir", d])
    line = open(cfg).read().splitlines().index("    events: -1") + 1
    check(r.returncode == 2 and re.search(r"%s:%d:\d+:.*events" % (re.escape(cfg), line),
                                          r.stderr), "out of range: %d %s" % (r.returncode, r.stderr))
    cfg = daemon_config(out, {"no_such_plugin": {}})
    r = run(["--check-config", "-c", cfg, "--plugin-dir", d])
    line = open(cfg).read().splitlines().index("  no_such_plugin:") + 1
    check(r.returncode == 2 and re.search(r"%s:%d:\d+:.*no_such_plugin" % (re.escape(cfg), line),
                                          r.stderr), "unknown plugin: %d %s" % (r.returncode, r.stderr))


def case_sighup_reopens():
    d = plugin_dir("tp_good")
    out = os.path.join(TMP, "events.json")
    cfg = daemon_config(out, {"tp_good": {"events": 400}})
    p = start_daemon(cfg, d)
    check(wait_for(lambda: count_lines(out) >= 10), "no events before SIGHUP")
    os.rename(out, out + ".1")
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: count_lines(out) >= 10), "no events in the reopened file")
    rc, err = stop_daemon(p)
    check(rc == 0, "exit %d %s" % (rc, err))
    check(oct(os.stat(out).st_mode & 0o777) == oct(0o640), "file mode %o" % os.stat(out).st_mode)
    seqs = [e["test"]["sequence"] for f in (out + ".1", out) for e in read_events(f)
            if e["event_type"] == "test_event"]
    check(seqs == list(range(len(seqs))), "events lost or reordered across the reopen")


def case_stalled_output():
    """stdout is a pipe nobody reads: the loop goes on, the file gets every event, drops counted."""
    d = plugin_dir("tp_good")
    out = os.path.join(TMP, "all.json")
    n = 3000
    cfg = write_config(
        "stats_interval: 3600\noutputs:\n  - type: json\n    path: \"-\"\n    queue_size: 10\n"
        "  - type: json\n    path: %s\nplugins:\n  tp_good:\n    enabled: true\n"
        "    events: %d\n    burst: 300\n" % (out, n))
    r, w = os.pipe()
    p = start_daemon(cfg, d, stdout=w)
    os.close(w)
    check(wait_for(lambda: count_lines(out) >= n), "the file output got %d of %d events while "
          "stdout was stalled" % (count_lines(out), n))
    rc, err = stop_daemon(p)
    os.close(r)
    check(rc == 0, "exit %d %s" % (rc, err))
    stats = [e for e in read_events(out) if e["event_type"] == "stats"][-1]["stats"]["sinks"]
    stdout_sink = [v for k, v in stats.items() if "stdout" in k or k.endswith("-")]
    check(len(stdout_sink) == 1, "stdout sink not in stats: %s" % stats)
    s = stdout_sink[0]
    check(s["dropped"] > 0, "nothing dropped although stdout was stalled: %s" % s)
    check(s["written"] + s["dropped"] + s["queued"] == n, "events unaccounted for: %s" % s)


def case_fifo_output_refused():
    """A FIFO output would block the loop (or the start): refused, with the fix named."""
    fifo = os.path.join(TMP, "events.fifo")
    os.mkfifo(fifo)
    cfg = daemon_config(fifo, {"tp_good": {}})
    r = run(["-c", cfg, "--plugin-dir", plugin_dir("tp_good")], timeout=15)
    check(r.returncode == 1, "exit %d, want 1: %s" % (r.returncode, r.stderr))
    check("not a regular file" in r.stderr and "unix://" in r.stderr and fifo in r.stderr,
          r.stderr)


def case_plugins_export_one_symbol():
    """Every plugin the project builds exports its descriptor and nothing else."""
    found = 0
    for root, _, files in os.walk(BUILT_PLUGINS):
        for f in files:
            if not f.endswith(".so"):
                continue
            found += 1
            nm = subprocess.run(["nm", "-D", "--defined-only", os.path.join(root, f)],
                                capture_output=True, text=True, check=True).stdout
            symbols = [l.split()[2] for l in nm.splitlines() if l.split()[1] in "TDRBV"]
            check(symbols == ["ja4probe_plugin"], "%s exports %s" % (f, symbols))
    check(found > 0, "no plugin found under " + BUILT_PLUGINS)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
try:
    CASES[CASE]()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
print("ok", CASE)
