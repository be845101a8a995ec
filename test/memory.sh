#!/usr/bin/env bash
# One million auth.verify() calls in one backend leave its memory flat:
# after 100,000 calls that warm every cache, a million more must not grow
# the backend's resident size by more than 256 kB.  Every cache is a named
# memory context under one "jwt_auth" context.
set -uo pipefail
suite=memory
cd "$(dirname "$0")/.."
. test/lib.sh

db=jwt_auth_memory
make_database "$db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT

out=$(psql -X -q -At -d "$db" -v ON_ERROR_STOP=1 2>&1 <<'SQL'
SELECT auth.signup('mem@example.com', 'memory password') \gset
SELECT auth.signin('mem@example.com', 'memory password') AS tok, pg_backend_pid() AS pid \gset
\setenv BACKEND_PID :pid
CREATE TEMP TABLE mem_token AS SELECT :'tok'::text AS tok;
CREATE FUNCTION pg_temp.verify_times(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    t text := (SELECT tok FROM mem_token);
BEGIN
    FOR i IN 1..n LOOP
        PERFORM auth.verify(t);
        PERFORM auth.jwt();
    END LOOP;
    RETURN n;
END
$$;
SELECT pg_temp.verify_times(100000);
\! awk '/^VmRSS/ { print "rss_warm", $2 }' /proc/$BACKEND_PID/status
SELECT pg_temp.verify_times(1000000);
\! awk '/^VmRSS/ { print "rss_after", $2 }' /proc/$BACKEND_PID/status
SELECT 'contexts', sum(total_bytes) FROM pg_backend_memory_contexts;
-- Each context with its parent's name: from PostgreSQL 18 on the view has
-- the path of context ids (valid within one read of it) instead.
SELECT current_setting('server_version_num')::int >= 180000 AS by_path \gset
\if :by_path
WITH m AS MATERIALIZED (SELECT name, path FROM pg_backend_memory_contexts)
SELECT 'jwt_auth_context', c.name, p.name FROM m c JOIN m p ON p.path = c.path[1:cardinality(c.path) - 1]
 WHERE c.name LIKE 'jwt_auth%' OR p.name LIKE 'jwt_auth%' ORDER BY c.name;
\else
SELECT 'jwt_auth_context', c.name, c.parent FROM pg_backend_memory_contexts c
 WHERE c.name LIKE 'jwt_auth%' OR c.parent LIKE 'jwt_auth%' ORDER BY c.name;
\endif
SQL
)
warm=$(printf '%s\n' "$out" | awk '/^rss_warm/ { print $2 }')
after=$(printf '%s\n' "$out" | awk '/^rss_after/ { print $2 }')
check "a million verifies ran" "$out" "^1000000$"
caches=$(printf '%s\n' "$out" | awk -F'|' '/^jwt_auth_context/ { print $2 "<" $3 }' | paste -sd' ')
check "the caches are named contexts under one jwt_auth context" "$caches" \
    "^jwt_auth<TopMemoryContext jwt_auth configuration<jwt_auth jwt_auth identity<jwt_auth jwt_auth keys<jwt_auth jwt_auth session cache<jwt_auth jwt_auth token cache<jwt_auth$"
check "resident size measured" "$warm $after" "^[0-9]+ [0-9]+$"
growth=$(( ${after:-0} - ${warm:-0} ))
echo "memory: resident size after 100k verifies ${warm} kB, after 1.1M ${after} kB, growth ${growth} kB"
check "growth under 256 kB" "$growth" "^-?([0-9]{1,2}|1[0-9]{2}|2[0-4][0-9]|25[0-5])$"
finish
