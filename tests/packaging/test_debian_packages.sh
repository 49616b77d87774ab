#!/bin/sh
# The Debian packages, built once from a copy of the source tree (packaging/build-deb.sh) and
# installed on this machine with dpkg, then purged (trap):
#   - Build-Depends covers what scripts/install-deps.sh installs to build;
#   - lintian reports no error (its warnings are printed);
#   - `ja4probe --list-plugins`, with no flag, lists from the packaged plugin directory exactly
#     the plugins the installed packages contain, each `ok`;
#   - the packaged config is valid; the unit passes `systemd-analyze verify`; every installed
#     plugin runs in the unit's sandbox (its capabilities alone, everything read-only but its
#     ReadWritePaths, emulated with unshare and setpriv); the logrotate snippet moves the
#     packaged output file and the daemon reopens it; the manual pages are found by man; the
#     SDK package builds examples/plugin-hello;
#   - removing one plugin package removes that plugin and leaves the others `ok`, and a config
#     enabling it fails --check-config (exit 2) naming the package to install.
# usage: test_debian_packages.sh SOURCE_ROOT
# shellcheck disable=SC2046,SC2086  # package and plugin lists are split on purpose
set -eu
src=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: dpkg -i needs root"; exit 77; }
tmp=$(mktemp -d /tmp/ja4probe-debtest.XXXXXX)
chmod 755 "$tmp"

installed() {
	dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' 'ja4probe*' 2>/dev/null |
		awk '$2 != "not-installed" {print $1}'
}
purge() {
	pkgs=$(installed)
	[ -z "$pkgs" ] || dpkg --purge $pkgs >/dev/null
}
daemon=
cleanup() {
	[ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
	purge
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; exit 1; }
# quiet NAME WHAT CMD...: run CMD with its output in $tmp/NAME.log, shown when it fails
quiet() {
	name=$1 what=$2
	shift 2
	"$@" >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; fail "$what"; }
}
# wait_until LOG WHAT CMD...: poll CMD for 10 s while the daemon lives; else show LOG and fail
wait_until() {
	log=$1 what=$2
	shift 2
	i=0
	until "$@"; do
		i=$((i + 1))
		kill -0 "$daemon" 2>/dev/null && [ $i -lt 100 ] || { cat "$log"; fail "$what"; }
		sleep 0.1
	done
}
# stop_daemon LOG WHAT: SIGTERM, which must end it with exit 0
stop_daemon() {
	kill -TERM "$daemon"
	wait "$daemon" || { rc=$?; cat "$1"; fail "$2: exit $rc"; }
	daemon=
}
plugin_of() { sed -n 's|.*/ja4probe/plugins/\(.*\)\.so$|\1|p'; }	# file list -> plugin names

if [ -n "$(installed)" ]; then
	echo "note: purging ja4probe packages left on this machine: $(installed | tr '\n' ' ')"
	purge
fi

# 0. what scripts/install-deps.sh installs to build is what debian/control declares
build_deps=$(python3 -c 'import re, sys
print(re.search(r"^BUILD=\"([^\"]*)\"", open(sys.argv[1]).read(), re.M).group(1))' \
	"$src/scripts/install-deps.sh")
[ -n "$build_deps" ] || fail "no BUILD list in scripts/install-deps.sh"
declared=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$src/packaging/debian/control")
for p in $build_deps; do
	echo "$declared" | grep -Eq "(^|[ :,])$p( |,|$)" ||
		fail "$p is installed by scripts/install-deps.sh to build, but not in Build-Depends"
done

# 1. build, once
quiet build "packaging/build-deb.sh" "$src/packaging/build-deb.sh" "$tmp/debs"
ls "$tmp/debs"/*.deb | sed 's|.*/||'

# 2. lintian: errors fail, warnings are listed (README, section Packaging)
lintian --no-tag-display-limit "$tmp/debs"/*.changes >"$tmp/lintian.log" 2>&1 || true
grep -E '^[EW]: ' "$tmp/lintian.log" || true
if grep -q '^E: ' "$tmp/lintian.log"; then fail "lintian errors"; fi

# 3. install every package but the debug symbols
debs=
for deb in "$tmp/debs"/*.deb; do
	case "$deb" in *-dbgsym_*) ;; *) debs="$debs $deb" ;; esac
done
quiet dpkg "dpkg -i" dpkg -i $debs
want_version=$(dpkg-deb -f "$tmp/debs"/ja4probe_*.deb Version)
/usr/sbin/ja4probe --version | grep -q "^ja4probe $want_version " ||
	fail "installed ja4probe --version: $(/usr/sbin/ja4probe --version), package $want_version"
dpkg-query -W -f='${Conffiles}\n' ja4probe | grep -q ' /etc/ja4probe/ja4probe.yaml ' ||
	fail "/etc/ja4probe/ja4probe.yaml is not a conffile"

# the plugins the installed packages hold, from the packages themselves
packaged_plugins() {
	for p in $(installed | grep '^ja4probe-plugin-'); do
		dpkg -L "$p" | plugin_of
	done | sort
}
listed_ok() { /usr/sbin/ja4probe --list-plugins 2>&1 | awk '/ ok$/ {print $1}' | sort; }
check_listing() {
	want=$(packaged_plugins)
	got=$(listed_ok)
	[ -n "$want" ] || fail "no plugin in the installed packages"
	[ "$want" = "$got" ] || {
		/usr/sbin/ja4probe --list-plugins
		fail "--list-plugins lists '$(echo "$got" | tr '\n' ' ')' ok," \
			"the packages hold '$(echo "$want" | tr '\n' ' ')'"; }
	[ "$(/usr/sbin/ja4probe --list-plugins 2>&1 | grep -vc ' ok$')" = 0 ] || {
		/usr/sbin/ja4probe --list-plugins; fail "a plugin line is not ok"; }
}
check_listing
echo "ok: installed, --list-plugins: $(listed_ok | tr '\n' ' ')"

# 4. the packaged config, unit, logrotate snippet, manual pages
quiet check "the packaged config" /usr/sbin/ja4probe --check-config
unit=$(dpkg -L ja4probe | grep '/systemd/system/ja4probe.service$')
quiet verify "systemd-analyze verify $unit" systemd-analyze verify "$unit"
if grep -q 'ja4probe' "$tmp/verify.log"; then
	cat "$tmp/verify.log"; fail "systemd-analyze warns about $unit"
fi
quiet logrotate-d "logrotate -d /etc/logrotate.d/ja4probe" logrotate -d /etc/logrotate.d/ja4probe
if grep -q error "$tmp/logrotate-d.log"; then
	cat "$tmp/logrotate-d.log"; fail "logrotate errors"
fi
quiet man "man -w ja4probe" man -w 8 ja4probe
quiet man "man -w ja4probe.yaml" man -w 5 ja4probe.yaml

# 4b. the unit's sandbox is enough for every installed plugin: all of them, required, run with
#     the capability bounding set of the unit and of the drop-ins the plugin packages add, in a
#     mount namespace where, as with ProtectSystem=strict + ProtectKernelTunables=, every
#     file system but /dev and /proc is read-only except the unit's ReadWritePaths= (tracefs
#     mounted beforehand, as systemd's sys-kernel-tracing.mount does), until a stats event
#     shows them all running
dropins=$(dpkg -L $(installed) | grep '/ja4probe\.service\.d/.*\.conf$' || true)
caps=$(cat "$unit" $dropins | sed -n 's/^CapabilityBoundingSet=//p' | tr ' ' '\n' |
	sed -n 's/^CAP_\(.*\)$/+\L\1/p' | sort -u | paste -sd, -)
rw=$(sed -n 's/^ReadWritePaths=//p' "$unit")
[ -n "$caps" ] && [ -d "$rw" ] || fail "no CapabilityBoundingSet or ReadWritePaths in $unit"
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
{
	printf 'stats_interval: 1\noutputs:\n  - type: json\n    path: %s\nplugins:\n' \
		"$rw/caps-test.json"
	for p in $(packaged_plugins); do
		printf '  %s:\n    enabled: true\n    required: true\n' "$p"
		[ "$p" != tc_capture ] || printf '    interfaces: [lo]\n'
	done
} >"$tmp/caps.yaml"
unshare --mount --propagation private sh -c '
	rw=$1; shift
	mount --bind "$rw" "$rw"
	for m in $(findmnt -R -n -l -o TARGET /); do
		case "$m" in /dev | /dev/* | /proc | /proc/* | "$rw") continue ;; esac
		mount -o remount,bind,ro "$m" 2>/dev/null || true
	done
	if touch /etc/.ja4probe-rw-test 2>/dev/null || ! touch "$rw/.rw-test"; then
		echo "the read-only sandbox could not be set up" >&2; exit 3
	fi
	rm -f "$rw/.rw-test"
	exec "$@"' sh "$rw" \
	setpriv --bounding-set "-all,$caps" --inh-caps -all --no-new-privs \
	/usr/sbin/ja4probe -c "$tmp/caps.yaml" 2>"$tmp/caps.log" &
daemon=$!
all_in_stats() {
	python3 - "$rw/caps-test.json" $(packaged_plugins) 2>/dev/null <<'PY'
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] == "stats" and set(sys.argv[2:]) <= set(ev["stats"]["plugins"]):
        sys.exit(0)
sys.exit(1)
PY
}
wait_until "$tmp/caps.log" "the plugins do not all run in the unit's sandbox ($caps)" all_in_stats
stop_daemon "$tmp/caps.log" "ja4probe in the unit's sandbox"
rm -f "$rw/caps-test.json"
if grep -Ei 'denied|not permitted|cannot attach|missing privilege|read-only' "$tmp/caps.log"; then
	fail "a probe lacks something the unit does not grant ($caps)"
fi
echo "ok: every installed plugin runs in the unit's sandbox: read-only but $rw, $caps"

# 4c. logrotate: the packaged snippet moves the packaged output file away and its postrotate
#     makes the running daemon reopen it (SIGHUP): the old file keeps what was written, the
#     new one fills again
log_path=$(sed -n 's/^ *path: *\(\/[^ ]*\).*/\1/p' /etc/ja4probe/ja4probe.yaml)
[ -n "$log_path" ] || fail "the packaged config writes no file"
sed 's/^stats_interval:.*/stats_interval: 1/' /etc/ja4probe/ja4probe.yaml >"$tmp/rotate.yaml"
printf '    interfaces: [lo]\n' >>"$tmp/rotate.yaml"	# the packaged config ends in tc_capture
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -gt 0 ]; }
/usr/sbin/ja4probe -c "$tmp/rotate.yaml" 2>"$tmp/rotate.log" &
daemon=$!
wait_until "$tmp/rotate.log" "nothing written to $log_path" has_lines "$log_path"
quiet logrotate-f "logrotate -f /etc/logrotate.d/ja4probe" \
	logrotate -f -s "$tmp/logrotate.state" /etc/logrotate.d/ja4probe
has_lines "$log_path.1" || fail "no $log_path.1 after rotation: $(ls -l "$(dirname "$log_path")")"
wait_until "$tmp/rotate.log" "nothing written to $log_path after rotation" has_lines "$log_path"
python3 -c 'import json,sys; [json.loads(l) for f in sys.argv[1:] for l in open(f)]' \
	"$log_path.1" "$log_path" || fail "a rotated or reopened file holds a broken line"
stop_daemon "$tmp/rotate.log" "ja4probe with the packaged output"
grep -q 'SIGHUP: reopening outputs' "$tmp/rotate.log" ||
	{ cat "$tmp/rotate.log"; fail "the daemon did not log the reopen"; }
echo "ok: logrotate moved $log_path ($(lines "$log_path.1") lines) and ja4probe reopened it"

# 5. the SDK package: the example plugin built against it alone, loaded by the installed daemon
[ -f /usr/share/doc/ja4probe-dev/plugin-guide.md ] || fail "no plugin guide in ja4probe-dev"
cp -r /usr/share/doc/ja4probe-dev/examples/plugin-hello "$tmp/hello-src"
quiet hello "plugin-hello: meson setup against ja4probe-dev" \
	meson setup "$tmp/hello-build" "$tmp/hello-src"
quiet hello "plugin-hello: build against ja4probe-dev" ninja -C "$tmp/hello-build"
hello_dir=$(meson introspect "$tmp/hello-build" --installed |
	python3 -c 'import json, os, sys; print(os.path.dirname(*json.load(sys.stdin).values()))')
[ "$hello_dir" = "$(pkg-config --variable=plugindir ja4probe-plugin)" ] ||
	fail "plugin-hello would install into $hello_dir, not the plugin directory"
/usr/sbin/ja4probe --list-plugins --plugin-dir "$tmp/hello-build" | grep -q '^hello .* ok$' ||
	fail "the installed daemon does not load plugin-hello built against ja4probe-dev"
echo "ok: config, unit, logrotate, man pages, SDK"

# 6. one plugin package removed: its plugin is gone, the others still load, and enabling it
#    names the package to install; likewise for every plugin package built, which checks the
#    daemon's table of plugin packages against debian/control (an empty plugin directory
#    stands for "not installed")
# check_missing PLUGIN PACKAGE [--plugin-dir DIR]
check_missing() {
	plugin=$1 pkg=$2
	shift 2
	printf 'plugins:\n  %s:\n    enabled: true\n' "$plugin" >"$tmp/missing.yaml"
	rc=0
	/usr/sbin/ja4probe --check-config -c "$tmp/missing.yaml" "$@" >"$tmp/missing.log" 2>&1 ||
		rc=$?
	[ $rc = 2 ] && grep -q "install the package $pkg\b" "$tmp/missing.log" || {
		cat "$tmp/missing.log"
		fail "a missing $plugin: exit $rc (want 2), or the package $pkg is not named"; }
}
victim=ja4probe-plugin-nginx
victim_plugin=$(dpkg -L "$victim" | plugin_of)
dpkg -r "$victim" >/dev/null
check_listing
if listed_ok | grep -qx "$victim_plugin"; then
	fail "$victim_plugin still listed after dpkg -r $victim"
fi
check_missing "$victim_plugin" "$victim"
echo "ok: after dpkg -r $victim: $(listed_ok | tr '\n' ' ')remain ok; $(cat "$tmp/missing.log")"
mkdir -m 755 "$tmp/empty"
n=0
for deb in "$tmp/debs"/ja4probe-plugin-*.deb; do
	case "$deb" in *-dbgsym_*) continue ;; esac
	check_missing "$(dpkg-deb -c "$deb" | plugin_of)" "$(dpkg-deb -f "$deb" Package)" \
		--plugin-dir "$tmp/empty"
	n=$((n + 1))
done
echo "ok: a missing plugin names its package, for each of the $n plugin packages"

# 7. purge leaves nothing behind
purge
for f in /etc/ja4probe/ja4probe.yaml /usr/sbin/ja4probe /var/log/ja4probe; do
	[ ! -e "$f" ] || fail "$f left after purge"
done
echo "ok: debian packages built, checked by lintian, installed, listed, removed and purged"
