-- Settings: defaults, bounds, and no way for an application role to change
-- them for itself.
-- Fixtures (install.sql): regress.part; the role regress_app; bcrypt cost 10.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Before the library is loaded in a backend, the names are placeholders
-- that anyone can SET; when the library loads, a value an application role
-- set is dropped (with a warning) and the default applies.
SELECT auth.signup('settings@example.com', 'settings password') IS NOT NULL AS signed_up;
\c
SET ROLE regress_app;
SET jwt_auth.token_ttl = '7d';
SET jwt_auth.leeway = '300';
SELECT (c ->> 'exp')::bigint - (c ->> 'iat')::bigint AS lifetime
  FROM regress.part(auth.signin('settings@example.com', 'settings password'), 2) AS c;
SHOW jwt_auth.leeway;
RESET ROLE;

SELECT name, setting, unit, context, vartype, min_val, max_val, boot_val
  FROM pg_settings WHERE name LIKE 'jwt\_auth.%' ORDER BY name;

GRANT CREATE ON SCHEMA regress TO regress_app;

-- An application role cannot change any of them, by any route.
SET ROLE regress_app;
SET jwt_auth.token_ttl = '100 years';
SET jwt_auth.token_ttl = '2h';
\echo :LAST_ERROR_SQLSTATE
SET jwt_auth.leeway = '5min';
SET jwt_auth.bcrypt_cost = 10;
SET jwt_auth.issuer = 'me';
SET jwt_auth.audience = 'me';
SELECT set_config('jwt_auth.token_ttl', '604800', false);
BEGIN;
SET LOCAL jwt_auth.leeway = 300;
ROLLBACK;
ALTER ROLE regress_app SET jwt_auth.token_ttl = '2h';
CREATE FUNCTION regress.long_token() RETURNS text LANGUAGE sql
    SET jwt_auth.token_ttl = '7d' AS $$ SELECT 'x' $$;
RESET ROLE;
REVOKE CREATE ON SCHEMA regress FROM regress_app;

-- A 100-year token cannot be had even by a superuser: the maximum is 7 days.
-- The range in the errors below is the server's own text, which PostgreSQL
-- 17 and later print with units ("1 s .. 604800 s"): expected/settings_1.out
-- differs from expected/settings.out in those lines only.
SET jwt_auth.token_ttl = '100 years';
SET jwt_auth.token_ttl = '8d';
SET jwt_auth.token_ttl = 0;
SET jwt_auth.token_ttl = '7d';
RESET jwt_auth.token_ttl;

-- Bounds of the others.
SET jwt_auth.bcrypt_cost = 9;
SET jwt_auth.bcrypt_cost = 21;
SET jwt_auth.leeway = -1;
SET jwt_auth.leeway = 301;
SET jwt_auth.issuer = '';
SET jwt_auth.issuer = E'line\nbreak';
SELECT set_config('jwt_auth.audience', repeat('a', 256), false);
SELECT set_config('jwt_auth.audience', repeat('a', 255), false) = repeat('a', 255) AS audience_255_ok;
RESET jwt_auth.audience;

-- The owner configures them per database or per role, and they apply to
-- the application role's new sessions (see install.sql for ALTER DATABASE by
-- an owner without superuser).
ALTER ROLE regress_app SET jwt_auth.token_ttl = '20min';
SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
 WHERE r.rolname = 'regress_app';
ALTER ROLE regress_app RESET jwt_auth.token_ttl;
