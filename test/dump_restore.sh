#!/usr/bin/env bash
# pg_dump of a database using jwt_auth, restored into a fresh database:
# users, keys and sessions survive, old users sign in, tokens issued before
# the dump still verify, ended sessions stay ended, refresh tokens work.
# Runs inside a throwaway cluster (test/suite.sh).
set -euo pipefail
suite=dump_restore
cd "$(dirname "$0")/.."
. test/lib.sh

src=jwt_auth_dump_src
dst=jwt_auth_dump_dst
dump=$(mktemp)
trap 'rm -f "$dump"; dropdb --if-exists "$src"; dropdb --if-exists "$dst"' EXIT

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

dropdb --if-exists "$src"; dropdb --if-exists "$dst"
createdb "$src"
q "$src" "SET client_min_messages = warning; CREATE EXTENSION jwt_auth CASCADE"
uid=$(q "$src" "SET jwt_auth.bcrypt_cost = 10; SELECT auth.signup('dump@example.com', 'dump password 1')")
hs_token=$(q "$src" "SELECT auth.signin('dump@example.com', 'dump password 1')")
ended_token=$(q "$src" "SELECT auth.signin('dump@example.com', 'dump password 1')")
q "$src" "SELECT auth.signout('$ended_token')" >/dev/null
q "$src" "SELECT auth.rotate_key('ES256')" >/dev/null
es_token=$(q "$src" "SELECT auth.signin('dump@example.com', 'dump password 1')")
refresh=$(q "$src" "SELECT refresh_token FROM auth.signin_session('dump@example.com', 'dump password 1')")
# The restore runs CREATE EXTENSION, which makes one more key, the newest:
# after the restore, count the keys older than it.
counts="SELECT (SELECT count(*) FROM auth.users) || ' users, '
        || (SELECT count(*) FROM auth.keys WHERE created_at < (SELECT max(created_at) FROM auth.keys) OR :all) || ' keys, '
        || (SELECT count(*) FROM auth.sessions) || ' sessions, '
        || (SELECT count(*) FROM auth.refresh_tokens) || ' refresh tokens'"
before=$(q "$src" "${counts//:all/true}")

pg_dump -Fc -f "$dump" "$src"
createdb "$dst"
pg_restore -d "$dst" --exit-on-error "$dump"

after=$(q "$dst" "${counts//:all/false}")
check "rows kept" "$after" "^$before$"
check "HS256 token issued before the dump verifies" "$(q "$dst" "SELECT auth.verify('$hs_token')")" "^$uid$"
check "ES256 token issued before the dump verifies" "$(q "$dst" "SELECT auth.verify('$es_token')")" "^$uid$"
check "ended session stays ended" \
    "$(q "$dst" "SELECT count(*) FROM auth.sessions WHERE revoked_at IS NOT NULL")" "^1$"
check "verify refuses the ended session's token" \
    "$(psql -X -q -At -d "$dst" -c "SELECT auth.verify('$ended_token')" 2>&1)" "token has been revoked"
check "old user signs in" \
    "$(q "$dst" "SET jwt_auth.bcrypt_cost = 10; SELECT auth.verify(auth.signin('dump@example.com', 'dump password 1'))")" "^$uid$"
check "refresh token issued before the dump works" \
    "$(q "$dst" "SELECT count(*) FROM auth.refresh('$refresh')")" "^1$"
check "schema auth still belongs to the tables' owner" \
    "$(q "$dst" "SELECT n.nspowner = c.relowner FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE n.nspname = 'auth' AND c.relname = 'users'")" "^t$"

finish
