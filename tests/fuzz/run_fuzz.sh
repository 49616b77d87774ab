#!/bin/sh
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined), seeds each
# from the FoxIO captures (payloads extracted with tshark into a temporary corpus) and runs
# each for a bounded time. Any crash, sanitizer report, leak or timeout fails the test.
# usage: run_fuzz.sh SECONDS TESTDATA_DIR FUZZ_SRC_DIR INCLUDE_DIR... -- LIBRARY_SOURCES...
set -eu
seconds=$1 data=$2 fuzz_src=$3
shift 3
incs=""
while [ "$1" != "--" ]; do
	incs="$incs -I$1"
	shift
done
shift
if ! command -v clang >/dev/null || ! command -v tshark >/dev/null; then
	echo "clang or tshark missing (scripts/install-deps.sh --test): skipped"
	exit 77
fi
work=$(mktemp -d /tmp/ja4probe-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

# seed corpora: TLS hellos, HTTP request heads, TCP headers of SYN/SYN-ACKs
python3 - "$data" "$work" <<'PY'
import glob, json, os, subprocess, sys
data, work = sys.argv[1], sys.argv[2]
def save(kind, hexdata):
    d = os.path.join(work, "corpus-" + kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{len(os.listdir(d))}"), "wb") as f:
        f.write(bytes.fromhex(hexdata))
for pcap in sorted(glob.glob(os.path.join(data, "pcap", "*"))):
    for kind, filt in (("tls", "tls.handshake.type==1 || tls.handshake.type==2"),
                       ("http", "http.request")):
        out = subprocess.run(["tshark", "-r", pcap, "-Y", filt, "-T", "fields",
                              "-e", "tcp.payload"], capture_output=True, text=True).stdout
        for line in out.split():
            save(kind, line)
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp.flags.syn==1", "-T", "json", "-x",
                          "-J", "tcp"], capture_output=True, text=True).stdout
    for pkt in json.loads(out or "[]"):
        raw = pkt["_source"]["layers"].get("tcp_raw")
        if raw:
            save("tcp", raw[0])
for kind in ("tls", "http", "tcp"):
    d = os.path.join(work, "corpus-" + kind)
    os.makedirs(d, exist_ok=True)
    print(f"corpus {kind}: {len(os.listdir(d))} seeds")
PY

status=0
for target in tls http tcp; do
	# shellcheck disable=SC2086 # incs is a list of -I flags
	clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $incs -o "$work/fuzz_$target" \
		"$fuzz_src/fuzz_$target.c" "$@" -lcrypto -lpthread
	echo "fuzzing $target for ${seconds}s"
	if ! "$work/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=20000 -print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus-$target" >"$work/$target.log" 2>&1; then
		tail -60 "$work/$target.log"
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -e "$a" ] || continue
			echo "reproducer $(basename "$a"): $(od -An -tx1 "$a" | tr -d ' \n')"
		done
		status=1
	else
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' \
			"$work/$target.log" || true
	fi
done
exit $status
