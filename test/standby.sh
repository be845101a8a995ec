#!/usr/bin/env bash
# A streaming hot standby of the test cluster (made with pg_basebackup)
# verifies tokens and serves RLS-filtered reads; signup and signin there
# fail with a clear error; a signout on the primary reaches it.
set -uo pipefail
suite=standby
cd "$(dirname "$0")/.."
. test/lib.sh

db=jwt_auth_standby
make_database "$db"
dir=$(mktemp -d)
port=$(free_port)
# The server's own pg_ctl (pg_virtualenv and test/versions.sh export PG_CONFIG).
pg_ctl=$("${PG_CONFIG:-pg_config}" --bindir)/pg_ctl
chown postgres "$dir"
cleanup() {
    su postgres -s /bin/sh -c "$pg_ctl -D '$dir/data' -m immediate stop" >/dev/null 2>&1
    rm -rf "$dir"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
}
trap "cat $dir/log; cleanup" EXIT

p() { psql -X -q -At -d "$db" -c "$1" 2>&1; }
s() { psql -X -q -At -h 127.0.0.1 -p "$port" -d "$db" -c "$1" 2>&1; }

ada=$(p "SELECT auth.signup('ada@standby.example', 'standby password 1')")
p "SELECT auth.signup('bob@standby.example', 'standby password 1')" >/dev/null
tok=$(p "SELECT auth.signin('ada@standby.example', 'standby password 1')")
bob=$(p "SELECT auth.signin('bob@standby.example', 'standby password 1')")
p "BEGIN; SELECT auth.verify('$tok'); INSERT INTO tasks (title) VALUES ('a1'), ('a2'); COMMIT" >/dev/null
p "BEGIN; SELECT auth.verify('$bob'); INSERT INTO tasks (title) VALUES ('b1'); COMMIT" >/dev/null

# The standby: a base backup with -R (standby.signal, primary_conninfo).
su postgres -s /bin/sh -c "PGPASSWORD='$PGPASSWORD' pg_basebackup -h 127.0.0.1 -p $PGPORT -U '$PGUSER' \
    -D '$dir/data' -R -X stream -c fast" 2>&1
# Debian keeps a cluster's configuration outside its data directory: give
# the copy a minimal one of its own, with the primary's pg_hba.conf.
conf=$(server_config_dir)
cp "$conf/pg_hba.conf" "$conf/pg_ident.conf" "$dir/data/"
: > "$dir/data/postgresql.conf"
chown postgres "$dir/data/postgresql.conf" "$dir/data/pg_hba.conf" "$dir/data/pg_ident.conf"
su postgres -s /bin/sh -c "$pg_ctl -D '$dir/data' -l '$dir/log' -w \
    -o '-p $port -k $dir -c hot_standby=on -c listen_addresses=127.0.0.1' start" >/dev/null
check "standby is in recovery" "$(s "SELECT pg_is_in_recovery()")" "^t$"

wait_for_replay() {
    lsn=$(p "SELECT pg_current_wal_lsn()")
    for _ in $(seq 100); do
        [ "$(s "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return
        sleep 0.1
    done
}
wait_for_replay

check "verify works on the standby" "$(s "SELECT auth.verify('$tok')")" "^$ada$"
check "RLS reads there: own rows only" \
    "$(s "BEGIN; SET LOCAL ROLE todo_app; SELECT auth.verify('$tok') IS NOT NULL; SELECT string_agg(title, ',' ORDER BY title) FROM tasks; COMMIT")" \
    "^a1,a2$"
check "no identity, no rows" "$(s "SET ROLE todo_app; SELECT count(*) FROM tasks")" "^0$"
out=$(psql -X -q -At -h 127.0.0.1 -p "$port" -d "$db" -v VERBOSITY=verbose -c "SELECT auth.signup('new@standby.example', 'standby password 1')" 2>&1)
check "signup fails clearly" "$out" "25006: cannot execute auth.signup\(\) in a read-only transaction"
out=$(psql -X -q -At -h 127.0.0.1 -p "$port" -d "$db" -v VERBOSITY=verbose -c "SELECT auth.signin('ada@standby.example', 'standby password 1')" 2>&1)
check "signin fails clearly" "$out" "25006: cannot execute auth.signin\(\) in a read-only transaction"
check "signin hint" "$out" "call it through the primary server"

# A signout on the primary reaches the standby.
p "SELECT auth.signout('$tok')" >/dev/null
wait_for_replay
check "signed-out token refused on the standby" "$(s "SELECT auth.verify('$tok')")" "token has been revoked"
check "other user still verifies" "$(s "SELECT auth.verify('$bob') IS NOT NULL")" "^t$"

# A standby backend that has cached bob's token and session refuses the
# token once the signout replays: the invalidation comes with the commit.
out=$(psql -X -q -At -h 127.0.0.1 -p "$port" -d "$db" 2>&1 <<SQL
SELECT 'first ' || (auth.verify('$bob') IS NOT NULL);
SELECT 'cached ' || (auth.verify('$bob') IS NOT NULL);
\\! psql -X -q -At -d "$db" -c "SELECT auth.signout('$bob')" -c "SELECT pg_current_wal_lsn()" > "$dir/lsn"
\\set lsn \`tail -n 1 "$dir/lsn"\`
SELECT pg_sleep(0.05) FROM generate_series(1, 200) WHERE pg_last_wal_replay_lsn() < :'lsn'::pg_lsn;
SELECT 'after ' || (auth.verify('$bob') IS NOT NULL);
SQL
)
check "cached token verifies on the standby" "$out" "cached true"
check "cached token refused after the signout replays" "$out" "token has been revoked"
finish
