-- Per-database configuration: auth.configure() and auth.configuration(),
-- their precedence over the jwt_auth.* settings of the server, their
-- checks, and who may call them.  (install.sql: a database owner who is not
-- a superuser; test/managed.sh: a managed tenant end to end.)
-- Fixtures (install.sql): regress.try_verify, regress.token, regress.part;
-- the role regress_app; bcrypt cost 10.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Nothing is set for this database yet: every value is the server's.
SELECT setting, value, source FROM auth.configuration();

SELECT auth.signup('configure@example.com', 'configure password') IS NOT NULL AS signed_up;
CREATE FUNCTION regress.lifetime() RETURNS bigint LANGUAGE sql AS $$
    SELECT (c ->> 'exp')::bigint - (c ->> 'iat')::bigint
      FROM regress.part(auth.signin('configure@example.com', 'configure password'), 2) AS c $$;

-- A value set here wins over the server's, whatever the GUC's source; it is
-- returned as SHOW would print it.
SELECT auth.configure('token_ttl', '15min');
SELECT regress.lifetime() AS lifetime;
SET jwt_auth.token_ttl = '2h';
SELECT regress.lifetime() AS lifetime_with_guc_set;
SELECT setting, value, source FROM auth.configuration() WHERE setting = 'token_ttl';
-- NULL returns the setting to the server's value, which is returned.
SELECT auth.configure('token_ttl', NULL);
SELECT regress.lifetime() AS lifetime_after_reset;
RESET jwt_auth.token_ttl;
SELECT auth.configure('token_ttl', NULL);

-- Units and names as for the GUCs: a bare number is seconds, "jwt_auth."
-- may prefix the name.
SELECT auth.configure('leeway', '1min') AS leeway,
       auth.configure('signin_lockout', '3600') AS signin_lockout,
       auth.configure('refresh_ttl', '1.5h') AS refresh_ttl,
       auth.configure('jwt_auth.bcrypt_cost', '11') AS bcrypt_cost,
       auth.configure('max_failed_signins', '0') AS max_failed_signins,
       auth.configure('check_sessions', 'false') AS check_sessions;
SELECT setting, value, source FROM auth.configuration();
SELECT setting, value FROM auth.settings ORDER BY setting;

-- An invalid name or value: 22023, a detail naming what is allowed, and
-- nothing changes.
SELECT auth.configure('token_ttl', '8d');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.configure('token_ttl', '0');
SELECT auth.configure('token_ttl', 'forever');
SELECT auth.configure('bcrypt_cost', '9');
SELECT auth.configure('leeway', '301');
SELECT auth.configure('check_sessions', 'perhaps');
SELECT auth.configure('issuer', '');
SELECT auth.configure('issuer', E'line\nbreak');
SELECT auth.configure('audience', repeat('a', 256));
SELECT auth.configure('audience', repeat('a', 2000));
SELECT auth.configure('ttl', '1h');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.configure('cache_size', '0');
SELECT auth.configure(NULL, '1h');
\echo :LAST_ERROR_SQLSTATE
SELECT setting, value, source FROM auth.configuration() WHERE source = 'database';

-- Transactional: a rolled-back change never applied; read-only refuses.
BEGIN;
SELECT auth.configure('leeway', '2min');
SELECT value FROM auth.configuration() WHERE setting = 'leeway';
ROLLBACK;
SELECT value AS leeway_after_rollback FROM auth.configuration() WHERE setting = 'leeway';
BEGIN READ ONLY;
SELECT auth.configure('leeway', '2min');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT auth.configure(setting, NULL) AS server_value FROM auth.configuration()
 WHERE source = 'database' ORDER BY setting;

-- Issuer and audience: a token of the old ones is refused at once, even the
-- token just verified (and cached) in this backend; new tokens carry the
-- new ones.
SELECT auth.signin('configure@example.com', 'configure password') AS old_tok \gset
SELECT regress.try_verify(:'old_tok') AS before_change;
SELECT auth.configure('issuer', 'https://todo.example.com');
SELECT regress.try_verify(:'old_tok') AS old_issuer;
SELECT auth.signin('configure@example.com', 'configure password') AS new_tok \gset
SELECT regress.part(:'new_tok', 2) ->> 'iss' AS iss, regress.try_verify(:'new_tok') AS new_issuer;
SELECT auth.configure('audience', 'todo-api');
SELECT regress.try_verify(:'new_tok') AS old_audience;
SELECT auth.configure('issuer', NULL), auth.configure('audience', NULL);
SELECT regress.try_verify(:'old_tok') AS original_again;

-- A token issued under a longer lifetime keeps its own exp.
SELECT auth.configure('token_ttl', '7d');
SELECT auth.signin('configure@example.com', 'configure password') AS long_tok \gset
SELECT auth.configure('token_ttl', '1min');
SELECT regress.try_verify(:'long_tok') AS long_token_still_valid,
       (regress.part(:'long_tok', 2) ->> 'exp')::bigint - (regress.part(:'long_tok', 2) ->> 'iat')::bigint AS its_lifetime;
SELECT auth.configure('token_ttl', NULL);

-- check_sessions and leeway reach verify too.
SELECT regress.try_verify(regress.token(gen_random_uuid())) AS without_sid;
SELECT auth.configure('check_sessions', 'off');
SELECT regress.try_verify(regress.token(gen_random_uuid())) AS without_sid_stateless;
SELECT regress.try_verify(regress.token(gen_random_uuid(),
           jsonb_build_object('exp', extract(epoch FROM now())::bigint - 60))) AS expired_a_minute_ago;
SELECT auth.configure('leeway', '5min');
SELECT regress.try_verify(regress.token(gen_random_uuid(),
           jsonb_build_object('exp', extract(epoch FROM now())::bigint - 60))) AS within_leeway;
SELECT auth.configure('leeway', NULL), auth.configure('check_sessions', NULL);

-- Only the extension's owner (and superusers) may read or change them.
SET ROLE regress_app;
SELECT auth.configure('token_ttl', '7d');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth.configuration();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth.settings;
INSERT INTO auth.settings VALUES ('token_ttl', '604800');
RESET ROLE;

-- A row written by hand that does not parse fails every call rather than
-- being ignored; the owner removes it with auth.configure(name, NULL), even
-- under a name no setting has.
INSERT INTO auth.settings VALUES ('token_ttl', 'forever'), ('old_setting', 'x');
SELECT auth.signin('configure@example.com', 'configure password');
SELECT auth.configure('token_ttl', NULL);
SELECT auth.signin('configure@example.com', 'configure password');
SELECT auth.configure('old_setting', NULL) IS NULL AS removed;
SELECT auth.configure('old_setting', '1');
SELECT count(*) AS database_settings FROM auth.configuration() WHERE source = 'database';
DROP FUNCTION regress.lifetime();
