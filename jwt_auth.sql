/* jwt_auth.sql: the install script of the current version, copied by make to jwt_auth--<version>.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION jwt_auth CASCADE" to load this file. \quit

-- Accounts.  Emails are stored trimmed and lower-cased by auth.signup().
CREATE TABLE auth.users (
    id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    email text NOT NULL UNIQUE
        CONSTRAINT users_email_length CHECK (pg_catalog.octet_length(email) OPERATOR(pg_catalog.<=) 254),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE auth.users IS 'accounts created by auth.signup(); readable by the extension''s owner only';

-- Signing keys.  The newest key signs; every key verifies tokens that name its kid.
CREATE TABLE auth.keys (
    kid text PRIMARY KEY
        CONSTRAINT keys_kid_length CHECK (pg_catalog.octet_length(kid) OPERATOR(pg_catalog.<=) 128),
    alg text NOT NULL
        CONSTRAINT keys_alg_supported CHECK (alg OPERATOR(pg_catalog.=) 'HS256'),
    secret bytea NOT NULL
        CONSTRAINT keys_secret_length CHECK (pg_catalog.octet_length(secret) OPERATOR(pg_catalog.>=) 32),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE auth.keys IS 'token signing keys; readable by the extension''s owner only';

-- Every role may call the functions below; only the owner reads the tables.
GRANT USAGE ON SCHEMA auth TO PUBLIC;
REVOKE ALL ON auth.users, auth.keys FROM PUBLIC;
-- The application's tables may reference users (ON DELETE CASCADE and all).
GRANT REFERENCES (id) ON auth.users TO @extowner@;

-- Keep users and keys in pg_dump output, so a restore loses no account and
-- tokens issued before the dump still verify.
SELECT pg_catalog.pg_extension_config_dump('auth.users', '');
SELECT pg_catalog.pg_extension_config_dump('auth.keys', '');

-- Every backend drops its cached keys when auth.keys changes.
CREATE FUNCTION auth.keys_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'jwt_auth_keys_changed'
    LANGUAGE C;
REVOKE ALL ON FUNCTION auth.keys_changed() FROM PUBLIC;
CREATE TRIGGER keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.keys
    FOR EACH STATEMENT EXECUTE FUNCTION auth.keys_changed();

-- The first key: 32 bytes from pgcrypto's strong random source, wherever pgcrypto lives.
DO $$
DECLARE
    crypto_schema name;
BEGIN
    SELECT n.nspname INTO STRICT crypto_schema
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'pgcrypto';
    EXECUTE pg_catalog.format(
        'INSERT INTO auth.keys (kid, alg, secret) '
        'VALUES (pg_catalog.encode(%1$I.gen_random_bytes(12), ''hex''), ''HS256'', %1$I.gen_random_bytes(32))',
        crypto_schema);
END
$$;

CREATE FUNCTION auth.signup(email text, password text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_signup'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.signup(text, text) IS 'create an account; returns its id';

CREATE FUNCTION auth.signin(email text, password text) RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_signin'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.signin(text, text) IS 'check a password; returns a signed token';

CREATE FUNCTION auth.verify(token text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_verify'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION auth.verify(text) IS 'check a token and set the identity until the end of the transaction; returns the user id';

CREATE FUNCTION auth.verify(token text, is_local boolean) RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_verify'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION auth.verify(text, boolean) IS 'check a token and set the identity for the transaction (is_local) or the session; returns the user id';

CREATE FUNCTION auth.uid() RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_uid'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.uid() IS 'id of the verified user, or NULL';

CREATE FUNCTION auth.user_id() RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_user_id'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.user_id() IS 'id of the verified user as text, or NULL';

CREATE FUNCTION auth.email() RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_email'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.email() IS 'email claim of the verified token, or NULL';

CREATE FUNCTION auth.role() RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_role'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.role() IS 'role claim of the verified token, or NULL';

CREATE FUNCTION auth.jwt() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'jwt_auth_jwt'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.jwt() IS 'claims of the verified token, or NULL';

-- The security settings are superuser-only (PGC_SUSET) so that no
-- application role can change them for itself; the role that created the
-- extension (a database owner, possibly without superuser) may set them with
-- ALTER DATABASE or ALTER ROLE ... SET.
GRANT SET ON PARAMETER jwt_auth.token_ttl, jwt_auth.leeway, jwt_auth.bcrypt_cost,
    jwt_auth.issuer, jwt_auth.audience TO @extowner@;
