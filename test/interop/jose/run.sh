#!/usr/bin/env bash
# jwt_auth's own EdDSA, ES256 and RS256 tokens verified by jose (npm package
# jose), as a service outside the database would: with nothing but the JWKS
# of auth.jwks(), the issuer and audience jwt_auth puts in its tokens, and
# the algorithm pinned.  verify.mjs does the work on a fresh database (see
# its header: rotation to each algorithm, tampered and expired tokens, the
# JWKS's contents, a retired key leaving the JWKS) and prints one line per
# check; each becomes a check here.
#
# Runs inside a throwaway cluster with the extension installed:
#     make install && pg_virtualenv -t -v 15 bash test/interop/jose/run.sh
# Needs Node.js 20 or later with npm; installs the npm packages of
# package-lock.json (npm ci) when node_modules does not hold them yet
# (test/interop/node_packages.sh).  Ends with "jose: N passed, N failed".
set -euo pipefail
suite=jose
cd "$(dirname "$0")/../../.."
. test/lib.sh
. test/interop/node_packages.sh

node_suite_begin
psql -X -q -d "$db" -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "CREATE EXTENSION jwt_auth CASCADE"

started=$SECONDS
status=0
PGDATABASE=$db JOSE_APP_USER=$app JOSE_APP_PASSWORD=$app_pw node test/interop/jose/verify.mjs \
    > "$work/checks" 2> "$work/errors" || status=$?
while IFS=$'\t' read -r verdict name detail; do
    check "$name" "$verdict${detail:+: $detail}" "^ok$"
done < "$work/checks"
# What verify.mjs said on stderr (a stack trace, if it stopped short).
[ ! -s "$work/errors" ] || sed "s/^/$suite: verify.mjs: /" "$work/errors" >&2
check "verify.mjs ran to its end" "exit $status" "^exit 0$"
check "verify.mjs made its checks" "$(grep -c . "$work/checks" || true)" "^[1-9][0-9]+$"
echo "$suite: done in $((SECONDS - started)) s"
finish
