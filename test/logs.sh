#!/usr/bin/env bash
# No password or token reaches the server log or the client's error when a
# statement that passes one to an auth.* function fails, wherever the error
# comes from: inside the function, another expression of the statement, a
# cast of another argument, an RLS check, a statement timeout; with bind
# parameters and log_parameter_max_length_on_error = -1 (which any role may
# set), or with literals.  Runs inside a throwaway cluster (test/suite.sh).
set -uo pipefail
suite=logs
cd "$(dirname "$0")/.."
. test/lib.sh

db=jwt_auth_logs
make_database "$db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT
psql -X -q -d "$db" -c "ALTER ROLE todo_app PASSWORD 'logs app password'"
log=$(server_log)
check "server log found" "$log" "."
lines_before=$(wc -l < "$log")
# One-time tokens of an account (made by the superuser: the app may not).
psql -X -q -At -d "$db" -c "SELECT auth.signup('tokens@example.com', 'leaky secret 4 password 1')" >/dev/null
reset_tok=$(psql -X -q -At -d "$db" -c "SELECT auth.request_password_reset('tokens@example.com')")
change_tok=$(psql -X -q -At -d "$db" -c "SELECT auth.request_email_change(id, 'tokens2@example.com') FROM auth.users WHERE email = 'tokens@example.com'")
check "one-time tokens made" "$reset_tok $change_tok" "^[A-Za-z0-9_-]{43} [A-Za-z0-9_-]{43}$"

RESET_TOK=$reset_tok CHANGE_TOK=$change_tok \
PGUSER=todo_app PGPASSWORD='logs app password' PGDATABASE=$db PGHOST=127.0.0.1 \
/usr/bin/python3 - <<'PY' > "$log.client" 2>&1
import os

import psycopg

c = psycopg.connect(autocommit=True)
c.execute("SET log_parameter_max_length_on_error = -1")
c.execute("SELECT auth.signup('logs@example.com', %s)", ["leaky secret 0 password 1"])
tok = c.execute("SELECT auth.signin('logs@example.com', %s)", ["leaky secret 0 password 1"]).fetchone()[0]

def attempt(label, sql, args=()):
    try:
        c.execute(sql, args)
        print(label, "did not fail")
    except psycopg.Error as e:
        d = e.diag
        print(label, "FAILED WITH:", e.sqlstate, d.message_primary, "|", d.message_detail, "|",
              d.context, "|", d.internal_query, "|", str(e).replace("\n", " "))

# Bind parameters, the error inside the function.
attempt("bind-inside", "SELECT auth.signin(%s, %s)", ["logs@example.com", "leaky secret 1 password 1"])
attempt("bind-verify", "SELECT auth.verify(%s)", [tok[:-3] + "xyz"])
# Bind parameters, the error elsewhere in the statement, after the call.
attempt("bind-after", "SELECT auth.signin(%s, %s), 1 / 0", ["logs@example.com", "leaky secret 0 password 1"])
# Bind parameters, the error before the call (another argument's cast).
attempt("bind-cast", "SELECT auth.verify(%s, %s::text::boolean)", [tok, "not a boolean"])
# Literals, the error elsewhere.
attempt("literal-after", "SELECT auth.signin('logs@example.com', 'leaky secret 0 password 1'), 1 / 0")
attempt("literal-cast", "SELECT auth.verify('" + tok + "', 'not a boolean')")
# A statement timeout while hashing.
c.execute("SET statement_timeout = '20ms'")
attempt("literal-timeout", "SELECT auth.signin('logs@example.com', 'leaky secret 3 password 1')")
c.execute("RESET statement_timeout")
# An RLS check failing in the statement that verifies.
attempt("rls", "WITH v AS (SELECT auth.verify(%s) AS uid) "
               "INSERT INTO tasks (user_id, title) SELECT gen_random_uuid(), 'not mine' FROM v", [tok])
# One-time tokens and passwords of the functions of accounts.
reset, change = os.environ["RESET_TOK"], os.environ["CHANGE_TOK"]
attempt("reset-inside", "SELECT auth.reset_password(%s, %s)", [reset, "leaky"])
attempt("reset-after", "SELECT auth.reset_password(%s, %s), 1 / 0", [reset, "leaky secret 5 password 1"])
attempt("reset-literal", "SELECT auth.reset_password('" + reset + "', 'leaky secret 6 password 1'), 1 / 0")
attempt("confirm-after", "SELECT auth.confirm_email_change(%s), 1 / 0", [change])
attempt("delete-inside", "SELECT auth.delete_account(%s)", ["leaky secret 7 password 1"])
PY
out=$(cat "$log.client")
rm -f "$log.client"
for label in bind-inside bind-verify bind-after bind-cast literal-after literal-cast literal-timeout rls \
             reset-inside reset-after reset-literal confirm-after delete-inside; do
    check "$label fails" "$out" "^$label FAILED WITH"
done
check "the errors are the expected ones" "$out" "bind-after FAILED WITH: 22012 division by zero"
check "a timeout" "$out" "literal-timeout FAILED WITH: 57014"
check "an RLS violation" "$out" "rls FAILED WITH: 42501 new row violates row-level security"
check "no secret in any client error" "$(grep -c -E "leaky secret|eyJ|$reset_tok|$change_tok" <<<"$out")" "^0$"

new=$(tail -n +"$((lines_before + 1))" "$log")
check "the failures reached the server log" "$(grep -c 'ERROR:' <<<"$new")" "^(1[3-9]|[2-9][0-9])$"
check "no secret in the server log" \
    "$(grep -c -E "leaky secret|eyJ[A-Za-z0-9_-]{10,}|$reset_tok|$change_tok" <<<"$new")" "^0$"
finish
