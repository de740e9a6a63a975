#!/usr/bin/env bash
# fuzz.sh SECONDS - runs every libFuzzer target of onepass for SECONDS
# each and prints TAP ("ok N - fuzz NAME Ss", "not ok" when it crashed
# or did not build, then "1..N").
#
# Every tests/fuzz/fuzz_<name>.c is linked against the project's sources
# (all of src/ but main.c, plus the generated build/gen/*.c) compiled
# once with clang and -fsanitize=fuzzer-no-link,address,undefined into
# build/fuzz/ (incrementally, two compilers at a time). Each target runs
# on a scratch copy of tests/fuzz/corpus/<name>/ with the dictionary
# tests/fuzz/dict/<name>.dict when there is one, so the repository's
# corpus never changes: new seeds are admitted by hand with -merge=1.
# Crash inputs and logs stay in build/fuzz/.
set -u
cd "$(dirname "$0")/.." || exit 1

secs=${1:-10}
out=build/fuzz
cc=${FUZZ_CC:-$(command -v clang-14 || command -v clang || echo clang)}
pkgs=$(make -s --no-print-directory print-pkgs)
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-std=c17 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -w $san"
# shellcheck disable=SC2086 # $pkgs is a list of names
cflags="$cflags -Isrc -Ibuild/gen $(pkg-config --cflags $pkgs 2>/dev/null)"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $pkgs 2>/dev/null) -lpthread"
n=0

tap() {	# tap ok|"not ok" DESCRIPTION [LOG]
	n=$((n + 1))
	echo "$1 $n - $2"
	if [ "$1" != ok ] && [ -n "${3:-}" ] && [ -f "$3" ]; then
		tail -n 25 "$3" | sed 's/^/#   /'
	fi
}

mkdir -p "$out/artifacts"

# The generated sources (templates, static files, blocklist) come from
# the main build.
make --no-print-directory build/libonepass.a >"$out/make.log" 2>&1 ||
	echo "# make build/libonepass.a failed; see $out/make.log"

# Objects: a throw-away makefile gives dependency tracking and -j2.
make --no-print-directory -k -j2 -f - objs >"$out/objs.log" 2>&1 <<MK
SRC := \$(filter-out src/main.c,\$(shell find src -name '*.c' | sort)) \
       \$(sort \$(wildcard build/gen/*.c))
OBJ := \$(patsubst %.c,$out/obj/%.o,\$(SRC))
objs: \$(OBJ)
$out/obj/%.o: %.c
	@mkdir -p \$(@D)
	$cc $cflags -fsanitize=fuzzer-no-link -MMD -MP -c -o \$@ \$<
-include \$(shell find $out/obj -name '*.d' 2>/dev/null)
MK
objs_rc=$?
[ $objs_rc -eq 0 ] || echo "# some sources did not compile; see $out/objs.log"

# Archive the objects of today's sources only (not those of files since
# removed); a source that failed to compile is left out.
rm -f "$out/libonepass-fuzz.a"
objs=
for s in $(find src -name '*.c' ! -path src/main.c | sort) build/gen/*.c; do
	o=$out/obj/${s%.c}.o
	if [ -f "$s" ] && [ -f "$o" ] && [ "$o" -nt "$s" ]; then
		objs="$objs $o"
	fi
done
if [ -n "$objs" ]; then
	# shellcheck disable=SC2086
	ar rcs "$out/libonepass-fuzz.a" $objs
fi

for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	bin=$out/$(basename "$src" .c)
	name=${bin##*/fuzz_}
	log=$out/fuzz_$name.log
	# shellcheck disable=SC2086
	if ! $cc $cflags -fsanitize=fuzzer -Itests -o "$bin" "$src" \
		"$out/libonepass-fuzz.a" $libs >"$log" 2>&1; then
		tap "not ok" "fuzz $name (build failed)" "$log"
		continue
	fi
	work=$(mktemp -d "$out/corpus-$name.XXXXXX")
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$work/"
	fi
	dict=
	for d in "tests/fuzz/dict/$name.dict" "tests/fuzz/dict/$name"; do
		if [ -f "$d" ]; then dict="-dict=$d"; break; fi
	done
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" $dict -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name-" "$work" >"$log" 2>&1
	then
		tap ok "fuzz $name ${secs}s"
	else
		tap "not ok" "fuzz $name ${secs}s (crash; see $log)" "$log"
	fi
	rm -rf "$work"
done
echo "1..$n"
