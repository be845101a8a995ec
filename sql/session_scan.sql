-- The session look-ups of a query share auth.sessions, its primary key
-- index and one scan: held while the query that verifies runs, given up
-- when its run returns, released by a subtransaction that aborts.
-- Fixtures (install.sql): bcrypt cost 10.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT count(auth.signup('scan' || i || '@example.com', 'scan password 1')) AS signed_up
  FROM generate_series(1, 3) AS i;
CREATE TABLE scan_tokens AS
SELECT i, auth.signin('scan' || i || '@example.com', 'scan password 1') AS token
  FROM generate_series(1, 3) AS i;
-- The locks this backend holds on auth.sessions and its primary key.
CREATE FUNCTION pg_temp.held() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pg_locks
     WHERE pid = pg_backend_pid() AND locktype = 'relation'
       AND relation IN ('auth.sessions'::regclass, 'auth.sessions_pkey'::regclass) $$;
-- auth.verify() in a PL/pgSQL expression: no query run of its own.
CREATE FUNCTION pg_temp.verify_or_message(token text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN CASE WHEN auth.verify(token) IS NOT NULL THEN 'ok' END;
EXCEPTION WHEN invalid_authorization_specification THEN
    RETURN SQLERRM;
END $$;
-- auth.verify() in a query run of its own, nested in the caller's.
CREATE FUNCTION pg_temp.verify_nested(token text) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    uid uuid;
BEGIN
    SELECT auth.verify(token) INTO uid;
    RETURN uid;
END $$;
-- Every verify reads the table: no session cache.
SET jwt_auth.cache_size = 0;

-- Held by the query, and only while it runs: the transaction may then
-- truncate the table.
BEGIN;
SELECT i, auth.verify(token) IS NOT NULL AS verified, pg_temp.held() AS locks
  FROM scan_tokens ORDER BY i;
SELECT pg_temp.held() AS locks_after_the_query;
SAVEPOINT before_truncate;
SET LOCAL client_min_messages = warning;
TRUNCATE auth.sessions CASCADE;
ROLLBACK TO before_truncate;
COMMIT;
-- A nested query run gives them up when it returns.
SELECT count(pg_temp.verify_nested(token)) AS verified, pg_temp.held() AS locks FROM scan_tokens;

-- A verify that fails inside an exception block releases everything; the
-- next one opens the table again.
SELECT auth.signout(token) AS ended FROM scan_tokens WHERE i = 2;
SELECT i, pg_temp.verify_or_message(token) FROM scan_tokens ORDER BY i;
SELECT pg_temp.held() AS locks;
-- A verify that fails ends the query and leaves nothing behind.
SELECT i, auth.verify(token) IS NOT NULL AS verified FROM scan_tokens ORDER BY i;
SELECT pg_temp.held() AS locks;

-- A cursor's FETCH is a query run of its own.
BEGIN;
DECLARE scan_cursor CURSOR FOR
    SELECT i, auth.verify(token) IS NOT NULL AS verified FROM scan_tokens WHERE i <> 2 ORDER BY i;
FETCH 1 FROM scan_cursor;
SELECT pg_temp.held() AS locks_between_fetches;
FETCH 1 FROM scan_cursor;
COMMIT;

-- Outside any query run nothing stays open.
DO $$
DECLARE
    token text := (SELECT t.token FROM scan_tokens t WHERE i = 1);
    uid uuid;
BEGIN
    uid := auth.verify(token);
    RAISE NOTICE 'verified: %, locks held: %', uid IS NOT NULL, pg_temp.held();
END $$;

RESET jwt_auth.cache_size;
DROP TABLE scan_tokens;
DELETE FROM auth.users WHERE email LIKE 'scan_@example.com';
