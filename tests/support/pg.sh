#!/bin/sh
# pg.sh - a throwaway PostgreSQL server for the tests, from Debian's
# postgresql package, in a directory of its own. It never touches the
# package's own cluster (which Debian may start at install): it runs its
# own postmaster with initdb + pg_ctl, as the postgres user (initdb
# refuses root), listening on a unix socket in DIR/sock and, with
# PG_TCP=1, on a free 127.0.0.1 port (password auth, random password).
#
#   pg.sh init DIR     initdb into DIR/data, start, print the DSN
#   pg.sh stop DIR     stop the server (fast shutdown), keep the data
#   pg.sh start DIR    start it again on the same socket/port, wait until
#                      it accepts connections, print the DSN
#   pg.sh dsn DIR      print the DSN
#   pg.sh destroy DIR  stop the server and remove DIR
#
# DIR must be an empty directory made by the caller (mktemp -d); init
# hands it to the postgres user. The server is stopped by the PID in its
# postmaster.pid, never by name. The DSN is a postgresql:// URL for the
# superuser "postgres" and the database "postgres".
set -eu

PGBIN=${PGBIN:-}
if [ -z "$PGBIN" ]; then
	for v in 17 16 15 14 13; do
		if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
			PGBIN=/usr/lib/postgresql/$v/bin
			break
		fi
	done
fi
[ -n "$PGBIN" ] || { echo "pg.sh: no PostgreSQL server installed" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: pg.sh init|start|stop|dsn|destroy DIR" >&2; exit 2; }

# as_pg CMD...: runs CMD as the postgres user (or as is when not root).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null ||
		python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

dsn() {
	if [ -f "$dir/port" ]; then
		printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' \
			"$(cat "$dir/password")" "$(cat "$dir/port")"
	else
		printf 'postgresql:///postgres?host=%s&user=postgres\n' "$dir/sock"
	fi
}

server_pid() {
	[ -f "$dir/data/postmaster.pid" ] && head -n 1 "$dir/data/postmaster.pid"
}

start() {
	port=5432
	listen=
	if [ -f "$dir/port" ]; then
		port=$(cat "$dir/port")
		listen=127.0.0.1
	fi
	# -w waits until the server accepts connections.
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir/sock -p $port -c listen_addresses='$listen'" \
		start >/dev/null
}

stop() {
	pid=$(server_pid || true)
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 300 ]; then
			kill -QUIT "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
}

case $cmd in
init)
	[ -d "$dir" ] || { echo "pg.sh: no directory '$dir'" >&2; exit 1; }
	mkdir -p "$dir/sock"
	if [ "${PG_TCP:-}" = 1 ]; then
		free_port >"$dir/port"
		od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$dir/password"
	fi
	printf '%s\n' "$(cat "$dir/password" 2>/dev/null || echo unused)" >"$dir/pwfile"
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
	chmod 700 "$dir" "$dir/sock"
	as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2; exit 1; }
	rm -f "$dir/pwfile"
	# A test server: speed over durability, and small.
	cat >>"$dir/data/postgresql.conf" <<EOF
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_min_messages = warning
EOF
	start
	dsn
	;;
start)
	start
	dsn
	;;
stop)
	stop
	;;
dsn)
	dsn
	;;
destroy)
	stop
	rm -rf "$dir"
	;;
*)
	echo "pg.sh: unknown command '$cmd'" >&2
	exit 2
	;;
esac
