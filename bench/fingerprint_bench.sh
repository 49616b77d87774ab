#!/bin/sh
# Parse + fingerprint rate of the fingerprint library, one core: extracts the ClientHellos
# and HTTP request heads of the FoxIO captures with tshark, then runs fingerprint_bench on
# them (pinned to one CPU). usage: bench/fingerprint_bench.sh [BUILD_DIR] [SECONDS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
seconds=${2:-2}
data=$here/../../shared/ja4-testdata/pcap
work=$(mktemp -d /tmp/ja4probe-fpbench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
for f in "$data"/*; do
	tshark -r "$f" -Y 'tls.handshake.type==1 && tcp' -T fields -e tcp.payload 2>/dev/null
done | grep . >"$work/tls.hex" || true
for f in "$data"/*; do
	tshark -r "$f" -Y 'http.request' -T fields -e tcp.reassembled.data -e tcp.payload \
		2>/dev/null | awk '{print $1}'
done | grep . >"$work/http.hex" || true
exec taskset -c 0 "$build/bench/fingerprint_bench" -t "$seconds" "tls:$work/tls.hex" \
	"http:$work/http.hex"
