#!/bin/sh
# deps.sh [build|test|demo|bench] - install the Debian 12 packages jtlscope needs.
# As root: installs what is missing.  Otherwise: prints the exact apt-get line and fails.
set -eu
what=${1:-build}
build="build-essential pkg-config zlib1g-dev libpcap-dev libpcre2-dev libcjson-dev libexpat1-dev libisal-dev libssl-dev tzdata"
case "$what" in
build) pkgs="$build" ;;
demo) pkgs="$build gnuplot-nox" ;;
test) pkgs="$build libcmocka-dev gnuplot-nox tshark clang valgrind python3 chromium parallel python3-distributed" ;;
bench) pkgs="$build gnuplot-nox tshark time" ;;
*) echo "deps.sh: unknown set '$what' (build|test|demo|bench)" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "jtlscope: missing packages:$missing" >&2
	echo "run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
