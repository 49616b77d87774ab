#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every FoxIO reference capture through `ja4probe --read-pcap`: every fingerprint the expected
files give (Rust snapshots, Python and Wireshark-plugin outputs, under the decisions of
EXPECTED.txt) comes out on the right flow from the right end, JA3/JA3S equal tshark's own
fields, and nothing else comes out. That includes the QUIC ClientHello of
quic-tls-handshake.pcapng (JA4 with 'q', from the decrypted client Initial).

Built without the JA4+ builders (-Dja4plus=disabled), only JA4 and JA3 are checked, and no
event may carry a JA4+ field.

usage: test_reference.py JA4PROBE TESTDATA_DIR [ja4plus|no-ja4plus]"""
import collections
import sys

from jp_decode import (EVENT_FIELDS, FIELD_ROLE, JA4PLUS_FIELDS, PRIMARY, event_fingerprints,
                       Expectations, ja4plus_built, reference_pcaps, require, run_read_pcap, Tally)


def check_capture(t, exe, testdata, name, ja4plus):
    exp = Expectations(testdata, name)
    rc, events, counters, err = run_read_pcap(exe, exp.pcap)
    t.check(rc == 0, "%s: exit status %d (%s)" % (name, rc, err.strip()))
    t.check(counters.get("packets", 0) > 0, "%s: no stats event with counters" % name)

    got = collections.defaultdict(list)      # (flow, field) -> [(sender, value)]
    per_type = collections.Counter()
    for ev in events:
        sender, receiver, fps = event_fingerprints(ev)
        flow = frozenset((sender, receiver))
        per_type[(flow, ev["event_type"])] += 1
        for field, value in fps.items():
            got[(flow, field)].append((sender, value))
        if not ja4plus:
            t.check(not JA4PLUS_FIELDS & set(fps), "%s: JA4+ fields in a build without them: %s"
                    % (name, sorted(JA4PLUS_FIELDS & set(fps))))
            if PRIMARY[ev["event_type"]] in JA4PLUS_FIELDS:
                continue
        # nothing extra: the event's own fingerprint is one a reference gives for this flow
        t.check((flow, PRIMARY[ev["event_type"]]) in exp.values,
                "%s: unexpected %s %s -> %s %s" % (name, ev["event_type"], sender, receiver,
                                                   fps))
    for (flow, etype), n in per_type.items():
        t.check(n == 1, "%s: %d %s events on %s" % (name, n, etype, sorted(flow)))

    verified = 0
    for (flow, field), (value, sources) in sorted(exp.expected().items(), key=str):
        if field in JA4PLUS_FIELDS and not ja4plus:
            continue
        role = FIELD_ROLE[field]
        client, server = exp.roles.get(flow, (None, None))
        want_sender = client if role == "client" else server
        outs = got.get((flow, field), [])
        where = "%s: %s on %s" % (name, field, sorted(flow))
        if not t.check(len(outs) == 1, "%s: %d values, expected %s from %s" %
                       (where, len(outs), value or sources, sorted(sources))):
            continue
        sender, out = outs[0]
        t.check(sender == want_sender, "%s: sent by %s, expected %s (%s)" %
                (where, sender, want_sender, role))
        if value is None:
            # the sources disagree and no decision settles it: one of them must be met
            t.check(out in sources.values(), "%s: %r is none of %s" % (where, out, sources))
            print("note: %s: the sources disagree; ja4probe agrees with %s" %
                  (where, ",".join(sorted(s for s, v in sources.items() if v == out))))
        else:
            t.check(out == value, "%s: %r, expected %r (%s)" %
                    (where, out, value, ",".join(sorted(sources))))
        verified += 1
    print("%s: %d events, %d fingerprints checked against %s" %
          (name, len(events), verified, ", ".join(sorted(
              {s for _, srcs in exp.expected().values() for s in srcs})) or "nothing"))


def main():
    exe, testdata = sys.argv[1], sys.argv[2]
    require(testdata)
    t = Tally()
    assert set(EVENT_FIELDS) == set(PRIMARY)
    for name in reference_pcaps(testdata):
        check_capture(t, exe, testdata, name, ja4plus_built(sys.argv))
    return t.close()


if __name__ == "__main__":
    sys.exit(main())
