#!/bin/sh
# `make run`: the demo on this machine. The ID service listens on
# http://127.0.0.1:8080 with its SQLite database and Maildir under ./var/.
set -eu
cd "$(dirname "$0")/.."
mkdir -p var
echo "onepass: ID service on http://127.0.0.1:8080 (data in ./var, mail in ./var/mail/new)"
echo "onepass: press Ctrl-C to stop"
exec build/onepass serve --data-dir ./var
