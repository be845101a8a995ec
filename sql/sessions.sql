-- Sessions: signout, signout_all, change_password, deleted users, refresh
-- tokens with rotation and reuse detection, and stateless mode.
-- Fixtures (install.sql): regress.try_verify, regress.token, regress.sign,
-- regress.header, regress.secret, regress.part, regress.fails; the role
-- regress_app.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('sam@example.com', 'sam password 1') AS sam \gset
SELECT auth.signup('kim@example.com', 'kim password 1') AS kim \gset
SELECT auth.signin('sam@example.com', 'sam password 1') AS t1 \gset
SELECT auth.signin('sam@example.com', 'sam password 1') AS t2 \gset
SELECT auth.signin('sam@example.com', 'sam password 1') AS t3 \gset

-- Each signin opened its own session, which expires with its token.
SELECT count(*) AS sessions,
       count(*) FILTER (WHERE id IN (SELECT (regress.part(t, 2) ->> 'sid')::uuid
                                       FROM unnest(ARRAY[:'t1', :'t2', :'t3']) AS t)) AS one_per_token,
       bool_and(abs(extract(epoch FROM expires_at - created_at) - 3600) < 60) AS expire_with_token
  FROM auth.sessions WHERE user_id = :'sam';
-- Application roles cannot read sessions or refresh tokens.
SET ROLE regress_app;
SELECT count(*) FROM auth.sessions;
SELECT count(*) FROM auth.refresh_tokens;
RESET ROLE;

-- signout ends that session only, at once; a second signout returns false.
SELECT auth.signout(:'t1') AS ended;
SELECT regress.try_verify(:'t1');
SELECT regress.try_verify(:'t2') AS other_session;
SELECT auth.signout(:'t1') AS ended_again;
-- A signout rolled back ends nothing.
BEGIN;
SELECT auth.signout(:'t2') AS ended;
ROLLBACK;
SELECT regress.try_verify(:'t2') AS after_rollback;
-- An expired token may still sign out; a forged or malformed one may not.
SELECT auth.signin('sam@example.com', 'sam password 1') AS t4 \gset
SELECT regress.sign(regress.header(), (regress.part(:'t4', 2) || jsonb_build_object('exp', extract(epoch FROM now())::bigint - 3600))::text,
                    regress.secret()) AS t4_expired \gset
SELECT regress.try_verify(:'t4_expired');
SELECT auth.signout(:'t4_expired') AS expired_token_signs_out;
SELECT auth.signout(:'t2' || 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signout(NULL);

-- signout_all() ends every session of the verified user.
BEGIN;
SELECT auth.verify(:'t2') IS NOT NULL AS verified;
SELECT auth.signout_all() AS ended;
COMMIT;
SELECT regress.try_verify(:'t2'), regress.try_verify(:'t3');
SELECT auth.signout_all();
\echo :LAST_ERROR_SQLSTATE
-- signout_all(user) is for the extension's owner only.
SELECT auth.signin('kim@example.com', 'kim password 1') AS k1 \gset
SET ROLE regress_app;
SELECT auth.signout_all(:'kim'::uuid);
RESET ROLE;
SELECT regress.try_verify(:'k1') AS kim_untouched;
SELECT auth.signout_all(:'kim'::uuid) AS ended_by_owner;
SELECT regress.try_verify(:'k1');

-- change_password: needs the identity and the old password, applies the
-- signup rules, keeps the current session and ends the others.
SELECT auth.signin('sam@example.com', 'sam password 1') AS c1 \gset
SELECT auth.signin('sam@example.com', 'sam password 1') AS c2 \gset
SELECT auth.change_password('sam password 1', 'sam password 2');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth.verify(:'c1') IS NOT NULL AS verified;
SELECT auth.change_password('wrong password', 'sam password 2');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth.verify(:'c1') IS NOT NULL AS verified;
SELECT auth.change_password('sam password 1', 'short');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth.verify(:'c1') IS NOT NULL AS verified;
SELECT auth.change_password('sam password 1', NULL);
ROLLBACK;
BEGIN;
SELECT auth.verify(:'c1') IS NOT NULL AS verified;
SELECT auth.change_password('sam password 1', 'sam password 2') AS other_sessions_ended;
COMMIT;
SELECT regress.try_verify(:'c1') AS current_kept, regress.try_verify(:'c2') AS other_ended;
SELECT auth.signin('sam@example.com', 'sam password 1');
SELECT auth.signin('sam@example.com', 'sam password 2') IS NOT NULL AS new_password_works;
-- Guesses of the old password count as failed sign-ins of the email: a
-- stolen access token does not give unlimited guesses.
SELECT auth.signin('sam@example.com', 'sam password 2') AS c3 \gset
SELECT count(*) AS wrong_guesses FROM generate_series(1, 5) AS i
 WHERE regress.fails(format('SELECT auth.verify(%L); SELECT auth.change_password(%L, %L)',
                            :'c3', 'guess ' || i, 'sam password 3'));
BEGIN;
SELECT auth.verify(:'c3') IS NOT NULL AS verified;
SELECT auth.change_password('sam password 2', 'sam password 3');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT auth.signin('sam@example.com', 'sam password 2');

-- Deleting a user ends their sessions at once.
SELECT auth.signup('gone@example.com', 'gone password 1') AS gone \gset
SELECT auth.signin('gone@example.com', 'gone password 1') AS g1 \gset
SELECT regress.try_verify(:'g1') AS before_delete;
DELETE FROM auth.users WHERE id = :'gone';
SELECT regress.try_verify(:'g1');

-- A session past its expiry stops its tokens too.
SELECT auth.signin('kim@example.com', 'kim password 1') AS x1 \gset
UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE id = (regress.part(:'x1', 2) ->> 'sid')::uuid;
SELECT regress.try_verify(:'x1') AS expired_session;
-- A session this backend's cache remembers stops its tokens when its
-- expiry passes, though nothing changed its row: a session of auth.signin()
-- lasts as long as its token, which the leeway still accepts a moment after.
SET jwt_auth.token_ttl = 1;
SELECT auth.signin('kim@example.com', 'kim password 1') AS x2 \gset
SELECT regress.try_verify(:'x2') AS short_session_cached;
SELECT pg_sleep(1.2);
SELECT regress.try_verify(:'x2') AS short_session_past_expiry;
RESET jwt_auth.token_ttl;

-- A token whose sid names another user's session is refused.
SELECT auth.signin('kim@example.com', 'kim password 1') AS k2 \gset
SELECT regress.try_verify(regress.token(:'sam', jsonb_build_object('sid', regress.part(:'k2', 2) ->> 'sid')));
-- A token without sid is refused while sessions are checked; a malformed sid always.
SELECT regress.try_verify(regress.token(:'sam'));
SELECT regress.try_verify(regress.token(:'sam', '{"sid":"not-a-uuid"}'));

-- Stateless mode: with jwt_auth.check_sessions off, an ended session's token verifies until exp.
SET jwt_auth.check_sessions = off;
SELECT regress.try_verify(:'t1') AS stateless;
SELECT regress.try_verify(regress.token(:'sam')) AS sessionless;
RESET jwt_auth.check_sessions;

-- Refresh tokens: signin_session returns an access token, a refresh token and the expiry.
SELECT * FROM auth.signin_session('kim@example.com', 'kim password 1') \gset s_
SELECT regress.try_verify(:'s_access_token') AS access_ok,
       length(:'s_refresh_token') AS refresh_length,
       :'s_refresh_token' ~ '^[A-Za-z0-9_-]{43}$' AS base64url,
       abs(extract(epoch FROM :'s_expires_at'::timestamptz - now()) - 3600) < 60 AS expires_in_an_hour;
-- Stored hashed, and the session lasts jwt_auth.refresh_ttl (30 days).
SELECT count(*) AS stored_plain FROM auth.refresh_tokens WHERE token_hash = convert_to(:'s_refresh_token', 'UTF8');
SELECT count(*) AS stored_hashed FROM auth.refresh_tokens WHERE token_hash = sha256(convert_to(:'s_refresh_token', 'UTF8'));
SELECT round(extract(epoch FROM expires_at - created_at) / 86400) AS session_days
  FROM auth.sessions WHERE id = (regress.part(:'s_access_token', 2) ->> 'sid')::uuid;
-- refresh rotates: new tokens of the same session, the old refresh token retired.
SELECT * FROM auth.refresh(:'s_refresh_token') \gset r_
SELECT :'r_refresh_token' <> :'s_refresh_token' AS new_refresh_token,
       regress.try_verify(:'r_access_token') AS new_access_ok,
       regress.part(:'r_access_token', 2) ->> 'sid' = regress.part(:'s_access_token', 2) ->> 'sid' AS same_session;
SELECT refreshed_at IS NOT NULL AS refreshed FROM auth.sessions WHERE id = (regress.part(:'s_access_token', 2) ->> 'sid')::uuid;
-- Reuse of the retired token (a sign of theft) ends the whole session; the
-- call returns no row, with a warning.
SELECT * FROM auth.refresh(:'s_refresh_token');
SELECT regress.try_verify(:'r_access_token') AS after_reuse;
SELECT * FROM auth.refresh(:'r_refresh_token');
-- The end holds even when the caller rolls back the transaction in which
-- it saw the reuse (a backend raising its 401 inside the transaction): a
-- worker ended the session in a transaction of its own.
SELECT * FROM auth.signin_session('kim@example.com', 'kim password 1') \gset t_
SELECT * FROM auth.refresh(:'t_refresh_token') \gset u_
BEGIN;
SELECT count(*) AS rows_on_reuse FROM auth.refresh(:'t_refresh_token');
ROLLBACK;
SELECT revoked_at IS NOT NULL AS ended_for_good FROM auth.sessions
 WHERE id = (regress.part(:'t_access_token', 2) ->> 'sid')::uuid;
SELECT regress.try_verify(:'u_access_token') AS thief_access_token;
SELECT * FROM auth.refresh(:'u_refresh_token');
-- Invalid, missing, revoked and expired refresh tokens: 28000.
SELECT * FROM auth.refresh('not-a-refresh-token');
SELECT * FROM auth.refresh(repeat('A', 43));
SELECT * FROM auth.refresh(NULL);
SELECT * FROM auth.signin_session('kim@example.com', 'kim password 1') \gset e_
UPDATE auth.sessions SET expires_at = now() - interval '1 second'
 WHERE id = (regress.part(:'e_access_token', 2) ->> 'sid')::uuid;
SELECT * FROM auth.refresh(:'e_refresh_token');
\echo :LAST_ERROR_SQLSTATE
-- Expiry is judged by the clock, not by the start of the transaction: a
-- transaction that began before the session expired cannot refresh it.
SELECT * FROM auth.signin_session('kim@example.com', 'kim password 1') \gset x_
UPDATE auth.sessions SET expires_at = clock_timestamp() + interval '1 second'
 WHERE id = (regress.part(:'x_access_token', 2) ->> 'sid')::uuid;
BEGIN;
SELECT pg_sleep(1.2);
SELECT * FROM auth.refresh(:'x_refresh_token');
ROLLBACK;
SELECT * FROM auth.signin_session('kim@example.com', 'wrong password');
-- The refresh lifetime follows jwt_auth.refresh_ttl.
SET jwt_auth.refresh_ttl = '1d';
SELECT * FROM auth.signin_session('kim@example.com', 'kim password 1') \gset d_
SELECT round(extract(epoch FROM expires_at - created_at) / 3600) AS session_hours
  FROM auth.sessions WHERE id = (regress.part(:'d_access_token', 2) ->> 'sid')::uuid;
RESET jwt_auth.refresh_ttl;
-- Read-only transactions (standbys) verify but cannot sign in, refresh or sign out.
BEGIN READ ONLY;
SELECT regress.try_verify(:'d_access_token') AS read_only_verify;
COMMIT;
BEGIN READ ONLY;
SELECT * FROM auth.refresh(:'d_refresh_token');
ROLLBACK;
BEGIN READ ONLY;
SELECT auth.signout(:'d_access_token');
ROLLBACK;
-- An application role uses all of it.
SET ROLE regress_app;
SELECT (auth.signin_session('kim@example.com', 'kim password 1')).refresh_token AS app_refresh \gset
SELECT count(*) AS app_refreshed FROM auth.refresh(:'app_refresh');
RESET ROLE;
