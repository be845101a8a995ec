/* jwt_auth.sql: the install script of the current version, copied by make to jwt_auth--<version>.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION jwt_auth CASCADE" to load this file. \quit

-- Schema auth must belong to the role that owns the extension's tables and
-- runs its SECURITY DEFINER functions (the bootstrap superuser when a
-- database owner installs this trusted extension), and nobody else may
-- create in it: otherwise whoever controls the schema could rename it and
-- put look-alike tables or functions where those functions, and clients,
-- look.  CREATE EXTENSION made the schema, owned by the calling role, unless
-- it existed.  A schema made before is accepted only if it belongs to a
-- superuser and nobody else may create in it (as one left by DROP
-- EXTENSION jwt_auth): in a schema another role controls, that role could
-- hold uncommitted objects no check here can see.  And a schema that holds
-- anything at all is refused, whichever extension claims it, except the C
-- functions of pgcrypto's own library, which CREATE EXTENSION jwt_auth
-- CASCADE installs there (only a superuser can make a C function, so no
-- planted function can pass for one).  pgcrypto itself must belong to a
-- superuser or to the role installing jwt_auth: its owner could drop it,
-- and jwt_auth with it.
CREATE FUNCTION auth.schema_created_now() RETURNS boolean
    AS 'MODULE_PATHNAME', 'jwt_auth_schema_created_now' LANGUAGE C;
DO $$
DECLARE
    auth_nsp oid := 'auth'::pg_catalog.regnamespace;
    c_lang oid := (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname OPERATOR(pg_catalog.=) 'c');
    created_now boolean := auth.schema_created_now();
    grantee regrole;
BEGIN
    DROP FUNCTION auth.schema_created_now();
    IF NOT created_now AND NOT EXISTS (
           SELECT FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
            WHERE n.oid OPERATOR(pg_catalog.=) auth_nsp AND r.rolsuper
              AND NOT EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) a
                               WHERE a.grantee OPERATOR(pg_catalog.<>) n.nspowner
                                 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE')) THEN
        RAISE EXCEPTION 'schema "auth" already exists'
            USING ERRCODE = 'duplicate_schema',
                  DETAIL = 'jwt_auth installs only into a schema auth it creates, or one that belongs to a superuser and nobody else may create in.',
                  HINT = 'Drop or rename the existing schema auth, then create the extension again. '
                         'A dump makes schema auth before the extension: restore it in one transaction '
                         '(pg_restore or psql with --single-transaction).';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.extowner
                WHERE e.extname OPERATOR(pg_catalog.=) 'pgcrypto' AND NOT r.rolsuper
                  AND e.extowner OPERATOR(pg_catalog.<>) '@extowner@'::pg_catalog.regrole) THEN
        RAISE EXCEPTION 'extension "pgcrypto" belongs to another role'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Its owner could drop it, and jwt_auth with it.',
                  HINT = 'Have that role drop pgcrypto, then run CREATE EXTENSION jwt_auth CASCADE.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_class WHERE relnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_type WHERE typnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_operator WHERE oprnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_opclass WHERE opcnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_opfamily WHERE opfnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_collation WHERE collnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_conversion WHERE connamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_statistic_ext WHERE stxnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_config WHERE cfgnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_dict WHERE dictnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_parser WHERE prsnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_template WHERE tmplnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_extension
                   WHERE extnamespace OPERATOR(pg_catalog.=) auth_nsp
                     AND extname OPERATOR(pg_catalog.<>) ALL (ARRAY['pgcrypto', 'jwt_auth']))
       OR EXISTS (SELECT FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace OPERATOR(pg_catalog.=) auth_nsp
                     AND NOT (p.prolang OPERATOR(pg_catalog.=) c_lang
                              AND p.probin OPERATOR(pg_catalog.=) '$libdir/pgcrypto'
                              AND EXISTS (SELECT FROM pg_catalog.pg_depend d
                                            JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
                                           WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                             AND d.objid OPERATOR(pg_catalog.=) p.oid
                                             AND d.deptype OPERATOR(pg_catalog.=) 'e'
                                             AND e.extname OPERATOR(pg_catalog.=) 'pgcrypto'))) THEN
        RAISE EXCEPTION 'schema "auth" already contains objects'
            USING ERRCODE = 'duplicate_schema',
                  DETAIL = 'jwt_auth needs a schema of its own; only pgcrypto''s own functions may be there already.',
                  HINT = 'Drop or rename the existing schema auth, then create the extension again.';
    END IF;
    ALTER SCHEMA auth OWNER TO CURRENT_USER;
    FOR grantee IN
        SELECT DISTINCT a.grantee::pg_catalog.regrole
          FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
         WHERE n.nspname OPERATOR(pg_catalog.=) 'auth'
           AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner
           AND a.grantee OPERATOR(pg_catalog.<>) 0
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA auth FROM %s', grantee);
    END LOOP;
    REVOKE ALL ON SCHEMA auth FROM PUBLIC;
END
$$;

-- Accounts.  Emails are stored trimmed and lower-cased by auth.signup().
CREATE TABLE auth.users (
    id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    email text NOT NULL UNIQUE
        CONSTRAINT users_email_length CHECK (pg_catalog.octet_length(email) OPERATOR(pg_catalog.<=) 254),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    email_verified boolean NOT NULL DEFAULT false,
    disabled_until timestamptz
);
COMMENT ON TABLE auth.users IS 'accounts created by auth.signup(); readable by the extension''s owner only';
-- The highest bcrypt cost stored, found at once: every failed sign-in takes
-- the time of a hash at that cost (or the current one, if higher).
CREATE INDEX users_password_cost_idx ON auth.users ((pg_catalog.substr(password_hash, 5, 2)));

-- Signing keys.  The newest key that is not retired signs; every key that is
-- not retired verifies the tokens that name its kid.  For HS256, secret is
-- the HMAC key; for ES256, RS256 and EdDSA it is the private key (PEM) and
-- public_key the public one (PEM).
CREATE TABLE auth.keys (
    kid text PRIMARY KEY
        CONSTRAINT keys_kid_length CHECK (pg_catalog.octet_length(kid) OPERATOR(pg_catalog.<=) 128),
    alg text NOT NULL
        CONSTRAINT keys_alg_supported CHECK (alg OPERATOR(pg_catalog.=) ANY (ARRAY['HS256', 'ES256', 'RS256', 'EdDSA'])),
    secret bytea NOT NULL
        CONSTRAINT keys_secret_length CHECK (alg OPERATOR(pg_catalog.<>) 'HS256'
                                             OR pg_catalog.octet_length(secret) OPERATOR(pg_catalog.>=) 32),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    public_key text
        CONSTRAINT keys_public_key CHECK ((alg OPERATOR(pg_catalog.=) 'HS256') OPERATOR(pg_catalog.=) (public_key IS NULL)),
    retired_at timestamptz
);
COMMENT ON TABLE auth.keys IS 'token signing keys; readable by the extension''s owner only';

-- Sessions: one per signin; the access tokens of a session carry its id as
-- "sid" and stop verifying when it is revoked, expires or its user is deleted.
CREATE TABLE auth.sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    refreshed_at timestamptz,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_id_idx ON auth.sessions (user_id);
COMMENT ON TABLE auth.sessions IS 'sessions created by auth.signin(); readable by the extension''s owner only';

-- Every backend forgets the sessions it has seen active when one may have
-- ended: revoked, shortened, given another id or user, deleted, truncated.
-- New sessions and renewals (a later expires_at) leave them.
CREATE FUNCTION auth.sessions_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'jwt_auth_sessions_changed'
    LANGUAGE C;
REVOKE ALL ON FUNCTION auth.sessions_changed() FROM PUBLIC;
CREATE TRIGGER sessions_ended
    AFTER UPDATE ON auth.sessions
    FOR EACH ROW
    WHEN ((NEW.id OPERATOR(pg_catalog.=) OLD.id
           AND NEW.user_id OPERATOR(pg_catalog.=) OLD.user_id
           AND NEW.expires_at OPERATOR(pg_catalog.>=) OLD.expires_at
           AND (NEW.revoked_at IS NULL OR OLD.revoked_at IS NOT NULL)) IS NOT TRUE)
    EXECUTE FUNCTION auth.sessions_changed();
CREATE TRIGGER sessions_deleted
    AFTER DELETE OR TRUNCATE ON auth.sessions
    FOR EACH STATEMENT EXECUTE FUNCTION auth.sessions_changed();
ALTER TABLE auth.sessions ENABLE ALWAYS TRIGGER sessions_ended;
ALTER TABLE auth.sessions ENABLE ALWAYS TRIGGER sessions_deleted;

-- Refresh tokens, stored as SHA-256 hashes.  Each use retires the token and
-- issues the next one; a retired token presented again ends its session.
CREATE TABLE auth.refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    retired_at timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON auth.refresh_tokens (session_id);
COMMENT ON TABLE auth.refresh_tokens IS 'refresh token hashes; readable by the extension''s owner only';

-- Settings the extension's owner chose for this database with
-- auth.configure(); each wins over the jwt_auth.* setting of the server.
CREATE TABLE auth.settings (
    setting text PRIMARY KEY,
    value text NOT NULL
);
COMMENT ON TABLE auth.settings IS 'per-database settings written by auth.configure(); readable by the extension''s owner only';

-- Every backend reads the settings again when auth.settings changes.
CREATE FUNCTION auth.settings_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'jwt_auth_settings_changed'
    LANGUAGE C;
REVOKE ALL ON FUNCTION auth.settings_changed() FROM PUBLIC;
CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.settings
    FOR EACH STATEMENT EXECUTE FUNCTION auth.settings_changed();
ALTER TABLE auth.settings ENABLE ALWAYS TRIGGER settings_changed;

-- Every role may call the functions below.  Only the tables' owner and the
-- extension's owner read the tables: the extension's owner, so that its own
-- pg_dump keeps them and its pg_restore fills them again (reading and adding
-- rows, never changing or deleting one); nobody else.
GRANT USAGE ON SCHEMA auth TO PUBLIC;
REVOKE ALL ON auth.users, auth.keys, auth.sessions, auth.refresh_tokens, auth.settings FROM PUBLIC;
GRANT SELECT, INSERT ON auth.users, auth.keys, auth.sessions, auth.refresh_tokens, auth.settings TO @extowner@;
-- The application's tables may reference users (ON DELETE CASCADE and all).
GRANT REFERENCES (id) ON auth.users TO @extowner@;

-- Keep users, keys, sessions and settings in pg_dump output, so a restore
-- loses no account, tokens issued before the dump still verify, and the
-- database keeps its configuration.
SELECT pg_catalog.pg_extension_config_dump('auth.users', '');
SELECT pg_catalog.pg_extension_config_dump('auth.keys', '');
SELECT pg_catalog.pg_extension_config_dump('auth.sessions', '');
SELECT pg_catalog.pg_extension_config_dump('auth.refresh_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('auth.settings', '');

-- Every backend drops its cached keys when auth.keys changes.
CREATE FUNCTION auth.keys_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'jwt_auth_keys_changed'
    LANGUAGE C;
REVOKE ALL ON FUNCTION auth.keys_changed() FROM PUBLIC;
CREATE TRIGGER keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.keys
    FOR EACH STATEMENT EXECUTE FUNCTION auth.keys_changed();
-- Also for changes applied by logical replication or with
-- session_replication_role = replica.
ALTER TABLE auth.keys ENABLE ALWAYS TRIGGER keys_changed;

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
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION auth.role() IS 'role claim of a verified jwt_auth token; authenticated for another issuer''s; NULL without one';

CREATE FUNCTION auth.issuer() RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_issuer'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.issuer() IS 'issuer (iss) of the verified token, or NULL';

CREATE FUNCTION auth.jwt() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'jwt_auth_jwt'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.jwt() IS 'claims of the verified token, or NULL';

-- Sessions and refresh tokens (1.1).
CREATE FUNCTION auth.signin_session(email text, password text,
                                    OUT access_token text, OUT refresh_token text, OUT expires_at timestamptz)
    AS 'MODULE_PATHNAME', 'jwt_auth_signin_session'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.signin_session(text, text) IS 'check a password; returns an access token, a refresh token and the access token''s expiry';

CREATE FUNCTION auth.refresh(refresh_token text,
                             OUT access_token text, OUT refresh_token text, OUT expires_at timestamptz)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'jwt_auth_refresh'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 1
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.refresh(text) IS 'trade a refresh token for new tokens; no row when the token was already used (its session is then ended)';

CREATE FUNCTION auth.signout(token text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'jwt_auth_signout'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.signout(text) IS 'end the session of a token; true if it was still active';

CREATE FUNCTION auth.signout_all(user_id uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ended integer;
BEGIN
    UPDATE auth.sessions s SET revoked_at = pg_catalog.now()
     WHERE s.user_id OPERATOR(pg_catalog.=) signout_all.user_id AND s.revoked_at IS NULL;
    GET DIAGNOSTICS ended = ROW_COUNT;
    RETURN ended;
END
$$;
COMMENT ON FUNCTION auth.signout_all(uuid) IS 'end every session of a user (owner only); returns how many';

-- The verified user's own sessions: the owner-only function, for oneself.
CREATE FUNCTION auth.signout_all() RETURNS integer
    AS 'MODULE_PATHNAME', 'jwt_auth_signout_all_self'
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.signout_all() IS 'end every session of the verified user; returns how many';

CREATE FUNCTION auth.change_password(old_password text, new_password text) RETURNS integer
    AS 'MODULE_PATHNAME', 'jwt_auth_change_password'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.change_password(text, text) IS 'change the verified user''s password and end their other sessions; returns how many';

-- Keys (1.1).
CREATE FUNCTION auth.rotate_key(alg text DEFAULT 'HS256') RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_rotate_key'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.rotate_key(text) IS 'make a new signing key (owner only); returns its kid';

CREATE FUNCTION auth.import_key(alg text, key bytea, kid text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_import_key'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.import_key(text, bytea, text) IS 'install a given HS256 secret or PEM private key as the signing key (owner only); returns its kid';

CREATE FUNCTION auth.retire_key(kid text) RETURNS boolean
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH retired AS (
            UPDATE auth.keys k SET retired_at = pg_catalog.now()
             WHERE k.kid OPERATOR(pg_catalog.=) retire_key.kid AND k.retired_at IS NULL
            RETURNING 1)
        SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 FROM retired;
    END;
COMMENT ON FUNCTION auth.retire_key(text) IS 'stop a key from verifying and signing (owner only)';

-- PARALLEL UNSAFE: it may fill the key cache, a query with the latest
-- snapshot, which parallel mode forbids even in the leader.
CREATE FUNCTION auth.jwks() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'jwt_auth_jwks'
    LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION auth.jwks() IS 'the public keys as a JSON Web Key Set (RFC 7517)';

-- The owner's toolkit: configuration, keys, cleanup.
CREATE FUNCTION auth.configure(setting text, value text) RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_configure'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.configure(text, text) IS 'set a setting for this database, or with NULL return it to the server''s (owner only); returns the value in force';

CREATE FUNCTION auth.configuration(OUT setting text, OUT value text, OUT source text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'jwt_auth_configuration'
    LANGUAGE C STABLE PARALLEL UNSAFE ROWS 9;
COMMENT ON FUNCTION auth.configuration() IS 'every setting, its value in force and its source: database or server (owner only)';

CREATE FUNCTION auth.list_keys(OUT kid text, OUT alg text, OUT created_at timestamptz,
                               OUT retired_at timestamptz, OUT signing boolean)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT k.kid, k.alg, k.created_at, k.retired_at,
               k.retired_at IS NULL AND NOT EXISTS (
                   SELECT FROM auth.keys n
                    WHERE n.retired_at IS NULL
                      AND (n.created_at OPERATOR(pg_catalog.>) k.created_at
                           OR (n.created_at OPERATOR(pg_catalog.=) k.created_at
                               AND n.kid COLLATE "C" OPERATOR(pg_catalog.>) k.kid COLLATE "C")))
          FROM auth.keys k
         ORDER BY k.created_at, k.kid COLLATE "C";
    END;
COMMENT ON FUNCTION auth.list_keys() IS 'the keys without their secrets, and which one signs (owner only)';

CREATE FUNCTION auth.purge_sessions(older_than interval DEFAULT '1 day') RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    purged bigint;
BEGIN
    IF older_than IS NULL THEN
        RAISE EXCEPTION 'older_than must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF older_than OPERATOR(pg_catalog.<) '0'::pg_catalog.interval THEN
        RAISE EXCEPTION 'older_than must not be negative'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Their refresh tokens go with them (ON DELETE CASCADE).
    DELETE FROM auth.sessions s
     WHERE LEAST(s.revoked_at, s.expires_at)
           OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) older_than);
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;
COMMENT ON FUNCTION auth.purge_sessions(interval) IS 'delete the sessions that ended or expired more than older_than ago, with their refresh tokens (owner only); returns how many';


-- Other issuers whose tokens auth.verify() accepts, and the public keys of
-- their JWKS (auth.trust_issuer()).  Their keys verify only: they never sign
-- and never appear in auth.jwks().
CREATE TABLE auth.issuers (
    issuer text PRIMARY KEY
        CONSTRAINT issuers_issuer_length CHECK (pg_catalog.octet_length(issuer) OPERATOR(pg_catalog.<=) 255),
    audience text
        CONSTRAINT issuers_audience_length CHECK (pg_catalog.octet_length(audience) OPERATOR(pg_catalog.<=) 255),
    max_lifetime interval DEFAULT '1 day'
        CONSTRAINT issuers_max_lifetime_range
        CHECK (max_lifetime OPERATOR(pg_catalog.>=) '1 second' AND max_lifetime OPERATOR(pg_catalog.<=) '30 days'),
    trusted_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE auth.issuers IS 'other issuers whose tokens auth.verify() accepts; readable by the extension''s owner only';
CREATE TABLE auth.issuer_keys (
    issuer text NOT NULL REFERENCES auth.issuers ON DELETE CASCADE,
    kid text NOT NULL
        CONSTRAINT issuer_keys_kid_length CHECK (pg_catalog.octet_length(kid) OPERATOR(pg_catalog.<=) 128),
    alg text NOT NULL
        CONSTRAINT issuer_keys_alg_supported
        CHECK (alg OPERATOR(pg_catalog.=) ANY (ARRAY['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'PS256'])),
    public_key text NOT NULL,
    PRIMARY KEY (issuer, kid)
);
COMMENT ON TABLE auth.issuer_keys IS 'public keys of other issuers (PEM); readable by the extension''s owner only';
REVOKE ALL ON auth.issuers, auth.issuer_keys FROM PUBLIC;
GRANT SELECT, INSERT ON auth.issuers, auth.issuer_keys TO @extowner@;
SELECT pg_catalog.pg_extension_config_dump('auth.issuers', '');
SELECT pg_catalog.pg_extension_config_dump('auth.issuer_keys', '');
-- Every backend reads them again, and forgets their verified tokens, when
-- either changes.
CREATE FUNCTION auth.issuers_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'jwt_auth_issuers_changed'
    LANGUAGE C;
REVOKE ALL ON FUNCTION auth.issuers_changed() FROM PUBLIC;
CREATE TRIGGER issuers_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.issuers
    FOR EACH STATEMENT EXECUTE FUNCTION auth.issuers_changed();
CREATE TRIGGER issuer_keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.issuer_keys
    FOR EACH STATEMENT EXECUTE FUNCTION auth.issuers_changed();
ALTER TABLE auth.issuers ENABLE ALWAYS TRIGGER issuers_changed;
ALTER TABLE auth.issuer_keys ENABLE ALWAYS TRIGGER issuer_keys_changed;

CREATE FUNCTION auth.trust_issuer(issuer text, jwks jsonb, audience text,
                                  max_lifetime interval DEFAULT '1 day') RETURNS integer
    AS 'MODULE_PATHNAME', 'jwt_auth_trust_issuer'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.trust_issuer(text, jsonb, text, interval) IS 'accept the tokens of an issuer, with the keys of its JWKS, replacing those it had (owner only); returns how many keys';

CREATE FUNCTION auth.distrust_issuer(issuer text) RETURNS boolean
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH gone AS (DELETE FROM auth.issuers i WHERE i.issuer OPERATOR(pg_catalog.=) distrust_issuer.issuer
                      RETURNING 1)
        SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 FROM gone;
    END;
COMMENT ON FUNCTION auth.distrust_issuer(text) IS 'stop accepting the tokens of an issuer (owner only)';

CREATE FUNCTION auth.trusted_issuers(OUT issuer text, OUT audience text, OUT max_lifetime interval,
                                     OUT kid text, OUT alg text, OUT trusted_at timestamptz)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT i.issuer, i.audience, i.max_lifetime, k.kid, k.alg, i.trusted_at
          FROM auth.issuers i JOIN auth.issuer_keys k ON k.issuer OPERATOR(pg_catalog.=) i.issuer
         ORDER BY i.issuer COLLATE "C", k.kid COLLATE "C";
    END;
COMMENT ON FUNCTION auth.trusted_issuers() IS 'the trusted issuers and the kids and algorithms of their keys (owner only)';

-- The life of an account (1.2).  One-time tokens prove control of an inbox:
-- for a password reset, an email verification, an email change.  Only their
-- SHA-256 is stored.  Each is bound to one purpose, one user and the address
-- it was sent to, and voided when used, when a newer one of its purpose is
-- requested, and when the account changes; voided rows stay an hour, so
-- that the requests of the last hour can be counted.
CREATE TABLE auth.account_tokens (
    token_hash bytea PRIMARY KEY
        CONSTRAINT account_tokens_hash_length CHECK (pg_catalog.octet_length(token_hash) OPERATOR(pg_catalog.=) 32),
    user_id uuid NOT NULL REFERENCES auth.users ON DELETE CASCADE,
    purpose text NOT NULL
        CONSTRAINT account_tokens_purpose
        CHECK (purpose OPERATOR(pg_catalog.=) ANY (ARRAY['password_reset', 'email_verification', 'email_change'])),
    email text NOT NULL
        CONSTRAINT account_tokens_email_length CHECK (pg_catalog.octet_length(email) OPERATOR(pg_catalog.<=) 254),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at timestamptz NOT NULL,
    voided_at timestamptz
);
CREATE INDEX account_tokens_user_id_idx ON auth.account_tokens (user_id, purpose, created_at);
COMMENT ON TABLE auth.account_tokens IS 'hashes of the one-time tokens of password resets and email verifications and changes; readable by the extension''s owner only';
REVOKE ALL ON auth.account_tokens FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('auth.account_tokens', '');

-- Making a token: the extension's owner, and the roles it grants them to
-- (the backend's mail role; never a role clients may call functions as).
CREATE FUNCTION auth.request_password_reset(email text) RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_request_password_reset'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.request_password_reset(text) IS 'a password reset token for the account of an email, to send there, or NULL (owner only)';
CREATE FUNCTION auth.request_email_verification(user_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_request_email_verification'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.request_email_verification(uuid) IS 'an email verification token for a user, to send to their email, or NULL (owner only)';
CREATE FUNCTION auth.request_email_change(user_id uuid, new_email text, password text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_request_email_change'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.request_email_change(uuid, text, text) IS 'an email change token for a user, to send to the new address, after checking their password when given, or NULL (owner only)';

-- Using a token: everyone (the token is the credential).
CREATE FUNCTION auth.reset_password(token text, new_password text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_reset_password'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.reset_password(text, text) IS 'set the password of the account a reset token was made for, and end its sessions; returns the user';
CREATE FUNCTION auth.verify_email(token text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_verify_email'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.verify_email(text) IS 'mark the email of the account a verification token was made for as verified; returns the user';
CREATE FUNCTION auth.confirm_email_change(token text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'jwt_auth_confirm_email_change'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.confirm_email_change(text) IS 'give the account an email change token was made for its new, verified email; returns the user';

-- The verified user deletes their own account, with their password.
CREATE FUNCTION auth.delete_account(password text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'jwt_auth_delete_account'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.delete_account(text) IS 'delete the verified user''s account, with its sessions, after checking their password';

-- The extension's owner deletes, disables and enables accounts.
CREATE FUNCTION auth.delete_user(user_id uuid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'jwt_auth_delete_user'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.delete_user(uuid) IS 'delete an account, with its sessions (owner only); true if it existed';
CREATE FUNCTION auth.disable_user(user_id uuid, until timestamptz DEFAULT 'infinity') RETURNS boolean
    AS 'MODULE_PATHNAME', 'jwt_auth_disable_user'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.disable_user(uuid, timestamptz) IS 'end every session of an account and refuse its sign-ins and refreshes until a time (owner only); true if it exists';
CREATE FUNCTION auth.enable_user(user_id uuid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'jwt_auth_enable_user'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth.enable_user(uuid) IS 'let a disabled account sign in again (owner only); true if it exists';
CREATE FUNCTION auth.set_email_verified(user_id uuid, verified boolean DEFAULT true) RETURNS boolean
    LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH changed AS (UPDATE auth.users u SET email_verified = set_email_verified.verified,
                                                 updated_at = pg_catalog.now()
                          WHERE u.id OPERATOR(pg_catalog.=) set_email_verified.user_id
                          RETURNING 1)
        SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 FROM changed;
    END;
COMMENT ON FUNCTION auth.set_email_verified(uuid, boolean) IS 'mark an account''s email verified, or not, by hand (owner only); true if it exists';

-- The verified claims under the name Neon's pg_session_jwt gives them, so
-- that its policies run unchanged.
CREATE FUNCTION auth.session() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'jwt_auth_jwt'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.session() IS 'claims of the verified token, or NULL (as auth.jwt())';

-- Owner-only functions: the role that created the extension, not PUBLIC.
-- It may grant them on (docs/reference.md says which are safe for whom).
REVOKE ALL ON FUNCTION auth.signout_all(uuid), auth.rotate_key(text),
    auth.import_key(text, bytea, text), auth.retire_key(text),
    auth.configure(text, text), auth.configuration(), auth.list_keys(),
    auth.purge_sessions(interval), auth.trust_issuer(text, jsonb, text, interval),
    auth.distrust_issuer(text), auth.trusted_issuers(),
    auth.request_password_reset(text), auth.request_email_verification(uuid),
    auth.request_email_change(uuid, text, text), auth.delete_user(uuid),
    auth.disable_user(uuid, timestamptz), auth.enable_user(uuid),
    auth.set_email_verified(uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.signout_all(uuid), auth.rotate_key(text),
    auth.import_key(text, bytea, text), auth.retire_key(text),
    auth.configure(text, text), auth.configuration(), auth.list_keys(),
    auth.purge_sessions(interval), auth.trust_issuer(text, jsonb, text, interval),
    auth.distrust_issuer(text), auth.trusted_issuers(),
    auth.request_password_reset(text), auth.request_email_verification(uuid),
    auth.request_email_change(uuid, text, text), auth.delete_user(uuid),
    auth.disable_user(uuid, timestamptz), auth.enable_user(uuid),
    auth.set_email_verified(uuid, boolean) TO @extowner@ WITH GRANT OPTION;
-- The extension's owner reads and adds rows of the account tokens (for its
-- dumps).
GRANT SELECT, INSERT ON auth.account_tokens TO @extowner@;
