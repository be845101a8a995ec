/* jwt_auth--1.1--1.2.sql: password resets, verified and changed emails, deleted and disabled accounts */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt_auth UPDATE TO '1.2'" to load this file. \quit

-- Accounts made before 1.2 have an email nobody verified: false, until the
-- extension's owner marks them (auth.set_email_verified()).
ALTER TABLE auth.users ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
                       ADD COLUMN disabled_until timestamptz;

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

-- Whoever runs this update (any superuser), the new objects belong to the
-- owner of the existing tables, and the extension's owner gets the
-- owner-only functions, old and new, with the right to grant them on.
DO $$
DECLARE
    table_owner text := (SELECT c.relowner::pg_catalog.regrole::text FROM pg_catalog.pg_class c
                          WHERE c.oid OPERATOR(pg_catalog.=) 'auth.users'::pg_catalog.regclass);
    ext_owner text := (SELECT e.extowner::pg_catalog.regrole::text FROM pg_catalog.pg_extension e
                        WHERE e.extname OPERATOR(pg_catalog.=) 'jwt_auth');
    f pg_catalog.regprocedure;
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE auth.account_tokens OWNER TO %s', table_owner);
    FOREACH f IN ARRAY ARRAY['auth.request_password_reset(text)', 'auth.request_email_verification(uuid)',
                             'auth.request_email_change(uuid, text, text)', 'auth.reset_password(text, text)',
                             'auth.verify_email(text)', 'auth.confirm_email_change(text)',
                             'auth.delete_account(text)', 'auth.delete_user(uuid)',
                             'auth.disable_user(uuid, timestamptz)', 'auth.enable_user(uuid)',
                             'auth.set_email_verified(uuid, boolean)', 'auth.session()']::pg_catalog.regprocedure[]
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', f, table_owner);
    END LOOP;
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION auth.signout_all(uuid), auth.rotate_key(text), '
                              'auth.import_key(text, bytea, text), auth.retire_key(text), '
                              'auth.configure(text, text), auth.configuration(), auth.list_keys(), '
                              'auth.purge_sessions(interval), auth.trust_issuer(text, jsonb, text, interval), '
                              'auth.distrust_issuer(text), auth.trusted_issuers(), '
                              'auth.request_password_reset(text), auth.request_email_verification(uuid), '
                              'auth.request_email_change(uuid, text, text), auth.delete_user(uuid), '
                              'auth.disable_user(uuid, timestamptz), auth.enable_user(uuid), '
                              'auth.set_email_verified(uuid, boolean) TO %s WITH GRANT OPTION', ext_owner);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT ON auth.account_tokens TO %s', ext_owner);
END
$$;

-- Privileges last, once every new object has its final owner (see
-- jwt_auth--1.0--1.1.sql).
REVOKE ALL ON auth.account_tokens FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.request_password_reset(text), auth.request_email_verification(uuid),
    auth.request_email_change(uuid, text, text), auth.delete_user(uuid),
    auth.disable_user(uuid, timestamptz), auth.enable_user(uuid),
    auth.set_email_verified(uuid, boolean) FROM PUBLIC;
