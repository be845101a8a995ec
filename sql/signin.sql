-- auth.signin(email, password): credentials, the token it issues, and refusals.
-- Fixtures (install.sql): regress.part, regress.kid, regress.secret,
-- regress.b64url, regress.hmac256, regress.fails; the role regress_app;
-- bcrypt cost 10.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('grace@example.com', 'grace password 1') AS grace_id \gset
SELECT auth.signin(' Grace@Example.com', 'grace password 1') AS tok \gset

-- Compact JWS: three base64url segments, nothing else.
SELECT :'tok' ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$' AS compact_hs256;

-- Header: alg HS256, typ JWT, kid of the newest key.
SELECT regress.part(:'tok', 1) - 'kid' AS header,
       regress.part(:'tok', 1) ->> 'kid' = regress.kid() AS kid_is_newest_key;

-- Claims: exactly these, with the right values; sid is the session signin opened.
SELECT array(SELECT jsonb_object_keys(regress.part(:'tok', 2)) ORDER BY 1) AS claim_names;
SELECT c ->> 'iss' AS iss, c ->> 'aud' AS aud, c ->> 'sub' = :'grace_id' AS sub_is_user,
       c ->> 'email' AS email, c ->> 'role' AS role,
       (c ->> 'exp')::bigint - (c ->> 'iat')::bigint AS lifetime,
       abs((c ->> 'iat')::bigint - extract(epoch FROM now())::bigint) < 60 AS iat_is_now,
       (c ->> 'jti')::uuid IS NOT NULL AS jti_is_uuid,
       (SELECT user_id = :'grace_id' AND revoked_at IS NULL FROM auth.sessions WHERE id = (c ->> 'sid')::uuid) AS session_opened
  FROM regress.part(:'tok', 2) AS c;

-- The signature is HMAC-SHA256 with the key's secret, checked independently.
SELECT split_part(:'tok', '.', 3) = regress.b64url(regress.hmac256(convert_to(split_part(:'tok', '.', 1) || '.' || split_part(:'tok', '.', 2), 'UTF8'),
                                                       regress.secret())) AS signature_matches;

-- Each signin issues a distinct token (distinct jti).
SELECT auth.signin('grace@example.com', 'grace password 1') <> :'tok' AS distinct_tokens;

-- Wrong password and unknown email: the same 28P01 error.
SELECT auth.signin('grace@example.com', 'grace password 2');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signin('nobody@example.com', 'grace password 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signin('not an email', 'grace password 1');
SELECT auth.signin('grace@example.com', '');
SELECT auth.signin('grace@example.com', repeat('x', 1025));
SELECT auth.signin('grace@example.com', repeat('x', 1024 * 1024));
SELECT auth.signin(NULL, 'grace password 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signin('grace@example.com', NULL);

-- No silent truncation: passwords that share their first 72 (or more) bytes
-- are still different passwords.
SELECT auth.signup('long72@example.com', repeat('a', 72) || 'first') IS NOT NULL AS signed_up;
SELECT auth.signin('long72@example.com', repeat('a', 72) || 'second');
SELECT auth.signin('long72@example.com', repeat('a', 72));
SELECT auth.signin('long72@example.com', repeat('a', 72) || 'first') IS NOT NULL AS right_password_works;
SELECT auth.signup('euro72@example.com', repeat('€', 24) || 'tail one') IS NOT NULL AS signed_up;
SELECT auth.signin('euro72@example.com', repeat('€', 24) || 'tail two');

-- Unknown and impossible emails cost a bcrypt hash at the current cost,
-- like a wrong password: at cost 20 (a hash takes tens of seconds, far
-- longer than the timeout) they are cancelled (57014) instead of failing at
-- once.  An over-long password can match no account and fails without
-- hashing.
SET jwt_auth.bcrypt_cost = 20;
SET statement_timeout = '300ms';
SELECT auth.signin('unknown@example.com', 'wrong password');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signin('not an email', 'wrong password');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signin('grace@example.com', repeat('x', 1025));
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
RESET jwt_auth.bcrypt_cost;

-- Failed sign-ins are throttled with nothing preloaded (test/throttle.sh
-- covers the rules): after 5 failures the email is locked, even for the
-- right password; other emails are not.
SELECT auth.signup('locked@example.com', 'locked password 1') IS NOT NULL AS signed_up;
SELECT count(*) AS failures FROM generate_series(1, 5) AS i
 WHERE regress.fails($$SELECT auth.signin('locked@example.com', 'wrong password')$$);
SELECT auth.signin('locked@example.com', 'locked password 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signin('grace@example.com', 'grace password 1') IS NOT NULL AS others_not_throttled;
-- Counts and locks are per database: in another database of the cluster
-- the same email has its own, and signs in.
\set regress_db :DBNAME
CREATE DATABASE regress_signin_other;
\c regress_signin_other
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
SET jwt_auth.bcrypt_cost = 10;
SELECT auth.signup('locked@example.com', 'locked password 1') IS NOT NULL AS signed_up_elsewhere;
SELECT auth.signin('locked@example.com', 'locked password 1') IS NOT NULL AS not_locked_elsewhere;
\c :regress_db
DROP DATABASE regress_signin_other;
SELECT regress.fails($$SELECT auth.signin('locked@example.com', 'locked password 1')$$) AS still_locked_here;

-- The token lifetime follows jwt_auth.token_ttl; issuer and audience follow their settings.
SET jwt_auth.token_ttl = '15min';
SET jwt_auth.issuer = 'https://todo.example.com';
SET jwt_auth.audience = 'todo-api';
SELECT c ->> 'iss' AS iss, c ->> 'aud' AS aud, (c ->> 'exp')::bigint - (c ->> 'iat')::bigint AS lifetime
  FROM regress.part(auth.signin('grace@example.com', 'grace password 1'), 2) AS c;
RESET jwt_auth.token_ttl;
RESET jwt_auth.issuer;
RESET jwt_auth.audience;

-- Signing in opens a session, so it needs a writable transaction (and so,
-- on a hot standby, fails clearly).
BEGIN READ ONLY;
SELECT auth.signin('grace@example.com', 'grace password 1');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- A hash at an older cost is redone at the current cost when its password
-- is next verified (so that an unknown email, hashed at the current cost,
-- takes as long as a real account).
SELECT substr(password_hash, 1, 7) AS before FROM auth.users WHERE email = 'grace@example.com';
SET jwt_auth.bcrypt_cost = 11;
SELECT auth.signin('grace@example.com', 'grace password 1') IS NOT NULL AS signed_in;
SELECT substr(password_hash, 1, 7) AS rehashed FROM auth.users WHERE email = 'grace@example.com';
SELECT auth.signin('grace@example.com', 'grace password 1') IS NOT NULL AS still_signs_in;
RESET jwt_auth.bcrypt_cost;

-- JSON in the email is escaped, not injected.
SELECT auth.signup('q"u\ote@example.com', 'long enough 1') IS NOT NULL AS signed_up;
SELECT regress.part(auth.signin('q"u\ote@example.com', 'long enough 1'), 2) ->> 'email' AS email;

-- The newest key signs; removing (or retiring) every key makes signin fail clearly.
BEGIN;
INSERT INTO auth.keys (kid, alg, secret, created_at)
    VALUES ('newer-key', 'HS256', sha256('newer key'), now() + interval '1 second');
SELECT regress.part(auth.signin('grace@example.com', 'grace password 1'), 1) ->> 'kid' AS kid;
DELETE FROM auth.keys;
SELECT auth.signin('grace@example.com', 'grace password 1');
ROLLBACK;

-- An app role can sign in.
SET ROLE regress_app;
SELECT auth.signin('grace@example.com', 'grace password 1') IS NOT NULL AS app_signed_in;
RESET ROLE;
