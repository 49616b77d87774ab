# SPDX-License-Identifier: BSD-3-Clause
"""tc_capture lifecycle on a real kernel: SIGTERM leaves no filter (and removes the clsact
qdisc it created); after SIGKILL a restart replaces the stale filters, or removes them from an
interface it no longer captures on; `interfaces: all` picks up an interface that comes up
later; someone else's filter and qdisc survive.

usage: test_tc_cleanup.py JA4PROBE PLUGIN_DIR
"""
import signal
import sys
import time

from tcap_net import PID, SRV_IF, SRV_NS, Tally, Net, Probe, run


def main():
    exe, plugin_dir = sys.argv[1], sys.argv[2]
    c = Tally()
    net = Net()
    try:
        both = {"egress": True}
        p = Probe(net, exe, plugin_dir, both, "run1")
        p.start()
        c.check(len(net.filters("ingress")) == 1 and len(net.filters("egress")) == 1,
                f"one filter per hook: {net.all_filters('ingress')} {net.all_filters('egress')}")
        c.check("clsact" in net.qdiscs(), "clsact created")
        c.check(Net.stop(p.proc) == 0, "exit 0 on SIGTERM")
        c.check(not net.all_filters("ingress") and not net.all_filters("egress"),
                "SIGTERM: no filter left")
        c.check("clsact" not in net.qdiscs(), "SIGTERM: the clsact we created is gone")

        p = Probe(net, exe, plugin_dir, both, "run2")
        p.start()
        Net.stop(p.proc, signal.SIGKILL)
        c.check(len(net.filters("ingress")) == 1, "SIGKILL leaves the filter (the precondition)")
        p = Probe(net, exe, plugin_dir, both, "run3")
        p.start()
        c.check(len(net.filters("ingress")) == 1 and len(net.filters("egress")) == 1,
                f"restart: the stale filters replaced, not doubled: {net.all_filters('ingress')}")
        c.check(Net.stop(p.proc) == 0, "restart: exit 0 on SIGTERM")
        c.check(not net.filters("ingress") and not net.filters("egress"),
                "kill -9 + restart + SIGTERM: no filter of ours left")

        p = Probe(net, exe, plugin_dir, both, "run4")
        p.start()
        Net.stop(p.proc, signal.SIGKILL)
        p = Probe(net, exe, plugin_dir, {"interfaces": ["lo"]}, "run5")
        p.start(ready=lambda: net.filters("ingress", dev="lo"))
        c.check(not net.filters("ingress") and not net.filters("egress"),
                "restart elsewhere: the stale filters on the old interface swept")
        Net.stop(p.proc)
        c.check(not net.filters("ingress", dev="lo"), "lo clean after stop")

        # interfaces: all follows an interface that comes up later
        p = Probe(net, exe, plugin_dir, {"rescan_interval": 1}, "run7")
        p.start()
        late = f"vtl{PID}"
        run(["ip", "link", "add", late, "type", "veth", "peer", "name", late + "p"], ns=SRV_NS)
        run(["ip", "link", "set", late, "up"], ns=SRV_NS)
        run(["ip", "link", "set", late + "p", "up"], ns=SRV_NS)
        for _ in range(100):
            if net.filters("ingress", dev=late):
                break
            time.sleep(0.05)
        c.check(len(net.filters("ingress", dev=late)) == 1,
                "an interface that came up after the start is captured on")
        c.check(Net.stop(p.proc) == 0, "exit 0 on SIGTERM")
        c.check(not net.filters("ingress", dev=late) and not net.filters("ingress"),
                "SIGTERM: no filter left on the late interface either")
        run(["ip", "link", "del", late], ns=SRV_NS)

        # someone else's clsact and filter stay
        run(["tc", "qdisc", "add", "dev", SRV_IF, "clsact"], ns=SRV_NS, check=False)
        run(["tc", "filter", "add", "dev", SRV_IF, "ingress", "prio", "7", "protocol", "ip",
             "u32", "match", "u32", "0", "0"], ns=SRV_NS)
        p = Probe(net, exe, plugin_dir, both, "run6")
        p.start()
        Net.stop(p.proc)
        c.check(" u32 " in net.all_filters("ingress") and not net.filters("ingress"),
                f"a foreign filter survives ours: {net.all_filters('ingress')}")
        c.check("clsact" in net.qdiscs(), "a clsact we did not create stays")
    finally:
        net.close()
    return c.close()


if __name__ == "__main__":
    sys.exit(main())
