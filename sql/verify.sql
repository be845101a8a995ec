-- auth.verify(token, is_local): what it accepts, what it refuses and why,
-- and the identity it sets.  The many malformed and forged tokens an
-- attacker tries are in hostile.sql (no case is in both files).
-- Fixtures (install.sql): regress.try_verify, regress.token, regress.claims,
-- regress.header, regress.sign, regress.kid, regress.secret, regress.b64url,
-- regress.hmac256; the role regress_app.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('linus@example.com', 'linus password') AS uid \gset
SELECT auth.signin('linus@example.com', 'linus password') AS tok \gset
-- This file is about the token itself; most tokens below are forged here
-- without a session ("sid"), so the session check is off (sessions.sql
-- tests it). A superuser setting: the tests run as one.
SET jwt_auth.check_sessions = off;

-- A valid token: returns the user id and sets the identity for the transaction.
BEGIN;
SELECT auth.verify(:'tok') = :'uid' AS verified, auth.uid() = :'uid' AS uid_set;
COMMIT;
SELECT auth.uid() IS NULL AS cleared_after_commit;

-- Missing: NULL or empty (28000).
SELECT regress.try_verify(NULL);
SELECT regress.try_verify('');
SELECT auth.verify(:'tok', NULL);
\echo :LAST_ERROR_SQLSTATE

-- Length is bounded before any decoding (8192 bytes).
SELECT regress.try_verify(repeat('a', 8193));
SELECT regress.try_verify(split_part(:'tok', '.', 1) || '.' || repeat('A', 9000) || '.' || split_part(:'tok', '.', 3));

-- pg_temp.sign_raw(signing_input, secret): a header and payload encoded by
-- hand, signed with HMAC-SHA256 under the secret.
CREATE FUNCTION pg_temp.sign_raw(signing_input text, secret bytea) RETURNS text LANGUAGE sql
    AS $$ SELECT signing_input || '.' || regress.b64url(regress.hmac256(convert_to(signing_input, 'UTF8'), secret)) $$;
-- Canonical base64url only: "e30" is '{}'; "e31" decodes to the same bytes
-- through non-zero spare bits, a second spelling, refused even when
-- correctly signed.  A lone final character is refused.
SELECT regress.try_verify(pg_temp.sign_raw(regress.b64url(convert_to(regress.header(), 'UTF8')) || '.e30', regress.secret()));
SELECT regress.try_verify(pg_temp.sign_raw(regress.b64url(convert_to(regress.header(), 'UTF8')) || '.e31', regress.secret()));
SELECT regress.try_verify(pg_temp.sign_raw(regress.b64url(convert_to(regress.header(), 'UTF8')) || '.e30AB', regress.secret()));

-- Header JSON: not JSON, an "alg" that is not a string; "typ" is
-- case-insensitive, "jku" is ignored.
SELECT regress.try_verify(regress.sign('{"alg":"HS256",', regress.claims(:'uid')::text, regress.secret()));
SELECT regress.try_verify(regress.sign('{"alg":256,"kid":"' || regress.kid() || '"}', regress.claims(:'uid')::text, regress.secret()));
SELECT auth.verify(regress.sign('{"alg":"HS256","typ":"jwt","kid":"' || regress.kid() || '"}', regress.claims(:'uid')::text, regress.secret())) = :'uid' AS typ_case_insensitive;
-- An OAuth access token in JWT form (RFC 9068) is typed "at+jwt", which
-- other issuers use; "application/" may prefix either type.
SELECT typ, regress.try_verify(regress.sign(jsonb_build_object('alg', 'HS256', 'typ', typ, 'kid', regress.kid())::text,
                                            regress.claims(:'uid')::text, regress.secret())) AS result
  FROM unnest(ARRAY['at+jwt', 'application/at+JWT', 'application/jwt', 'application/', 'at+jwt ', 'jwt+at', 'application/application/jwt']) AS typ;
SELECT auth.verify(regress.sign('{"alg":"HS256","jku":"https://attacker.example/jwks","kid":"' || regress.kid() || '"}', regress.claims(:'uid')::text, regress.secret())) = :'uid' AS jku_ignored;

-- The key is chosen by kid; unknown, missing or odd kids are refused.
SELECT regress.try_verify(regress.sign('{"alg":"HS256","kid":"no-such-key"}', regress.claims(:'uid')::text, regress.secret()));
SELECT regress.try_verify(regress.sign('{"alg":"HS256"}', regress.claims(:'uid')::text, regress.secret()));
SELECT regress.try_verify(regress.sign('{"alg":"HS256","kid":""}', regress.claims(:'uid')::text, regress.secret()));
SELECT regress.try_verify(regress.sign('{"alg":"HS256","kid":"' || repeat('k', 129) || '"}', regress.claims(:'uid')::text, regress.secret()));

-- The algorithm is pinned to the key: every other family, and HS256 with a
-- trailing space, is refused even with a correct HMAC over the content
-- ("none" and other spellings of HS256 are in hostile.sql).
SELECT format('%L', alg) AS alg, regress.try_verify(regress.sign(jsonb_build_object('alg', alg, 'kid', regress.kid())::text,
                                            regress.claims(:'uid')::text, regress.secret())) AS result
  FROM unnest(ARRAY['HS256 ', 'HS384', 'HS512', 'RS256', 'ES256', 'PS256', 'EdDSA', '']) AS alg;

-- Signatures: a wrong secret, a changed payload, a changed last character
-- and a second spelling are all refused (wrong lengths: hostile.sql).
SELECT regress.try_verify(regress.sign(regress.header(), regress.claims(:'uid')::text, 'another secret of thirty-two byte'::bytea));
SELECT regress.try_verify(split_part(:'tok', '.', 1) || '.' || regress.b64url(convert_to(regress.claims(:'uid', '{"role":"admin"}')::text, 'UTF8')) || '.' || split_part(:'tok', '.', 3));
SELECT regress.try_verify(left(:'tok', -1) || CASE WHEN right(:'tok', 1) = 'A' THEN 'E' ELSE 'A' END);
-- The last of 43 characters carries 2 spare bits: setting one gives the same bytes, refused.
SELECT right(:'tok', 1) AS last_char,
       translate(right(:'tok', 1), 'AEIMQUYcgkosw048', 'BFJNRVZdhlptx159') AS respelled \gset
SELECT regress.try_verify(left(:'tok', -1) || :'respelled');

-- Claims: types and presence (more malformed numbers and JSON: hostile.sql).
SELECT regress.try_verify(regress.sign(regress.header(), 'null', regress.secret()));
SELECT regress.try_verify(regress.token(:'uid', '{"exp":null}'));
SELECT regress.try_verify(regress.token(:'uid', jsonb_build_object('exp', extract(epoch FROM now()) + 600.5)));
SELECT regress.try_verify(regress.token(:'uid', '{"nbf":"0"}'));
SELECT regress.try_verify(regress.token(:'uid', '{"iat":{}}'));
SELECT regress.try_verify(regress.token(:'uid', '{"sub":null}'));
SELECT regress.try_verify(regress.token(:'uid', '{"sub":"linus"}'));
SELECT regress.try_verify(regress.token(:'uid', '{"sub":42}'));
SELECT regress.try_verify(regress.token(:'uid', jsonb_build_object('sub', '{' || :'uid' || '}')));
SELECT regress.try_verify(regress.token(:'uid', '{"email":["a@b.c"]}'));
SELECT regress.try_verify(regress.token(:'uid', '{"role":false}'));
SELECT regress.try_verify(regress.sign(regress.header(), replace(regress.claims(:'uid')::text, '{', '{"deep":' || repeat('[', 16) || repeat(']', 16) || ','), regress.secret()));
SELECT auth.verify(regress.sign(regress.header(), replace(regress.claims(:'uid')::text, '{', '{"deep":' || repeat('[', 15) || repeat(']', 15) || ','), regress.secret())) = :'uid' AS depth_16_ok;

-- Time: exp required and in the future (with leeway), nbf and iat not in the future.
SHOW jwt_auth.leeway;
SELECT regress.try_verify(regress.token(:'uid', jsonb_build_object('exp', extract(epoch FROM now())::bigint - 31)));
SELECT auth.verify(regress.token(:'uid', jsonb_build_object('exp', extract(epoch FROM now())::bigint - 20))) = :'uid' AS within_leeway;
SELECT regress.try_verify(regress.token(:'uid', jsonb_build_object('nbf', extract(epoch FROM now())::bigint + 120)));
SELECT auth.verify(regress.token(:'uid', jsonb_build_object('nbf', extract(epoch FROM now())::bigint + 20))) = :'uid' AS nbf_within_leeway;
SELECT regress.try_verify(regress.token(:'uid', jsonb_build_object('iat', extract(epoch FROM now())::bigint + 120)));
SET jwt_auth.leeway = 0;
SELECT regress.try_verify(regress.token(:'uid', jsonb_build_object('exp', extract(epoch FROM now())::bigint - 20)));
RESET jwt_auth.leeway;

-- Issuer and audience must equal the settings; aud may be an array.
SELECT regress.try_verify(regress.token(:'uid', '{"iss":"someone-else"}'));
SELECT regress.try_verify(regress.token(:'uid', '{"iss":null}'));
SELECT regress.try_verify(regress.token(:'uid', '{"iss":1}'));
SELECT regress.try_verify(regress.token(:'uid', '{"aud":"other-api"}'));
SELECT regress.try_verify(regress.token(:'uid', '{"aud":null}'));
SELECT auth.verify(regress.token(:'uid', '{"aud":["other-api", "authenticated"]}')) = :'uid' AS aud_array_ok;
SELECT regress.try_verify(regress.token(:'uid', '{"aud":["other-api"]}'));
SELECT regress.try_verify(regress.token(:'uid', '{"aud":["authenticated", 1]}'));
SELECT regress.try_verify(regress.token(:'uid', '{"aud":{"authenticated":true}}'));
SET jwt_auth.issuer = 'https://todo.example.com';
SELECT regress.try_verify(:'tok');
RESET jwt_auth.issuer;
SET jwt_auth.audience = 'todo-api';
SELECT regress.try_verify(:'tok');
RESET jwt_auth.audience;

-- Fail closed on a weak key: even if the table's check is removed, a short
-- or empty secret verifies nothing.
BEGIN;
ALTER TABLE auth.keys DROP CONSTRAINT keys_secret_length;
INSERT INTO auth.keys (kid, alg, secret) VALUES ('short', 'HS256', '\x0102'), ('empty', 'HS256', '');
SELECT regress.try_verify(regress.sign('{"alg":"HS256","kid":"short"}', regress.claims(:'uid')::text, '\x0102'));
SELECT regress.try_verify(regress.sign('{"alg":"HS256","kid":"empty"}', regress.claims(:'uid')::text, ''));
ROLLBACK;

-- Key changes reach the cache at once: a deleted key stops verifying, a
-- rolled-back delete restores it.
BEGIN;
SELECT auth.verify(:'tok') = :'uid' AS before_delete;
DELETE FROM auth.keys WHERE kid = regress.kid();
SELECT regress.try_verify(:'tok');
ROLLBACK;
SELECT auth.verify(:'tok') = :'uid' AS after_rollback;

-- is_local => false keeps the identity for the session; true (the default) does not.
SELECT auth.verify(:'tok', is_local => false) = :'uid' AS session_verified;
SELECT auth.uid() = :'uid' AS still_set_next_statement;
RESET jwt_auth.user_id;
RESET jwt_auth.claims;
SELECT auth.uid() IS NULL AS cleared;

-- A failed verify leaves no identity: not even the previous one, which the
-- savepoint's rollback brings back into the settings (identity.sql has more).
BEGIN;
SELECT auth.verify(:'tok') = :'uid' AS verified;
SAVEPOINT s;
SELECT auth.verify(regress.token(:'uid', '{"aud":"other-api"}'));
ROLLBACK TO s;
SELECT auth.uid() IS NULL AS none, auth.jwt() IS NULL AS no_claims;
ROLLBACK;

-- An app role (no access to auth.keys) verifies.
SET ROLE regress_app;
BEGIN;
SELECT auth.verify(:'tok') = :'uid' AS app_verified, auth.uid() = :'uid' AS app_uid;
COMMIT;
RESET ROLE;
