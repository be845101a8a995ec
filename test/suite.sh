#!/usr/bin/env bash
# Run inside a throwaway cluster (see test/run): the pg_regress and isolation
# suites, then a check that the server log holds no password or token the
# suites used.
set -uo pipefail

status=0
out=$(mktemp)
make -s installcheck 2>&1 | tee "$out"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
passed=$(grep -cE '^(not )?(ok|test) .*\.\.\. +ok' "$out" || true)
failed=$(grep -cE '\.\.\. +FAILED' "$out" || true)
rm -f "$out"

# The cluster's log, found by its port.
log=$(pg_lsclusters --no-header | awk -v port="$PGPORT" '$3 == port { print $7 }')
if [ -z "$log" ] || [ ! -f "$log" ]; then
    echo "suite: cannot find the server log for port $PGPORT" >&2
    exit 1
fi
# Every password in the suites ends in "password", "password 1" etc., or is
# one of these; every token starts with a base64url-encoded '{"'.
leaks=$(grep -n -E "password [0-9]'|password'|correct horse|long enough 1|eyJ[A-Za-z0-9_-]{10,}" "$log" || true)
if [ -n "$leaks" ]; then
    echo "suite: the server log holds secrets from the tests:" >&2
    echo "$leaks" | head -20 >&2
    status=1
else
    echo "suite: no password or token in the server log ($(wc -l < "$log") lines checked)"
fi
echo "$passed passed, $failed failed"
exit "$status"
