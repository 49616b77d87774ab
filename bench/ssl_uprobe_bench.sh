#!/bin/sh
# ssl_uprobe overhead: nginx (1 worker) serving a 3-byte HTTPS response to `wrk -t1 -c20`
# keep-alive, side by side in one run:
#   base       no probes
#   plugin     ja4probe with ssl_uprobe, default targets (every libssl user, system-wide:
#              wrk traps too)
#   targeted   ja4probe with ssl_uprobe, targets: [comm:nginx] (per-process uprobes)
#   targ_er    the same with read_hook: entry_return (entry and return probes on OpenSSL's
#              internal read function instead of one probe at the plaintext copy)
#   naive      entry+return probes on SSL_read/SSL_write, system-wide, a wakeup per event
#              (bench/ssl_uprobe_naive)
#   trap       the floor: an empty program at the copy site targeted mode hooks, for the nginx
#              worker only (ssl_uprobe_naive trap): what the trap alone costs, which no
#              design with a uprobe per request can go below
# Each mode runs ROUNDS times interleaved with the others; medians are printed: requests/s,
# its ratio to base, CPU us per request of the nginx worker (utime+stime from /proc/PID/stat
# over wrk's request count), us added per request, the probe process's own CPU us per request
# (ja4probe draining and decoding; the naive loader), events and losses; then, from the
# kernel's BPF run-time statistics (kernel.bpf_stats_enabled=1 during the plugin's modes), the
# ns per run of each of its programs that ran and their total per request.
#
# usage: [MODES="base targeted"] bench/ssl_uprobe_bench.sh BUILD_DIR [SECONDS] [ROUNDS]  (root)
set -eu
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS] [ROUNDS]}" && pwd)
DUR=${2:-5}
ROUNDS=${3:-3}
LIBSSL=$(ldconfig -p | awk '/libssl\.so\.3 .*x86-64/{print $NF; exit}')
TMP=$(mktemp -d /tmp/sslu-bench.XXXXXX)
NGINX_PID= ; JP_PID=
cleanup() {
	[ -n "$JP_PID" ] && kill "$JP_PID" 2>/dev/null && wait "$JP_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 \
	-subj /CN=localhost 2>/dev/null
mkdir -p "$TMP/logs"
cat > "$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$PORT ssl;
		ssl_certificate $TMP/cert.pem;
		ssl_certificate_key $TMP/key.pem;
		location / { return 200 "ok\n"; }
	}
}
EOF
nginx -p "$TMP" -c "$TMP/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do curl -sk -o /dev/null "https://127.0.0.1:$PORT/" && break; sleep 0.1; done
WORKER=$(pgrep -P "$NGINX_PID" | head -1)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# "name run_time_ns run_cnt" of each BPF program the process $1 holds
prog_stats() { python3 "$(dirname "$0")/bpf_prog_stats.py" "$1"; }

# one wrk run: prints "requests rps cpu_us_per_request probe_cpu_us_per_request"
measure() {
	c0=$(cpu_ticks "$WORKER"); p0=0
	[ -n "$JP_PID" ] && p0=$(cpu_ticks "$JP_PID") && prog_stats "$JP_PID" | sort > "$TMP/bpf0"
	wrk -t1 -c20 -d"${DUR}s" "https://127.0.0.1:$PORT/" > "$TMP/wrk.out"
	c1=$(cpu_ticks "$WORKER"); p1=0
	[ -n "$JP_PID" ] && p1=$(cpu_ticks "$JP_PID") && prog_stats "$JP_PID" | sort > "$TMP/bpf1"
	if [ -n "$JP_PID" ] && [ "$MODE" != naive ]; then
		req=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
		# "mode program ns_per_run runs_per_request"
		join "$TMP/bpf0" "$TMP/bpf1" | awk -v m="$MODE" -v req="$req" '
			$5 > $3 { printf "%s %s %.0f %.2f\n", m, $1, ($4 - $2) / ($5 - $3),
				  ($5 - $3) / req }' >> "$TMP/bpf_results"
	fi
	awk -v c0="$c0" -v c1="$c1" -v p0="$p0" -v p1="$p1" -v hz="$(getconf CLK_TCK)" '
		/requests in/ { req = $1 } /Requests\/sec/ { rps = $2 }
		END { printf "%d %.0f %.2f %.2f\n", req, rps, (c1 - c0) * 1e6 / hz / req,
		      (p1 - p0) * 1e6 / hz / req }' "$TMP/wrk.out"
}

start_ja4probe() {	# $1: extra plugin config lines
	cat > "$TMP/ja4probe.yaml" <<EOF
log_level: warning
stats_interval: 1
outputs:
  - type: json
    path: "$TMP/events.json"
plugins:
  ssl_uprobe:
    enabled: true
$1
EOF
	rm -f "$TMP/events.json"
	"$BUILD/core/ja4probe" -c "$TMP/ja4probe.yaml" --plugin-dir "$BUILD/plugins" \
		2> "$TMP/ja4probe.log" &
	JP_PID=$!
	for _ in $(seq 100); do grep -q '"event_type":"stats"' "$TMP/events.json" 2>/dev/null && break
		sleep 0.1; done
}

# events captured and lost, from the output and the last stats event, after a stats interval
stop_ja4probe() {
	sleep 1.5
	kill "$JP_PID"; wait "$JP_PID" || true; JP_PID=
	python3 - "$TMP/events.json" <<'PY'
import json, sys
n = 0; last = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "http_request": n += 1
    elif e["event_type"] == "stats": last = e["stats"]["plugins"].get("ssl_uprobe", last)
# a client's reads (wrk's responses, system-wide) are not requests: http_not_request is no loss
lost = last.get("lost", 0) + sum(v for k, v in last.items() if k.startswith("http_") and
                                 k not in ("http_responses_unmatched", "http_not_request"))
print(n, lost)
PY
}

run_mode() {	# $1 mode; prints "requests rps cpu events lost"
	case $1 in
	base) echo "$(measure) - -" ;;
	plugin) start_ja4probe ""; m=$(measure); echo "$m $(stop_ja4probe)" ;;
	targeted) start_ja4probe "    targets: [comm:nginx]"; m=$(measure); echo "$m $(stop_ja4probe)" ;;
	targ_er) start_ja4probe "    targets: [comm:nginx]
    read_hook: entry_return"; m=$(measure); echo "$m $(stop_ja4probe)" ;;
	trap)
		"$BUILD/bench/ssl_uprobe_naive" "$LIBSSL" trap "$COPY_SITE" "$WORKER" \
			> "$TMP/naive.out" 2>&1 &
		JP_PID=$!
		for _ in $(seq 50); do grep -q ready "$TMP/naive.out" && break; sleep 0.1; done
		m=$(measure)
		kill "$JP_PID"; wait "$JP_PID" || true; JP_PID=
		echo "$m - -" ;;
	naive)
		"$BUILD/bench/ssl_uprobe_naive" "$LIBSSL" > "$TMP/naive.out" 2>&1 &
		JP_PID=$!
		for _ in $(seq 50); do grep -q ready "$TMP/naive.out" && break; sleep 0.1; done
		m=$(measure)
		kill "$JP_PID"; wait "$JP_PID" || true; JP_PID=
		echo "$m $(sed -n 's/naive events=\([0-9]*\) lost=\([0-9]*\)/\1 \2/p' "$TMP/naive.out")" ;;
	esac
}

MODES=${MODES:-base plugin targeted targ_er naive trap}
# where ssl_uprobe hooks the plaintext copy ("copy KIND OFFSET EMULATED")
COPY_SITE=$("$BUILD/tests/ssl_uprobe/sslu_hooks_dump" "$LIBSSL" | awk '$1 == "copy" { print $3 }')
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)
trap 'echo "$STATS_WAS" > /proc/sys/kernel/bpf_stats_enabled; cleanup' EXIT INT TERM
echo 1 > /proc/sys/kernel/bpf_stats_enabled
for r in $(seq "$ROUNDS"); do
	for m in $MODES; do
		MODE=$m
		echo "$m $(run_mode "$m")" >> "$TMP/results"
		tail -1 "$TMP/results" | sed "s/^/round $r: /" >&2
	done
done

echo "nginx 1 worker, HTTPS 3-byte body, wrk -t1 -c20 -d${DUR}s keep-alive;" \
	"medians of $ROUNDS rounds"
python3 - "$TMP/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, req, rps, cpu, pcpu, ev, lost = line.split()
    rows.setdefault(m, []).append((int(req), float(rps), float(cpu), ev, lost, float(pcpu)))
med = lambda m, i: statistics.median(r[i] for r in rows[m])
base_rps, base_cpu = med("base", 1), med("base", 2)
print(f"{'mode':<9} {'req/s':>8} {'ratio':>6} {'us/req':>7} {'+us/req':>8} {'probe':>6}"
      "  events/requests, lost")
for m in ["base", "plugin", "targeted", "targ_er", "naive", "trap"]:
    if m not in rows: continue
    rps, cpu, pcpu = med(m, 1), med(m, 2), med(m, 5)
    evs = "-" if rows[m][0][3] == "-" else " ".join(f"{r[3]}/{r[0]} lost {r[4]}" for r in rows[m])
    print(f"{m:<9} {rps:8.0f} {rps / base_rps:6.2f} {cpu:7.2f} {cpu - base_cpu:+8.2f} {pcpu:6.2f}"
          f"  {evs}")
PY
echo "BPF run time (medians over rounds): mode program ns/run runs/request"
python3 - "$TMP/bpf_results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, prog, ns, per = line.split()
    rows.setdefault((m, prog), []).append((float(ns), float(per)))
for (m, prog), v in rows.items():
    ns = statistics.median(x[0] for x in v)
    per = statistics.median(x[1] for x in v)
    print(f"  {m:<9} {prog:<22} {ns:7.0f} ns/run {per:6.2f} runs/req = {ns * per:6.0f} ns/req")
PY
