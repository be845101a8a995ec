#!/usr/bin/env bash
# Throttling of failed sign-ins, on a cluster with nothing preloaded and a
# small table (test/run starts one for this file):
#   pg_virtualenv -t -v 15 -o jwt_auth.throttle_size=64 bash test/throttle.sh
# Each attempt is its own autocommit statement, or a rolled-back transaction:
# the counters live outside any transaction and survive both.  Then: the
# counters are per database, a flood of junk emails neither evicts nor
# shortens a victim's count, a server restart empties the table, and a
# flood in one database locks nobody in another.
set -uo pipefail
suite=throttle
cd "$(dirname "$0")/.."
. test/lib.sh

db=jwt_auth_throttle
db2=jwt_auth_throttle_other
for d in "$db" "$db2"; do
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
    psql -X -q -d "$d" -c "SET client_min_messages = warning" -c "CREATE EXTENSION jwt_auth CASCADE" \
        -c "ALTER DATABASE $d SET jwt_auth.bcrypt_cost = 10"
done
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" -c "DROP DATABASE IF EXISTS '$db2'"' EXIT

q() { psql -X -q -At -d "${2:-$db}" -c "$1" 2>&1; }
signin() { q "SELECT auth.signin('$1', '$2') IS NOT NULL" "${3:-$db}"; }

q "SELECT auth.signup('victim@example.com', 'right password 1')" >/dev/null
q "SELECT auth.signup('lucky@example.com', 'right password 1')" >/dev/null
check "nothing preloaded" "$(q "SELECT current_setting('shared_preload_libraries') = ''")" "^t$"

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
    psql -X -q -d "$db" -c "BEGIN" -c "SELECT auth.signin('rollback@example.com', 'wrong')" -c "ROLLBACK" >/dev/null 2>&1
done
check "rolled-back failures count" "$(signin rollback@example.com 'right password 1')" "too many failed sign-in attempts"

# Per database: the same email in another database of the cluster has its
# own count and lock, and its own rules (auth.configure there).
q "SELECT auth.signup('victim@example.com', 'right password 1')" "$db2" >/dev/null
check "locked here, not in the other database" "$(signin victim@example.com 'right password 1' "$db2")" "^t$"
check "still locked here" "$(signin victim@example.com 'right password 1')" "too many failed sign-in attempts"
q "SELECT auth.configure('max_failed_signins', '2')" "$db2" >/dev/null
signin victim@example.com 'wrong 1' "$db2" >/dev/null
signin victim@example.com 'wrong 2' "$db2" >/dev/null
check "the other database's own limit" "$(signin victim@example.com 'right password 1' "$db2")" "too many failed sign-in attempts"
q "SELECT auth.configure('max_failed_signins', NULL)" "$db2" >/dev/null
for i in 1 2 3; do signin lucky@example.com "wrong $i" >/dev/null; done
q "SELECT auth.signup('lucky@example.com', 'right password 1')" "$db2" >/dev/null
signin lucky@example.com 'right password 1' "$db2" >/dev/null
signin lucky@example.com 'wrong 4' >/dev/null
check "a success elsewhere does not reset the count here" "$(signin lucky@example.com 'wrong 5')" "invalid email or password"
check "so the fifth failure here locks" "$(signin lucky@example.com 'right password 1')" "too many failed sign-in attempts"

# The table is the size jwt_auth.throttle_size asked for (64 emails), in
# pg_stat_tmp: a header, 32 bytes an email, 16 bytes an overflow counter.
check "table size" "$(q "SELECT size FROM pg_stat_file('pg_stat_tmp/jwt_auth_throttle')")" "^6208$"

# A flood of 300 junk emails (each a failed sign-in) fills the 64 entries
# many times over.  It must not make the table forget the 4 failures of a
# victim made before it, nor stop a new email from being locked after at
# most 5 failures; an account with no failures still signs in.
q "SELECT auth.signup('flooded@example.com', 'right password 1')" >/dev/null
q "SELECT auth.signup('late@example.com', 'right password 1')" >/dev/null
q "SELECT auth.signup('bystander@example.com', 'right password 1')" >/dev/null
for i in 1 2 3 4; do signin flooded@example.com "wrong $i" >/dev/null; done
flood() {
    q "DO \$\$ BEGIN FOR i IN $1..$2 LOOP BEGIN PERFORM auth.signin('junk' || i || '@example.com', 'wrong');
       EXCEPTION WHEN OTHERS THEN NULL; END; END LOOP; END \$\$" >/dev/null
}
flood 1 150 & flood 151 300 & wait
check "the victim's fifth failure is its fifth" "$(signin flooded@example.com 'wrong 5')" "invalid email or password"
check "and locks it" "$(signin flooded@example.com 'right password 1')" "too many failed sign-in attempts"
late=0
for i in 1 2 3 4 5 6; do
    out=$(signin late@example.com "wrong $i")
    case "$out" in *"invalid email or password"*) late=$((late + 1)) ;; esac
done
check "a new email during the flood: at most 5 guesses" "$late" "^[0-5]$"
check "then locked" "$(signin late@example.com 'right password 1')" "too many failed sign-in attempts"
check "a bystander still signs in" "$(signin bystander@example.com 'right password 1')" "^t$"

# Backoff: when the 30-second lock ends, one more failure locks for 60.
sleep 31
check "lock ends" "$(signin victim@example.com 'wrong 6')" "invalid email or password"
out=$(psql -X -q -At -d "$db" -c "SELECT auth.signin('victim@example.com', 'right password 1')" 2>&1)
check "lock doubles" "$out" "Try again in (5[0-9]|60) seconds\."

# max_failed_signins = 0 turns it off.
check "off switch" "$(q "SET jwt_auth.max_failed_signins = 0; SELECT auth.signin('victim@example.com', 'right password 1') IS NOT NULL")" "^t$"

# A server restart empties the table.
server_restart
check "locks end with a restart" "$(signin victim@example.com 'right password 1')" "^t$"

# A flood in one database locks nobody in another.  With one failure the
# limit in both, 1000 junk emails here fill this database's half of every
# set and then the overflow counters with its failures; twenty accounts of
# the other database, none of them failing, then each sign in at once (they
# take entries of their own database's half, not the flooded counters).
q "SELECT auth.configure('max_failed_signins', '1')" >/dev/null
q "SELECT auth.configure('max_failed_signins', '1')" "$db2" >/dev/null
for i in $(seq 1 20); do q "SELECT auth.signup('calm$i@example.com', 'right password 1')" "$db2" >/dev/null; done
flood 1001 1500 & flood 1501 2000 & wait
probes=0
for i in 1 2 3 4 5; do
    case "$(signin "probe$i@example.com" 'wrong')" in *"too many failed sign-in attempts"*) probes=$((probes + 1)) ;; esac
done
check "the flood has filled the counters here: new emails locked at once" "$probes" "^[3-5]$"
calm=0
for i in $(seq 1 20); do
    [ "$(signin "calm$i@example.com" 'right password 1' "$db2")" = t ] && calm=$((calm + 1))
done
check "a flood in another database locks none of 20 accounts" "$calm" "^20$"
q "SELECT auth.configure('max_failed_signins', NULL)" >/dev/null
q "SELECT auth.configure('max_failed_signins', NULL)" "$db2" >/dev/null

finish
