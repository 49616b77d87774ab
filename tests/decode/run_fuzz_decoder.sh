#!/bin/sh
# Builds the decoder's libFuzzer target with clang (-fsanitize=fuzzer,address,undefined),
# seeds it with the FoxIO captures turned into its record format, and runs it for a bounded
# time. A crash, sanitizer report, leak or timeout fails.
# usage: run_fuzz_decoder.sh SECONDS TESTDATA_DIR SRC_DIR INCLUDE_DIR... -- SOURCES...
set -eu
seconds=$1 data=$2 src=$3
shift 3
incs=""
while [ "$1" != "--" ]; do
	incs="$incs -I$1"
	shift
done
shift
if ! command -v clang >/dev/null || ! command -v editcap >/dev/null; then
	echo "clang or editcap missing (scripts/install-deps.sh --test): skipped"
	exit 77
fi
work=$(mktemp -d /tmp/ja4probe-fuzz-decoder.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

# one seed per capture: every frame as a record, the selector naming the capture's link type
mkdir "$work/corpus"
python3 - "$data" "$work" <<'PY'
import glob, os, struct, subprocess, sys
data, work = sys.argv[1], sys.argv[2]
selector = {1: 0, 113: 1, 276: 2, 101: 3, 0: 4, 108: 5}
for i, path in enumerate(sorted(glob.glob(os.path.join(data, "pcap", "*")))):
    pcap = os.path.join(work, "seed.pcap")
    subprocess.run(["editcap", "-F", "pcap", path, pcap], check=True, capture_output=True)
    raw = open(pcap, "rb").read()
    end = "<" if raw[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    link = struct.unpack(end + "I", raw[20:24])[0]
    out, off = b"", 24
    while off + 16 <= len(raw):
        incl = struct.unpack(end + "I", raw[off + 8:off + 12])[0]
        frame = raw[off + 16:off + 16 + incl][:65535]
        out += bytes([selector.get(link, 0)]) + struct.pack("!H", len(frame)) + frame
        off += 16 + incl
    open(os.path.join(work, "corpus", str(i)), "wb").write(out)
    os.unlink(pcap)
print("corpus: %d seeds" % len(os.listdir(os.path.join(work, "corpus"))))
PY

# shellcheck disable=SC2086 # incs is a list of -I flags
clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$incs -o "$work/fuzz_decoder" "$src/fuzz_decoder.c" "$@" \
	-ljansson -lcrypto -lpthread
echo "fuzzing the decoder for ${seconds}s"
if ! "$work/fuzz_decoder" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" \
	>"$work/fuzz.log" 2>&1; then
	tail -60 "$work/fuzz.log"
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$a" ] || continue
		echo "reproducer $(basename "$a"): $(od -An -tx1 "$a" | tr -d ' \n' | head -c 4000)"
	done
	exit 1
fi
grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$work/fuzz.log" || true
