#!/usr/bin/env bash
# A managed tenant, end to end, on a cluster with nothing preloaded: a role
# like Neon's neon_superuser (NOSUPERUSER CREATEDB CREATEROLE) creates two
# databases, installs the extension, loads the todo schema, configures it,
# rotates and retires keys, purges sessions, trusts another issuer, grants
# the making of reset tokens to a mail role and runs the life of accounts;
# its application role verifies that issuer's tokens, connects through
# PgBouncer in transaction mode and is throttled per database; the tenant's
# own dump and restore keep every row.  Runs inside a throwaway cluster
# (test/suite.sh), whose superuser only creates the tenant.
set -uo pipefail
suite=managed
cd "$(dirname "$0")/.."
. test/lib.sh

app1=jwt_auth_tenant_app
app2=jwt_auth_tenant_other
restored=jwt_auth_tenant_restored
restored_plain=jwt_auth_tenant_restored_plain
planted=jwt_auth_tenant_planted
tenant_pw='tenant password 1'
app_pw='todo app password 1'
dump=$(mktemp)
cleanup() {
    stop_pgbouncer
    rm -f "$dump" "$dump.sql"
    for d in "$app1" "$app2" "$restored" "$restored_plain" "$planted"; do
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"
    done
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS todo_app" -c "DROP ROLE IF EXISTS todo_mail" -c "DROP ROLE IF EXISTS tenant"
}
trap cleanup EXIT

# The tenant makes its application roles itself, as on a managed service: a
# todo_app or todo_mail left by another suite (with privileges in the databases they
# leave, pg_regress's among them) is the superuser's, which a CREATEROLE
# role may not alter from PostgreSQL 16 on (it needs ADMIN on it).
for role in todo_app todo_mail; do
    if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = '$role'")" = 1 ]; then
        for d in $(psql -X -At -d postgres -c "SELECT datname FROM pg_database WHERE datallowconn"); do
            psql -X -q -d "$d" -c "DROP OWNED BY $role"
        done
    fi
done
psql -X -q -d postgres -c "DROP ROLE IF EXISTS todo_app" -c "DROP ROLE IF EXISTS todo_mail" -c "DROP ROLE IF EXISTS tenant" \
    -c "CREATE ROLE tenant LOGIN NOSUPERUSER CREATEDB CREATEROLE PASSWORD '$tenant_pw'"
# as_tenant DB SQL / as_app DB SQL: one statement, output and errors.
as_tenant() { PGUSER=tenant PGPASSWORD=$tenant_pw psql -X -q -At -h 127.0.0.1 -d "$1" -c "$2" 2>&1; }
as_app() { PGUSER=todo_app PGPASSWORD=$app_pw psql -X -q -At -h 127.0.0.1 -d "$1" -c "$2" 2>&1; }
as_app_verbose() { PGUSER=todo_app PGPASSWORD=$app_pw psql -X -q -At -h 127.0.0.1 -v VERBOSITY=verbose -d "$1" -c "$2" 2>&1; }

check "nothing preloaded" "$(psql -X -At -d postgres -c "SELECT current_setting('shared_preload_libraries') = ''")" "^t$"
check "the tenant is no superuser" "$(as_tenant postgres "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")" "^f\|t\|t$"

# The tenant creates its databases, installs the extension and the schema.
for d in "$app1" "$app2"; do
    check "tenant creates $d" "$(as_tenant postgres "CREATE DATABASE $d" && echo created)" "^created$"
    check "tenant installs jwt_auth in $d" \
        "$(as_tenant "$d" "SET client_min_messages = warning; CREATE EXTENSION jwt_auth CASCADE; SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth'")" "^1\.2$"
done
out=$(PGUSER=tenant PGPASSWORD=$tenant_pw psql -X -q -h 127.0.0.1 -d "$app1" -v ON_ERROR_STOP=1 \
      -f examples/todo/schema.sql 2>&1 && echo loaded)
check "tenant loads the todo schema" "$out" "loaded$"
check "tenant sets todo_app's password" "$(as_tenant "$app1" "ALTER ROLE todo_app PASSWORD '$app_pw'" && echo set)" "^set$"
# To act as the app in psql, the tenant first makes itself a member of
# todo_app (docs/managed.md): creating a role gives no right to SET ROLE.
check "the tenant may not SET ROLE todo_app at first" "$(as_tenant "$app1" "SET ROLE todo_app")" "permission denied to set role"
check "it may once it granted itself todo_app" \
    "$(as_tenant "$app1" "GRANT todo_app TO CURRENT_USER" >/dev/null; as_tenant "$app1" "SET ROLE todo_app; SELECT current_user")" "^todo_app$"

# Configuration: the tenant sets it, the app cannot.
check "configure token_ttl" "$(as_tenant "$app1" "SELECT auth.configure('token_ttl', '10min')")" "^10min$"
check "configure issuer" "$(as_tenant "$app1" "SELECT auth.configure('issuer', 'https://todo.example.com')")" "^https://todo.example.com$"
check "configure audience" "$(as_tenant "$app1" "SELECT auth.configure('audience', 'todo-api')")" "^todo-api$"
check "configure bcrypt_cost" "$(as_tenant "$app1" "SELECT auth.configure('bcrypt_cost', '10')")" "^10$"
as_tenant "$app2" "SELECT auth.configure('bcrypt_cost', '10')" >/dev/null
check "configuration lists the sources" \
    "$(as_tenant "$app1" "SELECT string_agg(setting || '=' || value || '/' || source, ' ' ORDER BY setting) FROM auth.configuration()")" \
    "audience=todo-api/database .*issuer=https://todo.example.com/database .*refresh_ttl=30d/server .*token_ttl=10min/database"
check "invalid value refused" "$(as_tenant "$app1" "SELECT auth.configure('token_ttl', '30d')")" "invalid value for setting \"token_ttl\""
check "the GUC stays closed to the tenant" "$(as_tenant "$app1" "ALTER DATABASE $app1 SET jwt_auth.token_ttl = '7d'")" "permission denied"
for call in "auth.configure('token_ttl', '7d')" "* FROM auth.configuration()" "* FROM auth.list_keys()" \
            "auth.purge_sessions()" "auth.rotate_key()" "auth.retire_key('x')" \
            "auth.signout_all(gen_random_uuid())" "* FROM auth.settings"; do
    check "app refused: $call" "$(as_app_verbose "$app1" "SELECT $call")" "ERROR:  42501: permission denied"
done
check "app cannot SET a setting" "$(as_app_verbose "$app1" "SELECT auth.uid(); SET jwt_auth.token_ttl = '7d'")" "42501"

# The app signs up and in; the token carries the tenant's configuration.
uid=$(as_app "$app1" "SELECT auth.signup('ada@tenant.example', 'ada password 1')")
check "app signs up" "$uid" "^[0-9a-f-]{36}$"
claims=$(as_app "$app1" "SELECT convert_from(decode(rpad(translate(split_part(t, '.', 2), '-_', '+/'), (length(split_part(t, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb - 'email' - 'jti' - 'sid' - 'sub' - 'role'
                         FROM auth.signin('ada@tenant.example', 'ada password 1') AS t")
check "token has the configured issuer" "$claims" '"iss": "https://todo.example.com"'
check "token has the configured audience" "$claims" '"aud": "todo-api"'
check "token lives 10 minutes" "$(echo "$claims" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["exp"] - c["iat"])')" "^600$"

# Keys: rotate, find the old kid with list_keys, retire it.
old_tok=$(as_app "$app1" "SELECT auth.signin('ada@tenant.example', 'ada password 1')")
check "rotate to ES256" "$(as_tenant "$app1" "SELECT auth.rotate_key('ES256') IS NOT NULL")" "^t$"
check "list_keys shows which signs" "$(as_tenant "$app1" "SELECT string_agg(alg || ':' || signing, ',' ORDER BY created_at) FROM auth.list_keys()")" "^HS256:false,ES256:true$"
check "list_keys shows no secret" "$(as_tenant "$app1" "SELECT array_to_string(proargnames, ',') FROM pg_proc WHERE oid = 'auth.list_keys'::regproc")" "^kid,alg,created_at,retired_at,signing$"
check "old token verifies before retiring" "$(as_app "$app1" "SELECT auth.verify('$old_tok') = '$uid'")" "^t$"
check "retire the old key" "$(as_tenant "$app1" "SELECT auth.retire_key(kid) FROM auth.list_keys() WHERE NOT signing")" "^t$"
check "old token refused once retired" "$(as_app "$app1" "SELECT auth.verify('$old_tok')")" "token key is unknown"
new_tok=$(as_app "$app1" "SELECT auth.signin('ada@tenant.example', 'ada password 1')")
check "ES256 token verifies" "$(as_app "$app1" "SELECT auth.verify('$new_tok') = '$uid'")" "^t$"
kid=$(as_tenant "$app1" "SELECT auth.import_key('HS256', decode(repeat('5a', 32), 'hex'), 'shared-with-a-peer')")
check "import a shared secret" "$kid" "^shared-with-a-peer$"
check "the imported key signs" "$(as_tenant "$app1" "SELECT kid FROM auth.list_keys() WHERE signing")" "^shared-with-a-peer$"
check "the ES256 token still verifies" "$(as_app "$app1" "SELECT auth.verify('$new_tok') = '$uid'")" "^t$"

# Sessions: sign out one, purge it; a second purge finds nothing.
check "app signs out" "$(as_app "$app1" "SELECT auth.signout('$new_tok')")" "^t$"
check "tenant ends every session of a user" "$(as_tenant "$app1" "SELECT auth.signout_all('$uid') >= 1")" "^t$"
check "purge the ended sessions" "$(as_tenant "$app1" "SELECT auth.purge_sessions('0 seconds') >= 2")" "^t$"
check "nothing left to purge" "$(as_tenant "$app1" "SELECT auth.purge_sessions('0 seconds')")" "^0$"
check "negative interval refused" "$(as_tenant "$app1" "SELECT auth.purge_sessions('-1 day')")" "must not be negative"

# Account recovery: the todo schema, loaded by the tenant, made a mail role
# of its own (the backend's) and granted it the functions that make
# one-time tokens, which the app role is not; the token is then used by the
# app, which any role may.
mail_pw='mail role password 1'
as_mail() { PGUSER=todo_mail PGPASSWORD=$mail_pw psql -X -q -At -h 127.0.0.1 -v VERBOSITY=verbose -d "$1" -c "$2" 2>&1; }
check "the schema made the mail role, granted the token functions" \
    "$(as_tenant "$app1" "SELECT string_agg(p::text, ',' ORDER BY p::text) FROM unnest(ARRAY['auth.request_password_reset(text)', 'auth.request_email_verification(uuid)', 'auth.request_email_change(uuid, text, text)', 'auth.delete_user(uuid)']::regprocedure[]) p WHERE has_function_privilege('todo_mail', p, 'EXECUTE')")" \
    "^auth.request_email_change\(uuid,text,text\),auth.request_email_verification\(uuid\),auth.request_password_reset\(text\)$"
check "tenant sets the mail role's password" "$(as_tenant "$app1" "ALTER ROLE todo_mail PASSWORD '$mail_pw'" && echo set)" "^set$"
check "the app may not make a reset token" \
    "$(as_app_verbose "$app1" "SELECT auth.request_password_reset('ada@tenant.example')")" "ERROR:  42501: permission denied"
reset_tok=$(as_mail "$app1" "SELECT auth.request_password_reset('ada@tenant.example')")
check "the mail role makes one" "$reset_tok" "^[A-Za-z0-9_-]{43}$"
check "nor may the mail role call the owner's other functions" \
    "$(as_mail "$app1" "SELECT auth.delete_user('$uid')")" "ERROR:  42501: permission denied"
check "the app resets the password with it" \
    "$(as_app "$app1" "SELECT auth.reset_password('$reset_tok', 'ada password 2') = '$uid'")" "^t$"
check "the old password is gone" "$(as_app "$app1" "SELECT auth.signin('ada@tenant.example', 'ada password 1')")" "invalid email or password"
check "the tenant disables and enables an account" \
    "$(as_tenant "$app1" "SELECT auth.disable_user('$uid'); SELECT auth.enable_user('$uid')")" "^t
t$"
check "the tenant marks an email verified by hand" \
    "$(as_tenant "$app1" "SELECT auth.set_email_verified('$uid'); SELECT email_verified FROM auth.users WHERE id = '$uid'")" "^t
t$"
# The other functions of accounts, as the tenant and the app.
zoe=$(as_app "$app1" "SELECT auth.signup('zoe@tenant.example', 'zoe password 1')")
tok=$(as_tenant "$app1" "SELECT auth.request_email_verification('$zoe')")
check "the tenant makes a verification token" "$tok" "^[A-Za-z0-9_-]{43}$"
check "the app verifies the email with it" "$(as_app "$app1" "SELECT auth.verify_email('$tok') = '$zoe'")" "^t$"
tok=$(as_tenant "$app1" "SELECT auth.request_email_change('$zoe', 'zoe2@tenant.example')")
check "the tenant makes an email change token" "$tok" "^[A-Za-z0-9_-]{43}$"
check "the app confirms the change" "$(as_app "$app1" "SELECT auth.confirm_email_change('$tok') = '$zoe'")" "^t$"
check "the app deletes its own account, with its password" \
    "$(as_app "$app1" "BEGIN; SELECT auth.verify(auth.signin('zoe2@tenant.example', 'zoe password 1')) IS NOT NULL;
                       SELECT auth.delete_account('zoe password 1'); COMMIT")" "^t
t$"
yan=$(as_app "$app1" "SELECT auth.signup('yan@tenant.example', 'yan password 1')")
check "the tenant deletes an account" "$(as_tenant "$app1" "SELECT auth.delete_user('$yan')")" "^t$"
check "the app may not" "$(as_app_verbose "$app1" "SELECT auth.delete_user('$uid')")" "ERROR:  42501: permission denied"
check "the tenant revokes the grant" \
    "$(as_tenant "$app1" "REVOKE EXECUTE ON FUNCTION auth.request_password_reset(text) FROM todo_mail" && echo revoked)" "^revoked$"
as_tenant "$app1" "SELECT auth.reset_password(auth.request_password_reset('ada@tenant.example'), 'ada password 1')" >/dev/null

# Through PgBouncer in transaction mode: sign-in, RLS, throttling.
start_pgbouncer "$app1" todo_app "$app_pw"
check "pgbouncer started" "$BOUNCER_PORT" "^[0-9]+$"
PGHOST=127.0.0.1 PGPORT=$BOUNCER_PORT PGUSER=todo_app PGPASSWORD=$app_pw PGDATABASE=$app1 \
/usr/bin/python3 - <<'PY' > "$BOUNCER_DIR/out" 2>&1
import psycopg

c = psycopg.connect(autocommit=True, prepare_threshold=None)
q = lambda sql, *args: c.execute(sql, args).fetchone()[0]
q("SELECT auth.signup('bob@tenant.example', 'bob password 1')")
tok = q("SELECT auth.signin('ada@tenant.example', 'ada password 1')")
bob = q("SELECT auth.signin('bob@tenant.example', 'bob password 1')")
with c.transaction():
    q("SELECT auth.verify(%s)", tok)
    c.execute("INSERT INTO tasks (title) VALUES ('ada task')")
with c.transaction():
    q("SELECT auth.verify(%s)", bob)
    print("bob sees:", q("SELECT count(*) FROM tasks"))
with c.transaction():
    q("SELECT auth.verify(%s)", tok)
    print("ada sees:", q("SELECT count(*) FROM tasks"))
print("after the transactions:", q("SELECT auth.uid()"))
for i in range(5):
    try:
        q("SELECT auth.signin('ada@tenant.example', %s)", f"wrong {i}")
    except psycopg.errors.InvalidPassword:
        print("wrong password", i)
try:
    q("SELECT auth.signin('ada@tenant.example', 'ada password 1')")
    print("not throttled")
except psycopg.errors.InvalidAuthorizationSpecification as e:
    print("throttled:", e.diag.message_primary)
PY
out=$(cat "$BOUNCER_DIR/out")
check "bob sees none of ada's tasks" "$out" "bob sees: 0"
check "ada sees her task" "$out" "ada sees: 1"
check "no identity after the transactions" "$out" "after the transactions: None"
check "five wrong passwords" "$(grep -c 'wrong password' <<<"$out")" "^5$"
check "then throttled through the pooler" "$out" "throttled: too many failed sign-in attempts"
stop_pgbouncer
as_tenant "$app2" "GRANT USAGE ON SCHEMA public TO todo_app" >/dev/null
as_app "$app2" "SELECT auth.signup('ada@tenant.example', 'ada password 1')" >/dev/null
check "the other database does not share the lock" \
    "$(as_app "$app2" "SELECT auth.signin('ada@tenant.example', 'ada password 1') IS NOT NULL")" "^t$"
check "still locked in the first" \
    "$(as_app "$app1" "SELECT auth.signin('ada@tenant.example', 'ada password 1')")" "too many failed sign-in attempts"

# Another issuer's tokens: the tenant trusts its JWKS (an Ed25519 key made
# here, with a token it signs); the app verifies them and cannot change the trust.
idp=$(/usr/bin/python3 - <<'PY'
import base64, json, time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = ed25519.Ed25519PrivateKey.generate()
pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
priv = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(pub), "kid": "idp-2026", "use": "sig"}
now = int(time.time())
print(json.dumps({"keys": [jwk]}))
print(jwt.encode({"iss": "https://idp.example.org", "sub": "github|4242", "aud": "todo-api",
                  "iat": now, "exp": now + 86400}, key, algorithm="EdDSA", headers={"kid": "idp-2026"}))
print(json.dumps({"keys": [dict(jwk, d=b64(priv))]}))
PY
)
idp_jwks=$(sed -n 1p <<<"$idp")
idp_tok=$(sed -n 2p <<<"$idp")
idp_private=$(sed -n 3p <<<"$idp")
check "an outside token was made" "$idp_tok" "^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
check "tenant trusts another issuer" \
    "$(as_tenant "$app1" "SELECT auth.trust_issuer('https://idp.example.org', '$idp_jwks', 'todo-api')")" "^1$"
check "tenant lists the trusted issuer" \
    "$(as_tenant "$app1" "SELECT concat_ws(' ', issuer, audience, kid, alg) FROM auth.trusted_issuers()")" \
    "^https://idp.example.org todo-api idp-2026 EdDSA$"
check "the tenant's own issuer is refused" \
    "$(as_tenant "$app1" "SELECT auth.trust_issuer('https://todo.example.com', '$idp_jwks', NULL)")" \
    "issuer \"https://todo.example.com\" is jwt_auth's own"
check "a private key is refused" \
    "$(as_tenant "$app1" "SELECT auth.trust_issuer('https://idp.example.org', '$idp_private', 'todo-api')")" \
    "invalid JWKS"
out=$(as_app "$app1" "SELECT auth.verify('$idp_tok') IS NULL;
                      SELECT concat_ws(' ', auth.user_id(), auth.issuer(), auth.role(), auth.uid() IS NULL)")
check "the app verifies the outside token" "$out" "^t$"
check "the app sees the outside identity" "$out" "^github\|4242 https://idp.example.org authenticated t$"
check "app refused: trust_issuer" \
    "$(as_app_verbose "$app1" "SELECT auth.trust_issuer('https://evil.example', '$idp_jwks', NULL)")" "ERROR:  42501: permission denied"
check "app refused: distrust_issuer" \
    "$(as_app_verbose "$app1" "SELECT auth.distrust_issuer('https://idp.example.org')")" "ERROR:  42501: permission denied"
check "app refused: trusted_issuers" \
    "$(as_app_verbose "$app1" "SELECT * FROM auth.trusted_issuers()")" "ERROR:  42501: permission denied"
check "the other database trusts no issuer" \
    "$(as_app_verbose "$app2" "SELECT auth.verify('$idp_tok')")" "ERROR:  28000: token has the wrong issuer"
check "tenant distrusts the issuer" "$(as_tenant "$app1" "SELECT auth.distrust_issuer('https://idp.example.org')")" "^t$"
check "its token is refused at once" "$(as_app_verbose "$app1" "SELECT auth.verify('$idp_tok')")" "ERROR:  28000: token has the wrong issuer"
as_tenant "$app1" "SELECT auth.trust_issuer('https://idp.example.org', '$idp_jwks', 'todo-api')" >/dev/null
check "trusted again, it verifies" "$(as_app "$app1" "SELECT auth.verify('$idp_tok') IS NULL")" "^t$"

# The tenant's own backup: pg_dump, then pg_restore --no-owner
# --single-transaction (or a plain dump and psql -1) into a database it
# makes, as docs/managed.md shows, gives back every row of the auth tables
# and of the todo schema; tokens issued before still verify, a refresh
# token still refreshes, and the app still sees only its own rows.  The
# tenant reads and adds rows of the auth tables for this; the app cannot.
bob_tok=$(as_app "$app1" "SELECT auth.signin('bob@tenant.example', 'bob password 1')")
bob_id=$(as_app "$app1" "SELECT auth.verify('$bob_tok')")
as_app "$app1" "BEGIN; SELECT auth.verify('$bob_tok'); INSERT INTO tasks (title) VALUES ('bob task'); COMMIT" >/dev/null
bob_refresh=$(as_app "$app1" "SELECT refresh_token FROM auth.signin_session('bob@tenant.example', 'bob password 1')")
check "a refresh token to keep" "$bob_refresh" "^[A-Za-z0-9_-]{43}$"
for t in users keys sessions refresh_tokens settings issuers issuer_keys; do
    check "app refused: * FROM auth.$t" "$(as_app_verbose "$app1" "SELECT * FROM auth.$t")" "ERROR:  42501: permission denied"
done
check "the tenant may not change a row of the auth tables" \
    "$(as_tenant "$app1" "UPDATE auth.users SET email = email")" "permission denied for table users"
check "nor delete one" "$(as_tenant "$app1" "DELETE FROM auth.sessions")" "permission denied for table sessions"
# A digest of every row, table by table, in an order that does not depend
# on the physical one (and shows no secret): what a restore must give back.
rows="SELECT string_agg(t || ':' || r, E'\n' ORDER BY t, r) FROM (
        SELECT 'users' AS t, md5(u::text) AS r FROM auth.users u
        UNION ALL SELECT 'keys', md5(k::text) FROM auth.keys k :keys
        UNION ALL SELECT 'sessions', md5(s::text) FROM auth.sessions s
        UNION ALL SELECT 'refresh_tokens', md5(rt::text) FROM auth.refresh_tokens rt
        UNION ALL SELECT 'settings', md5(st::text) FROM auth.settings st
        UNION ALL SELECT 'issuers', md5(i::text) FROM auth.issuers i
        UNION ALL SELECT 'issuer_keys', md5(ik::text) FROM auth.issuer_keys ik
        UNION ALL SELECT 'tasks', md5(ta::text) FROM public.tasks ta) x"
before=$(as_tenant "$app1" "${rows//:keys/}")
check "the tenant reads every table" "$(grep -c '^users:' <<<"$before") $(grep -c '^tasks:' <<<"$before")" "^2 2$"
PGUSER=tenant PGPASSWORD=$tenant_pw pg_dump -h 127.0.0.1 -Fc -f "$dump" "$app1"
check "the tenant dumps its database" "$?" "^0$"

# A restore in several transactions is refused, with a hint that says why.
as_tenant postgres "CREATE DATABASE $restored" >/dev/null
out=$(PGUSER=tenant PGPASSWORD=$tenant_pw pg_restore -h 127.0.0.1 -d "$restored" --no-owner --exit-on-error "$dump" 2>&1)
check "without --single-transaction, the restore stops at CREATE EXTENSION" "$out" "schema \"auth\" already exists"
check "and says to use --single-transaction" "$out" "single-transaction"
psql -X -q -d postgres -c "DROP DATABASE $restored"

as_tenant postgres "CREATE DATABASE $restored" >/dev/null
out=$(PGUSER=tenant PGPASSWORD=$tenant_pw pg_restore -h 127.0.0.1 -d "$restored" --no-owner --single-transaction \
      --exit-on-error "$dump" 2>&1 && echo restored)
check "the tenant restores it into a database of its own" "$out" "^restored$"
# The restore's CREATE EXTENSION made one key more: the newest, which signs.
after=$(as_tenant "$restored" "${rows//:keys/WHERE k.created_at < (SELECT max(created_at) FROM auth.keys)}")
same "every row of every table is back" "$after" "$before"
check "schema auth belongs to the tables' owner again" \
    "$(as_tenant "$restored" "SELECT n.nspowner = c.relowner FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE n.nspname = 'auth' AND c.relname = 'users'")" "^t$"
check "a token issued before the dump verifies" "$(as_app "$restored" "SELECT auth.verify('$bob_tok') = '$bob_id'")" "^t$"
same "the app sees only bob's task" \
    "$(as_app "$restored" "BEGIN; SELECT auth.verify('$bob_tok') IS NOT NULL; SELECT string_agg(title, ',') FROM tasks; COMMIT")" "t
bob task"
check "a refresh token issued before the dump refreshes" \
    "$(as_app "$restored" "SELECT count(*) FROM auth.refresh('$bob_refresh')")" "^1$"
check "the app still cannot read the auth tables" \
    "$(as_app_verbose "$restored" "SELECT * FROM auth.keys")" "ERROR:  42501: permission denied"
check "configuration restored" \
    "$(as_tenant "$restored" "SELECT string_agg(setting || '=' || value, ' ' ORDER BY setting) FROM auth.configuration() WHERE source = 'database'")" \
    "^audience=todo-api bcrypt_cost=10 issuer=https://todo.example.com token_ttl=10min$"
claims=$(as_app "$restored" "SELECT convert_from(decode(rpad(translate(split_part(t, '.', 2), '-_', '+/'), (length(split_part(t, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')
                             FROM auth.signin('bob@tenant.example', 'bob password 1') AS t")
check "the restored database issues configured tokens" "$claims" '"iss":"https://todo.example.com"'
same "the restored database trusts the issuer" \
    "$(as_app "$restored" "BEGIN; SELECT auth.verify('$idp_tok') IS NULL; SELECT auth.user_id(); COMMIT")" "t
github|4242"

# A plain dump, restored with psql in one transaction, the same.
PGUSER=tenant PGPASSWORD=$tenant_pw pg_dump -h 127.0.0.1 --no-owner -f "$dump.sql" "$app1"
as_tenant postgres "CREATE DATABASE $restored_plain" >/dev/null
out=$(PGUSER=tenant PGPASSWORD=$tenant_pw psql -X -q -h 127.0.0.1 -d "$restored_plain" -v ON_ERROR_STOP=1 \
      --single-transaction -f "$dump.sql" 2>&1 >/dev/null && echo restored)
check "a plain dump restores with psql --single-transaction" "$out" "^restored$"
same "every row is back there too" \
    "$(as_tenant "$restored_plain" "${rows//:keys/WHERE k.created_at < (SELECT max(created_at) FROM auth.keys)}")" "$before"

# The tenant cannot plant a function through version 1.0: with pgcrypto its
# own, it makes schema auth with a SECURITY DEFINER overload of auth.signin
# that would keep its arguments, makes it a member of pgcrypto, and installs
# 1.0, whose script let both pass; the update to 1.1 refuses, as CREATE
# EXTENSION of 1.1 and later does.
as_tenant postgres "CREATE DATABASE $planted" >/dev/null
out=$(as_tenant "$planted" "SET client_min_messages = warning; CREATE EXTENSION pgcrypto; CREATE SCHEMA auth;
    CREATE TABLE public.kept (args text);
    CREATE FUNCTION auth.signin(email varchar, password varchar) RETURNS text LANGUAGE sql SECURITY DEFINER
        AS \$\$ INSERT INTO public.kept VALUES (email || ':' || password) RETURNING args \$\$;
    ALTER EXTENSION pgcrypto ADD FUNCTION auth.signin(varchar, varchar);
    CREATE EXTENSION jwt_auth VERSION '1.0'; SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth'")
check "version 1.0 installs over the plant" "$out" "^1\.0$"
out=$(PGUSER=tenant PGPASSWORD=$tenant_pw psql -X -q -At -h 127.0.0.1 -v VERBOSITY=verbose -d "$planted" \
      -c "ALTER EXTENSION jwt_auth UPDATE" 2>&1)
check "the update to 1.1 refuses the planted function" "$out" "ERROR:  55000: schema \"auth\" holds objects that are not the extension's own"
check "and leaves 1.0 as it was" "$(as_tenant "$planted" "SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth'")" "^1\.0$"
as_tenant "$planted" "DROP EXTENSION jwt_auth" >/dev/null
check "CREATE EXTENSION of the current version refuses it too" "$(as_tenant "$planted" "CREATE EXTENSION jwt_auth")" "schema \"auth\" already"
as_tenant "$planted" "ALTER EXTENSION pgcrypto DROP FUNCTION auth.signin(varchar, varchar); DROP FUNCTION auth.signin(varchar, varchar)" >/dev/null
check "without the plant, 1.0 updates" \
    "$(as_tenant "$planted" "SET client_min_messages = warning; CREATE EXTENSION jwt_auth VERSION '1.0'; ALTER EXTENSION jwt_auth UPDATE; SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth'")" "^1\.2$"
# What the tenant's update made equals what the tenant's install makes,
# privileges included (the tenant's own, for its dumps, among them).
catalog() {
    PGUSER=tenant PGPASSWORD=$tenant_pw psql -X -q -At -h 127.0.0.1 -d "$1" \
        -c "SET client_min_messages = warning" -f test/catalog.sql -c '\echo :cat_text' 2>&1
}
same "the updated catalog equals the installed one" "$(catalog "$planted")" "$(catalog "$app2")"
check "the catalog lists the tenant's privileges" "$(catalog "$app2")" "relation users r [a-z_]+ \{.*tenant=ar/"

finish
