#!/usr/bin/env bash
# Writes etc/onepass.ini.example from src/core/config_keys.def: every key,
# its documentation and its default. `make lint` checks they agree.
set -euo pipefail
cd "$(dirname "$0")/.."
{
echo "; onepass.ini.example - every configuration key with its default."
echo "; Copy to onepass.ini, uncomment what you change, and run"
echo ";   onepass serve --config onepass.ini"
echo "; Every key can also be set by ONEPASS_<SECTION>_<KEY> (upper case),"
echo "; which wins over this file. --data-dir wins over [server] data_dir."
sec=""
sed -n 's/^CONFIG_KEY(\([a-z_]*\), \([a-z_0-9]*\), \([A-Z]*\), "\(.*\)", "\(.*\)")$/\1|\2|\3|\4|\5/p' src/core/config_keys.def |
while IFS='|' read -r s k t d doc; do
	if [ "$s" != "$sec" ]; then echo; echo "[$s]"; sec=$s; fi
	echo "; $doc"
	echo "; $k = $d"
done
} > etc/onepass.ini.example
