#!/usr/bin/env bash
# Run inside a throwaway cluster (see test/run): the pg_regress and isolation
# suites; dump/restore, PgBouncer, hot standby, concurrency and memory tests;
# the PyJWT interoperability tests; and a check that the server log holds no
# password or token the tests used.
# Ends with one "N passed, N failed" line for all of them.
set -uo pipefail

status=0
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# pg_regress and isolation: one line per test file.
make -s installcheck 2>&1 | tee "$out"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
passed=$((passed + $(grep -cE '\.\.\. +ok' "$out")))
failed=$((failed + $(grep -cE '\.\.\. +FAILED' "$out")))

# The shell suites (test/lib.sh): each ends with "NAME: N passed, N failed".
for t in dump_restore pooler standby concurrency memory managed logs; do
    bash "test/$t.sh" 2>&1 | tee "$out"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    line=$(grep -E "^$t: [0-9]+ passed, [0-9]+ failed$" "$out" | tail -1)
    if [ -z "$line" ]; then
        echo "suite: $t ended without its closing line" >&2
        status=1
        failed=$((failed + 1))
        continue
    fi
    passed=$((passed + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
done

# PyJWT interoperability (Debian's python3-jwt, for /usr/bin/python3).
/usr/bin/python3 -m pytest -q -p no:cacheprovider test/interop 2>&1 | tee "$out"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
passed=$((passed + $(grep -oE '[0-9]+ passed' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)))
failed=$((failed + $(grep -oE '[0-9]+ (failed|error)' "$out" | awk '{ s += $1 } END { print s + 0 }')))

# Sign-in timing, unknown email against wrong password: printed, not asserted.
/usr/bin/python3 test/signin_timing.py || status=1

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
    failed=$((failed + 1))
else
    echo "suite: no password or token in the server log ($(wc -l < "$log") lines checked)"
    passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
exit "$status"
