-- The todo app (examples/todo/schema.sql): for each of the five features,
-- one user can never see, change, complete, delete or insert another's tasks.
-- Fixtures: examples/todo/schema.sql (the role todo_app, the table tasks);
-- regress.token (install.sql).
\set VERBOSITY default
\set SHOW_CONTEXT never

\set ECHO none
SET client_min_messages = warning;
\i examples/todo/schema.sql
RESET client_min_messages;
\set ECHO all

SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tasks';
SELECT rolsuper, rolbypassrls, pg_has_role('todo_app', (SELECT relowner FROM pg_class WHERE relname = 'tasks'), 'MEMBER') AS owns_tasks
  FROM pg_roles WHERE rolname = 'todo_app';
SELECT polname, polcmd, pg_get_expr(polqual, polrelid) AS using_expr, pg_get_expr(polwithcheck, polrelid) AS check_expr
  FROM pg_policy WHERE polrelid = 'tasks'::regclass;
-- The mail role makes one-time tokens and touches no task; the app role
-- makes no token.
SELECT r.rolname, r.rolsuper, r.rolbypassrls,
       has_function_privilege(r.rolname, 'auth.request_password_reset(text)', 'EXECUTE') AS reset,
       has_function_privilege(r.rolname, 'auth.request_email_verification(uuid)', 'EXECUTE') AS verification,
       has_function_privilege(r.rolname, 'auth.request_email_change(uuid, text, text)', 'EXECUTE') AS change,
       has_function_privilege(r.rolname, 'auth.delete_user(uuid)', 'EXECUTE') AS delete_user,
       has_table_privilege(r.rolname, 'tasks', 'SELECT, INSERT, UPDATE, DELETE') AS tasks
  FROM pg_roles r WHERE r.rolname IN ('todo_app', 'todo_mail') ORDER BY r.rolname;

SELECT auth.signup('ada@todo.example', 'ada password 1') AS ada \gset
SELECT auth.signup('bob@todo.example', 'bob password 1') AS bob \gset
SELECT auth.signin('ada@todo.example', 'ada password 1') AS ada_tok \gset
SELECT auth.signin('bob@todo.example', 'bob password 1') AS bob_tok \gset

SET ROLE todo_app;

-- Add: each user adds tasks; user_id comes from the verified identity.
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
INSERT INTO tasks (title, description) VALUES ('Ada task 1', 'first'), ('Ada task 2', NULL);
COMMIT;
BEGIN;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
INSERT INTO tasks (title) VALUES ('Bob task 1');
COMMIT;

-- Validation of the data itself.
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
INSERT INTO tasks (title) VALUES ('');
ROLLBACK;
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
INSERT INTO tasks (title) VALUES (repeat('t', 201));
ROLLBACK;
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
INSERT INTO tasks (title, description) VALUES ('ok', repeat('d', 1001));
ROLLBACK;

-- List: each sees only their own.
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
SELECT title, description, completed, user_id = :'ada' AS own FROM tasks ORDER BY id;
COMMIT;
BEGIN;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
SELECT title, completed, user_id = :'bob' AS own FROM tasks ORDER BY id;
COMMIT;

-- Bob against Ada's tasks: get, update, complete, delete all touch 0 rows,
-- with no error that could reveal anything.
RESET ROLE;
SELECT min(id) AS ada_task FROM tasks WHERE user_id = :'ada' \gset
SET ROLE todo_app;
BEGIN;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
SELECT * FROM tasks WHERE id = :ada_task;
WITH changed AS (UPDATE tasks SET title = 'hacked' WHERE id = :ada_task RETURNING id) SELECT count(*) AS rows_affected FROM changed;
WITH changed AS (UPDATE tasks SET completed = true WHERE id = :ada_task RETURNING id) SELECT count(*) AS rows_affected FROM changed;
WITH changed AS (DELETE FROM tasks WHERE id = :ada_task RETURNING id) SELECT count(*) AS rows_affected FROM changed;
WITH changed AS (UPDATE tasks SET title = 'hacked' RETURNING id) SELECT count(*) AS rows_affected FROM changed;
WITH changed AS (DELETE FROM tasks WHERE user_id = :'ada' RETURNING id) SELECT count(*) AS rows_affected FROM changed;
COMMIT;
-- Insert into Ada's list: refused by the policy.
BEGIN;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
INSERT INTO tasks (user_id, title) VALUES (:'ada', 'planted');
ROLLBACK;
-- Move his own task to Ada: the app role may not write user_id at all.
BEGIN;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
UPDATE tasks SET user_id = :'ada';
ROLLBACK;
RESET ROLE;
-- ...and the policy refuses it even for a role allowed to write user_id.
CREATE ROLE regress_todo_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO regress_todo_writer;
SET ROLE regress_todo_writer;
BEGIN;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
UPDATE tasks SET user_id = :'ada';
ROLLBACK;
RESET ROLE;
SET ROLE todo_app;

-- Ada's tasks are intact.
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
SELECT title, completed FROM tasks ORDER BY id;
COMMIT;

-- Ada updates, completes and deletes her own: 1 row each.
BEGIN;
SELECT auth.verify(:'ada_tok') IS NOT NULL AS ada;
WITH changed AS (UPDATE tasks SET title = 'Ada task 1 (edited)' WHERE id = :ada_task RETURNING id) SELECT count(*) AS rows_affected FROM changed;
WITH changed AS (UPDATE tasks SET completed = true WHERE id = :ada_task RETURNING id) SELECT count(*) AS rows_affected FROM changed;
SELECT title, completed, updated_at > created_at AS touched FROM tasks WHERE id = :ada_task;
WITH changed AS (DELETE FROM tasks WHERE id = :ada_task RETURNING id) SELECT count(*) AS rows_affected FROM changed;
SELECT count(*) AS ada_left FROM tasks;
COMMIT;

-- No verified identity: nothing visible, nothing changed, nothing added.
SELECT count(*) AS visible FROM tasks;
WITH changed AS (UPDATE tasks SET completed = true RETURNING id) SELECT count(*) AS rows_affected FROM changed;
WITH changed AS (DELETE FROM tasks RETURNING id) SELECT count(*) AS rows_affected FROM changed;
INSERT INTO tasks (title) VALUES ('anonymous');
-- A fresh backend where the library is not loaded yet: an identity SET
-- before any extension function runs is dropped when the policy's
-- auth.uid() loads the library, so nothing is visible.
\c
SET jwt_auth.user_id = :'ada';
SET jwt_auth.claims = '{}';
SET ROLE todo_app;
SELECT count(*) AS visible_to_forged_identity FROM tasks;
RESET ROLE;
-- An expired or tampered token never gets that far.
SELECT regress.token(:'ada', jsonb_build_object('exp', extract(epoch FROM now())::bigint - 3600)) AS expired_tok \gset
SET ROLE todo_app;
BEGIN;
SELECT auth.verify(:'expired_tok');
ROLLBACK;
BEGIN;
SELECT auth.verify(:'ada_tok' || 'x');
ROLLBACK;
RESET ROLE;

-- The policy is index-friendly: auth.uid() is the condition of a scan of
-- tasks_user_id_idx (evaluated once per scan), with no InitPlan.  The plan
-- is read as JSON: its text form names InitPlans differently from
-- PostgreSQL 17 on.
CREATE FUNCTION regress.plan_of(query text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (COSTS OFF, FORMAT JSON) ' || query INTO plan;
    RETURN plan::jsonb;
END
$$;
BEGIN;
SET LOCAL enable_seqscan = off;
SET LOCAL ROLE todo_app;
SELECT auth.verify(:'bob_tok') IS NOT NULL AS bob;
SELECT jsonb_path_query_array(p, 'strict $.** ? (exists (@."Index Name"))."Index Name"') AS indexes,
       jsonb_path_query_array(p, 'strict $.** ? (exists (@."Index Cond"))."Index Cond"') AS index_conds,
       jsonb_path_query_array(p, 'strict $.** ? (@."Parent Relationship" == "InitPlan")."Node Type"') AS initplans,
       jsonb_path_query_array(p, 'strict $.** ? (exists (@."Relation Name"))."Relation Name"') AS relations
  FROM regress.plan_of('SELECT * FROM tasks') p;
ROLLBACK;

-- Deleting a user deletes their tasks.
SELECT count(*) AS bob_tasks FROM tasks WHERE user_id = :'bob';
DELETE FROM auth.users WHERE id = :'bob';
SELECT count(*) AS bob_tasks_after FROM tasks WHERE user_id = :'bob';

-- The schema loads into a second database of the same cluster (the role exists already).
CREATE DATABASE regress_todo2;
\set su :USER
\c regress_todo2 :su
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
\set ECHO none
\i examples/todo/schema.sql
\set ECHO all
RESET client_min_messages;
SELECT count(*) AS policies FROM pg_policy WHERE polrelid = 'tasks'::regclass;
\c contrib_regression :su
DROP DATABASE regress_todo2;
DROP OWNED BY regress_todo_writer;
DROP ROLE regress_todo_writer;
