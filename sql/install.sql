-- Installation: the extension, its objects, their privileges, and an
-- install by a database owner who is not a superuser (trusted extension).
-- Ends with the fixtures that the other files use.

-- pgcrypto is not installed yet: CASCADE installs it (into the default schema,
-- here public; the extension finds it wherever it is).
SELECT count(*) AS pgcrypto_before FROM pg_extension WHERE extname = 'pgcrypto';
CREATE EXTENSION jwt_auth CASCADE;
-- (pgcrypto's version is the server's: 1.3 up to PostgreSQL 17, 1.4 in 18.)
SELECT e.extname, e.extnamespace::regnamespace AS schema, e.extrelocatable,
       CASE e.extname WHEN 'jwt_auth' THEN e.extversion END AS extversion,
       e.extversion = a.default_version AS default_version
  FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
 WHERE e.extname IN ('jwt_auth', 'pgcrypto') ORDER BY 1;
SELECT name, version, superuser, trusted, relocatable, schema, requires
  FROM pg_available_extension_versions WHERE name = 'jwt_auth' ORDER BY version;

-- Tables and columns; then the constraints but NOT NULL, which the columns
-- show and which PostgreSQL 18 lists in pg_constraint too.
SELECT table_name, column_name, data_type, is_nullable, column_default
  FROM information_schema.columns
 WHERE table_schema = 'auth' ORDER BY table_name, ordinal_position;
SELECT conrelid::regclass, conname, contype
  FROM pg_constraint WHERE connamespace = 'auth'::regnamespace AND contype <> 'n' ORDER BY 1, 2;

-- Both tables are extension configuration tables (kept by pg_dump).
SELECT unnest(extconfig)::regclass AS config_table FROM pg_extension WHERE extname = 'jwt_auth' ORDER BY 1;

-- The first key: HS256, at least 32 random bytes.
SELECT count(*) AS keys, min(alg) AS alg, min(octet_length(secret)) >= 32 AS strong,
       min(length(kid)) > 0 AS has_kid
  FROM auth.keys;

-- Functions: signatures, volatility, parallel safety, SECURITY DEFINER and fixed search_path.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.prosecdef,
       p.proisstrict, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'auth'::regnamespace
   AND p.oid NOT IN (SELECT objid FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
                     WHERE e.extname = 'pgcrypto' AND d.deptype = 'e')
 ORDER BY p.oid::regprocedure::text;

-- PUBLIC has no privilege on users or keys; nobody but the owner can read them.
CREATE ROLE regress_app;
SELECT c.relname, count(a.grantee) FILTER (WHERE a.grantee = 0) AS public_privileges
  FROM pg_class c LEFT JOIN LATERAL aclexplode(c.relacl) a ON true
 WHERE c.relnamespace = 'auth'::regnamespace AND c.relkind = 'r'
 GROUP BY 1 ORDER BY 1;
SELECT has_table_privilege('regress_app', 'auth.users', 'SELECT') AS app_reads_users,
       has_table_privilege('regress_app', 'auth.keys', 'SELECT') AS app_reads_keys,
       has_function_privilege('regress_app', 'auth.keys_changed()', 'EXECUTE') AS app_runs_trigger_fn,
       has_function_privilege('regress_app', 'auth.verify(text, boolean)', 'EXECUTE') AS app_verifies;
SET ROLE regress_app;
SELECT * FROM auth.users;
SELECT * FROM auth.keys;
RESET ROLE;

-- The install script of the installed version refuses to run outside
-- CREATE EXTENSION (its \echo ... \quit guard).
SELECT s.script, pg_read_file(c.setting || '/extension/' || s.script) ~ '\\quit' AS guarded
  FROM pg_config() AS c(name, setting),
       (SELECT 'jwt_auth--' || extversion || '.sql' FROM pg_extension WHERE extname = 'jwt_auth') AS s(script)
 WHERE c.name = 'SHAREDIR';

-- A database owner without superuser installs it (trusted) and uses it,
-- but cannot read password hashes or keys, cannot change the security
-- settings, and cannot take over schema auth, where the extension's
-- SECURITY DEFINER functions find their tables.
CREATE ROLE regress_owner LOGIN PASSWORD 'regress_owner_pw';
CREATE DATABASE regress_trusted OWNER regress_owner;
\set su :USER
\c "dbname=regress_trusted user=regress_owner password=regress_owner_pw"
SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
-- The refusals below come from the install script.  Their CONTEXT, which
-- names the script's lines and from PostgreSQL 18 on quotes its statement,
-- is left out.
\set SHOW_CONTEXT never
-- A schema auth that already holds objects is refused.
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text UNIQUE, password_hash text);
CREATE EXTENSION jwt_auth CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA auth CASCADE;
-- Whatever extension claims the objects: a function planted in auth and
-- added to pgcrypto (which a client binding varchar parameters would call
-- instead of auth.signin), even made in the same transaction; another
-- extension's C functions.
CREATE SCHEMA auth;
CREATE EXTENSION pgcrypto SCHEMA auth;
CREATE FUNCTION auth.signin(email varchar, password varchar) RETURNS text LANGUAGE sql
    AS $$ SELECT 'recorded ' || password $$;
ALTER EXTENSION pgcrypto ADD FUNCTION auth.signin(varchar, varchar);
CREATE EXTENSION jwt_auth;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION pgcrypto;
DROP SCHEMA auth CASCADE;
BEGIN;
CREATE SCHEMA auth;
CREATE FUNCTION auth.signin(email varchar, password varchar) RETURNS text LANGUAGE sql
    AS $$ SELECT 'recorded ' || password $$;
CREATE EXTENSION jwt_auth CASCADE;
ROLLBACK;
CREATE SCHEMA auth;
CREATE EXTENSION fuzzystrmatch SCHEMA auth;
CREATE EXTENSION jwt_auth CASCADE;
DROP EXTENSION fuzzystrmatch;
DROP SCHEMA auth;
-- Even an empty schema auth made before, by a role that could hold
-- uncommitted objects in it that no check can see, is refused; one made in
-- the same transaction, which no other session can see, is accepted (with
-- pgcrypto in it, as CASCADE does).
CREATE SCHEMA auth;
CREATE EXTENSION pgcrypto SCHEMA auth;
CREATE EXTENSION jwt_auth;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION pgcrypto;
DROP SCHEMA auth;
BEGIN;
CREATE SCHEMA auth;
CREATE EXTENSION pgcrypto SCHEMA auth;
CREATE EXTENSION jwt_auth;
SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth';
ROLLBACK;
-- pgcrypto owned by another role, who could drop it and jwt_auth with it,
-- is refused too.
\c regress_trusted :su
CREATE ROLE regress_other LOGIN PASSWORD 'regress_other_pw';
GRANT CREATE ON DATABASE regress_trusted TO regress_other;
\c "dbname=regress_trusted user=regress_other password=regress_other_pw"
CREATE EXTENSION pgcrypto;
\c "dbname=regress_trusted user=regress_owner password=regress_owner_pw"
CREATE EXTENSION jwt_auth;
\echo :LAST_ERROR_SQLSTATE
\c "dbname=regress_trusted user=regress_other password=regress_other_pw"
DROP EXTENSION pgcrypto;
\c "dbname=regress_trusted user=regress_owner password=regress_owner_pw"
CREATE EXTENSION jwt_auth CASCADE;
\set SHOW_CONTEXT errors
SELECT nspowner::regrole = current_user::regrole AS caller_owns_schema,
       (SELECT rolsuper FROM pg_roles WHERE oid = nspowner) AS superuser_owns_schema,
       has_schema_privilege('regress_owner', 'auth', 'CREATE') AS owner_may_create,
       has_schema_privilege('public', 'auth', 'USAGE') AS public_usage
  FROM pg_namespace WHERE nspname = 'auth';
SELECT auth.signup('owner@example.com', 'owner password 1') IS NOT NULL AS signed_up;
SELECT auth.verify(auth.signin('owner@example.com', 'owner password 1')) = auth.uid() AS verified;
-- The extension's owner reads the tables and adds rows, for its own pg_dump
-- and pg_restore; it changes and deletes none.
SELECT (SELECT count(*) FROM auth.users) AS users, (SELECT count(*) FROM auth.keys) AS keys,
       (SELECT count(*) FROM auth.sessions) AS sessions, (SELECT count(*) FROM auth.refresh_tokens) AS refresh_tokens,
       (SELECT count(*) FROM auth.settings) AS settings, (SELECT count(*) FROM auth.issuers) AS issuers,
       (SELECT count(*) FROM auth.issuer_keys) AS issuer_keys, (SELECT count(*) FROM auth.account_tokens) AS account_tokens;
SELECT t, string_agg(p, ',' ORDER BY p) AS privileges
  FROM unnest(ARRAY['users', 'keys', 'sessions', 'refresh_tokens', 'settings', 'issuers', 'issuer_keys',
                    'account_tokens']) AS t,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']) AS p
 WHERE has_table_privilege('regress_owner', 'auth.' || t, p)
 GROUP BY t ORDER BY t;
UPDATE auth.users SET email = email;
DELETE FROM auth.keys;
UPDATE auth.users SET email_verified = true;
SELECT 1 FROM auth.users FOR SHARE;
-- It marks emails verified by hand with a function (accounts made before 1.2).
SELECT auth.set_email_verified(id) AS marked FROM auth.users WHERE email = 'owner@example.com';
-- The schema swap that would put look-alike tables under the functions.
ALTER SCHEMA auth RENAME TO auth_real;
CREATE TABLE auth.evil (id int);
CREATE TABLE notes (user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE);
-- The jwt_auth.* settings are for superusers; the owner sets them for its
-- database with auth.configure(), and uses the rest of its toolkit.
ALTER DATABASE regress_trusted SET jwt_auth.token_ttl = '7d';
\echo :LAST_ERROR_SQLSTATE
SELECT auth.configure('token_ttl', '15min') AS configured;
SELECT setting, value, source FROM auth.configuration() WHERE source = 'database';
SELECT length(kid) > 0 AS has_kid, alg, retired_at IS NULL AS active, signing FROM auth.list_keys();
SELECT auth.rotate_key('ES256') AS new_kid \gset
SELECT auth.retire_key(kid) FROM auth.list_keys() WHERE NOT signing;
SELECT alg, retired_at IS NULL AS active, signing FROM auth.list_keys() ORDER BY created_at;
SELECT auth.signup('leaver@example.com', 'leaver password 1') AS leaver \gset
SELECT auth.signin('leaver@example.com', 'leaver password 1') IS NOT NULL AS signed_in;
SELECT auth.signout_all(:'leaver') AS ended;
SELECT auth.purge_sessions('0 seconds') AS purged;
-- It may grant its functions on: one that makes tokens, to a mail role.
GRANT EXECUTE ON FUNCTION auth.request_password_reset(text) TO regress_app;
SELECT has_function_privilege('regress_app', 'auth.request_password_reset(text)', 'EXECUTE') AS granted_on;
REVOKE EXECUTE ON FUNCTION auth.request_password_reset(text) FROM regress_app;
-- Even if a superuser hands the schema over, the functions refuse to run.
\c regress_trusted :su
ALTER SCHEMA auth OWNER TO regress_owner;
\c "dbname=regress_trusted user=regress_owner password=regress_owner_pw"
SELECT auth.signin('owner@example.com', 'owner password 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup('other@example.com', 'owner password 1');
SELECT auth.verify('e30.e30.e30');
\c regress_trusted :su
SELECT auth.verify(auth.signin('owner@example.com', 'owner password 1'));
ALTER SCHEMA auth OWNER TO CURRENT_USER;
\c "dbname=regress_trusted user=regress_owner password=regress_owner_pw"
SELECT auth.signin('owner@example.com', 'owner password 1') IS NOT NULL AS works_again;
-- The owner can drop and re-create the extension: schema auth stays behind,
-- the superuser's, and is taken again.
DROP TABLE notes;
DROP EXTENSION jwt_auth;
SELECT (SELECT rolsuper FROM pg_roles WHERE oid = nspowner) AS left_to_a_superuser
  FROM pg_namespace WHERE nspname = 'auth';
CREATE EXTENSION jwt_auth;
SELECT extname FROM pg_extension WHERE extname = 'jwt_auth';
\c contrib_regression :su
DROP DATABASE regress_trusted;
DROP OWNED BY regress_owner;
DROP ROLE regress_owner;
DROP OWNED BY regress_other;
DROP ROLE regress_other;

-- Fixtures for the files that follow, each of which names at its top those
-- it uses: the role regress_app (made above: an application role with no
-- privilege of its own), bcrypt cost 10 for this database (at the end), and
-- the helpers below, in schema regress, which build and read tokens
-- independently of the extension (pgcrypto's HMAC, base64url and JSON in SQL).
CREATE SCHEMA regress;
-- regress.hmac256(data, key): HMAC-SHA256, by pgcrypto wherever it is installed.
DO $$
DECLARE
    crypto text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
    EXECUTE format('CREATE FUNCTION regress.hmac256(data bytea, key bytea) RETURNS bytea LANGUAGE sql
                    AS $f$ SELECT %I.hmac(data, key, ''sha256'') $f$', crypto);
END
$$;
-- regress.b64url(bytes): unpadded base64url.
CREATE FUNCTION regress.b64url(bytea) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT translate(rtrim(encode($1, 'base64'), '='), E'+/\n', '-_') $$;
-- regress.sign(header, payload, secret): the header and payload texts as a
-- compact token, signed with HMAC-SHA256 under the secret.
CREATE FUNCTION regress.sign(header text, payload text, secret bytea) RETURNS text LANGUAGE sql
    AS $$ SELECT s || '.' || regress.b64url(regress.hmac256(convert_to(s, 'UTF8'), secret))
          FROM (SELECT regress.b64url(convert_to(header, 'UTF8')) || '.'
                    || regress.b64url(convert_to(payload, 'UTF8')) AS s) parts $$;
-- regress.kid(), regress.secret(): the kid and the secret of the newest key.
-- That key is HS256 wherever the files use them (keys.sql, which makes
-- ES256 and RS256 keys, ends by making an HS256 one).
CREATE FUNCTION regress.kid() RETURNS text LANGUAGE sql
    AS $$ SELECT kid FROM auth.keys ORDER BY created_at DESC, kid DESC LIMIT 1 $$;
CREATE FUNCTION regress.secret() RETURNS bytea LANGUAGE sql
    AS $$ SELECT secret FROM auth.keys WHERE kid = regress.kid() $$;
-- regress.header(): the header of an HS256 token of the newest key.
CREATE FUNCTION regress.header() RETURNS text LANGUAGE sql
    AS $$ SELECT jsonb_build_object('alg', 'HS256', 'typ', 'JWT', 'kid', regress.kid())::text $$;
-- regress.claims(sub, changes): valid claims for "sub", with "changes" merged
-- over them (a JSON null removes a claim).  There is no "sid": auth.verify
-- refuses them while jwt_auth.check_sessions is on, unless one is added.
CREATE FUNCTION regress.claims(sub uuid, changes jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql
    AS $$ SELECT jsonb_strip_nulls(jsonb_build_object(
              'iss', 'jwt_auth', 'aud', 'authenticated', 'sub', sub, 'role', 'authenticated',
              'email', 'someone@example.com',
              'iat', extract(epoch FROM now())::bigint,
              'exp', extract(epoch FROM now())::bigint + 600) || changes) $$;
-- regress.token(sub, changes): those claims, signed with the newest key.
CREATE FUNCTION regress.token(sub uuid, changes jsonb DEFAULT '{}') RETURNS text LANGUAGE sql
    AS $$ SELECT regress.sign(regress.header(), regress.claims(sub, changes)::text, regress.secret()) $$;
-- regress.part(token, n): segment n of a token (1 header, 2 payload) as jsonb.
CREATE FUNCTION regress.part(token text, n int) RETURNS jsonb LANGUAGE sql
    AS $$ SELECT convert_from(decode(rpad(translate(split_part(token, '.', n), '-_', '+/'),
                 (length(split_part(token, '.', n)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb $$;
-- regress.try_verify(token, is_local): 'ok', or the SQLSTATE, message and
-- detail of the error auth.verify() raises.
CREATE FUNCTION regress.try_verify(token text, is_local boolean DEFAULT true) RETURNS text LANGUAGE plpgsql
    AS $$
DECLARE
    state text;
    msg text;
    detail text;
BEGIN
    PERFORM auth.verify(token, is_local);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RETURN state || ' ' || msg || coalesce(nullif(': ' || detail, ': '), '');
END
$$;
-- regress.fails(statement): true if the statement fails (each run in its
-- own subtransaction).
CREATE FUNCTION regress.fails(statement text) RETURNS boolean LANGUAGE plpgsql
    AS $$ BEGIN EXECUTE statement; RETURN false; EXCEPTION WHEN OTHERS THEN RETURN true; END $$;
-- CALL regress.force_parallel(): force parallel query for the rest of the
-- transaction, under either name (force_parallel_mode became
-- debug_parallel_query in PostgreSQL 16).
CREATE PROCEDURE regress.force_parallel() LANGUAGE sql
    AS $$ SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                                 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END,
                            'on', true) $$;
GRANT USAGE ON SCHEMA regress TO PUBLIC;

-- Keep password hashing cheap for the rest of the suite.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jwt_auth.bcrypt_cost = 10', current_database()); END $$;
