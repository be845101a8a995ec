/* jwt_auth--1.0--1.1.sql: sessions, refresh tokens, key rotation, ES256/RS256, JWKS, per-database settings */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt_auth UPDATE TO '1.1'" to load this file. \quit

-- Version 1.0 accepted a schema auth made beforehand, and objects of other
-- extensions in it.  An update must end with what CREATE EXTENSION of 1.1
-- guarantees, or not happen: schema auth belongs to the owner of the
-- extension's tables and nobody else may create in it, pgcrypto belongs to
-- a superuser or to the extension's owner, and the schema holds nothing
-- but the extension's own objects (and what belongs to them: indexes, row
-- types) and the C functions of pgcrypto's own library.  A function planted
-- there, as an overload of auth.signin() that a client's parameter types
-- would pick, would otherwise outlive the update.
DO $$
DECLARE
    auth_nsp oid := 'auth'::pg_catalog.regnamespace;
    jwt_ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'jwt_auth');
    c_lang oid := (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname OPERATOR(pg_catalog.=) 'c');
BEGIN
    IF NOT EXISTS (
           SELECT FROM pg_catalog.pg_namespace n
             JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
                                       AND c.relname OPERATOR(pg_catalog.=) 'users'
            WHERE n.oid OPERATOR(pg_catalog.=) auth_nsp
              AND n.nspowner OPERATOR(pg_catalog.=) c.relowner
              AND NOT EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) a
                               WHERE a.grantee OPERATOR(pg_catalog.<>) n.nspowner
                                 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE')) THEN
        RAISE EXCEPTION 'schema "auth" is not the extension''s own'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Another role than the owner of the extension''s tables owns schema auth or may create in it.',
                  HINT = 'Give schema auth to the owner of auth.users and revoke CREATE on it from the others, then update again.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.extowner
                WHERE e.extname OPERATOR(pg_catalog.=) 'pgcrypto' AND NOT r.rolsuper
                  AND e.extowner OPERATOR(pg_catalog.<>) '@extowner@'::pg_catalog.regrole) THEN
        RAISE EXCEPTION 'extension "pgcrypto" belongs to another role'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Its owner could drop it, and jwt_auth with it.',
                  HINT = 'Have that role give pgcrypto to a superuser or to the owner of jwt_auth, then update again.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) auth_nsp
                  AND c.relkind OPERATOR(pg_catalog.<>) ALL (ARRAY['i', 'I', 't']::"char"[])
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                                   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                     AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
                                     AND d.refobjid OPERATOR(pg_catalog.=) jwt_ext))
       OR EXISTS (SELECT FROM pg_catalog.pg_type t
                   WHERE t.typnamespace OPERATOR(pg_catalog.=) auth_nsp
                     AND t.typrelid OPERATOR(pg_catalog.=) 0
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_type e
                                      WHERE e.typarray OPERATOR(pg_catalog.=) t.oid AND e.typrelid OPERATOR(pg_catalog.<>) 0)
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                                      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                                        AND d.objid OPERATOR(pg_catalog.=) t.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
                                        AND d.refobjid OPERATOR(pg_catalog.=) jwt_ext))
       OR EXISTS (SELECT FROM pg_catalog.pg_operator WHERE oprnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_opclass WHERE opcnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_opfamily WHERE opfnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_collation WHERE collnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_conversion WHERE connamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_config WHERE cfgnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_dict WHERE dictnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_parser WHERE prsnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_ts_template WHERE tmplnamespace OPERATOR(pg_catalog.=) auth_nsp)
       OR EXISTS (SELECT FROM pg_catalog.pg_extension
                   WHERE extnamespace OPERATOR(pg_catalog.=) auth_nsp
                     AND extname OPERATOR(pg_catalog.<>) ALL (ARRAY['pgcrypto', 'jwt_auth']))
       OR EXISTS (SELECT FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace OPERATOR(pg_catalog.=) auth_nsp
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                                      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                        AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
                                        AND d.refobjid OPERATOR(pg_catalog.=) jwt_ext)
                     AND NOT (p.prolang OPERATOR(pg_catalog.=) c_lang
                              AND p.probin OPERATOR(pg_catalog.=) '$libdir/pgcrypto'
                              AND EXISTS (SELECT FROM pg_catalog.pg_depend d
                                            JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
                                           WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                             AND d.objid OPERATOR(pg_catalog.=) p.oid
                                             AND d.deptype OPERATOR(pg_catalog.=) 'e'
                                             AND e.extname OPERATOR(pg_catalog.=) 'pgcrypto'))) THEN
        RAISE EXCEPTION 'schema "auth" holds objects that are not the extension''s own'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Version 1.1 needs a schema of its own: only jwt_auth''s objects and pgcrypto''s own functions may be there.',
                  HINT = 'Drop what else is in schema auth (SELECT oid::regprocedure FROM pg_proc WHERE pronamespace = ''auth''::regnamespace lists the functions), then update again.';
    END IF;
END
$$;

ALTER TABLE auth.keys
    DROP CONSTRAINT keys_alg_supported,
    DROP CONSTRAINT keys_secret_length,
    ADD COLUMN public_key text,
    ADD COLUMN retired_at timestamptz,
    ADD CONSTRAINT keys_alg_supported CHECK (alg OPERATOR(pg_catalog.=) ANY (ARRAY['HS256', 'ES256', 'RS256', 'EdDSA'])),
    ADD CONSTRAINT keys_secret_length CHECK (alg OPERATOR(pg_catalog.<>) 'HS256'
                                             OR pg_catalog.octet_length(secret) OPERATOR(pg_catalog.>=) 32),
    ADD CONSTRAINT keys_public_key CHECK ((alg OPERATOR(pg_catalog.=) 'HS256') OPERATOR(pg_catalog.=) (public_key IS NULL));

-- The highest bcrypt cost stored, found at once: every failed sign-in takes
-- the time of a hash at that cost (or the current one, if higher).
CREATE INDEX users_password_cost_idx ON auth.users ((pg_catalog.substr(password_hash, 5, 2)));

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
CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.settings
    FOR EACH STATEMENT EXECUTE FUNCTION auth.settings_changed();
ALTER TABLE auth.settings ENABLE ALWAYS TRIGGER settings_changed;

SELECT pg_catalog.pg_extension_config_dump('auth.sessions', '');
SELECT pg_catalog.pg_extension_config_dump('auth.refresh_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('auth.settings', '');

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



-- auth.role() is "authenticated" for another issuer's token, as auth.verify()
-- recorded it, which a parallel worker cannot know.
ALTER FUNCTION auth.role() PARALLEL RESTRICTED;
COMMENT ON FUNCTION auth.role() IS 'role claim of a verified jwt_auth token; authenticated for another issuer''s; NULL without one';

CREATE FUNCTION auth.issuer() RETURNS text
    AS 'MODULE_PATHNAME', 'jwt_auth_issuer'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth.issuer() IS 'issuer (iss) of the verified token, or NULL';

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
SELECT pg_catalog.pg_extension_config_dump('auth.issuers', '');
SELECT pg_catalog.pg_extension_config_dump('auth.issuer_keys', '');
-- Every backend reads them again, and forgets their verified tokens, when
-- either changes.
CREATE FUNCTION auth.issuers_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'jwt_auth_issuers_changed'
    LANGUAGE C;
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


-- Whoever runs this update (any superuser), the new objects must belong to
-- the owner of the existing tables, who owns schema auth and runs the
-- SECURITY DEFINER functions; and the owner-only functions go to the
-- extension's owner, not to the role running the update.
DO $$
DECLARE
    table_owner text := (SELECT c.relowner::pg_catalog.regrole::text FROM pg_catalog.pg_class c
                          WHERE c.oid OPERATOR(pg_catalog.=) 'auth.users'::pg_catalog.regclass);
    ext_owner text := (SELECT e.extowner::pg_catalog.regrole::text FROM pg_catalog.pg_extension e
                        WHERE e.extname OPERATOR(pg_catalog.=) 'jwt_auth');
    f pg_catalog.regprocedure;
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE auth.sessions OWNER TO %s', table_owner);
    EXECUTE pg_catalog.format('ALTER TABLE auth.refresh_tokens OWNER TO %s', table_owner);
    EXECUTE pg_catalog.format('ALTER TABLE auth.settings OWNER TO %s', table_owner);
    EXECUTE pg_catalog.format('ALTER TABLE auth.issuers OWNER TO %s', table_owner);
    EXECUTE pg_catalog.format('ALTER TABLE auth.issuer_keys OWNER TO %s', table_owner);
    FOREACH f IN ARRAY ARRAY['auth.signin_session(text, text)', 'auth.refresh(text)', 'auth.signout(text)',
                             'auth.signout_all()', 'auth.signout_all(uuid)', 'auth.change_password(text, text)',
                             'auth.rotate_key(text)', 'auth.import_key(text, bytea, text)',
                             'auth.retire_key(text)', 'auth.jwks()',
                             'auth.sessions_changed()', 'auth.settings_changed()',
                             'auth.configure(text, text)', 'auth.configuration()', 'auth.list_keys()',
                             'auth.purge_sessions(interval)', 'auth.issuer()', 'auth.issuers_changed()',
                             'auth.trust_issuer(text, jsonb, text, interval)', 'auth.distrust_issuer(text)',
                             'auth.trusted_issuers()']::pg_catalog.regprocedure[]
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', f, table_owner);
    END LOOP;
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION auth.signout_all(uuid), auth.rotate_key(text), '
                              'auth.import_key(text, bytea, text), auth.retire_key(text), '
                              'auth.configure(text, text), auth.configuration(), auth.list_keys(), '
                              'auth.purge_sessions(interval), auth.trust_issuer(text, jsonb, text, interval), '
                              'auth.distrust_issuer(text), auth.trusted_issuers() TO %s', ext_owner);
    -- The extension's owner reads the tables and adds rows, for its own
    -- pg_dump and pg_restore (1.0 gave it no privilege on them).
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT ON auth.users, auth.keys, auth.sessions, auth.refresh_tokens, '
                              'auth.settings, auth.issuers, auth.issuer_keys TO %s', ext_owner);
END
$$;

-- Privileges last, once every new object has its final owner: what an
-- extension script grants or revokes is recorded in pg_init_privs as it is
-- then, and an owner changed afterwards would leave the updating role there
-- (pg_dump would then emit REVOKEs naming it).
REVOKE ALL ON FUNCTION auth.sessions_changed(), auth.settings_changed(), auth.issuers_changed() FROM PUBLIC;
REVOKE ALL ON auth.sessions, auth.refresh_tokens, auth.settings, auth.issuers, auth.issuer_keys FROM PUBLIC;
-- Owner-only functions: the extension's owner (granted above), not PUBLIC.
REVOKE ALL ON FUNCTION auth.signout_all(uuid), auth.rotate_key(text),
    auth.import_key(text, bytea, text), auth.retire_key(text),
    auth.configure(text, text), auth.configuration(), auth.list_keys(),
    auth.purge_sessions(interval), auth.trust_issuer(text, jsonb, text, interval),
    auth.distrust_issuer(text), auth.trusted_issuers() FROM PUBLIC;
