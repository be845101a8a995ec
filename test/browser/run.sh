#!/usr/bin/env bash
# The todo web page (examples/fastapi/static) in a real browser: Debian's
# Chromium driven by playwright-core (test/browser/todo.mjs, which says what
# it checks), against the FastAPI app through PgBouncer, on a database whose
# access tokens live 5 seconds so that the page has to refresh them silently.
# The app mails through a local SMTP sink (examples/fastapi/mail_sink.py)
# whose files todo.mjs reads to open the links, as a user would.
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
mail_password=$($PY -c 'import secrets; print(secrets.token_hex(16))')
app_pid=""
sink_pid=""
roles_created=()

cleanup() {
    set +e
    for pid in "$app_pid" "$sink_pid"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    stop_pgbouncer
    psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    for role in "${roles_created[@]}"; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role"
    done
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
for role in todo_app todo_mail; do
    if [ -z "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
        roles_created+=("$role")
    fi
done
PGOPTIONS="-c client_min_messages=warning" make_database "$db"
psql -X -q -At -d "$db" -v ON_ERROR_STOP=1 -v pw="$app_password" -v mail_pw="$mail_password" \
    -v ttl="${TOKEN_TTL}s" >/dev/null <<'SQL'
ALTER ROLE todo_app PASSWORD :'pw';
ALTER ROLE todo_mail PASSWORD :'mail_pw';
SELECT auth.configure('token_ttl', :'ttl');
SELECT auth.configure('leeway', '0');
SQL

# ---- the mail sink ------------------------------------------------------------
mail_dir="$work/mail"
smtp_port=$(free_port)
$PY examples/fastapi/mail_sink.py --port "$smtp_port" --dir "$mail_dir" > "$work/sink.log" 2>&1 &
sink_pid=$!
if ! wait_for_port "$smtp_port" "$sink_pid" "the mail sink"; then
    cat "$work/sink.log" >&2
    failed=$((failed + 1))
    finish
    exit 1
fi

# ---- PgBouncer and the app ----------------------------------------------------
start_pgbouncer "$db" todo_app "$app_password"
if ! wait_for_port "$BOUNCER_PORT" "$(cat "$BOUNCER_DIR/pgbouncer.pid" 2>/dev/null || echo 0)" pgbouncer; then
    cat "$BOUNCER_DIR/pgbouncer.log" >&2
    failed=$((failed + 1))
    finish
    exit 1
fi
port=$(free_port)
# Without the superuser's PG* variables: the app has only its own URLs (the
# mail role's straight to PostgreSQL).
env -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGHOST -u PGPORT \
    DATABASE_URL="postgresql://todo_app:$app_password@127.0.0.1:$BOUNCER_PORT/$db" DB_POOL_SIZE=4 \
    MAIL_DATABASE_URL="postgresql://todo_mail:$mail_password@127.0.0.1:$PGPORT/$db" \
    SMTP_HOST=127.0.0.1 SMTP_PORT="$smtp_port" APP_URL="http://127.0.0.1:$port" \
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
    BROWSER_SHOTS=$shots BROWSER_MAIL_DIR=$mail_dir node test/browser/todo.mjs > "$work/checks" 2> "$work/errors" || status=$?
while IFS=$'\t' read -r verdict name detail; do
    check "$name" "$verdict${detail:+: $detail}" "^ok$"
done < "$work/checks"
[ ! -s "$work/errors" ] || sed "s/^/$suite: todo.mjs: /" "$work/errors" >&2
check "todo.mjs ran to its end" "exit $status" "^exit 0$"
check "todo.mjs made its checks" "$(grep -c . "$work/checks" || true)" "^[1-9][0-9]+$"

# ---- no secret of the test in the app's or PgBouncer's log -------------------
# Every password of todo.mjs contains "browser password"; tokens start with eyJ;
# the one-time tokens are those of the links in the mails.  Counted, not
# shown: the output must not repeat them.
grep -ohE '#(reset|verify|email)=[A-Za-z0-9_-]{43}' "$mail_dir"/*.eml 2>/dev/null | cut -d= -f2 | sort -u > "$work/link_tokens"
check "one-time tokens in the mails" "$(grep -c . "$work/link_tokens" || true)" "^[1-9][0-9]*$"
logs=("$work/uvicorn.log" "$work/sink.log" "$BOUNCER_DIR/pgbouncer.log")
leaks=$(cat "${logs[@]}" | grep -c -E "browser password|eyJ[A-Za-z0-9_-]{10,}" || true)
check "log lines holding a password or token of the test" "$leaks" "^0$"
leaks=$(cat "${logs[@]}" | grep -c -F -f "$work/link_tokens" || true)
check "log lines holding a one-time token of the mails" "$leaks" "^0$"

if [ "$failed" -gt 0 ]; then
    echo "$suite: the app's log (requests left out):" >&2
    grep -v 'HTTP/1.1" [0-9]' "$work/uvicorn.log" | tail -30 >&2 || true
    if [ -n "$(ls -A "$shots")" ]; then
        echo "$suite: screenshots of the failing steps in $shots" >&2
    fi
fi
finish
