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
cat <<'PORTALS'

; Portals of the business site: one section [portal_<slug>] each (slug:
; lower-case letters and digits). CustomerSource and PartnerSource exist by
; default; a section with the same slug changes them, "enabled = false"
; removes one, a new slug adds a portal. ONEPASS_PORTAL_<SLUG>_<KEY>
; overrides a key of an existing portal.
[portal_customersource]
; The name shown on pages and in mail
; name = CustomerSource
; Where the portal lives on the business site
; path = /customersource
; Which profiles it admits: customer or partner
; audience = customer
; The OpenID provider's issuer URL; empty: the local ID service
; issuer =
; The portal's client at that provider; empty: registered with the local
; ID service on first start (first-party, so no consent page)
; client_id =
; client_secret =
; enabled = true

[portal_partnersource]
; name = PartnerSource
; path = /partnersource
; audience = partner
PORTALS
} > etc/onepass.ini.example
