-- Parallel query: workers see the leader's verified identity, so RLS
-- through auth.uid() returns exactly the verified user's rows.
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
SET LOCAL force_parallel_mode = on;
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
SET LOCAL force_parallel_mode = on;
SELECT count(*) FROM par_items;
COMMIT;
RESET ROLE;
DROP TABLE par_items;
