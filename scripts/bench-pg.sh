#!/usr/bin/env bash
# bench-pg.sh - authenticated page views per second (GET /account with a
# signed-in session cookie) on one node with SQLite, one node with
# PostgreSQL and two nodes sharing one PostgreSQL, all on this machine
# over loopback. Not part of `make check`: run it by hand after `make`.
#
# It starts its own throwaway PostgreSQL (tests/support/pg.sh, TCP on a
# free 127.0.0.1 port with a password, as a node on another machine would
# connect) and its own nodes on free ports with temporary data
# directories, signs one ID up and in through the real forms, then runs
# wrk with that cookie. Two nodes: one wrk per node at the same time,
# their rates summed (what a load balancer spreading the load would see).
# Each figure is the median of 3 runs of BENCH_SECONDS (default 5).
# Everything it starts is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${BENCH_SECONDS:-5}
conns=${BENCH_CONNECTIONS:-32}
bin=${ONEPASS_BIN:-build/onepass}
work=$(mktemp -d /tmp/onepass-bench-pg-XXXXXX)
pgdir=$(mktemp -d /tmp/onepass-bench-pgdb-XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	tests/support/pg.sh destroy "$pgdir" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# node_start NAME STORE_URL: starts a node; sets port. (Not in a command
# substitution: the PID must reach pids in this shell.)
node_start() {
	local name=$1 url=$2
	port=$(free_port)
	mkdir -p "$work/$name"
	ONEPASS_ID_LISTEN=127.0.0.1:$port ONEPASS_ID_PUBLIC_URL=http://127.0.0.1:$port \
	ONEPASS_BUSINESS_LISTEN= ONEPASS_LOG_LEVEL=warn ONEPASS_STORE_URL=$url \
		"$bin" serve --data-dir "$work/$name" >"$work/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		curl -fs "http://127.0.0.1:$port/signin" >/dev/null && break
		sleep 0.1
	done
}

# session PORT: signs a new ID up and in through the forms; prints the
# Cookie header value of the signed-in session.
session() {
	local port=$1 jar=$work/jar-$1 csrf email pw
	email="bench-$RANDOM$RANDOM@example.com"
	pw="correct horse battery staple $RANDOM$RANDOM"
	csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/signup" |
		sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s -o /dev/null -c "$jar" -b "$jar" \
		--data-urlencode "email=$email" --data-urlencode "password=$pw" \
		--data-urlencode "password2=$pw" --data-urlencode "csrf=$csrf" \
		"http://127.0.0.1:$port/signup"
	csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/signin" |
		sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s -o /dev/null -c "$jar" -b "$jar" \
		--data-urlencode "email=$email" --data-urlencode "password=$pw" \
		--data-urlencode "save=never" --data-urlencode "csrf=$csrf" \
		"http://127.0.0.1:$port/signin"
	local cookie
	cookie=$(awk '$6 == "op_session" {print "op_session=" $7}' "$jar")
	[ -n "$cookie" ] || { echo "bench-pg: sign-in failed on port $port" >&2; exit 1; }
	# The page must really be the signed-in one.
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" \
		"http://127.0.0.1:$port/account")" = 200 ] ||
		{ echo "bench-pg: /account is not 200 with the cookie" >&2; exit 1; }
	echo "$cookie"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# rate PORT COOKIE THREADS: requests/s of one wrk run on /account.
rate() {
	wrk -t"$3" -c"$conns" -d"${dur}s" -H "Cookie: $2" \
		"http://127.0.0.1:$1/account" | awk '/Requests\/sec/ {print $2}'
}

rate_one() {
	for _ in 1 2 3; do rate "$1" "$2" 2; done | median
}

# Two wrk at once, one per node; prints the sum.
rate_two() {
	local a b
	for _ in 1 2 3; do
		rate "$1" "$2" 1 >"$work/r1" &
		a=$!
		rate "$3" "$4" 1 >"$work/r2" &
		b=$!
		wait "$a" "$b"
		awk '{s += $1} END {printf "%.2f\n", s}' "$work/r1" "$work/r2"
	done | median
}

echo "bench-pg: $(nproc) CPUs, ${dur}s per run, $conns connections per wrk, median of 3"

node_start sqlite ""
cookie=$(session "$port")
echo "SQLite,      1 node:  $(rate_one "$port" "$cookie") authenticated page views/s"

dsn=$(PG_TCP=1 tests/support/pg.sh init "$pgdir")
psql -X -q -d "$dsn" -c "CREATE DATABASE onepass_bench"
url=${dsn%/postgres}/onepass_bench

node_start pg1 "$url"
p1=$port
c1=$(session "$p1")
echo "PostgreSQL,  1 node:  $(rate_one "$p1" "$c1") authenticated page views/s"

node_start pg2 "$url"
p2=$port
c2=$(session "$p2")
echo "PostgreSQL,  2 nodes: $(rate_two "$p1" "$c1" "$p2" "$c2") authenticated page views/s (sum of both nodes)"
