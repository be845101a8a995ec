#!/usr/bin/env bash
# The todo web page (examples/fastapi/static) in a real browser: Debian's
# Chromium driven by playwright-core (test/browser/todo.mjs, which says what
# it checks), against the FastAPI app through PgBouncer, on a database whose
# access tokens live 5 seconds so that the page has to refresh them silently.
#
# Runs inside a throwaway cluster with the extension installed, as root
# (PgBouncer runs as the postgres user), from the top of the repository:
#     pg_virtualenv -t -v 15 bash test/browser/run.sh
# Needs Debian's chromium and pgbouncer, the app's Python packages (see
# test/deps.sh), and Node.js 20 or later with npm: node_modules is filled
# from package-lock.json by npm ci when it does not match it
# (test/interop/node_packages.sh); no browser is ever downloaded.
#
# Keeps a screenshot of every failing step in a directory it names, and
# ends with "browser: N passed, N failed".
set -euo pipefail
suite=browser
cd "$(dirname "$0")/../.."
. test/lib.sh
. test/interop/node_packages.sh

PY=/usr/bin/python3
CHROMIUM=/usr/bin/chromium
TOKEN_TTL=5  # seconds; auth.configure allows 1 s and up
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the tree
db=jwt_auth_browser
work=$(mktemp -d)
shots=$(mktemp -d /tmp/jwt_auth_browser_shots.XXXXXX)
app_password=$($PY -c 'import secrets; print(secrets.token_hex(16))')
app_pid=""
role_created=""

cleanup() {
    set +e
    if [ -n "$app_pid" ]; then
        kill "$app_pid" 2>/dev/null
        wait "$app_pid" 2>/dev/null
    fi
    stop_pgbouncer
    psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    [ -n "$role_created" ] && psql -X -q -d postgres -c "DROP ROLE IF EXISTS todo_app"
    rm -rf "$work"
    # Keep the screenshots only when there are some.
    rmdir "$shots" 2>/dev/null
}
trap cleanup EXIT

# wait_for_port PORT PID WHAT: until something listens on PORT, while PID lives.
wait_for_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$2" 2>/dev/null || { echo "$suite: $3 exited" >&2; return 1; }
        sleep 0.1
    done
    echo "$suite: $3 did not listen on port $1" >&2
    return 1
}

if [ ! -x "$CHROMIUM" ]; then
    echo "$suite: $CHROMIUM not found: install Debian's chromium (apt-get install chromium, or run test/deps.sh)" >&2
    failed=$((failed + 1))
    finish
    exit 1
fi
if ! require_node_packages; then
    failed=$((failed + 1))
    finish
    exit 1
fi

# ---- the database: the todo schema, 5-second access tokens, no leeway --------
if [ -z "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'todo_app'")" ]; then
    role_created=yes
fi
PGOPTIONS="-c client_min_messages=warning" make_database "$db"
psql -X -q -At -d "$db" -v ON_ERROR_STOP=1 -v pw="$app_password" -v ttl="${TOKEN_TTL}s" >/dev/null <<'SQL'
ALTER ROLE todo_app PASSWORD :'pw';
SELECT auth.configure('token_ttl', :'ttl');
SELECT auth.configure('leeway', '0');
SQL

# ---- PgBouncer and the app ----------------------------------------------------
start_pgbouncer "$db" todo_app "$app_password"
if ! wait_for_port "$BOUNCER_PORT" "$(cat "$BOUNCER_DIR/pgbouncer.pid" 2>/dev/null || echo 0)" pgbouncer; then
    cat "$BOUNCER_DIR/pgbouncer.log" >&2
    failed=$((failed + 1))
    finish
    exit 1
fi
port=$(free_port)
# Without the superuser's PG* variables: the app has only its own URL.
env -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGHOST -u PGPORT \
    DATABASE_URL="postgresql://todo_app:$app_password@127.0.0.1:$BOUNCER_PORT/$db" DB_POOL_SIZE=4 \
    $PY -m uvicorn --app-dir examples/fastapi --host 127.0.0.1 --port "$port" app:app \
    > "$work/uvicorn.log" 2>&1 &
app_pid=$!
if ! wait_for_port "$port" "$app_pid" uvicorn; then
    tail -30 "$work/uvicorn.log" >&2
    failed=$((failed + 1))
    finish
    exit 1
fi

# ---- the browser ------------------------------------------------------------
# todo.mjs prints one line per check: ok<TAB>name, or fail<TAB>name<TAB>why.
status=0
BROWSER_BASE_URL="http://127.0.0.1:$port" BROWSER_CHROMIUM=$CHROMIUM BROWSER_TOKEN_TTL=$TOKEN_TTL \
    BROWSER_SHOTS=$shots node test/browser/todo.mjs > "$work/checks" 2> "$work/errors" || status=$?
while IFS=$'\t' read -r verdict name detail; do
    check "$name" "$verdict${detail:+: $detail}" "^ok$"
done < "$work/checks"
[ ! -s "$work/errors" ] || sed "s/^/$suite: todo.mjs: /" "$work/errors" >&2
check "todo.mjs ran to its end" "exit $status" "^exit 0$"
check "todo.mjs made its checks" "$(grep -c . "$work/checks" || true)" "^[1-9][0-9]+$"

# ---- no secret of the test in the app's or PgBouncer's log -------------------
# Every password of todo.mjs contains "browser password"; tokens start with eyJ.
# Counted, not shown: the output must not repeat them.
leaks=$(cat "$work/uvicorn.log" "$BOUNCER_DIR/pgbouncer.log" | grep -c -E "browser password|eyJ[A-Za-z0-9_-]{10,}" || true)
check "log lines holding a password or token of the test" "$leaks" "^0$"

if [ "$failed" -gt 0 ]; then
    echo "$suite: the app's log (requests left out):" >&2
    grep -v 'HTTP/1.1" [0-9]' "$work/uvicorn.log" | tail -30 >&2 || true
    if [ -n "$(ls -A "$shots")" ]; then
        echo "$suite: screenshots of the failing steps in $shots" >&2
    fi
fi
finish
