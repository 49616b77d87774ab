#!/bin/sh
# A plugin built out of tree from the installed SDK alone: stage `meson install`, compile the
# test plugin with nothing but `pkg-config ja4probe-plugin`, and load it with the staged daemon.
# usage: test_sdk_out_of_tree.sh BUILD_DIR PLUGIN_SOURCE
set -eu
build=$1 src=$2
tmp=$(mktemp -d /tmp/ja4probe-sdk.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" >/dev/null
prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
pc=$(find "$tmp/stage" -name ja4probe-plugin.pc)
[ -n "$pc" ] || { echo "FAIL: ja4probe-plugin.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
pkgconf() { pkg-config --define-variable=prefix="$tmp/stage$prefix" "$@" ja4probe-plugin; }

abi=$(pkgconf --variable=abi_major)
hdr_abi=$(sed -n 's/^#define JP_ABI_MAJOR \([0-9]*\)$/\1/p' "$tmp/stage$prefix/include/ja4probe/plugin.h")
[ "$abi" = "$hdr_abi" ] || { echo "FAIL: .pc abi_major '$abi' != header's '$hdr_abi'"; exit 1; }
case "$(pkgconf --variable=plugindir)" in
*/ja4probe/plugins) ;;
*) echo "FAIL: plugindir '$(pkgconf --variable=plugindir)'"; exit 1 ;;
esac

mkdir -m 755 "$tmp/plugins"
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
	$(pkgconf --cflags) -DTP_NAME='"tp_sdk"' "$src" -o "$tmp/plugins/tp_sdk.so"
chmod 644 "$tmp/plugins/tp_sdk.so"
exported=$(nm -D --defined-only "$tmp/plugins/tp_sdk.so" | awk '$2 ~ /[TDRB]/ {print $3}')
[ "$exported" = "ja4probe_plugin" ] || { echo "FAIL: exported symbols: $exported"; exit 1; }

daemon=$(find "$tmp/stage" -path '*/sbin/ja4probe')
"$daemon" --list-plugins --plugin-dir "$tmp/plugins" | grep -q '^tp_sdk .* ok$' ||
	{ echo "FAIL: staged daemon does not load the out-of-tree plugin"; "$daemon" --list-plugins --plugin-dir "$tmp/plugins"; exit 1; }

cat > "$tmp/cfg.yaml" <<CFG
stats_interval: 0
outputs:
  - type: json
    path: $tmp/out.json
plugins:
  tp_sdk:
    enabled: true
    events: 2
CFG
"$daemon" -c "$tmp/cfg.yaml" --plugin-dir "$tmp/plugins" &
pid=$!
i=0
until [ "$(grep -c '"plugin":"tp_sdk"' "$tmp/out.json" 2>/dev/null)" = 2 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { kill $pid; echo "FAIL: no events from tp_sdk"; exit 1; }
	sleep 0.05
done
kill -TERM $pid
wait $pid || { echo "FAIL: daemon exit $?"; exit 1; }
echo "ok: out-of-tree plugin built from the staged SDK and loaded"
