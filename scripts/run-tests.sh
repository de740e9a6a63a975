#!/usr/bin/env bash
# Runs every test suite of onepass and ends with one line
# "N passed, N failed". Each suite speaks TAP; this script counts the
# top-level "ok"/"not ok" lines of each and keeps each suite's output in
# build/test-logs/ (shown in full when the suite fails).
#
#   unit         C unit tests (tests/unit), TAP
#   fuzz-replay  every fuzz target over its corpus (gcc build)
#   integration  black-box tests of the real binary (tests/integration, node)
#   asan         unit + fuzz replay + integration again under ASan+UBSan
#   browser      Chromium through playwright-core (tests/browser)
#   fuzz         each libFuzzer target for FUZZ_SECONDS (default 10)
#
# A throwaway PostgreSQL server (tests/support/pg.sh, Debian's postgresql
# package) runs for the whole run: ONEPASS_TEST_PG_DSN points the store
# tests (test_store*_pg) and the multi-node tests (t6*) at it, and
# ONEPASS_TEST_PG_DIR lets the restart test stop and start it. It is
# stopped at the end, also on failure or interruption. SKIP_PG=1 leaves it
# out (those tests then report themselves skipped).
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C.UTF-8
logs=build/test-logs
rm -rf "$logs"; mkdir -p "$logs"
passed=0; failed=0

# count LOGFILE STATUS: adds the file's TAP results to the totals; a suite
# that exits non-zero with no failing line counts as one failure.
count() {
	local log=$1 status=$2 p f
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "  (no test ran)" >>"$log"; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $log ($p passed, $f failed)"
		grep -E '^not ok|^#   ' "$log" | head -40
		tail -n 30 "$log"
	else
		echo "ok   $log ($p passed)"
	fi
}

# run NAME CMD...: runs one suite with a time limit.
run() {
	local name=$1; shift
	local log="$logs/$name.log"
	timeout --kill-after=10 "${SUITE_TIMEOUT:-600}" "$@" >"$log" 2>&1
	count "$log" $?
}

unit_suite() {
	local dir=$1 tag=$2 t
	for t in $(find "$dir/tests" -type f -perm -u+x 2>/dev/null | sort); do
		run "$tag-$(echo "${t#$dir/tests/}" | tr / -)" "$t"
	done
	for t in $(find "$dir/fuzz-replay" -type f -perm -u+x 2>/dev/null | sort); do
		local name; name=$(basename "$t")
		run "$tag-replay-$name" "$t" "tests/fuzz/corpus/${name#fuzz_}"
	done
}

node_suite() {
	local tag=$1 dir=$2 f
	for f in $(find "$dir" -maxdepth 1 -name '*.test.js' | sort); do
		run "$tag-$(basename "$f" .test.js)" node --test --test-reporter=tap "$f"
	done
}

pg_dir=
pg_stop() {
	if [ -n "$pg_dir" ]; then
		tests/support/pg.sh destroy "$pg_dir" >/dev/null 2>&1
		pg_dir=
	fi
}
trap pg_stop EXIT
trap 'pg_stop; exit 130' INT TERM
if [ "${SKIP_PG:-}" != 1 ]; then
	pg_dir=$(mktemp -d /tmp/onepass-pg-XXXXXX)
	if ONEPASS_TEST_PG_DSN=$(tests/support/pg.sh init "$pg_dir" 2>"$logs/pg.log"); then
		export ONEPASS_TEST_PG_DSN ONEPASS_TEST_PG_DIR=$pg_dir
		echo "ok 1 - PostgreSQL started for the tests" >>"$logs/pg.log"
	else
		echo "not ok 1 - PostgreSQL could not be started" >>"$logs/pg.log"
		rm -rf "$pg_dir"
		pg_dir=
	fi
	count "$logs/pg.log" 0
fi

unit_suite build unit
ONEPASS_BIN=$PWD/build/onepass node_suite integration tests/integration

if [ -x build/asan/onepass ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	unit_suite build/asan asan
	ONEPASS_BIN=$PWD/build/asan/onepass ONEPASS_ASAN=1 node_suite asan-integration tests/integration
	unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${SKIP_BROWSER:-}" != 1 ] && [ -x /usr/bin/chromium ]; then
	ONEPASS_BIN=$PWD/build/onepass node_suite browser tests/browser
fi

if [ "${SKIP_FUZZ:-}" != 1 ]; then
	run fuzz scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
fi

pg_stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
