-- The todo story in SQL, as a backend would run it.  Run by examples/demo.sh.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset footer off

\echo '== 1. The database owner installs the extension and the todo schema'
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
\i examples/todo/schema.sql
RESET client_min_messages;
SET jwt_auth.bcrypt_cost = 10;   -- quicker hashing for the demo (default 12)
\echo 'The app now connects as todo_app: no superuser, no BYPASSRLS, not the table owner.'
SET ROLE todo_app;

\echo
\echo '== 2. Two users sign up: auth.signup(email, password) returns the new id'
SELECT auth.signup('ada@example.com', 'correct horse battery') AS ada_id \gset
SELECT auth.signup('bob@example.com', 'tr0ub4dor&3 staple') AS bob_id \gset
\echo 'ada:' :ada_id
\echo 'bob:' :bob_id

\echo
\echo '== 3. They sign in: auth.signin(email, password) returns a signed JWT'
SELECT auth.signin('ada@example.com', 'correct horse battery') AS ada_token \gset
SELECT auth.signin('bob@example.com', 'tr0ub4dor&3 staple') AS bob_token \gset
\echo 'ada token:' :ada_token
\echo 'A wrong password is refused (28P01), exactly like an unknown email:'
SELECT auth.signin('ada@example.com', 'wrong password');
SELECT auth.signin('nobody@example.com', 'wrong password');

\echo
\echo '== 4. Each request is one transaction that starts with auth.verify(token)'
BEGIN;
SELECT auth.verify(:'ada_token') AS verified_as_ada;
INSERT INTO tasks (title) VALUES ('Write the analytical engine notes'), ('Buy bread');
COMMIT;
BEGIN;
SELECT auth.verify(:'bob_token') AS verified_as_bob;
INSERT INTO tasks (title, description) VALUES ('Fix the bike', 'rear brake');
COMMIT;

\echo
\echo '== 5. Each sees only their own tasks (row-level security, no WHERE in the query)'
BEGIN;
SELECT auth.verify(:'ada_token') IS NOT NULL AS ada;
SELECT id, title, completed FROM tasks ORDER BY id;
COMMIT;
BEGIN;
SELECT auth.verify(:'bob_token') IS NOT NULL AS bob;
SELECT id, title, completed FROM tasks ORDER BY id;
\echo 'Bob marks every task complete: only his own row is touched.'
WITH done AS (UPDATE tasks SET completed = true RETURNING title) SELECT * FROM done;
COMMIT;

\echo
\echo '== 6. After COMMIT the identity is gone: nothing is visible'
SELECT count(*) AS visible_without_token FROM tasks;

\echo
\echo '== 7. Forging the identity with SET fails (42501), as does set_config()'
SELECT :'ada_id' AS ada_id \gset
SET jwt_auth.user_id = :'ada_id';
SELECT set_config('jwt_auth.user_id', :'ada_id', true);
SELECT count(*) AS still_visible FROM tasks;

\echo
\echo '== 8. A tampered token and an expired token are refused (28000)'
SELECT left(:'ada_token', -2) || 'AA' AS tampered \gset
SELECT auth.verify(:'tampered');
RESET ROLE;
SET jwt_auth.token_ttl = '1s';
SET jwt_auth.leeway = 0;
SELECT auth.signin('ada@example.com', 'correct horse battery') AS short_token \gset
RESET jwt_auth.token_ttl;
\echo 'waiting 2 seconds for a 1-second token to expire...'
SELECT pg_sleep(2) \gset
SET ROLE todo_app;
SELECT auth.verify(:'short_token');

\echo
\echo '== 9. Bob signs out: his token stops working at once, Ada''s does not'
SELECT auth.signout(:'bob_token') AS signed_out;
SELECT auth.verify(:'bob_token');
SELECT auth.verify(:'ada_token') IS NOT NULL AS ada_still_signed_in;

\echo
\echo 'Done. The cluster is dropped now.'
