#!/bin/sh
# Installs what a fresh Debian 12 machine lacks to build and test onepass:
# Debian packages (only when missing) and the npm packages of the test
# harness. Idempotent; needs root only when something is missing.
set -eu
cd "$(dirname "$0")/.."

# postgresql: the tests start throwaway servers of their own from it
# (tests/support/pg.sh); whatever cluster Debian starts at install is
# neither used nor needed.
PKGS="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev
libpq-dev postgresql libsodium-dev libjansson-dev libinih-dev
libcurl4-openssl-dev libssl-dev clang libclang-rt-14-dev sqlite3 curl
nodejs npm chromium wrk hyperfine fonts-dejavu-core python3-aiosmtpd
openssl"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# The machine's own node may come from elsewhere; take Debian's only
# when there is no node at all.
if command -v node >/dev/null 2>&1; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo "$missing" | tr -s ' ')
if [ -n "${missing# }" ]; then
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

stamp=node_modules/.onepass-stamp
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
	echo "install-deps: npm ci"
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
	touch "$stamp"
fi
