#!/bin/sh
# `make run`: the demo on this machine. The ID service listens on
# http://127.0.0.1:8080 and the business site on http://localhost:8090 (two
# host names, so the two cookie jars stay apart); SQLite and the Maildir
# live under ./var/. The demo profiles (etc/demo-profiles.csv) are loaded
# once; both portals register themselves with the ID service on first start.
set -eu
cd "$(dirname "$0")/.."
mkdir -p var
if [ -z "$(build/onepass profile list --data-dir ./var 2>/dev/null)" ]; then
	build/onepass profile import --data-dir ./var etc/demo-profiles.csv
fi
cat <<MSG
onepass demo
  ID service:     http://127.0.0.1:8080/signup   (get an ID)
  business site:  http://localhost:8090/          (CustomerSource, PartnerSource)
  mail:           ./var/mail/new/  (or: build/onepass mail list --data-dir ./var)
  demo profiles:  etc/demo-profiles.csv (e.g. alex.morgan@example.com)
Press Ctrl-C to stop.
MSG
exec build/onepass serve --data-dir ./var
