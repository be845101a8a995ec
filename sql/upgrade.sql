-- Upgrade path: a 1.0 install with data, updated with ALTER EXTENSION, ends
-- up with the same objects as a fresh install, and its data keeps working.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set su :USER

-- The extension's objects in this fresh 1.1 install, one line each.
\i test/catalog.sql
\set fresh_catalog :cat_text

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
-- Functions that need the 1.1 tables say so until the update.
SELECT auth.signin('old@example.com', 'old password 1');
\echo :LAST_ERROR_SQLSTATE

ALTER EXTENSION jwt_auth UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'jwt_auth';

-- The accounts and the key of 1.0 keep working.
SELECT count(*) AS users FROM auth.users;
SELECT auth.signin('old@example.com', 'old password 1') AS tok \gset
SELECT auth.verify(:'tok') = :'old_user' AS verified,
       (SELECT kid FROM auth.keys ORDER BY created_at DESC LIMIT 1) = :'old_kid' AS old_key_signs;
SELECT (SELECT count(*) FROM auth.sessions) AS sessions;
SELECT auth.rotate_key('ES256') IS NOT NULL AS es256_after_update;

-- Same objects, defaults, constraints, indexes, privileges, triggers and
-- configuration tables as a fresh install: both lists are empty.
\i test/catalog.sql
SELECT line AS only_in_fresh_install FROM regexp_split_to_table(:'fresh_catalog', E'\n') AS line
EXCEPT SELECT regexp_split_to_table(:'cat_text', E'\n');
SELECT line AS only_in_updated_install FROM regexp_split_to_table(:'cat_text', E'\n') AS line
EXCEPT SELECT regexp_split_to_table(:'fresh_catalog', E'\n');
SELECT length(:'cat_text') > 1000 AS catalog_not_empty;

\c contrib_regression :su
DROP DATABASE regress_upgrade;
