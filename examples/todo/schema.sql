-- The todo app's data, isolated per user by row-level security.
--
-- Load it with psql into a database where CREATE EXTENSION jwt_auth
-- CASCADE has run, as the role that is to own the table (the database
-- owner, say; never the role the app connects as):
--     psql -d app -f examples/todo/schema.sql
-- It also needs two login roles (roles are cluster-wide): todo_app, the
-- role the app connects as, and todo_mail, the app's mail role, the only
-- one that may make the one-time tokens it mails (password resets, email
-- verifications and changes; docs/accounts.md).  The file creates them when
-- they are missing, which takes the CREATEROLE attribute (or a superuser);
-- without it, have an administrator run, once per cluster:
--     CREATE ROLE todo_app LOGIN PASSWORD '...';
--     CREATE ROLE todo_mail LOGIN PASSWORD '...';
-- The file grants todo_mail those three functions, so it must be loaded by
-- a role that may grant them: the extension's owner (or a superuser).
-- All or nothing: the file checks what it needs before changing anything,
-- then makes its changes in one transaction, and stops at the first error.
-- The application connects as todo_app (set the roles' passwords
-- separately when this file created them) and starts every transaction
-- with SELECT auth.verify(<token>); it connects as todo_mail only to make
-- the tokens it mails, never on a client's behalf.

-- Stop at the first error; the setting is put back at the end, for a file
-- that includes this one with \i.
\set todo_schema_on_error_stop :ON_ERROR_STOP
\set ON_ERROR_STOP on

-- What the rest needs, checked before anything changes.
DO $$
DECLARE
    role_name text;
    fn text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'jwt_auth') THEN
        RAISE EXCEPTION 'the todo schema needs the extension jwt_auth in database "%"', current_database()
            USING ERRCODE = 'undefined_object',
                  HINT = 'Run CREATE EXTENSION jwt_auth CASCADE there first, then load this file again. Nothing was changed.';
    END IF;
    FOREACH role_name IN ARRAY ARRAY['todo_app', 'todo_mail'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name)
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles
                           WHERE rolname = current_user AND (rolcreaterole OR rolsuper)) THEN
            RAISE EXCEPTION 'role "%" does not exist, and role "%" may not create it', role_name, current_user
                USING ERRCODE = 'insufficient_privilege',
                      HINT = format('Have a role with CREATEROLE (or a superuser) run CREATE ROLE %I LOGIN PASSWORD ''...''; '
                                    'then load this file again. Nothing was changed.', role_name);
        END IF;
    END LOOP;
    -- The functions that make one-time tokens (jwt_auth 1.2), which this
    -- file grants to todo_mail.
    FOREACH fn IN ARRAY ARRAY['auth.request_password_reset(text)', 'auth.request_email_verification(uuid)',
                              'auth.request_email_change(uuid,text,text)'] LOOP
        IF pg_catalog.to_regprocedure(fn) IS NULL THEN
            RAISE EXCEPTION 'the todo schema needs function % of jwt_auth 1.2 or later', fn
                USING ERRCODE = 'undefined_function',
                      HINT = 'Run ALTER EXTENSION jwt_auth UPDATE first, then load this file again. Nothing was changed.';
        END IF;
        IF NOT pg_catalog.has_function_privilege(current_user, fn, 'EXECUTE WITH GRANT OPTION') THEN
            RAISE EXCEPTION 'role "%" may not grant function % to todo_mail', current_user, fn
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Load this file as the extension''s owner (the role that ran CREATE EXTENSION jwt_auth) '
                             'or a superuser. Nothing was changed.';
        END IF;
    END LOOP;
END
$$;

BEGIN;

-- Roles are cluster-wide: create the app's roles only if another database
-- of this cluster has not already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'todo_app') THEN
        CREATE ROLE todo_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'todo_mail') THEN
        CREATE ROLE todo_mail LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL DEFAULT auth.uid() REFERENCES auth.users (id) ON DELETE CASCADE,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text CHECK (char_length(description) <= 1000),
    completed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tasks_user_id_idx ON tasks (user_id);

-- The policies bind every role but the table's owner (and superusers, and
-- roles with BYPASSRLS): the app, todo_app, owns nothing.  Not FORCE, which
-- would bind the owner too: its pg_dump would then fail ("query would be
-- affected by row-level security policy"), or, with --enable-row-security,
-- keep no row, since a dump runs with no verified identity.
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;

-- One policy for every command: a user reads, adds, changes and deletes
-- only their own tasks.  auth.uid() is STABLE, so the planner makes it the
-- condition of a scan of tasks_user_id_idx, evaluated once per scan; a
-- sub-select, (SELECT auth.uid()), would add an InitPlan, which costs more
-- to plan and run (docs/performance.md).
CREATE POLICY tasks_owner ON tasks
    USING (user_id = auth.uid())
    WITH CHECK (user_id = auth.uid());

-- Keep updated_at honest.
CREATE FUNCTION tasks_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER tasks_touch BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_touch();

GRANT USAGE ON SCHEMA public TO todo_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO todo_app;
-- user_id is never written by the app: it defaults to the verified identity.
REVOKE UPDATE ON tasks FROM todo_app;
GRANT UPDATE (title, description, completed) ON tasks TO todo_app;

-- The mail role makes the one-time tokens the app mails, and nothing else:
-- whoever may call these functions, and read the mail of whoever they like,
-- takes over any account.  It needs no table: it reads no task.
GRANT EXECUTE ON FUNCTION auth.request_password_reset(text), auth.request_email_verification(uuid),
    auth.request_email_change(uuid, text, text) TO todo_mail;

COMMIT;
\set ON_ERROR_STOP :todo_schema_on_error_stop
\unset todo_schema_on_error_stop
