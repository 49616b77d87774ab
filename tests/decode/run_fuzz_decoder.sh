#!/bin/sh
# Builds the decoder's libFuzzer target with clang (-fsanitize=fuzzer,address,undefined),
# seeds it with the FoxIO captures turned into its record format, and runs it for a bounded
# time. A crash, sanitizer report, leak or timeout fails.
# usage: run_fuzz_decoder.sh SECONDS TESTDATA_DIR SRC_DIR INCLUDE_DIR... -- SOURCES...
# (the build and run are tests/common/libfuzzer.sh, shared with the parsers' fuzz test)
set -eu
. "$(dirname "$0")/../common/libfuzzer.sh"
fuzz_args "$@"
fuzz_need editcap

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

fuzz_run decoder 65536 "$work/corpus" -ljansson
