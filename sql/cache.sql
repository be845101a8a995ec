-- The caches of verified tokens and of active sessions.  Each token below
-- is verified twice first, so that it is cached; then whatever should end
-- it must end it at once, and what should not must not.
-- Fixtures (install.sql): regress.try_verify, regress.token, regress.part,
-- regress.kid; the role regress_app.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('cache@example.com', 'cache password 1') AS cu \gset
SHOW jwt_auth.cache_size;
CREATE FUNCTION regress.sid(token text) RETURNS uuid LANGUAGE sql
    AS $$ SELECT (regress.part(token, 2) ->> 'sid')::uuid $$;
-- The triggers that empty every backend's session cache.
SELECT tgname, tgenabled, pg_get_triggerdef(oid) LIKE '%FOR EACH ROW WHEN%' AS row_with_condition
  FROM pg_trigger WHERE tgrelid = 'auth.sessions'::regclass AND NOT tgisinternal ORDER BY tgname;

-- A signout in this backend ends a cached token from the next statement on,
-- inside a transaction too; rolled back, it ends nothing.
SELECT auth.signin('cache@example.com', 'cache password 1') AS c1 \gset
SELECT regress.try_verify(:'c1'), regress.try_verify(:'c1');
SELECT auth.signout(:'c1') AS ended;
SELECT regress.try_verify(:'c1');
SELECT auth.signin('cache@example.com', 'cache password 1') AS c2 \gset
BEGIN;
SELECT regress.try_verify(:'c2'), regress.try_verify(:'c2');
SELECT auth.signout(:'c2') AS ended;
SELECT regress.try_verify(:'c2');
ROLLBACK;
SELECT regress.try_verify(:'c2') AS after_rollback;

-- Sessions changed by hand: shortened, revoked, deleted, truncated.
UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE id = regress.sid(:'c2');
SELECT regress.try_verify(:'c2') AS shortened;
SELECT auth.signin('cache@example.com', 'cache password 1') AS c3 \gset
SELECT regress.try_verify(:'c3'), regress.try_verify(:'c3');
-- A renewal (a later expiry) keeps the session valid.
UPDATE auth.sessions SET expires_at = expires_at + interval '1 hour', refreshed_at = now()
 WHERE id = regress.sid(:'c3');
SELECT regress.try_verify(:'c3') AS renewed;
UPDATE auth.sessions SET revoked_at = now() WHERE id = regress.sid(:'c3');
SELECT regress.try_verify(:'c3') AS revoked;
SELECT auth.signin('cache@example.com', 'cache password 1') AS c4 \gset
SELECT regress.try_verify(:'c4'), regress.try_verify(:'c4');
DELETE FROM auth.sessions WHERE id = regress.sid(:'c4');
SELECT regress.try_verify(:'c4') AS deleted;
SELECT auth.signin('cache@example.com', 'cache password 1') AS c5 \gset
SELECT regress.try_verify(:'c5'), regress.try_verify(:'c5');
BEGIN;
TRUNCATE auth.sessions CASCADE;
SELECT regress.try_verify(:'c5') AS truncated;
ROLLBACK;
SELECT regress.try_verify(:'c5') AS truncate_rolled_back;
-- A deleted user's sessions go with it (ON DELETE CASCADE).
SELECT auth.signup('cache-gone@example.com', 'gone password 1') AS gone \gset
SELECT auth.signin('cache-gone@example.com', 'gone password 1') AS g1 \gset
SELECT regress.try_verify(:'g1'), regress.try_verify(:'g1');
DELETE FROM auth.users WHERE id = :'gone';
SELECT regress.try_verify(:'g1') AS user_deleted;

-- What this transaction wrote and then rolled back sends no invalidation,
-- so a session it opened, renewed or brought back is not remembered.
BEGIN;
SELECT auth.signin('cache@example.com', 'cache password 1') AS r1 \gset
SELECT regress.try_verify(:'r1'), regress.try_verify(:'r1');
ROLLBACK;
SELECT regress.try_verify(:'r1') AS signin_rolled_back;
BEGIN;
SAVEPOINT s;
SELECT auth.signin('cache@example.com', 'cache password 1') AS r2 \gset
SELECT regress.try_verify(:'r2'), regress.try_verify(:'r2');
ROLLBACK TO SAVEPOINT s;
SELECT regress.try_verify(:'r2') AS signin_rolled_back_to_savepoint;
COMMIT;
BEGIN;
UPDATE auth.sessions SET revoked_at = NULL WHERE id = regress.sid(:'c3');
SELECT regress.try_verify(:'c3'), regress.try_verify(:'c3');
ROLLBACK;
SELECT regress.try_verify(:'c3') AS unrevoke_rolled_back;
BEGIN;
UPDATE auth.sessions SET expires_at = now() + interval '1 hour' WHERE id = regress.sid(:'c2');
SELECT regress.try_verify(:'c2'), regress.try_verify(:'c2');
ROLLBACK;
SELECT regress.try_verify(:'c2') AS renewal_rolled_back;

-- Without its trigger the session cache is not used, so a revocation that
-- sends no invalidation is still seen at once.
SELECT auth.signin('cache@example.com', 'cache password 1') AS c6 \gset
BEGIN;
ALTER TABLE auth.sessions DISABLE TRIGGER sessions_ended;
SELECT regress.try_verify(:'c6'), regress.try_verify(:'c6');
UPDATE auth.sessions SET revoked_at = now() WHERE id = regress.sid(:'c6');
SELECT regress.try_verify(:'c6') AS revoked_without_trigger;
ROLLBACK;
SELECT regress.try_verify(:'c6') AS after_rollback;

-- A retired key evicts its cached tokens; the new key's tokens verify.
SELECT regress.kid() AS old_kid \gset
SELECT auth.rotate_key('HS256') IS NOT NULL AS rotated;
SELECT regress.try_verify(:'c6'), regress.try_verify(:'c6');
SELECT auth.retire_key(:'old_kid') AS retired;
SELECT regress.try_verify(:'c6') AS old_key_retired;
SELECT auth.signin('cache@example.com', 'cache password 1') AS c7 \gset
SELECT regress.try_verify(:'c7'), regress.try_verify(:'c7');

-- Changing the issuer or the audience empties the cache; the leeway is
-- applied to cached tokens as it stands.
SET jwt_auth.issuer = 'another issuer';
SELECT regress.try_verify(:'c7') AS other_issuer;
RESET jwt_auth.issuer;
SELECT regress.try_verify(:'c7') AS issuer_back;
SET jwt_auth.audience = 'another audience';
SELECT regress.try_verify(:'c7') AS other_audience;
RESET jwt_auth.audience;
SET jwt_auth.check_sessions = off;
SELECT regress.token(:'cu', jsonb_build_object('exp', extract(epoch FROM now())::bigint - 10)) AS late \gset
SELECT regress.token(:'cu', jsonb_build_object('nbf', extract(epoch FROM now())::bigint + 10)) AS early \gset
SELECT regress.try_verify(:'late'), regress.try_verify(:'late'),
       regress.try_verify(:'early'), regress.try_verify(:'early');
SET jwt_auth.leeway = 0;
SELECT regress.try_verify(:'late') AS late_without_leeway;
SELECT regress.try_verify(:'early') AS early_without_leeway;
RESET jwt_auth.leeway;
SELECT regress.try_verify(:'late') AS late_with_leeway;
RESET jwt_auth.check_sessions;

-- The same identity set again in a transaction keeps its lifetime: a
-- session-level identity stays after COMMIT, a transaction-local one ends.
BEGIN;
SELECT auth.verify(:'c7', false) = :'cu' AS verified_for_session;
SELECT auth.verify(:'c7') = :'cu' AS verified_again_locally;
COMMIT;
SELECT auth.uid() = :'cu' AS kept_after_commit;
RESET jwt_auth.claims;
RESET jwt_auth.user_id;
BEGIN;
SELECT auth.verify(:'c7') = :'cu', auth.verify(:'c7') = :'cu';
SAVEPOINT s;
SELECT auth.verify(:'c7') = :'cu' AS in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT auth.uid() = :'cu' AS after_savepoint;
COMMIT;
SELECT auth.uid() IS NULL AS ended_with_transaction;

-- With the caches off every call checks in full, with the same outcome.
SET jwt_auth.cache_size = 0;
SELECT regress.try_verify(:'c7'), regress.try_verify(:'c7'), regress.try_verify(:'c6');
SET jwt_auth.cache_size = 16;
SELECT regress.try_verify(:'c7'), regress.try_verify(:'c7'), regress.try_verify(:'c6');
RESET jwt_auth.cache_size;
SET ROLE regress_app;
SET jwt_auth.cache_size = 0;
RESET ROLE;
