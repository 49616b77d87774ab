#!/usr/bin/env python3
"""The manual pages against the program they describe.

ja4probe(8): every long option `ja4probe --help` prints is documented.
ja4probe.yaml(5): every key the built daemon accepts is documented: the global keys, the keys
of every output type and the keys of every plugin of this build. The keys come from the
daemon itself: a config with an unknown key in a section makes `--check-config` list the
allowed keys of that section ("expected one of: ..."), so nothing here parses C.
Both pages must also format without groff warnings.

usage: test_man_pages.py DAEMON PLUGIN_DIR MAN8 MAN5
"""
import os
import re
import subprocess
import sys
import tempfile

UNKNOWN = "zz_not_a_key"


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def man_terms(path):
    """The page's source with roff's '\\-' undone, and its terms: what it sets in bold
    (`.B term`, `.BR term ...`, `\\fBterm\\fR`) and its subsection titles. A key is
    documented when it is one of these terms."""
    text = open(path, encoding="utf-8").read().replace("\\-", "-")
    bold = set(re.findall(r"^\.BR? +\"?([^\s\"]+)", text, re.M))
    bold |= set(re.findall(r"\\fB([^\\]+)\\f[RPI]", text))
    for heading in re.findall(r"^\.SS +(.*)$", text, re.M):  # ".SS nginx, apache"
        bold |= {h.strip() for h in heading.split(",")}
    return bold, text


def check_groff(path):
    r = subprocess.run(["groff", "-man", "-ww", "-z", "-t", path], capture_output=True,
                       text=True)
    if r.returncode or r.stderr.strip():
        fail(f"groff warnings in {path}:\n{r.stderr}")


def allowed_keys(daemon, plugin_dir, yaml_text):
    """The daemon's list of allowed keys for the section holding UNKNOWN, or None."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(yaml_text)
        f.flush()
        r = subprocess.run([daemon, "--check-config", "-c", f.name, "--plugin-dir", plugin_dir],
                           capture_output=True, text=True)
    out = r.stdout + r.stderr
    m = re.search(UNKNOWN + r": unknown key; expected one of: (.*)", out)
    if not m:
        return None, out
    return [k.strip() for k in m.group(1).split(",") if k.strip()], out


def main():
    daemon, plugin_dir, man8, man5 = (os.path.normpath(a) for a in sys.argv[1:5])
    for page in (man8, man5):
        check_groff(page)

    # ja4probe(8) against --help
    help_text = subprocess.run([daemon, "--help"], capture_output=True, text=True,
                               check=True).stdout
    options = sorted(set(re.findall(r"--[a-z][a-z-]*", help_text)))
    if len(options) < 5:
        fail(f"too few options found in --help: {options}")
    _, man8_text = man_terms(man8)
    missing = [o for o in options if o not in man8_text]
    if missing:
        fail(f"options in `ja4probe --help` missing from {man8}: {missing}")

    # ja4probe.yaml(5) against the schemas the daemon enforces
    words, _ = man_terms(man5)
    sections = {"global": f"{UNKNOWN}: 1\n"}
    m = re.search(r"unknown sink type; expected one of ([a-z0-9_, ]+); found",
                  allowed_keys(daemon, plugin_dir,
                               "outputs:\n  - type: zz_no_such_type\n")[1])
    if not m:
        fail("the daemon did not list the output types")
    sink_types = [t.strip() for t in m.group(1).split(",")]
    for t in sink_types:
        sections[f"output {t}"] = (f"outputs:\n  - type: {t}\n    {UNKNOWN}: 1\n")
    listing = subprocess.run([daemon, "--list-plugins", "--plugin-dir", plugin_dir],
                             capture_output=True, text=True).stdout
    plugins = [l.split()[0] for l in listing.splitlines() if l.rstrip().endswith(" ok")]
    if not plugins:
        fail(f"no loadable plugin in {plugin_dir}:\n{listing}")
    for p in plugins:
        sections[f"plugin {p}"] = f"plugins:\n  {p}:\n    enabled: true\n    {UNKNOWN}: 1\n"
    # the offline reader's section, once the daemon validates it
    sections["read_pcap"] = f"read_pcap:\n  {UNKNOWN}: 1\n"

    checked = 0
    problems = []
    for name, text in sections.items():
        keys, out = allowed_keys(daemon, plugin_dir, text)
        if keys is None:
            if name == "read_pcap":
                print("note: read_pcap keys not validated by this daemon yet: not checked")
                continue
            fail(f"no list of allowed keys for {name}:\n{out}")
        subject = name.split()[-1]
        if name != "global" and subject not in words:
            problems.append(f"{name}: '{subject}' not named in {man5}")
        for k in keys:
            checked += 1
            if k not in words:
                problems.append(f"{name}: key '{k}' not documented in {man5}")
    if problems:
        fail("\n  ".join(["the config reference is behind the code:"] + problems))
    print(f"ok: {len(options)} options in ja4probe.8, {checked} keys of {len(sections)} "
          f"sections ({', '.join(sections)}) in ja4probe.yaml.5")


if __name__ == "__main__":
    main()
