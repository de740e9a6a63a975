#!/usr/bin/env bash
# Source guards (curl's checksrc, mod_auth_openidc's check scripts):
# banned functions, raw allocation outside xmalloc/arena, library headers
# outside their layer, file length. Exits non-zero on a violation.
set -u
cd "$(dirname "$0")/.."
fail=0
say() { echo "check-src: $*"; fail=1; }

banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|rand|gets)[[:space:]]*\('
hits=$(grep -rnE "$banned" src | grep -v '^\S*:[0-9]*:\s*/\?\*' || true)
[ -n "$hits" ] && say "banned function:
$hits"

raw=$(grep -rnE '\b(malloc|calloc|realloc|free)[[:space:]]*\(' src \
	| grep -vE '^src/core/(xmalloc|arena)\.c:' \
	| grep -vE 'x(malloc|calloc|realloc|free)|arena_|_free\(|json_|sqlite3_free|MHD_|curl_' || true)
[ -n "$raw" ] && say "raw allocation outside core/xmalloc.c:
$raw"

mhd=$(grep -rln '<microhttpd.h>' src | grep -v '^src/http/' || true)
[ -n "$mhd" ] && say "<microhttpd.h> outside src/http/: $mhd"
sql=$(grep -rlnE '<(sqlite3|libpq-fe)\.h>' src | grep -vE '^src/store/(sqlite|pg)/' || true)
[ -n "$sql" ] && say "SQL headers outside src/store/<backend>/: $sql"

for f in $(find src tests -name '*.c'); do
	n=$(wc -l <"$f")
	if [ "$n" -gt 1500 ]; then say "$f has $n lines (limit 1500)";
	elif [ "$n" -gt 1000 ]; then echo "check-src: warning: $f has $n lines"; fi
done

# Every key documented in the example file, and no unknown key there.
keys=$(sed -n 's/^CONFIG_KEY(\([a-z_]*\), \([a-z_0-9]*\),.*/\1.\2/p' src/core/config_keys.def | sort)
ex=$(awk '/^\[/{s=substr($0,2,length($0)-2)} s !~ /^portal_/ && /^;? *[a-z_0-9]+ *=/{k=$0; sub(/^; */,"",k); sub(/ *=.*/,"",k); print s"."k}' etc/onepass.ini.example | sort)
[ "$keys" = "$ex" ] || say "etc/onepass.ini.example and config_keys.def differ:
$(diff <(echo "$keys") <(echo "$ex") 2>/dev/null || true)"

[ $fail -eq 0 ] && echo "check-src: ok"
exit $fail
