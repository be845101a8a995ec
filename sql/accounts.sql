-- The life of an account (1.2): password resets, email verification and
-- change, deleting and disabling accounts; the one-time tokens behind them
-- (hashed, single-use, bound to one purpose and one account, voided by a
-- newer one, counted per hour); "email_verified" in tokens, the settings
-- reset_ttl, verification_ttl and require_verified_email; auth.session();
-- and who may call what.
-- Fixtures (install.sql): regress.part, regress.try_verify, regress.fails;
-- the role regress_app.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET jwt_auth.bcrypt_cost = 10;
-- pg_temp.try(statement): its result, or the SQLSTATE and message of its error.
CREATE FUNCTION pg_temp.try(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
    state text;
    msg text;
BEGIN
    EXECUTE statement INTO result;
    RETURN coalesce(result, 'NULL');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN state || ' ' || msg;
END
$$;

SELECT auth.signup('Ann@Example.com', 'ann password 1') AS ann \gset
SELECT auth.signup('ben@example.com', 'ben password 1') AS ben \gset

-- A new account's email is not verified, and its tokens say so.
SELECT email, email_verified, disabled_until FROM auth.users WHERE id = :'ann';
SELECT regress.part(auth.signin('ann@example.com', 'ann password 1'), 2) -> 'email_verified' AS claim;
SELECT (s.access_token IS NOT NULL) AS pair,
       regress.part(s.access_token, 2) -> 'email_verified' AS claim
  FROM auth.signin_session('ann@example.com', 'ann password 1') s;

-- Email verification: a token of 43 characters of base64url, of which the
-- table keeps only the SHA-256.
SELECT auth.request_email_verification(:'ann') AS ann_verify \gset
SELECT :'ann_verify' ~ '^[A-Za-z0-9_-]{43}$' AS url_safe_256_bits;
SELECT count(*) AS stored, count(*) FILTER (WHERE token_hash = sha256(convert_to(:'ann_verify', 'UTF8'))) AS as_sha256,
       count(*) FILTER (WHERE position(convert_to(:'ann_verify', 'UTF8') IN token_hash) > 0) AS in_plain_text,
       min(purpose) AS purpose, min(email) AS sent_to
  FROM auth.account_tokens WHERE user_id = :'ann';
-- A token of another purpose, a changed one, one cut short: one refusal.
SELECT pg_temp.try(format('SELECT auth.reset_password(%L, %L)', :'ann_verify', 'another password 1')) AS other_purpose,
       pg_temp.try(format('SELECT auth.verify_email(%L)', overlay(:'ann_verify' PLACING 'x' FROM 1 FOR 1))) AS altered,
       pg_temp.try(format('SELECT auth.verify_email(%L)', left(:'ann_verify', 42))) AS short,
       pg_temp.try(format('SELECT auth.verify_email(%L)', repeat('x', 100000))) AS long,
       pg_temp.try('SELECT auth.verify_email(NULL)') AS null_token;
SELECT auth.verify_email(:'ann_verify') = :'ann' AS verified;
SELECT pg_temp.try(format('SELECT auth.verify_email(%L)', :'ann_verify')) AS used_twice;
SELECT email_verified FROM auth.users WHERE id = :'ann';
SELECT regress.part(auth.signin('ann@example.com', 'ann password 1'), 2) -> 'email_verified' AS claim;
-- Nothing to send: a verified email, an unknown user.
SELECT auth.request_email_verification(:'ann') IS NULL AS verified_already,
       auth.request_email_verification(gen_random_uuid()) IS NULL AS unknown_user;

-- A newer token voids the older one.
SELECT auth.request_email_verification(:'ben') AS ben_verify_1 \gset
SELECT auth.request_email_verification(:'ben') AS ben_verify_2 \gset
SELECT pg_temp.try(format('SELECT auth.verify_email(%L)', :'ben_verify_1')) AS replaced;
-- Three requests an hour per account and purpose are honoured; the rest
-- return NULL, as for an unknown account, so nobody floods an inbox.
SELECT auth.request_email_verification(:'ben') IS NOT NULL AS third,
       auth.request_email_verification(:'ben') IS NULL AS fourth;
SELECT pg_temp.try(format('SELECT auth.verify_email(%L)', :'ben_verify_2')) AS replaced_too;
SELECT count(*) AS rows, count(*) FILTER (WHERE voided_at IS NULL) AS live
  FROM auth.account_tokens WHERE user_id = :'ben' AND purpose = 'email_verification';

-- Password reset: NULL for an unknown or impossible email, as the backend
-- answers the same either way.
SELECT auth.request_password_reset('nobody@example.com') IS NULL AS unknown,
       auth.request_password_reset('not an address') IS NULL AS impossible,
       pg_temp.try('SELECT auth.request_password_reset(NULL)') AS null_email;
SELECT auth.request_password_reset('  ANN@example.COM ') AS ann_reset \gset
SELECT auth.signin('ann@example.com', 'ann password 1') AS ann_tok \gset
SELECT regress.try_verify(:'ann_tok') AS before_reset;
-- The new password follows the rules of a sign-up, and a refused one
-- leaves the token usable.
SELECT pg_temp.try(format('SELECT auth.reset_password(%L, %L)', :'ann_reset', 'short')) AS too_short,
       pg_temp.try(format('SELECT auth.reset_password(%L, NULL)', :'ann_reset')) AS null_password;
SELECT auth.reset_password(:'ann_reset', 'ann password 2') = :'ann' AS reset;
-- Every session of the account ended; the old password is gone.
SELECT regress.try_verify(:'ann_tok') AS after_reset;
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live_sessions FROM auth.sessions WHERE user_id = :'ann';
SELECT pg_temp.try('SELECT auth.signin(''ann@example.com'', ''ann password 1'')') AS old_password,
       regress.try_verify(auth.signin('ann@example.com', 'ann password 2')) AS new_password;
SELECT pg_temp.try(format('SELECT auth.reset_password(%L, %L)', :'ann_reset', 'ann password 3')) AS used_twice;
-- An expired token: reset_ttl (here 1 second) is its lifetime.
SELECT auth.configure('reset_ttl', '1s') AS reset_ttl;
SELECT auth.request_password_reset('ben@example.com') AS ben_reset \gset
SELECT pg_sleep(1.5);
SELECT pg_temp.try(format('SELECT auth.reset_password(%L, %L)', :'ben_reset', 'ben password 2')) AS expired;
SELECT auth.configure('reset_ttl', NULL) AS reset_ttl;
SELECT setting, value FROM auth.configuration() WHERE setting IN ('reset_ttl', 'verification_ttl', 'require_verified_email');
SELECT pg_temp.try('SELECT auth.configure(''reset_ttl'', ''2d'')') AS reset_ttl_too_long,
       pg_temp.try('SELECT auth.configure(''verification_ttl'', ''8d'')') AS verification_ttl_too_long;
-- A reset verifies the email it went through.
SELECT email_verified FROM auth.users WHERE id = :'ben';
SELECT auth.reset_password(auth.request_password_reset('ben@example.com'), 'ben password 2') = :'ben' AS ben_reset;
SELECT email_verified FROM auth.users WHERE id = :'ben';

-- Email change: refused addresses, then a token for the new one.
SELECT pg_temp.try(format('SELECT auth.request_email_change(%L, %L)', :'ann', 'not an address')) AS invalid,
       pg_temp.try(format('SELECT auth.request_email_change(%L, %L)', :'ann', 'BEN@example.com')) AS taken,
       pg_temp.try(format('SELECT auth.request_email_change(%L, %L)', :'ann', 'ann@example.com')) AS same,
       pg_temp.try(format('SELECT auth.request_email_change(%L, NULL)', :'ann')) AS null_email,
       auth.request_email_change(gen_random_uuid(), 'x@example.com') IS NULL AS unknown_user;
SELECT auth.request_email_change(:'ann', 'Ann.New@Example.com') AS ann_change \gset
SELECT email, purpose FROM auth.account_tokens WHERE user_id = :'ann' AND voided_at IS NULL;
SELECT auth.request_email_verification(:'ann') IS NULL AS still_verified;
SELECT auth.confirm_email_change(:'ann_change') = :'ann' AS changed;
SELECT email, email_verified FROM auth.users WHERE id = :'ann';
SELECT regress.try_verify(auth.signin('ann.new@example.com', 'ann password 2')) AS signs_in_with_new,
       pg_temp.try('SELECT auth.signin(''ann@example.com'', ''ann password 2'')') AS old_address;
-- The change voided every other token of the account.
SELECT count(*) AS live_tokens FROM auth.account_tokens WHERE user_id = :'ann' AND voided_at IS NULL;
-- A change token whose address was taken meanwhile.
SELECT auth.request_email_change(:'ben', 'taken@example.com') AS ben_change \gset
SELECT auth.signup('taken@example.com', 'taken password 1') IS NOT NULL AS taken_meanwhile;
SELECT pg_temp.try(format('SELECT auth.confirm_email_change(%L)', :'ben_change')) AS taken_meanwhile;
-- A verification token sent before an email change verifies nothing after.
SELECT auth.signup('cat@example.com', 'cat password 1') AS cat \gset
SELECT auth.request_email_verification(:'cat') AS cat_verify \gset
SELECT auth.confirm_email_change(auth.request_email_change(:'cat', 'cat2@example.com')) = :'cat' AS cat_changed;
UPDATE auth.users SET email_verified = false WHERE id = :'cat';
SELECT pg_temp.try(format('SELECT auth.verify_email(%L)', :'cat_verify')) AS sent_to_old_address;

-- require_verified_email: signin refuses an account whose email is not
-- verified, after the password is checked.
SELECT auth.configure('require_verified_email', 'on') AS required;
SELECT pg_temp.try('SELECT auth.signin(''cat2@example.com'', ''wrong password'')') AS wrong_password,
       pg_temp.try('SELECT auth.signin(''cat2@example.com'', ''cat password 1'')') AS unverified;
SELECT auth.signin('cat2@example.com', 'cat password 1');
SELECT regress.try_verify(auth.signin('ben@example.com', 'ben password 2')) AS verified_signs_in;
SELECT auth.configure('require_verified_email', NULL) AS required;

-- Disabling: every session ends, tokens are void, sign-ins and refreshes
-- are refused (after the password), until enabled again.
SELECT auth.signin('ben@example.com', 'ben password 2') AS ben_tok \gset
SELECT refresh_token AS ben_refresh FROM auth.signin_session('ben@example.com', 'ben password 2') \gset
SELECT auth.request_password_reset('ben@example.com') AS ben_reset \gset
SELECT pg_temp.try(format('SELECT auth.disable_user(%L, %L)', :'ben', '2000-01-01')) AS in_the_past,
       pg_temp.try(format('SELECT auth.disable_user(%L, NULL)', :'ben')) AS null_until,
       auth.disable_user(gen_random_uuid()) AS unknown_user;
SELECT auth.disable_user(:'ben') AS disabled;
SELECT disabled_until FROM auth.users WHERE id = :'ben';
SELECT regress.try_verify(:'ben_tok') AS token_after,
       pg_temp.try(format('SELECT count(*) FROM auth.refresh(%L)', :'ben_refresh')) AS refresh_after,
       pg_temp.try(format('SELECT auth.reset_password(%L, %L)', :'ben_reset', 'ben password 3')) AS reset_after,
       auth.request_password_reset('ben@example.com') IS NULL AS no_reset_token,
       auth.request_email_verification(:'ben') IS NULL AS no_verification_token;
SELECT pg_temp.try('SELECT auth.signin(''ben@example.com'', ''wrong password'')') AS wrong_password,
       pg_temp.try('SELECT auth.signin(''ben@example.com'', ''ben password 2'')') AS right_password;
SELECT auth.signin('ben@example.com', 'ben password 2');
-- Until a time: refused with that time in the detail, then enabled.
SELECT auth.disable_user(:'ben', '2999-01-01 00:00:00+00') AS disabled_until_2999;
SELECT auth.signin('ben@example.com', 'ben password 2');
SELECT auth.enable_user(:'ben') AS enabled, auth.enable_user(gen_random_uuid()) AS unknown_user;
SELECT regress.try_verify(auth.signin('ben@example.com', 'ben password 2')) AS signs_in_again;

-- Deleting one's own account: the password again, with a verified identity.
SELECT auth.signup('dan@example.com', 'dan password 1') AS dan \gset
CREATE TABLE notes (user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, body text);
INSERT INTO notes VALUES (:'dan', 'dan''s note'), (:'ann', 'ann''s note');
SELECT auth.request_email_verification(:'dan') IS NOT NULL AS dan_token;
SELECT pg_temp.try('SELECT auth.delete_account(''dan password 1'')') AS no_identity;
BEGIN;
SELECT auth.verify(auth.signin('dan@example.com', 'dan password 1')) = :'dan' AS dan_verified;
SELECT pg_temp.try('SELECT auth.delete_account(''wrong password'')') AS wrong_password;
SELECT pg_temp.try('SELECT auth.delete_account(NULL)') AS null_password;
SELECT auth.delete_account('dan password 1') AS deleted;
COMMIT;
SELECT (SELECT count(*) FROM auth.users WHERE id = :'dan') AS users,
       (SELECT count(*) FROM auth.sessions WHERE user_id = :'dan') AS sessions,
       (SELECT count(*) FROM auth.account_tokens WHERE user_id = :'dan') AS tokens,
       (SELECT string_agg(body, ',') FROM notes) AS notes_left;
-- Wrong passwords are throttled as sign-ins are.
SELECT auth.signup('eve@example.com', 'eve password 1') AS eve \gset
BEGIN;
SELECT auth.verify(auth.signin('eve@example.com', 'eve password 1')) = :'eve' AS eve_verified;
SELECT pg_temp.try(format('SELECT auth.delete_account(%L)', 'wrong ' || i)) AS attempt FROM generate_series(1, 6) i;
COMMIT;
-- Deleting by the owner.
SELECT auth.delete_user(:'eve') AS deleted, auth.delete_user(:'eve') AS again;
SELECT pg_temp.try('SELECT auth.delete_user(NULL)') AS null_user;

-- A reset voids every other token of the account: an email change asked
-- for through a stolen session cannot be confirmed after the owner's reset.
SELECT auth.signup('fay@example.com', 'fay password 1') AS fay \gset
SELECT auth.request_email_change(:'fay', 'thief@example.com') AS fay_change \gset
SELECT auth.reset_password(auth.request_password_reset('fay@example.com'), 'fay password 2') = :'fay' AS reset;
SELECT pg_temp.try(format('SELECT auth.confirm_email_change(%L)', :'fay_change')) AS change_after_reset;
-- So does a password change.
SELECT auth.request_email_change(:'fay', 'thief@example.com') AS fay_change \gset
BEGIN;
SELECT auth.verify(auth.signin('fay@example.com', 'fay password 2')) = :'fay' AS fay_verified;
SELECT auth.change_password('fay password 2', 'fay password 3') AS other_sessions_ended;
COMMIT;
SELECT pg_temp.try(format('SELECT auth.confirm_email_change(%L)', :'fay_change')) AS change_after_password_change;
-- An email change asked for with the password: a wrong one is refused.
SELECT pg_temp.try(format('SELECT auth.request_email_change(%L, %L, %L)', :'fay', 'fay2@example.com', 'wrong password')) AS wrong_password,
       auth.request_email_change(:'fay', 'fay2@example.com', 'fay password 3') IS NOT NULL AS right_password;
-- The extension's owner marks an email verified, or not, by hand.
SELECT auth.set_email_verified(:'fay', false) AS unmarked, auth.set_email_verified(gen_random_uuid()) AS unknown_user;
SELECT email_verified FROM auth.users WHERE id = :'fay';
-- A verification token verifies only the address it was sent to, even
-- should the address change without voiding it (as a superuser may).
SELECT auth.request_email_verification(:'fay') AS fay_verify \gset
UPDATE auth.users SET email = 'fay.other@example.com' WHERE id = :'fay';
SELECT pg_temp.try(format('SELECT auth.verify_email(%L)', :'fay_verify')) AS other_address;
SELECT auth.set_email_verified(:'fay') AS marked;
SELECT email_verified FROM auth.users WHERE id = :'fay';

-- Each function writes: a read-only transaction (or a standby) refuses it.
BEGIN READ ONLY;
SELECT pg_temp.try('SELECT auth.request_password_reset(''ann.new@example.com'')') AS request,
       pg_temp.try('SELECT auth.reset_password(repeat(''a'', 43), ''some password 1'')') AS reset,
       pg_temp.try(format('SELECT auth.disable_user(%L)', :'ann')) AS disable;
COMMIT;

-- auth.session() is auth.jwt(), under pg_session_jwt's name.
BEGIN;
SELECT auth.verify(auth.signin('ann.new@example.com', 'ann password 2')) = :'ann' AS ann_verified;
SELECT auth.session() = auth.jwt() AS same, auth.session() ->> 'sub' = :'ann' AS sub,
       auth.session() -> 'email_verified' AS email_verified;
COMMIT;
SELECT auth.session() IS NULL AS none_after;

-- Who may call what: the application role uses tokens and deletes its own
-- account; making tokens and the owner's functions are not for it.
SET ROLE regress_app;
SELECT f, regress.fails(format('SELECT %s', f)) AS refused FROM (VALUES
    ('auth.request_password_reset(''ann.new@example.com'')'),
    ('auth.request_email_verification(gen_random_uuid())'),
    ('auth.request_email_change(gen_random_uuid(), ''x@example.com'')'),
    ('auth.delete_user(gen_random_uuid())'),
    ('auth.disable_user(gen_random_uuid())'),
    ('auth.enable_user(gen_random_uuid())'),
    ('auth.set_email_verified(gen_random_uuid())'),
    ('* FROM auth.account_tokens')) AS calls(f);
SELECT pg_temp.try('SELECT auth.verify_email(repeat(''a'', 43))') AS verify_email,
       pg_temp.try('SELECT auth.reset_password(repeat(''a'', 43), ''some password 1'')') AS reset_password,
       pg_temp.try('SELECT auth.confirm_email_change(repeat(''a'', 43))') AS confirm_email_change;
RESET ROLE;
-- The owner may grant a function that makes tokens to a mail role.
CREATE ROLE regress_mail;
GRANT EXECUTE ON FUNCTION auth.request_password_reset(text) TO regress_mail;
SET ROLE regress_mail;
SELECT auth.request_password_reset('ann.new@example.com') IS NOT NULL AS mail_role_gets_token;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION auth.request_password_reset(text) FROM regress_mail;
DROP ROLE regress_mail;
DROP TABLE notes;
