#!/bin/bash
# A real rsyslogd on 127.0.0.1 (imtcp, a free port, its own config, pid file and work dir in a
# temp dir; /etc/rsyslog.conf and /dev/log untouched) receives events from the syslog sink over
# TCP with octet counting. rsyslog's own parse of each message -- facility, severity, time,
# host, app-name, procid, msgid, msg -- must match what was sent, and MSG must be the event.
# usage: rsyslog_test.sh SINK_EMIT
set -eu
emit=$1
n=200
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$rsyslogd" ]; then
	echo "rsyslogd not installed (scripts/install-deps.sh --test)" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/ja4rsyslog.XXXXXX)
cleanup() {
	if [ -s "$dir/rsyslogd.pid" ]; then
		kill "$(cat "$dir/rsyslogd.pid")" 2>/dev/null || true
	fi
	if [ -n "${rs_pid:-}" ]; then
		kill "$rs_pid" 2>/dev/null || true
		wait "$rs_pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
cat > "$dir/rsyslog.conf" <<CONF
global(workDirectory="$dir" maxMessageSize="64k")
module(load="imtcp")
template(name="fields" type="list") {
	property(name="syslogfacility") constant(value="\t")
	property(name="syslogseverity") constant(value="\t")
	property(name="timereported" dateFormat="rfc3339") constant(value="\t")
	property(name="hostname") constant(value="\t")
	property(name="app-name") constant(value="\t")
	property(name="procid") constant(value="\t")
	property(name="msgid") constant(value="\t")
	property(name="structured-data") constant(value="\t")
	property(name="msg") constant(value="\n")
}
input(type="imtcp" address="127.0.0.1" port="$port")
action(type="omfile" file="$dir/received.log" template="fields")
CONF
"$rsyslogd" -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" &
rs_pid=$!
for _ in $(seq 100); do
	ss -Htln "sport = :$port" | grep -q . && break
	kill -0 "$rs_pid" 2>/dev/null || { echo "rsyslogd exited" >&2; exit 1; }
	sleep 0.1
done
ss -Htln "sport = :$port" | grep -q . || { echo "rsyslogd does not listen on $port" >&2; exit 1; }

cat > "$dir/ja4probe.yaml" <<CONF
host_name: rsyslog-test-host
outputs:
  - type: syslog
    target: tcp://127.0.0.1:$port
    format: rfc5424
    facility: local4
    severity: notice
    app_name: ja4probe-test
CONF
"$emit" "$dir/ja4probe.yaml" $n "$dir/sent.jsonl" > "$dir/stats.json" &
emit_pid=$!
wait $emit_pid
echo "sink stats: $(cat "$dir/stats.json")"

# rsyslog writes asynchronously: wait (bounded) until every message is in the file
for _ in $(seq 100); do
	[ -f "$dir/received.log" ] && [ "$(wc -l < "$dir/received.log")" -ge $n ] && break
	sleep 0.1
done

python3 - "$dir" $n $emit_pid "tcp://127.0.0.1:$port" <<'PY'
import datetime, json, os, sys, syslog
d, n, pid, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sent = [json.loads(l) for l in open(os.path.join(d, "sent.jsonl"))]
stats = json.load(open(os.path.join(d, "stats.json")))["syslog:" + target]
got = open(os.path.join(d, "received.log"), encoding="utf-8").read().splitlines()
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
check(len(sent) == n, f"sent {len(sent)} events, expected {n}")
check(stats["written"] == n and stats["dropped"] == 0, f"sink stats {stats}")
check(len(got) == n, f"rsyslog received {len(got)} of {n} messages")
for i, (line, ev) in enumerate(zip(got, sent)):
    f = line.split("\t", 8)
    if len(f) != 9:
        check(False, f"message {i}: {line[:100]}")
        continue
    fac, sev, ts, host, app, procid, msgid, sd, msg = f
    check(int(fac) == syslog.LOG_LOCAL4 >> 3, f"message {i}: facility {fac}")
    check(int(sev) == syslog.LOG_NOTICE, f"message {i}: severity {sev}")
    when = datetime.datetime.fromisoformat(ts)
    check(when == datetime.datetime.fromisoformat(ev["timestamp"]),
          f"message {i}: time {ts} is not the event's {ev['timestamp']}")
    check(host == "rsyslog-test-host", f"message {i}: host {host}")
    check(app == "ja4probe-test", f"message {i}: app-name {app}")
    check(procid == pid, f"message {i}: procid {procid}, sender pid {pid}")
    check(msgid == ev["event_type"], f"message {i}: msgid {msgid}")
    check(sd == "-", f"message {i}: structured data {sd}")
    try:
        check(json.loads(msg) == ev, f"message {i}: MSG is not the event sent")
    except ValueError as e:
        check(False, f"message {i}: MSG does not parse as JSON ({e}): {msg[:100]}")
for f in fails[:20]:
    print("FAIL:", f)
print(f"rsyslog_test: {len(got)} messages received of {n}, {len(fails)} failed checks")
sys.exit(1 if fails else 0)
PY
