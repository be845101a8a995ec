#!/usr/bin/env bash
# Run inside a throwaway cluster (see test/run): the pg_regress and isolation
# suites; dump/restore, PgBouncer, hot standby, concurrency, memory,
# managed-service and server-log tests; the PyJWT interoperability tests;
# and a check that the server log holds no password or token the tests used.
#   pg_virtualenv -t -v 15 bash test/suite.sh [PART...]
# PARTs, all by default: pg_regress isolation dump_restore pooler standby
# concurrency memory managed logs pyjwt signin_timing server_log.
# Prints one line per suite, "NAME: N passed, N failed", and after a failed
# one what tells why; the whole output of each is kept in
# test/output/suite/NAME.log.  Ends with their sum, "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
suite=suite
. test/lib.sh

logs=${SUITE_LOGS:-test/output/suite}
rm -rf "$logs"
mkdir -p "$logs"
status=0
total_passed=0
total_failed=0
parts=" ${*:-pg_regress isolation dump_restore pooler standby concurrency memory managed logs pyjwt signin_timing server_log} "

# wanted PART: whether to run it.
wanted() { [[ $parts == *" $1 "* ]]; }

# report NAME PASSED FAILED EXIT-STATUS [NOTE]: print NAME's closing line
# and, when it failed (or exited non-zero), what tells why.
report() {
    local name=$1 p=$2 f=$3 rc=$4 note=${5:-}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        note="exit status $rc${note:+, $note}"
    fi
    echo "$name: $p passed, $f failed${note:+ ($note)}"
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    if [ "$f" -gt 0 ]; then
        status=1
        failure_excerpt "$logs/$name.log"
    fi
}

# pg_regress, then isolation: one line per test file in their output.
for kind in pg_regress isolation; do
    wanted "$kind" || continue
    if [ "$kind" = pg_regress ]; then
        make -s installcheck ISOLATION= > "$logs/$kind.log" 2>&1
        rc=$?
        diffs=regression.diffs
    else
        make -s installcheck REGRESS= > "$logs/$kind.log" 2>&1
        rc=$?
        diffs=output_iso/regression.diffs
    fi
    # One line per test: "test name ... ok" (15), "ok 1 - name" (16 and later).
    report "$kind" "$(grep -cE '\.\.\. +ok|^ok [0-9]+ ' "$logs/$kind.log")" \
        "$(grep -cE '\.\.\. +FAILED|^not ok [0-9]+ ' "$logs/$kind.log")" "$rc"
    if [ "$rc" -ne 0 ] && [ -f "$diffs" ]; then
        cp "$diffs" "$logs/$kind.diffs"
        echo "----- $kind failed: the beginning of $logs/$kind.diffs"
        head -n 100 "$diffs"
    fi
done

# The shell suites (test/lib.sh): each ends with "NAME: N passed, N failed".
for t in dump_restore pooler standby concurrency memory managed logs; do
    wanted "$t" || continue
    bash "test/$t.sh" > "$logs/$t.log" 2>&1
    rc=$?
    line=$(grep -E "^$t: [0-9]+ passed, [0-9]+ failed$" "$logs/$t.log" | tail -1)
    if [ -z "$line" ]; then
        report "$t" 0 1 "$rc" "no closing line"
        continue
    fi
    report "$t" "$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')" \
        "$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')" "$rc"
done

# PyJWT interoperability (Debian's python3-jwt, for /usr/bin/python3): the
# last line of pytest -q counts them, "2 failed, 40 passed in 3.1s".
if wanted pyjwt; then
    /usr/bin/python3 -m pytest -q -p no:cacheprovider test/interop > "$logs/pyjwt.log" 2>&1
    rc=$?
    counts=$(grep -E '[0-9]+ (passed|failed|errors?)' "$logs/pyjwt.log" | tail -1)
    report pyjwt "$(grep -oE '[0-9]+ passed' <<<"$counts" | grep -oE '[0-9]+' || echo 0)" \
        "$(grep -oE '[0-9]+ (failed|errors?)' <<<"$counts" | awk '{ s += $1 } END { print s + 0 }')" "$rc"
fi

# Sign-in timing, unknown email against wrong password: printed, not
# asserted, and not counted unless it fails to run.
if ! wanted signin_timing; then
    :
elif /usr/bin/python3 test/signin_timing.py > "$logs/signin_timing.log" 2>&1; then
    cat "$logs/signin_timing.log"
else
    report signin_timing 0 1 1
fi

# The cluster's log: no secret of the tests (secrets_in_log).
log=$(server_log)
if ! wanted server_log; then
    :
elif [ -z "$log" ] || [ ! -f "$log" ]; then
    echo "cannot find the server log for port $PGPORT" > "$logs/server_log.log"
    report server_log 0 1 0
else
    leaks=$(secrets_in_log "$log" || true)
    if [ -n "$leaks" ]; then
        { echo "the server log $log holds secrets from the tests:"; echo "$leaks" | head -20; } > "$logs/server_log.log"
        report server_log 0 1 0
    else
        echo "no password or token in $log" > "$logs/server_log.log"
        report server_log 1 0 0 "$(wc -l < "$log") lines checked"
    fi
fi

echo "$total_passed passed, $total_failed failed"
exit "$status"
