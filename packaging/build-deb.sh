#!/bin/sh
# Builds the Debian packages from a clean copy of the source tree, never in the tree itself:
# the files git tracks plus the untracked ones it does not ignore (so uncommitted work builds
# too, build directories do not). The .deb, .buildinfo and .changes files land in OUT_DIR.
# usage: packaging/build-deb.sh OUT_DIR [dpkg-buildpackage options]
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [dpkg-buildpackage options]" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ja4probe-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir "$work/ja4probe"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xf - -C "$work/ja4probe"
else	# an unpacked release: everything but build directories
	(cd "$src" && tar --exclude='./build*' --exclude='./obj-*' -cf - .) |
		tar -xf - -C "$work/ja4probe"
fi
[ -d "$work/ja4probe/debian" ] || ln -s packaging/debian "$work/ja4probe/debian"

(cd "$work/ja4probe" && dpkg-buildpackage -us -uc -b "$@")
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
ls "$out"/*.deb
