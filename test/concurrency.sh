#!/usr/bin/env bash
# Concurrency: 50 parallel signups of one email give exactly one account;
# 20 pgbench clients verifying and reading through RLS for CONCURRENCY_SECONDS
# (60) see no error and never another user's row.
set -uo pipefail
suite=concurrency
cd "$(dirname "$0")/.."
. test/lib.sh

db=jwt_auth_concurrency
seconds=${CONCURRENCY_SECONDS:-60}
make_database "$db"
dir=$(mktemp -d)
trap 'rm -rf "$dir"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT

# 50 signups of one email at once.
for i in $(seq 50); do
    psql -X -q -At -d "$db" -c "SELECT auth.signup(' Same@Example.com', 'same password $i')" > "$dir/signup.$i" 2>&1 &
done
wait
check "one signup succeeded" "$(grep -lE '^[0-9a-f-]{36}$' "$dir"/signup.* | wc -l)" "^1$"
check "49 got the duplicate error" "$(grep -l 'email address is already registered' "$dir"/signup.* | wc -l)" "^49$"
check "one account" "$(psql -X -At -d "$db" -c "SELECT count(*) FROM auth.users WHERE email = 'same@example.com'")" "^1$"

# Ten users with 1 to 10 tasks each, and a token for each.
psql -X -q -d "$db" -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE TABLE bench_tokens (n int PRIMARY KEY, token text NOT NULL, tasks int NOT NULL);
GRANT SELECT ON bench_tokens TO todo_app;
DO $$
DECLARE
    tok text;
BEGIN
    FOR i IN 0..9 LOOP
        PERFORM auth.signup('user' || i || '@bench.example', 'bench password');
        tok := auth.signin('user' || i || '@bench.example', 'bench password');
        INSERT INTO bench_tokens VALUES (i, tok, i + 1);
        PERFORM auth.verify(tok);
        INSERT INTO tasks (title) SELECT 'task ' || j FROM generate_series(1, i + 1) AS j;
    END LOOP;
END
$$;
ALTER ROLE todo_app PASSWORD 'bench password';
SQL
# Each transaction verifies a random user's token and reads the tasks: a
# division by zero (an error, which aborts the client) if it sees another
# user's row or not exactly its own count.
cat > "$dir/read.sql" <<'SQL'
\set n random(0, 9)
BEGIN;
SELECT auth.verify(token) FROM bench_tokens WHERE n = :n;
SELECT 1 / (count(*) FILTER (WHERE user_id IS DISTINCT FROM auth.uid()) = 0)::int,
       1 / (count(*) = (SELECT tasks FROM bench_tokens WHERE n = :n))::int
  FROM tasks;
COMMIT;
SQL
PGUSER=todo_app PGPASSWORD='bench password' \
    pgbench -n -c 20 -j 2 -T "$seconds" -f "$dir/read.sql" "$db" > "$dir/pgbench.out" 2>&1
status=$?
check "pgbench exit status" "$status" "^0$"
check "no client aborted" "$(grep -c 'aborted' "$dir/pgbench.out")" "^0$"
check "transactions ran" "$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$dir/pgbench.out")" "^[1-9][0-9]*$"
sed -n 's/^\(number of transactions actually processed\|tps\)/concurrency: &/p' "$dir/pgbench.out"
finish
