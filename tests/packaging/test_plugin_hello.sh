#!/bin/sh
# examples/plugin-hello, a real plugin (BPF on sched/sched_process_exec), built out of tree with
# its own meson.build against a staged `meson install` of this build (found through
# `pkg-config ja4probe-plugin` alone), installed into the staged plugin directory the .pc
# names, and loaded by the staged daemon: an exec of a program we name must come out as a
# process_exec event with that program's pid, comm and path.
# usage: test_plugin_hello.sh BUILD_DIR EXAMPLE_SOURCE_DIR
set -eu
build=$1 example=$2
tmp=$(mktemp -d /tmp/ja4probe-hello.XXXXXX)
daemon_pid=
cleanup() {
	[ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"
fail() { echo "FAIL: $*"; exit 1; }

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" >/dev/null
option() {	# NAME: a meson option of the build
	meson introspect "$build" --buildoptions | python3 -c \
		'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]==sys.argv[1]][0])' "$1"
}
prefix=$(option prefix)
pc=$(find "$tmp/stage" -name ja4probe-plugin.pc)
[ -n "$pc" ] || fail "ja4probe-plugin.pc not installed"
# the staged SDK as an installed one would be: the same .pc with its prefix moved to the stage
mkdir "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp/stage$prefix|" "$pc" > "$tmp/pc/ja4probe-plugin.pc"
export PKG_CONFIG_PATH="$tmp/pc"
plugindir=$(pkg-config --variable=plugindir ja4probe-plugin)
case "$plugindir" in "$tmp/stage/"*) ;; *) fail "plugindir $plugindir is not in the stage" ;; esac

meson setup "$tmp/hello-build" "$example" -Dwerror=true >"$tmp/setup.log" 2>&1 ||
	{ cat "$tmp/setup.log"; fail "meson setup of $example"; }
ninja -C "$tmp/hello-build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build"; }
meson install -C "$tmp/hello-build" --no-rebuild --quiet >/dev/null
[ -f "$plugindir/hello.so" ] || fail "hello.so not installed into $plugindir"
exported=$(nm -D --defined-only "$plugindir/hello.so" | awk '$2 ~ /[TDRB]/ {print $3}')
[ "$exported" = "ja4probe_plugin" ] || fail "hello.so exports: $exported"

daemon="$tmp/stage$prefix/$(option sbindir)/ja4probe"
# the rpath names the final private library directory, which a stage is not
fplib=$(find "$tmp/stage" -name libja4probe-fp.so)
if [ -n "$fplib" ]; then
	LD_LIBRARY_PATH=$(dirname "$fplib")
	export LD_LIBRARY_PATH
fi
"$daemon" --list-plugins --plugin-dir "$plugindir" >"$tmp/list" 2>&1 || true
grep -q '^hello .* ok$' "$tmp/list" || { cat "$tmp/list"; fail "the staged daemon does not load hello.so"; }

cat > "$tmp/cfg.yaml" <<CFG
stats_interval: 0
outputs:
  - type: json
    path: $tmp/out.json
plugins:
  hello:
    enabled: true
    required: true
    poll_interval_ms: 20
CFG
"$daemon" --check-config -c "$tmp/cfg.yaml" --plugin-dir "$plugindir" >/dev/null ||
	fail "--check-config of the hello config"
"$daemon" -c "$tmp/cfg.yaml" --plugin-dir "$plugindir" 2>"$tmp/daemon.log" &
daemon_pid=$!

# A program with a name of our own: its path, pid, parent (this shell) and comm (the kernel
# keeps the first 15 bytes of the file name) are known here without asking ja4probe.
prog="$tmp/hello-exec-probe-$$"
cp /bin/true "$prog"
found=
i=0
while [ -z "$found" ] && [ $i -lt 100 ]; do
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log"; fail "daemon exited"; }
	"$prog" &
	pid=$!
	wait "$pid"
	sleep 0.1
	found=$(python3 - "$tmp/out.json" "$prog" "$pid" "$$" <<'PY'
import json, os, sys
path, prog, pid, ppid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
try:
    lines = open(path).read().splitlines()
except FileNotFoundError:
    sys.exit(0)
for line in lines:
    ev = json.loads(line)
    p = ev.get("process", {})
    if ev.get("event_type") == "process_exec" and p.get("filename") == prog and p.get("pid") == pid:
        want_comm = os.path.basename(prog)[:15]
        assert ev["plugin"] == "hello", ev
        assert p["comm"] == want_comm, (p["comm"], want_comm)
        assert p["ppid"] == ppid, (p["ppid"], ppid)   # forked by this shell
        print("ok")
        break
PY
)
	i=$((i + 1))
done
[ "$found" = ok ] || { cat "$tmp/daemon.log"; head -5 "$tmp/out.json" 2>/dev/null; fail "no process_exec event for $prog"; }
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "daemon exit status $?"
daemon_pid=
echo "ok: plugin-hello built out of tree from the staged SDK, loaded, and saw the exec of $prog"
