#!/usr/bin/env bash
# `make bench`: request rates of the ID service on loopback with wrk.
# Starts its own server on a free port with a temporary data directory,
# runs each measurement for a bounded time, stops the server by its PID.
# Reports medians of 3 runs: the machine is shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${BENCH_SECONDS:-5}
dir=$(mktemp -d /tmp/onepass-bench-XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
ONEPASS_ID_LISTEN=127.0.0.1:$port ONEPASS_ID_PUBLIC_URL=http://127.0.0.1:$port \
ONEPASS_BUSINESS_LISTEN= ONEPASS_LOG_LEVEL=warn \
ONEPASS_SIGNIN_FREE_FAILURES=100000000 ONEPASS_SIGNIN_IP_MAX_FAILURES=100000000 \
	build/onepass serve --data-dir "$dir" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/signin" >/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { # rate URL [wrk args...]
	local url=$1; shift
	for _ in 1 2 3; do
		wrk -t2 -c32 -d"${dur}s" "$@" "$url" | awk '/Requests\/sec/ {print $2}'
	done | median
}
echo "GET /signin          $(rate "http://127.0.0.1:$port/signin") req/s (median of 3, ${dur}s each, 2 threads, 32 connections)"
echo "GET /static/style.css $(rate "http://127.0.0.1:$port/static/style.css") req/s"
echo "GET /.well-known/openid-configuration $(rate "http://127.0.0.1:$port/.well-known/openid-configuration") req/s"
echo "GET /jwks (RS256, ES256, EdDSA keys) $(rate "http://127.0.0.1:$port/jwks") req/s"
# Page views while a sign-in storm hashes passwords on the slow pool: every
# POST carries a valid CSRF pair and fails after a full argon2id hash
# (the throttles are lifted for this server only).
jar=$dir/jar
token=$(curl -s -c "$jar" "http://127.0.0.1:$port/signin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
cookie=$(awk '$6 == "op_csrf" {print $7}' "$jar")
cat >/tmp/onepass-bench-post.lua <<LUA
wrk.method = "POST"
wrk.body = "email=nobody%40example.com&password=wrong+password+here&save=never&csrf=$token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "op_csrf=$cookie"
LUA
wrk -t1 -c8 -d"$((dur + 2))s" -s /tmp/onepass-bench-post.lua "http://127.0.0.1:$port/signin" >"$dir/storm.out" &
storm=$!
sleep 1
echo "GET /signin during a POST /signin storm: $(rate "http://127.0.0.1:$port/signin") req/s"
wait $storm || true
echo "POST /signin (failed sign-ins, argon2id each): $(awk '/Requests\/sec/ {print $2}' "$dir/storm.out") req/s, 8 connections; $(grep -c . "$dir/storm.out" >/dev/null; awk '/Non-2xx/ {print $NF " answers were not 2xx"; f=1} END {if (!f) print "all 2xx"}' "$dir/storm.out")"
rm -f /tmp/onepass-bench-post.lua

# The OpenID provider's code exchange and association confirmations: each
# script starts its own server.
ONEPASS_BIN=$PWD/build/onepass node bench/oidc-rates.js
