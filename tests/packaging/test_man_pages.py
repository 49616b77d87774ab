#!/usr/bin/env python3
"""The manual pages against the program they describe.

ja4probe(8): every long option `ja4probe --help` prints is documented.
ja4probe.yaml(5): every key the built daemon accepts is documented, with the type and the
range the daemon enforces: the global keys, the keys of every output type, of every plugin of
this build and of the offline reader (read_pcap, which --read-pcap validates). Nothing here
parses C; the daemon itself tells:
  - a section with an unknown key makes `--check-config` (`--read-pcap` for read_pcap) list
    the allowed keys ("unknown key; expected one of: a, b, c");
  - a key given a mapping makes it name the expected type, and the range of an integer
    ("expected an integer in 64..1048576, found a mapping").
A key's entry in ja4probe.yaml(5) is `.BR key " (TYPE[, A to B][, default ...])"` inside the
section of its output type, plugin or the offline reader. Both pages must format without groff warnings.

usage: test_man_pages.py DAEMON PLUGIN_DIR MAN8 MAN5
"""
import os
import re
import subprocess
import sys
import tempfile

UNKNOWN = "zz_not_a_key"
BAD = "{zz_not_a_value: 1}"  # a mapping: wrong for every key type


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check_groff(path):
    r = subprocess.run(["groff", "-man", "-ww", "-z", path], capture_output=True, text=True)
    if r.returncode or r.stderr.strip():
        fail(f"groff warnings in {path}:\n{r.stderr}")


def check_config(daemon, plugin_dir, yaml_text, mode=("--check-config",)):
    """The daemon's messages on a config; `mode` is the command that validates it."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(yaml_text)
        f.flush()
        r = subprocess.run([daemon, *mode, "-c", f.name, "--plugin-dir", plugin_dir],
                           capture_output=True, text=True)
    return r.stdout + r.stderr


def expected_of(out, key):
    """What the daemon expected of `key` (the last path element) in its error output."""
    m = re.search(r":\d+:\d+: (?:\S*\.)?" + re.escape(key) + r": expected (.*?), found", out)
    return m.group(1) if m else None


def doc_type(expected):
    """The man page's words for the type the daemon expects, and the integer range."""
    m = re.fullmatch(r"an integer(?: in (-?\d+)\.\.(-?\d+))?", expected)
    if m:
        return "integer", (m.group(1), m.group(2)) if m.group(1) else None
    return {"true or false": "boolean",
            "an integer or a list of integers": "list of integers",
            "a string or a list of strings": "list of strings",
            "a string": "string"}.get(expected, "string" if expected.startswith("one of ")
                                      else None), None


class Section:
    """One mapping of the config: how to write it, and where ja4probe.yaml(5) documents it."""

    def __init__(self, name, head, indent, man_region, skip=(), mode=("--check-config",)):
        self.name, self.head, self.indent, self.region, self.skip, self.mode = (
            name, head, indent, man_region, set(skip), mode)

    def yaml(self, lines):
        pad = " " * self.indent
        return self.head + "".join(f"{pad}{line}\n" for line in lines)


def man_region(text, start, stop_at_subsection=False, subsection=None):
    """The text of a .SH section (up to its first .SS when asked), plus one of its .SS
    subsections chosen by a name in its title (".SS nginx, apache")."""
    m = re.search(r"^\.SH " + re.escape(start) + r"\s*$", text, re.M)
    if not m:
        return ""
    body = text[m.end():]
    end = re.search(r"^\.SH ", body, re.M)
    body = body[:end.start()] if end else body
    head = body
    if stop_at_subsection:
        first = re.search(r"^\.SS ", body, re.M)
        head = body[:first.start()] if first else body
    if subsection is None:
        return head
    for ss in re.finditer(r"^\.SS (.*)\n((?:(?!^\.S[SH] ).*\n?)*)", body, re.M):
        if subsection in {t.strip() for t in ss.group(1).split(",")}:
            return head + ss.group(2)
    return head


def man_entry(region, key):
    """The header line of a key's entry (`.BR key " (integer, ...)"`), or None."""
    m = re.search(r"^\.BR? +" + re.escape(key) + r"(?:\s.*)?$", region, re.M)
    return m.group(0).replace('"', "").replace("\\-", "-") if m else None


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
    man8_text = open(man8, encoding="utf-8").read().replace("\\-", "-")
    missing = [o for o in options if o not in man8_text]
    if missing:
        fail(f"options in `ja4probe --help` missing from {man8}: {missing}")

    # ja4probe.yaml(5) against the schemas the daemon enforces
    man5_text = open(man5, encoding="utf-8").read()
    sections = [Section("global", "", 0, man_region(man5_text, "GLOBAL KEYS"),
                        skip=("outputs", "plugins", "read_pcap"))]
    out = check_config(daemon, plugin_dir, "outputs:\n  - type: zz_no_such_type\n")
    m = re.search(r"unknown sink type; expected one of ([a-z0-9_, ]+); found", out)
    if not m:
        fail(f"the daemon did not list the output types:\n{out}")
    for t in (t.strip() for t in m.group(1).split(",")):
        sections.append(Section(f"output {t}", f"outputs:\n  - type: {t}\n", 4,
                                man_region(man5_text, "OUTPUTS"), skip=("type",)))
    listing = subprocess.run([daemon, "--list-plugins", "--plugin-dir", plugin_dir],
                             capture_output=True, text=True).stdout
    plugins = [line.split()[0] for line in listing.splitlines() if line.rstrip().endswith(" ok")]
    if not plugins:
        fail(f"no loadable plugin in {plugin_dir}:\n{listing}")
    for p in plugins:
        sections.append(Section(f"plugin {p}", f"plugins:\n  {p}:\n    enabled: true\n", 4,
                                man_region(man5_text, "PLUGINS", True, p),
                                skip=("enabled", "required")))
    # the offline reader validates its section when it runs (an empty capture will do)
    sections.append(Section("read_pcap", "read_pcap:\n", 2,
                            man_region(man5_text, "OFFLINE READER"),
                            mode=("--read-pcap", os.devnull)))

    problems = []
    checked = 0
    for s in sections:
        out = check_config(daemon, plugin_dir, s.yaml([f"{UNKNOWN}: 1"]), s.mode)
        m = re.search(re.escape(UNKNOWN) + r": unknown key; expected one of: (.*)", out)
        if not m:
            fail(f"no list of allowed keys for {s.name}:\n{out}")
        keys = [k.strip() for k in m.group(1).split(",") if k.strip()]
        if not s.region:
            problems.append(f"{s.name}: no section for it")
            continue
        typed = [k for k in keys if k not in s.skip]
        out = check_config(daemon, plugin_dir, s.yaml([f"{k}: {BAD}" for k in typed]), s.mode)
        out_list = check_config(daemon, plugin_dir, s.yaml([f"{k}: [{BAD}]" for k in typed]),
                                s.mode)
        for k in keys:
            checked += 1
            entry = man_entry(s.region, k)
            if entry is None:
                problems.append(f"{s.name}: key '{k}' has no entry")
                continue
            if k in s.skip:
                continue
            expected = expected_of(out, k)
            if expected is None:
                problems.append(f"{s.name}: the daemon took a mapping for '{k}'")
                continue
            words, span = doc_type(expected)
            if words == "list of integers":
                inner = expected_of(out_list, k + r"\[0\]")
                span = doc_type(inner)[1] if inner else None
            if words is None or f"({words}" not in entry:
                problems.append(f"{s.name}: '{k}' is {expected} (want '({words}' in: {entry})")
            elif span and f"{span[0]} to {span[1]}" not in entry:
                problems.append(f"{s.name}: '{k}' ranges {span[0]}..{span[1]} "
                                f"(want '{span[0]} to {span[1]}' in: {entry})")
    if problems:
        fail("\n  ".join([f"{man5} is behind the daemon:"] + problems))
    print(f"ok: {len(options)} options in ja4probe.8; {checked} keys with their types and "
          f"ranges in ja4probe.yaml.5 ({', '.join(s.name for s in sections)})")


if __name__ == "__main__":
    main()
