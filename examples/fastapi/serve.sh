#!/usr/bin/env bash
# Run by start.sh inside a throwaway cluster (the PG* environment of
# pg_virtualenv, as root): the todo database, PgBouncer, a local SMTP sink
# that keeps the app's mail as files in a folder (mail_sink.py), and the app
# on http://127.0.0.1:$PORT (default 8000), until Ctrl-C or SIGTERM, which
# stop the app, the sink and PgBouncer, remove the mail folder, and end
# this script with status 0.  By hand:
#   PORT=8001 pg_virtualenv -t -v 15 bash examples/fastapi/serve.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
suite=serve
. test/lib.sh

app=
sink=
mail_dir=
# stop_process PID: SIGTERM, then SIGKILL after 5 seconds.
stop_process() {
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$1" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$1" 2>/dev/null
    fi
}
cleanup() {
    set +e
    trap '' INT TERM
    [ -z "${SERVE_PIDFILE:-}" ] || : > "$SERVE_PIDFILE"
    stop_process "$app"
    stop_process "$sink"
    [ -z "$mail_dir" ] || rm -rf "$mail_dir"
    stop_pgbouncer
}
trap cleanup EXIT
# A stop asked for is a normal end (and pg_virtualenv prints the server's log
# after a command that failed).
trap 'exit 0' INT TERM
[ -z "${SERVE_PIDFILE:-}" ] || echo "$$" > "$SERVE_PIDFILE"

db=todo
port=${PORT:-8000}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "serve.sh: port $port is in use on 127.0.0.1: stop what listens there, or set PORT to another port" >&2
    exit 1
fi
password=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
mail_password=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
PGOPTIONS='-c client_min_messages=warning' make_database "$db"
psql -X -q -d "$db" -c "ALTER ROLE todo_app PASSWORD '$password'" -c "ALTER ROLE todo_mail PASSWORD '$mail_password'"
start_pgbouncer "$db" todo_app "$password"

# The mail sink: every mail the app sends, as a file in $mail_dir.
mail_dir=$(mktemp -d /tmp/todo_mail.XXXXXX)
smtp_port=$(free_port)
/usr/bin/python3 examples/fastapi/mail_sink.py --port "$smtp_port" --dir "$mail_dir" &
sink=$!
for _ in $(seq 100); do
    kill -0 "$sink" 2>/dev/null || break
    (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
    sleep 0.1
done
if ! (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then
    echo "serve.sh: the mail sink did not start on port $smtp_port" >&2
    exit 1
fi

# The app connects as todo_app through PgBouncer, and as todo_mail, for the
# few one-time tokens it mails, straight to PostgreSQL (one short connection
# each time: PgBouncer here serves the app role alone).
DATABASE_URL="postgresql://todo_app:$password@127.0.0.1:$BOUNCER_PORT/$db" \
MAIL_DATABASE_URL="postgresql://todo_mail:$mail_password@127.0.0.1:$PGPORT/$db" \
SMTP_HOST=127.0.0.1 SMTP_PORT="$smtp_port" APP_URL="http://127.0.0.1:$port" \
PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m uvicorn --app-dir examples/fastapi --host 127.0.0.1 --port "$port" \
    --log-level warning app:app &
app=$!
# Up when it answers; gone when it could not start (its error is above).
up=
for _ in $(seq 200); do
    kill -0 "$app" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        up=yes
        break
    fi
    sleep 0.1
done
if [ -z "$up" ]; then
    echo "serve.sh: the app did not start on port $port" >&2
    exit 1
fi

api=http://127.0.0.1:$port/api
cat <<TXT

The todo app is up: its web page at http://127.0.0.1:$port/, its API at $api
(PgBouncer on port $BOUNCER_PORT, PostgreSQL on $PGPORT).  The mail it sends (email
verifications, password resets, email changes) goes to no inbox: each message is a
file in $mail_dir (SMTP sink on port $smtp_port); open the link in it.
Try the API from another terminal:

  curl -s -X POST $api/auth/signup -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com", "password": "correct horse battery"}'
  TOKEN=\$(curl -s -X POST $api/auth/signin -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com", "password": "correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -X POST $api/tasks -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"title": "Buy bread"}'
  curl -s $api/tasks -H "Authorization: Bearer \$TOKEN"
  curl -s -X PATCH $api/tasks/1/complete -H "Authorization: Bearer \$TOKEN"
  curl -s -i $api/tasks                                   # 401: no token
  curl -s -X POST $api/auth/forgot-password -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com"}'                 # then: ls $mail_dir
  curl -s -X POST $api/auth/signout -H "Authorization: Bearer \$TOKEN"

Ctrl-C stops the app, the mail sink, PgBouncer and the cluster.
TXT
# Until the app ends or a signal stops this script.
wait "$app"
