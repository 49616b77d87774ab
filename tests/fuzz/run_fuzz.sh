#!/bin/sh
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined), seeds each
# from the FoxIO captures (payloads extracted with tshark into a temporary corpus) and runs
# each for a bounded time. Any crash, sanitizer report, leak or timeout fails the test.
# usage: run_fuzz.sh SECONDS TESTDATA_DIR FUZZ_SRC_DIR INCLUDE_DIR... -- LIBRARY_SOURCES...
# (the build and run are tests/common/libfuzzer.sh, shared with the decoder's fuzz test)
set -eu
. "$(dirname "$0")/../common/libfuzzer.sh"
fuzz_args "$@"
fuzz_need tshark

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
	fuzz_run "$target" 20000 "$work/corpus-$target" || status=1
done
exit $status
