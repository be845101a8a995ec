#!/usr/bin/env bash
# End-to-end tests of examples/fastapi over real HTTP, twice: through
# PgBouncer in transaction mode with ONE server connection (the app keeping
# a pool of its own), then straight to PostgreSQL with one connection per
# request.
#
# Needs PGHOST/PGPORT/PGUSER/PGPASSWORD for a superuser of a running
# PostgreSQL 15 with jwt_auth installed, e.g. on a throwaway cluster:
#     pg_virtualenv -v 15 bash test/e2e/run.sh
# and Debian's python3-fastapi python3-uvicorn python3-httpx python3-psycopg
# python3-psycopg-pool python3-pytest python3-aiosmtpd pgbouncer.  Run as
# root, PgBouncer runs as the postgres user (it refuses root).
#
# The app mails through a local SMTP sink (examples/fastapi/mail_sink.py),
# whose folder the tests read; its mail role, todo_mail, connects straight
# to PostgreSQL.  Creates its own database (and roles todo_app and todo_mail
# if the cluster has none), drops them at the end, and exits with pytest's
# status (or 1 when a log holds a password or token of the tests).
set -euo pipefail
cd "$(dirname "$0")/../.."
suite=e2e
. test/lib.sh

PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the tree
db="jwt_auth_e2e_$$"
work=$(mktemp -d /tmp/jwt_auth_e2e.XXXXXX)
app_password=$($PY -c 'import secrets; print(secrets.token_hex(16))')
mail_password=$($PY -c 'import secrets; print(secrets.token_hex(16))')
app_pid=""
sink_pid=""
roles_created=()

say() { echo "e2e: $*"; }
psql_su() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

stop() {  # stop a process we started, by its pid
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    set +e
    stop "$app_pid"
    stop "$sink_pid"
    stop_pgbouncer
    psql_su -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    for role in "${roles_created[@]}"; do
        psql_su -d postgres -c "DROP ROLE IF EXISTS $role"
    done
    rm -rf "$work"
}
trap cleanup EXIT

wait_for_port() {  # port pid what
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$2" 2>/dev/null || { say "$3 exited"; return 1; }
        sleep 0.1
    done
    say "$3 did not listen on port $1"
    return 1
}

# ---- the database ------------------------------------------------------------
for role in todo_app todo_mail; do
    if [ -z "$(psql_su -At -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
        roles_created+=("$role")
    fi
done
psql_su -d postgres -c "CREATE DATABASE \"$db\""
psql_su -d "$db" -v db="$db" -v pw="$app_password" -v mail_pw="$mail_password" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
\i examples/todo/schema.sql
ALTER ROLE todo_app PASSWORD :'pw';
ALTER ROLE todo_mail PASSWORD :'mail_pw';
-- Fast hashes; and no leeway, so that a token with a 1 s ttl expires at once.
ALTER DATABASE :"db" SET jwt_auth.bcrypt_cost = 10;
ALTER DATABASE :"db" SET jwt_auth.leeway = 0;
SQL
say "database $db ready"

# The server log, to check afterwards that it holds no secret of the tests.
server_log=$(server_log 2>/dev/null)
server_log_start=0
if [ -n "$server_log" ] && [ -f "$server_log" ]; then
    server_log_start=$(stat -c %s "$server_log")
fi

# ---- PgBouncer: transaction pooling, one server connection ------------------
start_pgbouncer "$db" todo_app "$app_password"
bouncer_port=$BOUNCER_PORT
wait_for_port "$bouncer_port" "$(cat "$BOUNCER_DIR/pgbouncer.pid")" pgbouncer || { cat "$BOUNCER_DIR/pgbouncer.log"; exit 1; }
say "pgbouncer on port $bouncer_port"

# ---- the mail sink: every message the app sends, as a file -------------------
mail_dir="$work/mail"
smtp_port=$(free_port)
$PY examples/fastapi/mail_sink.py --port "$smtp_port" --dir "$mail_dir" >>"$work/sink.log" 2>&1 &
sink_pid=$!
wait_for_port "$smtp_port" "$sink_pid" "the mail sink" || { cat "$work/sink.log"; exit 1; }
say "mail sink on port $smtp_port, its messages in $mail_dir"
# The mail role makes a few tokens now and then: straight to PostgreSQL.
mail_url="postgresql://todo_mail:$mail_password@${PGHOST:-localhost}:${PGPORT:-5432}/$db"

# ---- the app and the tests ---------------------------------------------------
status=0
run_suite() {  # mode database_url pool_size
    local mode=$1 url=$2 pool=$3 port
    port=$(free_port)
    # Without the superuser's PG* variables: the app has only its own URLs.
    env -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGHOST -u PGPORT \
        DATABASE_URL="$url" DB_POOL_SIZE="$pool" MAIL_DATABASE_URL="$mail_url" \
        SMTP_HOST=127.0.0.1 SMTP_PORT="$smtp_port" APP_URL="http://127.0.0.1:$port" \
        MAIL_FROM="Todo <todo@example.com>" \
        $PY -m uvicorn --app-dir examples/fastapi --host 127.0.0.1 --port "$port" app:app \
        >>"$work/uvicorn.log" 2>&1 &
    app_pid=$!
    if ! wait_for_port "$port" "$app_pid" uvicorn; then
        tail -30 "$work/uvicorn.log"
        status=1
        return
    fi
    say "$mode: app on port $port (pid $app_pid), DB_POOL_SIZE=$pool"
    local rc
    set +e
    E2E_BASE_URL="http://127.0.0.1:$port" E2E_DB="$db" E2E_APP_DSN="$url" E2E_MODE="$mode" \
        E2E_MAIL_DIR="$mail_dir" E2E_MAIL_DSN="$mail_url" \
        $PY -m pytest -q -p no:cacheprovider --rootdir test/e2e test/e2e "${PYTEST_ARGS[@]}" \
        2>&1 | tee "$work/pytest.out"
    rc=${PIPESTATUS[0]}
    set -e
    passed=$((passed + $( (grep -oE '[0-9]+ passed' "$work/pytest.out" || true) | awk '{ s = $1 } END { print s + 0 }')))
    failed=$((failed + $( (grep -oE '[0-9]+ (failed|error)' "$work/pytest.out" || true) | awk '{ s += $1 } END { print s + 0 }')))
    stop "$app_pid"
    app_pid=""
    if [ "$rc" -ne 0 ]; then
        say "$mode: pytest failed ($rc); the app's log:"
        grep -v 'HTTP/1.1" [0-9]' "$work/uvicorn.log" | tail -50
        status=$rc
    fi
}
PYTEST_ARGS=("$@")

run_suite pgbouncer "postgresql://todo_app:$app_password@127.0.0.1:$bouncer_port/$db" 10
run_suite direct "postgresql://todo_app:$app_password@${PGHOST:-localhost}:${PGPORT:-5432}/$db" 0

# ---- no secret of the tests in any log ---------------------------------------
# Every test password contains "e2e password"; every token starts with eyJ;
# the one-time tokens are those of the links in the mails.
grep -ohE '#(reset|verify|email)=[A-Za-z0-9_-]{43}' "$mail_dir"/*.eml 2>/dev/null | cut -d= -f2 | sort -u > "$work/link_tokens"
say "$(wc -l < "$work/link_tokens") one-time tokens in $(ls "$mail_dir" | wc -l) mails"
leaks_in() {
    grep -n -E "e2e password|eyJ[A-Za-z0-9_-]{10,}" "$@" || true
    if [ -s "$work/link_tokens" ]; then grep -n -F -f "$work/link_tokens" "$@" || true; fi
}
leaks=$(leaks_in "$work/uvicorn.log" "$work/sink.log" "$BOUNCER_DIR/pgbouncer.log")
if [ -n "$server_log" ] && [ -f "$server_log" ]; then
    tail -c +"$((server_log_start + 1))" "$server_log" > "$work/server.log"
    leaks+=$(leaks_in "$work/server.log")
    checked="the server's, PgBouncer's and the app's logs"
else
    checked="PgBouncer's and the app's logs (server log not found)"
fi
if [ -n "$leaks" ]; then
    say "a log holds secrets of the tests:"
    echo "$leaks" | head -20
    [ "$status" -ne 0 ] || status=1
else
    say "no password or token in $checked"
fi

if [ -n "$leaks" ]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
finish
