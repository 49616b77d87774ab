#!/bin/sh
# Installs the Debian 12 packages ja4probe needs to build, run and test. Idempotent.
set -eu
BUILD="meson ninja-build pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
       libyaml-dev libjansson-dev libpcap-dev libssl-dev libcapstone-dev"
RUNTIME="iproute2"
# the test suite drives real servers, clients and capture tools
TEST="nginx apache2 rsyslog openssl curl tshark tcpdump wrk iperf3 python3 python3-yaml python3-cryptography procps
      debhelper dpkg-dev fakeroot lintian systemd man-db groff-base logrotate
      libclang-rt-14-dev"

want="$BUILD $RUNTIME"
[ "${1:-}" = "--test" ] && want="$want $TEST"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps Debian's postinst from starting nginx/apache/rsyslog on ports the tests use;
# ours goes whatever happens (left behind, it would stop every later service start on the host)
if [ ! -e /usr/sbin/policy-rc.d ]; then
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	trap 'exit 130' INT TERM
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
fi
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends $missing >/dev/null
