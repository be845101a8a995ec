#!/usr/bin/env bash
# Throttling of failed sign-ins, on a cluster with jwt_auth in
# shared_preload_libraries (test/run starts one for this file):
#   pg_virtualenv -t -v 15 -o shared_preload_libraries=jwt_auth bash test/throttle.sh
# Each attempt is its own autocommit statement, or a rolled-back transaction:
# the counters live in shared memory and survive both.
set -uo pipefail

db=jwt_auth_throttle
passed=0
failed=0
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT

q() { psql -X -q -At -d "$db" -c "SET jwt_auth.bcrypt_cost = 10" -c "$1" 2>&1; }
check() {
    if printf '%s' "$2" | grep -qE -- "$3"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "throttle: FAILED $1: got '$2', expected /$3/" >&2
    fi
}
signin() { q "SELECT auth.signin('$1', '$2') IS NOT NULL"; }

q "SET client_min_messages = warning; CREATE EXTENSION jwt_auth CASCADE" >/dev/null
q "SELECT auth.signup('victim@example.com', 'right password 1')" >/dev/null
q "SELECT auth.signup('lucky@example.com', 'right password 1')" >/dev/null
check "library preloaded" "$(q "SHOW shared_preload_libraries")" "jwt_auth"

# Five failures lock the email; the sixth attempt is refused even with the
# right password, with a hint saying when to retry.
for i in 1 2 3 4 5; do
    check "failure $i is a wrong password" "$(signin victim@example.com "wrong $i")" "invalid email or password"
done
out=$(psql -X -q -At -d "$db" -v VERBOSITY=verbose -c "SELECT auth.signin('victim@example.com', 'right password 1')" 2>&1)
check "locked after 5 failures" "$out" "ERROR:  28000: too many failed sign-in attempts"
check "hint says when" "$out" "HINT:  Try again in (2[0-9]|30) seconds\."
check "other emails unaffected" "$(signin lucky@example.com 'right password 1')" "^t$"

# An unknown email is throttled exactly the same way.
for i in 1 2 3 4 5; do
    check "unknown email failure $i" "$(signin nobody@example.com "wrong $i")" "invalid email or password"
done
check "unknown email locked too" "$(signin nobody@example.com 'wrong 6')" "too many failed sign-in attempts"
check "spelling does not matter" "$(signin ' NoBody@Example.COM' 'wrong 7')" "too many failed sign-in attempts"
for i in 1 2 3 4 5; do signin 'not an email' x >/dev/null; done
check "impossible addresses too" "$(signin 'not an email' x)" "too many failed sign-in attempts"

# A success forgets the failures.
for i in 1 2 3 4; do signin lucky@example.com "wrong $i" >/dev/null; done
check "success before the limit" "$(signin lucky@example.com 'right password 1')" "^t$"
for i in 1 2 3 4; do signin lucky@example.com "wrong $i" >/dev/null; done
check "count started again" "$(signin lucky@example.com 'right password 1')" "^t$"

# Parallel attempts cannot get past the limit: each is counted before the
# slow hash, so of 20 at once at most 5 reach the password check.
q "SELECT auth.signup('parallel@example.com', 'right password 1')" >/dev/null
dir=$(mktemp -d)
for i in $(seq 20); do signin parallel@example.com "wrong $i" > "$dir/$i" & done
wait
check "at most 5 parallel guesses checked" "$(grep -l 'invalid email or password' "$dir"/* | wc -l)" "^[1-5]$"
check "the rest refused at once" "$(grep -l 'too many failed sign-in attempts' "$dir"/* | wc -l)" "^(1[5-9])$"
rm -rf "$dir"

# Failures inside transactions that roll back still count.
q "SELECT auth.signup('rollback@example.com', 'right password 1')" >/dev/null
for i in 1 2 3 4 5; do
    psql -X -q -d "$db" -c "SET jwt_auth.bcrypt_cost = 10" -c "BEGIN" \
        -c "SELECT auth.signin('rollback@example.com', 'wrong')" -c "ROLLBACK" >/dev/null 2>&1
done
check "rolled-back failures count" "$(signin rollback@example.com 'right password 1')" "too many failed sign-in attempts"

# Backoff: when the 30-second lock ends, one more failure locks for 60.
sleep 31
check "lock ends" "$(signin victim@example.com 'wrong 6')" "invalid email or password"
out=$(psql -X -q -At -d "$db" -c "SELECT auth.signin('victim@example.com', 'right password 1')" 2>&1)
check "lock doubles" "$out" "Try again in (5[0-9]|60) seconds\."

# jwt_auth.max_failed_signins = 0 turns it off.
check "off switch" "$(q "SET jwt_auth.max_failed_signins = 0; SELECT auth.signin('victim@example.com', 'right password 1') IS NOT NULL")" "^t$"

echo "throttle: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
