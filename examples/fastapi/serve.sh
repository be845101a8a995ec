#!/usr/bin/env bash
# Run by start.sh inside a throwaway cluster: the todo database, PgBouncer,
# and the app on http://127.0.0.1:${PORT:-8000}, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
suite=example
. test/lib.sh

db=todo
port=${PORT:-8000}
password=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
make_database "$db" >/dev/null
psql -X -q -d "$db" -c "ALTER ROLE todo_app PASSWORD '$password'"
start_pgbouncer "$db" todo_app "$password"
trap 'kill "$app" 2>/dev/null; stop_pgbouncer' EXIT

DATABASE_URL="postgresql://todo_app:$password@127.0.0.1:$BOUNCER_PORT/$db" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m uvicorn --app-dir examples/fastapi --host 127.0.0.1 --port "$port" \
    --log-level warning app:app &
app=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

api=http://127.0.0.1:$port/api
cat <<TXT

The todo API is up at $api (PgBouncer on port $BOUNCER_PORT, PostgreSQL on $PGPORT).
Try it from another terminal:

  curl -s -X POST $api/auth/signup -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com", "password": "correct horse battery"}'
  TOKEN=\$(curl -s -X POST $api/auth/signin -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com", "password": "correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -X POST $api/tasks -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"title": "Buy bread"}'
  curl -s $api/tasks -H "Authorization: Bearer \$TOKEN"
  curl -s -X PATCH $api/tasks/1/complete -H "Authorization: Bearer \$TOKEN"
  curl -s -i $api/tasks                                   # 401: no token
  curl -s -X POST $api/auth/signout -H "Authorization: Bearer \$TOKEN"

Ctrl-C stops the app, PgBouncer and the cluster.
TXT
wait "$app"
