# SPDX-License-Identifier: BSD-3-Clause
"""tc_capture on a device without a link-layer header (tun, as WireGuard and VPNs are): the
_raw programs, records passed as DLT_RAW. Two tun devices, one per namespace, joined by a
relay over a Unix socket; plain HTTP and TLS over them, IPv4 and IPv6. The plugin's events
equal the decoder's on a tcpdump capture of the server's tun.

usage: test_tc_tun.py JA4PROBE PLUGIN_DIR TCAP_TESTRUN
       test_tc_tun.py --relay IFNAME SOCKET listen|connect   (internal)
"""
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import time

from tcap_net import (CLI_NS, PID, SRV_NS, Tally, Net, Probe, capture_events, flow, run,
                      spawn)

TUN_SRV, TUN_CLI = f"tus{PID}", f"tuc{PID}"
SRV4, CLI4, SRV6, CLI6 = "10.98.0.1", "10.98.0.2", "fd98::1", "fd98::2"
TLS_PORT, HTTP_PORT = 19443, 19080
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454ca, 0x0001, 0x1000


def relay(ifname, path, mode):
    """Copy packets between a tun device (made in this namespace) and a Unix socket."""
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", ifname.encode(), IFF_TUN | IFF_NO_PI))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if mode == "listen":
        s.bind(path)
        s.listen(1)
        print("ready", flush=True)
        s, _ = s.accept()
    else:
        s.connect(path)
        print("ready", flush=True)
    while True:
        r, _, _ = select.select([tun, s], [], [])
        if tun in r:
            s.send(os.read(tun, 65536))
        if s in r:
            pkt = s.recv(65536)
            if not pkt:
                return 0
            try:
                os.write(tun, pkt)
            except OSError:     # EIO while the device is down: the packet is dropped
                pass


def setup_tun(net):
    sock = net.path("relay.sock")
    for ns, dev, mode in ((SRV_NS, TUN_SRV, "listen"), (CLI_NS, TUN_CLI, "connect")):
        p = net.keep(spawn([sys.executable, os.path.abspath(__file__), "--relay", dev, sock,
                            mode], ns=ns, stdout=subprocess.PIPE))
        p.stdout.readline()
    for ns, dev, a4, a6 in ((SRV_NS, TUN_SRV, SRV4, SRV6), (CLI_NS, TUN_CLI, CLI4, CLI6)):
        run(["ip", "addr", "add", a4 + "/24", "dev", dev], ns=ns)
        run(["ip", "addr", "add", a6 + "/64", "dev", dev, "nodad"], ns=ns)
        run(["ip", "link", "set", dev, "mtu", "1500", "up"], ns=ns)


def main():
    if sys.argv[1] == "--relay":
        return relay(*sys.argv[2:5])
    exe, plugin_dir, testrun = sys.argv[1:4]
    c = Tally()
    net = Net()
    try:
        setup_tun(net)
        net.tls_server(TLS_PORT)
        net.http_server(HTTP_PORT)
        dump, pcap = net.tcpdump("tun.pcap", dev=TUN_SRV)
        probe = Probe(net, exe, plugin_dir, {"interfaces": [TUN_SRV], "egress": True,
                                             "ports": [TLS_PORT, HTTP_PORT]}, "tun")
        probe.start(ready=lambda: net.filters("ingress", dev=TUN_SRV))
        # the kernel keeps 15 characters of a program name: tcap_ingress_ra(w)
        c.check("name tcap_ingress_ra " in net.all_filters("ingress", dev=TUN_SRV),
                "a tun gets the program for packets without a link-layer header")
        for url in (f"http://{SRV4}:{HTTP_PORT}/", f"http://[{SRV6}]:{HTTP_PORT}/",
                    f"https://{SRV4}:{TLS_PORT}/", f"https://[{SRV6}]:{TLS_PORT}/"):
            r = run(["curl", "-sk", "-o", "/dev/null", "--max-time", "10", url], ns=CLI_NS,
                    check=False)
            c.check(r.returncode == 0, f"curl {url}: exit {r.returncode}")
        probe.wait_events(lambda evs: sum(e["event_type"] in ("tls_server_hello", "http_request")
                                          for e in evs) >= 4)
        time.sleep(0.5)
        Net.stop(probe.proc)
        Net.stop(dump)
        events = [e for e in probe.events() if e["event_type"] != "stats"]
        ref = capture_events(testrun, pcap)
        key = lambda e: (e["event_type"], flow(e))
        strip = lambda evs: sorted((key(e), str({k: v for k, v in e.items()
                                                 if k not in ("timestamp", "plugin", "host")}))
                                   for e in evs)
        c.check(len(ref) >= 14, f"the capture gives a syn, syn-ack and messages per connection: "
                f"{len(ref)}")
        c.check(strip(events) == strip(ref), f"events over tun equal the decoder's on the "
                f"capture:\n plugin {strip(events)}\n ref    {strip(ref)}")
    finally:
        net.close()
    return c.close()


if __name__ == "__main__":
    sys.exit(main())
