#!/usr/bin/env bash
# The whole example on localhost: a throwaway PostgreSQL cluster with
# jwt_auth and the todo schema, PgBouncer in transaction mode in front of
# it, a local SMTP sink that keeps the app's mail as files, and the FastAPI
# app through PgBouncer.  Prints the mail folder and curl lines to try it.
# Debian 12, as root, from anywhere:
#   bash examples/fastapi/start.sh
#   PORT=8001 bash examples/fastapi/start.sh
# PORT: the app's port on 127.0.0.1 (default 8000); a port in use is
# refused before anything starts.  The cluster takes the first free port
# from 5432 up, or PGPORT when set.
# Ctrl-C, or SIGTERM (or SIGHUP) to this script, stops the app, the mail
# sink and PgBouncer and drops the cluster: nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/../.."

port=${PORT:-8000}
if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    echo "start.sh: PORT=$port is not a TCP port number" >&2
    exit 2
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "start.sh: port $port is in use on 127.0.0.1: stop what listens there," \
         "or choose another port, e.g. PORT=$((port == 65535 ? 8001 : port + 1)) bash examples/fastapi/start.sh" >&2
    exit 1
fi

bash test/deps.sh fastapi
make -s
make -s install >/dev/null

# serve.sh runs inside pg_virtualenv, which drops the cluster once serve.sh
# has ended.  They run in a session of their own, which the terminal's
# Ctrl-C does not reach (it would interrupt initdb or psql half-way): a
# signal to this script is passed on to serve.sh, through the process id it
# writes to SERVE_PIDFILE, and serve.sh stops the app, the mail sink and
# PgBouncer.
SERVE_PIDFILE=$(mktemp)
export SERVE_PIDFILE PORT=$port
trap 'rm -f "$SERVE_PIDFILE"' EXIT

stop() {
    trap '' INT TERM HUP
    local pid
    # Still creating the cluster: wait until serve.sh has started.
    while kill -0 "$env_pid" 2>/dev/null; do
        pid=$(cat "$SERVE_PIDFILE" 2>/dev/null || true)
        if [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
}

setsid -w pg_virtualenv -t -v 15 bash examples/fastapi/serve.sh &
env_pid=$!
trap stop INT TERM HUP
# wait returns early when a signal arrives: wait again until the end.
status=0
while :; do
    wait "$env_pid" && status=0 || status=$?
    kill -0 "$env_pid" 2>/dev/null || break
done
exit "$status"
