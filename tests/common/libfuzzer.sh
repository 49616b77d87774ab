# shellcheck shell=sh
# What the libFuzzer test scripts share (sourced): their arguments, and building and running
# one target with clang (-fsanitize=fuzzer,address,undefined) for a bounded time. A crash,
# sanitizer report, leak or timeout fails the target, and its reproducer is printed as hex.
#
# fuzz_args "$@": reads SECONDS TESTDATA_DIR SRC_DIR INCLUDE_DIR... -- SOURCES... into
# $seconds $data $src $incs, leaves SOURCES in $sources; checks for clang and TOOL ($1 of
# fuzz_need), and makes the work directory $work (removed on exit).
fuzz_args() {
	seconds=$1 data=$2 src=$3
	shift 3
	incs=""
	while [ "$1" != "--" ]; do
		incs="$incs -I$1"
		shift
	done
	shift
	sources="$*"
}

fuzz_need() {
	if ! command -v clang >/dev/null || ! command -v "$1" >/dev/null; then
		echo "clang or $1 missing (scripts/install-deps.sh --test): skipped"
		exit 77
	fi
	work=$(mktemp -d /tmp/ja4probe-fuzz.XXXXXX)
	trap 'rm -rf "$work"' EXIT INT TERM
}

# fuzz_run NAME MAX_LEN CORPUS_DIR EXTRA_LIBS...: build $src/fuzz_NAME.c with $sources, run it
fuzz_run() {
	name=$1 max_len=$2 corpus=$3
	shift 3
	# shellcheck disable=SC2086 # incs and sources are lists
	clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $incs -o "$work/fuzz_$name" \
		"$src/fuzz_$name.c" $sources "$@" -lcrypto -lpthread
	echo "fuzzing $name for ${seconds}s"
	if ! "$work/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$max_len" -print_final_stats=1 -artifact_prefix="$work/$name-" \
		"$corpus" >"$work/$name.log" 2>&1; then
		tail -60 "$work/$name.log"
		for a in "$work/$name"-crash-* "$work/$name"-leak-* "$work/$name"-timeout-*; do
			[ -e "$a" ] || continue
			echo "reproducer $(basename "$a"): $(od -An -tx1 "$a" | tr -d ' \n' | head -c 4000)"
		done
		return 1
	fi
	grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$work/$name.log" || true
}
