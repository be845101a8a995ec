-- auth.signup(email, password): validation, normalisation, duplicates, hashing.
-- Fixtures (install.sql): the role regress_app; bcrypt cost 10.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- A new account; its id is returned and the email is stored normalised.
SELECT auth.signup('  Ada@Example.COM ', 'correct horse battery') AS ada_id \gset
SELECT id = :'ada_id' AS same_id, email FROM auth.users;

-- The hash is bcrypt at the configured cost (10 in this suite), not the password.
SELECT password_hash ~ '^\$2a\$10\$' AS bcrypt_cost_10, position('correct' IN password_hash) = 0 AS not_plain
  FROM auth.users WHERE email = 'ada@example.com';

-- Duplicates after normalisation: 23505.
SELECT auth.signup('ada@example.com', 'another password');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup('ADA@EXAMPLE.COM', 'another password');
SELECT auth.signup(E'\tada@example.com\n', 'another password');

-- Invalid emails: 22023 with the reason.
SELECT auth.signup('no-at-sign.example.com', 'long enough 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup('two@@example.com', 'long enough 1');
SELECT auth.signup('a@b@example.com', 'long enough 1');
SELECT auth.signup('@example.com', 'long enough 1');
SELECT auth.signup('ada@', 'long enough 1');
SELECT auth.signup('ada@localhost', 'long enough 1');
SELECT auth.signup('ada@.example.com', 'long enough 1');
SELECT auth.signup('ada@example.com.', 'long enough 1');
SELECT auth.signup('ada@example..com', 'long enough 1');
SELECT auth.signup('ada lovelace@example.com', 'long enough 1');
SELECT auth.signup(E'ada\u0001@example.com', 'long enough 1');
SELECT auth.signup(E'ada\u00a0x@example.com', 'long enough 1');
SELECT auth.signup(E'ada\u2003x@example.com', 'long enough 1');
-- Invisible formatting characters (Unicode category Cf) would make
-- addresses that look like others: a right-to-left override, a zero-width
-- joiner, a soft hyphen, a word joiner, a tag character.
SELECT auth.signup(E'ada\u202e@example.com', 'long enough 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup(E'a\u200dda@example.com', 'long enough 1');
SELECT auth.signup(E'ada@exa\u00adample.com', 'long enough 1');
SELECT auth.signup(E'ada\u2060@example.com', 'long enough 1');
SELECT auth.signup(E'ada\U000E0041@example.com', 'long enough 1');
SELECT count(*) AS lookalikes FROM auth.users WHERE email LIKE '%ada%' AND email <> 'ada@example.com';
SELECT auth.signup('', 'long enough 1');
SELECT auth.signup('   ', 'long enough 1');
SELECT auth.signup(repeat('a', 65) || '@example.com', 'long enough 1');
-- 254 bytes is the limit: 64 + 1 + 185 + 4 = 254 is accepted, 255 is not.
SELECT auth.signup(repeat('a', 64) || '@' || repeat('b', 185) || '.com', 'long enough 1') IS NOT NULL AS len_254_ok;
SELECT auth.signup(repeat('a', 64) || '@' || repeat('b', 186) || '.com', 'long enough 1');
SELECT auth.signup(repeat('a', 100000) || '@example.com', 'long enough 1');
-- Non-ASCII letters are fine, and lower-cased as lower() does.
SELECT auth.signup('Zoë@Example.com', 'long enough 1') IS NOT NULL AS unicode_ok;
SELECT email FROM auth.users WHERE email LIKE 'zo%';

-- Passwords: at least 8 characters (not bytes), at most 1024 bytes.
SELECT auth.signup('short@example.com', 'seven77');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup('short@example.com', '');
SELECT auth.signup('euro@example.com', '€€€€€€€') ;
SELECT auth.signup('euro@example.com', '€€€€€€€€') IS NOT NULL AS eight_chars_ok;
SELECT auth.signup('max@example.com', repeat('x', 1024)) IS NOT NULL AS len_1024_ok;
SELECT auth.signup('long@example.com', repeat('x', 1025));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS long_not_created FROM auth.users WHERE email = 'long@example.com';

-- A 1 MB password is refused before any hashing: at cost 20 one bcrypt hash
-- takes tens of seconds, far longer than the statement timeout, yet the
-- answer is 22023, not a cancellation (57014).  (The password is built from
-- 1 KB pieces, which is quick even under Valgrind.)
SET jwt_auth.bcrypt_cost = 20;
SET statement_timeout = '300ms';
SELECT auth.signup('huge@example.com', repeat(repeat('p', 1024), 1024));
\echo :LAST_ERROR_SQLSTATE
-- (The same timeout does cancel a signup that hashes.)
SELECT auth.signup('hashes@example.com', 'long enough 1');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
RESET jwt_auth.bcrypt_cost;

-- NULL arguments: 22004.
SELECT auth.signup(NULL, 'long enough 1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.signup('null@example.com', NULL);

-- The cost follows jwt_auth.bcrypt_cost.
SET jwt_auth.bcrypt_cost = 11;
SELECT auth.signup('cost11@example.com', 'long enough 1') IS NOT NULL AS signed_up;
SELECT substr(password_hash, 1, 7) AS prefix FROM auth.users WHERE email = 'cost11@example.com';
RESET jwt_auth.bcrypt_cost;

-- Read-only transactions (and so hot standbys) refuse signup clearly.
BEGIN READ ONLY;
SELECT auth.signup('readonly@example.com', 'long enough 1');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- search_path cannot hijack it: a caller's crypt() and = operator are never used.
CREATE SCHEMA evil;
CREATE FUNCTION evil.crypt(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION evil.gen_salt(text, int) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
SET search_path = evil, public;
SELECT auth.signup('hijack@example.com', 'long enough 1') IS NOT NULL AS signed_up;
RESET search_path;
SELECT password_hash ~ '^\$2a\$10\$' AS real_bcrypt FROM auth.users WHERE email = 'hijack@example.com';
DROP SCHEMA evil CASCADE;

-- An app role can sign up (the function runs as its owner) but not read the table.
SET ROLE regress_app;
SELECT auth.signup('app@example.com', 'long enough 1') IS NOT NULL AS app_signed_up;
SELECT count(*) FROM auth.users;
RESET ROLE;
