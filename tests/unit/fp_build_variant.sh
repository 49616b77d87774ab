#!/bin/sh
# Rebuilds the tree in a scratch build dir and runs the 'fingerprint' test suite there.
#   noplus    -Dja4plus=disabled: the whole project must build, the suite must pass, and the
#             library must carry no JA4+ builder (FoxIO License 1.1 code left out)
#   sanitize  the library and its unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#             (any report fails the test); only those targets are built
# usage: fp_build_variant.sh noplus|sanitize SOURCE_DIR
set -eu
mode=$1
src=$2
dir=$(mktemp -d "/tmp/ja4probe-fp-$mode.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

case $mode in
noplus)
	set -- -Dja4plus=disabled
	targets=""
	;;
sanitize)
	set -- -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all
	targets="tests/unit/fp_tool tests/unit/test_fp_event"
	export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	;;
*)
	echo "usage: $0 noplus|sanitize SOURCE_DIR" >&2
	exit 2
	;;
esac

if ! meson setup "$dir/build" "$src" -Dwerror=true "$@" >"$dir/setup.log" 2>&1; then
	cat "$dir/setup.log"
	exit 1
fi
# shellcheck disable=SC2086 # targets is a list
ninja -C "$dir/build" $targets >"$dir/build.log" 2>&1 || { tail -50 "$dir/build.log"; exit 1; }

if [ "$mode" = sanitize ] && ! ldd "$dir/build/tests/unit/fp_tool" | grep -q libasan; then
	echo "fp_tool is not linked with AddressSanitizer"
	exit 1
fi
if [ "$mode" = noplus ]; then
	grep -q '^#define FP_HAVE_JA4PLUS 0$' \
		"$dir/build/lib/fingerprint/include/ja4probe/fp_features.h" ||
		{ echo "fp_features.h does not say FP_HAVE_JA4PLUS 0"; exit 1; }
	if nm -D --defined-only "$dir/build/lib/libja4probe-fp.so" | grep -E ' fp_ja4(s|t|h)$'; then
		echo "JA4+ builders are in the library built with -Dja4plus=disabled"
		exit 1
	fi
fi
meson test -C "$dir/build" --no-rebuild --print-errorlogs --suite fingerprint
