-- Upgrade paths: a 1.0 install and a 1.1 install with data, updated with
-- ALTER EXTENSION, end up with the same objects as a fresh install, and
-- their data keeps working; until updated, the new library serves each as
-- its version documents.
-- Fixtures: test/catalog.sql; none of install.sql's (the database it works
-- in is its own).
\set VERBOSITY default
\set SHOW_CONTEXT never
\set su :USER

-- The extension's objects in a fresh install, one line each, in a database
-- of their own (the other files grant privileges on them to their roles).
CREATE DATABASE regress_fresh;
\c regress_fresh :su
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
RESET client_min_messages;
\i test/catalog.sql
\set fresh_catalog :cat_text
\c contrib_regression :su
DROP DATABASE regress_fresh;

-- A database with version 1.0 and data in it.
CREATE DATABASE regress_upgrade;
\c regress_upgrade :su
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth VERSION '1.0' CASCADE;
RESET client_min_messages;
SET jwt_auth.bcrypt_cost = 10;
SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth';
SELECT auth.signup('old@example.com', 'old password 1') AS old_user \gset
SELECT auth.signup('older@example.com', 'old password 2') IS NOT NULL AS signed_up;
SELECT kid AS old_kid FROM auth.keys \gset
-- Until ALTER EXTENSION UPDATE, the new library serves version 1.0 as 1.0
-- documents it: signin issues a token without "sid" (1.0 has no sessions)
-- under the GUCs (1.0 has no auth.settings), verify accepts it, and the
-- identity functions read it.
SET jwt_auth.token_ttl = '10min';
SELECT auth.signin('old@example.com', 'old password 1') AS old_tok \gset
RESET jwt_auth.token_ttl;
BEGIN;
SELECT auth.verify(:'old_tok') = :'old_user' AS verified_in_1_0,
       auth.uid() = :'old_user' AS uid, auth.email(), auth.role();
SELECT auth.jwt() ? 'sid' AS has_sid, auth.jwt() ->> 'iss' AS iss,
       (auth.jwt() ->> 'exp')::bigint - (auth.jwt() ->> 'iat')::bigint AS lifetime,
       auth.jwt() ->> 'jti' ~ '^[0-9a-f-]{36}$' AS has_jti;
COMMIT;
SELECT auth.signin('old@example.com', 'wrong password');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup('new@example.com', 'new password 1') IS NOT NULL AS signup_in_1_0;

-- The update is run by another superuser than the one who installed 1.0.
CREATE ROLE regress_dba SUPERUSER;
SET ROLE regress_dba;
ALTER EXTENSION jwt_auth UPDATE;
RESET ROLE;
SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth';
-- Its new tables and functions still belong to the owner of the old ones,
-- and the owner-only functions went to the extension's owner.
SELECT count(*) AS objects_of_another_owner FROM (
    SELECT relowner AS owner FROM pg_class WHERE relnamespace = 'auth'::regnamespace AND relkind = 'r'
    UNION ALL
    SELECT p.proowner FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'jwt_auth') o
 WHERE owner <> (SELECT relowner FROM pg_class WHERE oid = 'auth.users'::regclass);
SELECT count(*) AS granted_to_dba FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.oid = 'auth.rotate_key(text)'::regprocedure AND a.grantee = 'regress_dba'::regrole;

-- The accounts and the key of 1.0 keep working.
SELECT count(*) AS users FROM auth.users;
SELECT auth.signin('old@example.com', 'old password 1') AS tok \gset
SELECT auth.verify(:'tok') = :'old_user' AS verified,
       (SELECT kid FROM auth.keys ORDER BY created_at DESC LIMIT 1) = :'old_kid' AS old_key_signs;
SELECT (SELECT count(*) FROM auth.sessions) AS sessions;
SELECT auth.rotate_key('ES256') IS NOT NULL AS es256_after_update;
-- A token of 1.0 has no "sid": once sessions exist it is refused (docs/faq.md).
SELECT auth.verify(:'old_tok');
-- The settings and the owner's toolkit of 1.1 are there.
SELECT auth.configure('token_ttl', '20min') AS configured;
SELECT setting, value, source FROM auth.configuration() WHERE setting = 'token_ttl';
SELECT count(*) AS keys, count(*) FILTER (WHERE signing) AS signing FROM auth.list_keys();
SELECT auth.purge_sessions() AS purged;
-- Accounts made before 1.2 have an email nobody verified.
SELECT email, email_verified, disabled_until FROM auth.users ORDER BY email;

-- Same members of the extension, schema, relations (kind, owner, privileges,
-- row security, options), columns, defaults, constraints, indexes, policies,
-- functions (bodies, settings, privileges), triggers, comments, initial and
-- column privileges and configuration tables (with their filters) as a fresh
-- install: both lists are empty.
\i test/catalog.sql
SELECT line AS only_in_fresh_install FROM regexp_split_to_table(:'fresh_catalog', E'\n') AS line
EXCEPT SELECT regexp_split_to_table(:'cat_text', E'\n');
SELECT line AS only_in_updated_install FROM regexp_split_to_table(:'cat_text', E'\n') AS line
EXCEPT SELECT regexp_split_to_table(:'fresh_catalog', E'\n');
SELECT length(:'cat_text') > 1000 AS catalog_not_empty;

-- A database with version 1.1 and data in it: until the update, its
-- tokens carry no "email_verified" (1.1 has no such column) and the
-- functions of 1.2 are not there.
CREATE DATABASE regress_upgrade_1_1;
\c regress_upgrade_1_1 :su
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth VERSION '1.1' CASCADE;
RESET client_min_messages;
SET jwt_auth.bcrypt_cost = 10;
SELECT auth.signup('one-one@example.com', 'one-one password') AS one_one \gset
SELECT refresh_token AS one_one_refresh FROM auth.signin_session('one-one@example.com', 'one-one password') \gset
SELECT array(SELECT jsonb_object_keys(regress_claims) ORDER BY 1) AS claims_in_1_1
  FROM (SELECT convert_from(decode(rpad(translate(split_part(t, '.', 2), '-_', '+/'),
                (length(split_part(t, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb AS regress_claims
          FROM auth.signin('one-one@example.com', 'one-one password') AS t) c;
SELECT to_regprocedure('auth.request_password_reset(text)') IS NULL AS no_reset_in_1_1;
SET ROLE regress_dba;
ALTER EXTENSION jwt_auth UPDATE;
RESET ROLE;
SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth';
SELECT email, email_verified FROM auth.users;
SELECT count(*) AS refreshed FROM auth.refresh(:'one_one_refresh');
SELECT convert_from(decode(rpad(translate(split_part(t, '.', 2), '-_', '+/'),
         (length(split_part(t, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb -> 'email_verified' AS claim
  FROM auth.signin('one-one@example.com', 'one-one password') AS t;
SELECT auth.verify_email(auth.request_email_verification(:'one_one')) = :'one_one' AS verified;
\i test/catalog.sql
SELECT line AS only_in_fresh_install FROM regexp_split_to_table(:'fresh_catalog', E'\n') AS line
EXCEPT SELECT regexp_split_to_table(:'cat_text', E'\n');
SELECT line AS only_in_updated_install FROM regexp_split_to_table(:'cat_text', E'\n') AS line
EXCEPT SELECT regexp_split_to_table(:'fresh_catalog', E'\n');

\c contrib_regression :su
DROP DATABASE regress_upgrade;
DROP DATABASE regress_upgrade_1_1;
DROP ROLE regress_dba;
