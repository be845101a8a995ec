-- Parallel query: workers see the leader's verified identity, so RLS
-- through auth.uid() returns exactly the verified user's rows.
-- Fixtures (install.sql): regress.force_parallel; the role regress_app.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('par1@example.com', 'parallel password') AS u1 \gset
SELECT auth.signup('par2@example.com', 'parallel password') AS u2 \gset
SELECT auth.signin('par1@example.com', 'parallel password') AS t1 \gset

CREATE TABLE par_items (owner uuid NOT NULL, n int NOT NULL);
INSERT INTO par_items SELECT CASE WHEN i % 3 = 0 THEN :'u1'::uuid ELSE :'u2'::uuid END, i
  FROM generate_series(1, 300000) AS i;
ANALYZE par_items;
ALTER TABLE par_items ENABLE ROW LEVEL SECURITY;
-- auth.uid() per row (no InitPlan), so the workers evaluate it themselves.
CREATE POLICY par_own ON par_items USING (owner = auth.uid());
GRANT SELECT ON par_items TO regress_app;

SET ROLE regress_app;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
CALL regress.force_parallel();
SELECT auth.verify(:'t1') IS NOT NULL AS verified;
EXPLAIN (COSTS OFF) SELECT count(*), sum(n) FROM par_items;
SELECT count(*), sum(n::bigint), count(*) FILTER (WHERE owner <> :'u1') AS foreign_rows FROM par_items;
-- The same with the identity read directly in the workers.
SELECT count(*) FROM par_items WHERE auth.uid() = :'u1';
COMMIT;
-- No identity: workers see nothing either.
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
CALL regress.force_parallel();
SELECT count(*) FROM par_items;
COMMIT;
RESET ROLE;
DROP TABLE par_items;

-- Every function labelled PARALLEL SAFE runs in a worker: the identity
-- accessors do.  auth.role() is PARALLEL RESTRICTED; every other function
-- is PARALLEL UNSAFE, since it writes or may fill a cache through a query
-- of its own, which parallel mode forbids even in the leader.
SELECT p.oid::regprocedure AS parallel_safe FROM pg_proc p
 WHERE p.pronamespace = 'auth'::regnamespace AND p.proparallel = 's'
   AND p.oid NOT IN (SELECT objid FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
                     WHERE e.extname = 'pgcrypto' AND d.deptype = 'e')
 ORDER BY 1;
SELECT p.oid::regprocedure AS parallel_restricted FROM pg_proc p
 WHERE p.pronamespace = 'auth'::regnamespace AND p.proparallel = 'r'
 ORDER BY 1;
-- With the caches to fill again (a new key, a new setting), under forced
-- parallel query.
SELECT auth.rotate_key('ES256') AS new_kid, auth.configure('leeway', '20') AS leeway \gset
BEGIN;
CALL regress.force_parallel();
SELECT (auth.jwks() -> 'keys') @> jsonb_build_array(jsonb_build_object('kid', :'new_kid')) AS new_key_published;
SELECT value FROM auth.configuration() WHERE setting = 'leeway';
SELECT count(*) > 0 AS keys_listed FROM auth.list_keys();
SELECT count(*) AS issuers FROM auth.trusted_issuers();
SELECT auth.verify(:'t1') IS NOT NULL AS verified;
SELECT auth.uid() = :'u1' AS uid, auth.user_id() = :'u1' AS user_id, auth.email(), auth.role(),
       auth.jwt() ->> 'sub' = :'u1' AS jwt, auth.session() ->> 'sub' = :'u1' AS session;
-- The functions of accounts, each writing, in a parallel-unsafe plan.
SELECT auth.request_email_verification(:'u2') AS par_token \gset
SELECT auth.verify_email(:'par_token') = :'u2' AS email_verified;
SELECT auth.disable_user(:'u2') AS disabled, auth.enable_user(:'u2') AS enabled;
SELECT auth.reset_password(auth.request_password_reset('par2@example.com'), 'parallel password 2') = :'u2' AS reset;
COMMIT;
SELECT auth.configure('leeway', NULL) IS NOT NULL AS leeway_reset;
