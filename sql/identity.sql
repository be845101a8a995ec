-- The verified identity: only auth.verify() can set it, clearing always
-- works, and it lives exactly as long as it should.
-- Fixtures (install.sql): regress.force_parallel; the role regress_app.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('mallory@example.com', 'mallory password') AS mallory \gset
SELECT auth.signup('victim@example.com', 'victim password') AS victim \gset
SELECT auth.signin('mallory@example.com', 'mallory password') AS tok \gset
SELECT auth.signin('victim@example.com', 'victim password') AS victim_tok \gset

-- No identity: every accessor is NULL.
SELECT auth.uid(), auth.user_id(), auth.email(), auth.role(), auth.jwt();

-- After verify: every accessor reads the token.
BEGIN;
SELECT auth.verify(:'tok') IS NOT NULL AS verified;
SELECT auth.uid() = :'mallory' AS uid, auth.user_id() = :'mallory' AS user_id,
       auth.email(), auth.role(), auth.jwt() ->> 'sub' = :'mallory' AS jwt_sub,
       auth.jwt() ->> 'iss' AS jwt_iss, pg_typeof(auth.jwt()) AS jwt_type;
SELECT current_setting('jwt_auth.user_id') = :'mallory' AS guc_holds_uid;
COMMIT;

-- Forging, as an application role: SET, SET LOCAL, set_config, ALTER ROLE all fail with 42501.
SET ROLE regress_app;
SET jwt_auth.user_id = :'victim';
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL jwt_auth.user_id = :'victim';
ROLLBACK;
SELECT set_config('jwt_auth.user_id', :'victim', false);
SELECT set_config('jwt_auth.user_id', :'victim', true);
SET jwt_auth.claims = '{"sub":"00000000-0000-4000-8000-000000000000"}';
ALTER ROLE regress_app SET jwt_auth.user_id = :'victim';
SELECT auth.uid() IS NULL AS still_nobody;
RESET ROLE;

-- Not even a superuser can set it directly, in any way.
SET jwt_auth.user_id = :'victim';
ALTER ROLE regress_app SET jwt_auth.user_id = :'victim';
ALTER DATABASE contrib_regression SET jwt_auth.user_id = :'victim';
CREATE FUNCTION regress.as_victim() RETURNS uuid LANGUAGE sql
    SET jwt_auth.user_id = 'b7a3b9a8-6b8c-4f0c-9d5e-2f4d4c7b1a00' AS $$ SELECT auth.uid() $$;
-- A verified identity cannot be swapped for another by SET either.
BEGIN;
SELECT auth.verify(:'tok') IS NOT NULL AS verified;
SET LOCAL jwt_auth.user_id = :'victim';
ROLLBACK;

-- Clearing is always allowed: empty value, RESET, RESET ALL, DISCARD ALL, SET TO DEFAULT.
SELECT auth.verify(:'tok', false) IS NOT NULL AS verified_for_session;
SET jwt_auth.user_id = '';
SELECT auth.uid() IS NULL AS cleared_by_empty, auth.jwt() IS NULL AS jwt_follows_uid;
SELECT auth.verify(:'tok', false) IS NOT NULL AS verified_for_session;
RESET jwt_auth.user_id;
SELECT auth.uid() IS NULL AS cleared_by_reset;
SELECT auth.verify(:'tok', false) IS NOT NULL AS verified_for_session;
SET ROLE regress_app;
RESET ALL;
SELECT auth.uid() IS NULL AS cleared_by_reset_all;
RESET ROLE;
SELECT auth.verify(:'tok', false) IS NOT NULL AS verified_for_session;
DISCARD ALL;
SELECT auth.uid() IS NULL AS cleared_by_discard_all, auth.jwt() IS NULL AS claims_cleared;
SELECT auth.verify(:'tok', false) IS NOT NULL AS verified_for_session;
SET jwt_auth.user_id TO DEFAULT;
SET jwt_auth.claims TO DEFAULT;
SELECT auth.uid() IS NULL AS cleared_by_default;

-- Lifetime: the default is the transaction; a rollback or a rolled-back
-- savepoint restores what was there before.
BEGIN;
SELECT auth.verify(:'tok') IS NOT NULL AS verified;
ROLLBACK;
SELECT auth.uid() IS NULL AS gone_after_rollback;
SELECT auth.verify(:'tok') IS NOT NULL AS verified_outside_block;
SELECT auth.uid() IS NULL AS gone_after_statement;
BEGIN;
SELECT auth.verify(:'tok') IS NOT NULL AS verified;
SAVEPOINT s1;
SELECT auth.verify(:'victim_tok') IS NOT NULL AS verified_other;
SELECT auth.uid() = :'victim' AS inner_is_victim, auth.email() AS inner_email;
ROLLBACK TO s1;
SELECT auth.uid() = :'mallory' AS restored, auth.email() AS restored_email;
COMMIT;
-- A transaction-local identity over a session one: the session one comes back.
SELECT auth.verify(:'victim_tok', false) IS NOT NULL AS session_victim;
BEGIN;
SELECT auth.verify(:'tok') IS NOT NULL AS local_mallory;
SELECT auth.email() AS inside;
COMMIT;
SELECT auth.email() AS after;
RESET jwt_auth.user_id;
RESET jwt_auth.claims;

-- One identity, from one token.  A function whose SET clause covers one of
-- the two settings restores only that one on exit, which would pair one
-- token's user id with another token's claims: the identity is then none,
-- or (as here, since the settings are made whole before each query) the
-- last verified token's, never a mix.
CREATE FUNCTION regress.verify_inside_claims(token text) RETURNS uuid LANGUAGE sql
    SET jwt_auth.claims = '' AS $$ SELECT auth.verify(token) $$;
CREATE FUNCTION regress.verify_inside_user_id(token text) RETURNS uuid LANGUAGE sql
    SET jwt_auth.user_id = '' AS $$ SELECT auth.verify(token) $$;
CREATE FUNCTION regress.one_token() RETURNS boolean LANGUAGE sql AS $$
    SELECT (auth.uid() IS NULL AND auth.user_id() IS NULL AND auth.jwt() IS NULL AND auth.email() IS NULL)
        OR (auth.uid()::text = auth.jwt() ->> 'sub' AND auth.user_id() = auth.jwt() ->> 'sub'
            AND auth.email() = auth.jwt() ->> 'email'
            AND auth.uid()::text = current_setting('jwt_auth.user_id')
            AND current_setting('jwt_auth.claims')::jsonb = auth.jwt()) $$;
BEGIN;
SELECT auth.verify(:'tok') = :'mallory' AS mallory;
SELECT regress.verify_inside_claims(:'victim_tok') = :'victim' AS victim_inside;
SELECT regress.one_token() AS one_token, auth.email();
SELECT auth.verify(:'tok') = :'mallory' AS mallory_again, auth.email();
SELECT regress.verify_inside_user_id(:'victim_tok') = :'victim' AS victim_inside;
SELECT regress.one_token() AS one_token, auth.email();
COMMIT;
-- Without the executor's help (a value read in the same query as the
-- function restores it), the accessors refuse the pair themselves.
BEGIN;
SELECT auth.verify(:'tok') = :'mallory' AS mallory;
SELECT regress.verify_inside_claims(:'victim_tok') = :'victim' AS victim_inside,
       auth.uid() IS NULL OR auth.uid()::text = auth.jwt() ->> 'sub' AS same_query_one_token;
COMMIT;

-- A failed verify leaves no identity, even one set for the session before
-- it (whose value the failure's rollback restores), in the backend and in
-- parallel workers; the next good verify sets one again.
SELECT auth.verify(:'tok', false) = :'mallory' AS session_identity;
SELECT auth.verify('not a token', false);
SELECT auth.uid() IS NULL AS no_uid, auth.jwt() IS NULL AS no_claims, auth.email() IS NULL AS no_email;
SELECT current_setting('jwt_auth.user_id') = '' AS user_id_cleared,
       current_setting('jwt_auth.claims') = '' AS claims_cleared;
BEGIN;
CALL regress.force_parallel();
SELECT auth.uid() IS NULL AS none_in_worker;
COMMIT;
SELECT auth.verify(:'tok', false) = :'mallory' AS again;
BEGIN;
SAVEPOINT s;
SELECT auth.verify(:'victim_tok', true) = :'victim' AS verified;
SELECT auth.verify(:'tok' || 'x', true);
ROLLBACK TO SAVEPOINT s;
SELECT auth.uid() IS NULL AS none_after_savepoint_rollback;
COMMIT;
RESET jwt_auth.user_id;
RESET jwt_auth.claims;
DROP FUNCTION regress.verify_inside_claims(text), regress.verify_inside_user_id(text), regress.one_token();

-- The jwt_auth prefix is reserved once the library is loaded.
SET jwt_auth.something_else = 'x';

-- A fresh backend where the library is not loaded yet: a value SET before
-- any extension function runs is a placeholder, dropped (with a warning)
-- when the library defines the setting.
\c
SELECT count(*) AS library_loaded FROM pg_settings WHERE name = 'jwt_auth.user_id';
SET jwt_auth.user_id = :'victim';
SET jwt_auth.claims = '{"sub":"x"}';
SELECT auth.uid() IS NULL AS placeholder_ignored;
SHOW jwt_auth.user_id;
SHOW jwt_auth.claims;

-- The same with the value given at connection time (PGOPTIONS).
\c "dbname=contrib_regression options=-cjwt_auth.user_id=b7a3b9a8-6b8c-4f0c-9d5e-2f4d4c7b1a00"
SELECT auth.uid() IS NULL AS connection_option_ignored;

-- The same with ALTER ROLE ... SET stored while no backend had the library
-- loaded, then a login as that role.
\c
CREATE ROLE regress_login LOGIN PASSWORD 'regress_login_pw';
ALTER ROLE regress_login SET jwt_auth.user_id = 'b7a3b9a8-6b8c-4f0c-9d5e-2f4d4c7b1a00';
\set su :USER
\c "dbname=contrib_regression user=regress_login password=regress_login_pw"
SELECT auth.uid() IS NULL AS role_setting_ignored;
\c contrib_regression :su
DROP ROLE regress_login;

-- A non-superuser cannot store such a setting even before the library loads.
\c
SET ROLE regress_app;
ALTER ROLE regress_app SET jwt_auth.user_id = 'b7a3b9a8-6b8c-4f0c-9d5e-2f4d4c7b1a00';
RESET ROLE;
