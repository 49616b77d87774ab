# SPDX-License-Identifier: BSD-3-Clause
"""tc_capture on a real kernel: curl and openssl s_client (IPv4, IPv6, TLS 1.2/1.3, ALPN, SNI,
ciphers, a ClientHello spread over two segments, plain HTTP) against openssl s_server and
python's http.server in another namespace, while tcpdump records the same link.

Expected: every connection gives exactly one tcp_syn and one tls_client_hello or http_request
with the client's 5-tuple; the plugin's events equal what the decoder makes of the tcpdump
capture of the same link (the library on the bytes on the wire, `tcap_testrun --events`), JA3
equals tshark's; a source in ignore_src and a port not in ports give nothing, and the counters
say why.

usage: test_tc_live.py JA4PROBE PLUGIN_DIR TCAP_TESTRUN
"""
import subprocess
import sys

from tcap_net import (CLI_NS, IGN4, IGN6, SRV4, SRV6, Tally, Net, Probe, capture_events, flow,
                      run)

TLS_PORT, HTTP_PORT, UNLISTED_PORT = 18443, 18080, 18081
BIG_ALPN = ",".join(f"p{i:02d}-" + "x" * 96 for i in range(24))   # a ~2.6 KB ClientHello


def s_client(target, *opts):
    return ["openssl", "s_client", "-connect", target, *opts]


def curl(url, *opts):
    return ["curl", "-sk", "-o", "/dev/null", "--max-time", "10", "-w",
            "%{local_ip} %{local_port}", *opts, url]


CLIENTS = [
    # (what, command, expected: "tls" / "http" / None for filtered)
    ("curl https IPv4", curl(f"https://{SRV4}:{TLS_PORT}/"), "tls"),
    ("curl https IPv6 http1.1", curl(f"https://[{SRV6}]:{TLS_PORT}/", "--http1.1"), "tls"),
    ("curl http IPv4", curl(f"http://{SRV4}:{HTTP_PORT}/", "-A", "tcap-test/1.0"), "http"),
    ("curl http IPv6", curl(f"http://[{SRV6}]:{HTTP_PORT}/x?y=1", "-H", "Accept-Language: de",
                            "-H", "Cookie: a=1; b=2"), "http"),
    ("s_client TLS1.3 h2 SNI", s_client(f"{SRV4}:{TLS_PORT}", "-tls1_3", "-alpn", "h2",
                                        "-servername", "a.example"), "tls"),
    ("s_client TLS1.2 cipher", s_client(f"{SRV4}:{TLS_PORT}", "-tls1_2", "-alpn", "http/1.1",
                                        "-servername", "b.example", "-cipher",
                                        "ECDHE-RSA-AES128-GCM-SHA256"), "tls"),
    ("s_client IPv6 TLS1.2 no SNI", s_client(f"[{SRV6}]:{TLS_PORT}", "-tls1_2", "-noservername",
                                             "-cipher", "AES256-SHA:ECDHE-RSA-AES256-GCM-SHA384"),
     "tls"),
    ("s_client 2-segment hello", s_client(f"{SRV4}:{TLS_PORT}", "-alpn", BIG_ALPN, "-servername",
                                          "big.example", "-groups",
                                          "X25519:P-256:P-384:P-521:X448:ffdhe2048:ffdhe3072"),
     "tls"),
    ("ignored IPv4 source", curl(f"https://{SRV4}:{TLS_PORT}/", "--interface", IGN4), None),
    ("ignored IPv6 source", curl(f"http://[{SRV6}]:{HTTP_PORT}/", "--interface", IGN6), None),
    ("unlisted port", curl(f"http://{SRV4}:{UNLISTED_PORT}/"), None),
]


def tshark(pcap, *args):
    return run(["tshark", "-r", pcap, "-d", f"tcp.port=={TLS_PORT},tls", "-d",
                f"tcp.port=={HTTP_PORT},http", *args]).stdout


def syn_flows(pcap):
    """(client ip, client port, server ip, server port) of every SYN in the capture"""
    out = tshark(pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields", "-e",
                 "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e",
                 "ipv6.dst", "-e", "tcp.dstport")
    flows = set()
    for line in out.splitlines():
        s4, s6, sp, d4, d6, dp = line.split("\t")
        flows.add((s4 or s6, int(sp), d4 or d6, int(dp)))
    return flows


def tshark_ja3(pcap):
    out = tshark(pcap, "-Y", "tls.handshake.type==1", "-T", "fields", "-e", "ip.src", "-e",
                 "ipv6.src", "-e", "tcp.srcport", "-e", "tls.handshake.ja3", "-e",
                 "tls.handshake.length")
    ja3 = {}
    for line in out.splitlines():
        s4, s6, sp, j, length = line.split("\t")
        ja3[(s4 or s6, int(sp))] = (j, int(length.split(",")[0]))
    return ja3


def comparable(evs):
    """events without what differs by construction (time, who read them)"""
    return sorted(str({k: v for k, v in e.items() if k not in ("timestamp", "plugin", "host")})
                  for e in evs)


def main():
    exe, plugin_dir, testrun = sys.argv[1:4]
    c = Tally()
    net = Net()
    try:
        net.tls_server(TLS_PORT)
        net.http_server(HTTP_PORT)
        net.http_server(UNLISTED_PORT)
        dump, pcap = net.tcpdump("wire.pcap")
        probe = Probe(net, exe, plugin_dir, {
            "egress": True, "ports": [TLS_PORT, HTTP_PORT, 443],
            "ignore_src": [IGN4 + "/32", IGN6 + "/128"]})
        probe.start()

        curl_ports = {}
        for what, cmd, kind in CLIENTS:
            r = run(cmd, ns=CLI_NS, check=False, stdin=subprocess.DEVNULL, timeout=20)
            if cmd[0] == "curl":
                c.check(r.returncode == 0, f"{what}: curl exit {r.returncode} {r.stderr}")
                ip, port = r.stdout.split()
                curl_ports[what] = (ip, int(port), kind)
        # every listed connection: a syn, a syn-ack, a hello or request (TLS: and a server hello)
        n_listed = sum(1 for _, _, k in CLIENTS if k)
        probe.wait_events(lambda evs: sum(e["event_type"] in ("tls_client_hello", "http_request")
                                          for e in evs) >= n_listed)
        probe.wait_events(lambda evs: False, timeout=1.5)   # a stats event after the last one
        c.check(Net.stop(probe.proc) == 0, "ja4probe exits 0 on SIGTERM")
        Net.stop(dump, timeout=10)

        events = [e for e in probe.events() if e["event_type"] != "stats"]
        stats = probe.last_stats()
        ref = capture_events(testrun, pcap)
        ignored = {IGN4, IGN6}

        def wanted(e):
            client = e["src_ip"] if e["event_type"] in ("tcp_syn", "tls_client_hello",
                                                        "http_request") else e["dest_ip"]
            sport = e["dest_port"] if client == e["src_ip"] else e["src_port"]
            return client not in ignored and sport in (TLS_PORT, HTTP_PORT)
        ref_wanted = [e for e in ref if wanted(e)]
        c.check(comparable(events) == comparable(ref_wanted),
                f"events equal the decoder's on the capture:\n plugin {comparable(events)}\n"
                f" ref    {comparable(ref_wanted)}")

        flows = syn_flows(pcap)
        c.check(len(flows) == len(CLIENTS), f"{len(flows)} connections captured, "
                f"{len(CLIENTS)} made")
        ja3 = tshark_ja3(pcap)
        for f in flows:
            client, cport, server, sport = f
            mine = [e for e in events if flow(e) == f]
            if client in ignored or sport == UNLISTED_PORT:
                c.check(not mine and not [e for e in events if flow(e) == (server, sport, client,
                                                                           cport)],
                        f"{f}: filtered connection gives nothing, got {mine}")
                continue
            types = sorted(e["event_type"] for e in mine)
            want = "tls_client_hello" if sport == TLS_PORT else "http_request"
            c.check(types == sorted(["tcp_syn", want]), f"{f}: one tcp_syn and one {want}: "
                    f"{types}")
            back = [e["event_type"] for e in events if flow(e) == (server, sport, client, cport)]
            c.check(back.count("tcp_syn_ack") == 1, f"{f}: one tcp_syn_ack: {back}")
            if sport == TLS_PORT:
                hello = [e for e in mine if e["event_type"] == "tls_client_hello"]
                j = ja3.get((client, cport))
                c.check(hello and j and hello[0]["tls"]["ja3"] == j[0],
                        f"{f}: ja3 {hello and hello[0]['tls'].get('ja3')} == tshark's {j}")
        big = [v for v in ja3.values() if v[1] > 1500]
        c.check(len(big) == 1, f"one ClientHello longer than a segment: {ja3}")
        for what, (ip, port, kind) in curl_ports.items():
            got = [e for e in events if e.get("src_ip") == ip and e.get("src_port") == port]
            c.check(bool(got) == bool(kind), f"{what}: events from curl's own {ip}:{port}: "
                    f"{len(got)}")
        c.check(stats.get("tc_ignored_src", 0) >= 2, f"tc_ignored_src counts: {stats}")
        c.check(stats.get("tc_ignored_port", 0) >= 1, f"tc_ignored_port counts: {stats}")
        c.check(stats.get("tc_lost", 1) == 0 and stats.get("lost", 1) == 0, "nothing lost")
        c.check(not net.filters("ingress") and not net.filters("egress"),
                "no filter left after SIGTERM")
    finally:
        net.close()
    return c.close()


if __name__ == "__main__":
    sys.exit(main())
