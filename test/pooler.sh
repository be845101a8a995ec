#!/usr/bin/env bash
# Behind PgBouncer in transaction mode with one server connection, two
# clients take turns on the same server backend: an identity verified in
# one client's transaction is never seen by the other client's next one.
set -uo pipefail
suite=pooler
cd "$(dirname "$0")/.."
. test/lib.sh

db=jwt_auth_pooler
make_database "$db"
trap 'stop_pgbouncer; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT
psql -X -q -d "$db" -c "ALTER ROLE todo_app PASSWORD 'pooler password'"
start_pgbouncer "$db" todo_app "pooler password"
check "pgbouncer started" "$BOUNCER_PORT" "^[0-9]+$"

PGHOST=127.0.0.1 PGPORT=$BOUNCER_PORT PGUSER=todo_app PGPASSWORD='pooler password' PGDATABASE=$db \
/usr/bin/python3 - <<'PY' > "$BOUNCER_DIR/out" 2>&1
import psycopg

# Two clients, both connected through the pooler at once.
a = psycopg.connect(autocommit=True, prepare_threshold=None)
b = psycopg.connect(autocommit=True, prepare_threshold=None)
q = lambda c, sql, *args: c.execute(sql, args).fetchone()[0]

ada = q(a, "SELECT auth.signup('ada@pool.example', 'pool password 1')")
q(a, "SELECT auth.signup('bob@pool.example', 'pool password 1')")
tok = q(a, "SELECT auth.signin('ada@pool.example', 'pool password 1')")
with a.transaction():
    q(a, "SELECT auth.verify(%s)", tok)
    a.execute("INSERT INTO tasks (title) VALUES ('ada only')")

print("same server backend:", q(a, "SELECT pg_backend_pid()") == q(b, "SELECT pg_backend_pid()"))
# Client A verifies in a transaction; client B's next transaction runs on
# the same server connection and must see no identity and no rows.
with a.transaction():
    print("a verified:", str(q(a, "SELECT auth.verify(%s)", tok)) == str(ada))
    print("a sees its task:", q(a, "SELECT count(*) FROM tasks"))
with b.transaction():
    print("b identity:", q(b, "SELECT auth.uid()"))
    print("b sees tasks:", q(b, "SELECT count(*) FROM tasks"))
    print("b jwt:", q(b, "SELECT auth.jwt()"))
# The same without an explicit transaction: verify is its own transaction.
q(a, "SELECT auth.verify(%s)", tok)
print("b after a's bare verify:", q(b, "SELECT auth.uid()"), q(b, "SELECT count(*) FROM tasks"))
# Interleaved: A's transaction open, B runs in between (PgBouncer then has to
# wait for A's server connection, so B's statement runs after A commits).
for i in range(20):
    with a.transaction():
        q(a, "SELECT auth.verify(%s)", tok)
        seen = q(a, "SELECT count(*) FROM tasks")
    other = q(b, "SELECT count(*) FROM tasks"), q(b, "SELECT auth.uid()")
    if seen != 1 or other != (0, None):
        print("leak in round", i, seen, other)
        break
else:
    print("20 rounds without a leak")
PY
out=$(cat "$BOUNCER_DIR/out")
check "one server backend for both clients" "$out" "same server backend: True"
check "client A verified" "$out" "a verified: True"
check "client A sees its task" "$out" "a sees its task: 1"
check "client B sees no identity" "$out" "b identity: None"
check "client B sees no rows" "$out" "b sees tasks: 0"
check "client B sees no claims" "$out" "b jwt: None"
check "bare verify does not leak" "$out" "b after a's bare verify: None 0"
check "interleaved rounds" "$out" "20 rounds without a leak"
finish
