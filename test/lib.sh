# Shared by the shell tests in test/: run inside a throwaway cluster
# (pg_virtualenv exports PGHOST, PGPORT, PGUSER and PGPASSWORD of a superuser).
# Source it after setting "suite" to the test's name.
#
# The cluster is a Debian one (pg_virtualenv), found by its port, or one that
# test/versions.sh started from a build of another major, which exports
# PG_SERVER_DATA (its data directory, holding its configuration) and
# PG_SERVER_LOG (its log); the server_* functions below serve both.

passed=0
failed=0

# check NAME ACTUAL EXPECTED-REGEX
# (grep reads a here-string: with pipefail, a pipe from printf could fail
# when grep -q stops reading at the first match.)
check() {
    if grep -qE -- "$3" <<<"$2"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "$suite: FAILED $1: got '$2', expected /$3/" >&2
    fi
}

# same NAME ACTUAL EXPECTED: equal as a whole, several lines included; the
# difference is shown when not.
same() {
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "$suite: FAILED $1: expected (<) and got (>):" >&2
        diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") >&2
    fi
}

# The closing line every suite prints; test/run adds them up.
finish() {
    echo "$suite: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# A TCP port nothing listens on.
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A fresh database with the extension, the todo schema, and cheap hashing.
make_database() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    psql -X -q -d "$1" -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
\i examples/todo/schema.sql
ALTER DATABASE $1 SET jwt_auth.bcrypt_cost = 10;
SQL
}

# start_pgbouncer DB USER PASSWORD: PgBouncer in transaction mode with one
# server connection, as user postgres (it refuses to run as root); sets
# BOUNCER_PORT and BOUNCER_DIR.  stop_pgbouncer ends it.
start_pgbouncer() {
    BOUNCER_DIR=$(mktemp -d)
    BOUNCER_PORT=$(free_port)
    cat > "$BOUNCER_DIR/pgbouncer.ini" <<INI
[databases]
$1 = host=127.0.0.1 port=$PGPORT dbname=$1
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $BOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 1
max_db_connections = 1
max_client_conn = 100
logfile = $BOUNCER_DIR/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
INI
    printf '"%s" "%s"\n' "$2" "$3" > "$BOUNCER_DIR/userlist.txt"
    chown -R postgres "$BOUNCER_DIR"
    chmod 700 "$BOUNCER_DIR"
    su postgres -s /bin/sh -c "pgbouncer -d '$BOUNCER_DIR/pgbouncer.ini'"
    for _ in $(seq 50); do
        [ -s "$BOUNCER_DIR/pgbouncer.pid" ] && break
        sleep 0.1
    done
}

stop_pgbouncer() {
    if [ -n "${BOUNCER_DIR:-}" ] && [ -s "$BOUNCER_DIR/pgbouncer.pid" ]; then
        kill "$(cat "$BOUNCER_DIR/pgbouncer.pid")" 2>/dev/null || true
        sleep 0.3
    fi
    [ -n "${BOUNCER_DIR:-}" ] && rm -rf "$BOUNCER_DIR"
    BOUNCER_DIR=
}

# The server's log file.
server_log() {
    if [ -n "${PG_SERVER_DATA:-}" ]; then
        echo "$PG_SERVER_LOG"
    else
        pg_lsclusters --no-header | awk -v port="$PGPORT" '$3 == port { print $7 }'
    fi
}

# The directory of the server's pg_hba.conf and pg_ident.conf.
server_config_dir() {
    if [ -n "${PG_SERVER_DATA:-}" ]; then
        echo "$PG_SERVER_DATA"
    else
        pg_lsclusters --no-header | awk -v port="$PGPORT" -v root="${PG_CLUSTER_CONF_ROOT:-/etc/postgresql}" \
            '$3 == port { print root "/" $1 "/" $2 }'
    fi
}

# Restart the server: stop it, waiting for it (a loaded machine may take
# longer than pg_ctl's default minute; a restart whose stop timed out would
# leave the server as it was), then start it with the settings it had.
server_restart() {
    if [ -n "${PG_SERVER_DATA:-}" ]; then
        su postgres -s /bin/sh -c "'$("$PG_CONFIG" --bindir)/pg_ctl' -D '$PG_SERVER_DATA' -l '$PG_SERVER_LOG' \
            -w -t 120 -m fast restart" >/dev/null
    else
        local cluster
        cluster=$(pg_lsclusters --no-header | awk -v port="$PGPORT" '$3 == port { print $1 " " $2 }')
        pg_ctlcluster $cluster stop -m fast || true
        for _ in $(seq 240); do
            pg_lsclusters --no-header | awk -v port="$PGPORT" '$3 == port { print $4 }' | grep -q '^down$' && break
            sleep 0.5
        done
        pg_ctlcluster $cluster start
    fi
}

# secrets_in_log FILE: the lines of a server log that hold a password or a
# token of the tests.  Every password in the suites ends in "password",
# "password 1" etc., or is one of these; every token starts with a
# base64url-encoded '{"'.
secrets_in_log() {
    grep -n -E "password [0-9]'|password'|correct horse|long enough 1|eyJ[A-Za-z0-9_-]{10,}" "$1"
}

# The closing line of a suite, as test/run and test/suite.sh find it.
closing_line='^[a-z0-9_]+: [0-9]+ passed, [0-9]+ failed'

# closing_counts: the closing lines on standard input, added up: "PASSED FAILED".
closing_counts() {
    sed -nE 's/^[a-z0-9_]+: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' |
        awk '{ p += $1; f += $2 } END { print p + 0, f + 0 }'
}

# failure_excerpt LOG: what tells why a suite failed, from its whole output
# in LOG (test/output/NAME.log): its FAILED lines, then its last lines; or,
# from a runner of suites that has shown that already for each of its own
# (test/suite.sh: lines from the first "----- NAME failed: "), all of it.
# Leaves out closing lines, and the copy of the server log that
# pg_virtualenv prints after a failed command.  Ends with where the whole is.
failure_excerpt() {
    local name shown
    name=$(basename "$1" .log)
    shown=$(awk -v closing="$closing_line" '
        /^\*\*\* .* \(last [0-9]+ lines\) \*\*\*$/ { skip = 1; next }
        /^Dropping cluster / { skip = 0; next }
        !skip && $0 !~ closing
    ' "$1")
    if grep -qE '^----- [a-z0-9_]+ failed: ' <<<"$shown"; then
        sed -nE '/^----- [a-z0-9_]+ failed: /,$p' <<<"$shown" | head -n 400 || true
    else
        if grep -q 'FAILED' <<<"$shown"; then
            echo "----- $name failed: its FAILED lines"
            grep 'FAILED' <<<"$shown" | head -n 20
        fi
        echo "----- $name failed: its last lines"
        tail -n 40 <<<"$shown"
    fi
    echo "----- $name: the whole output is in $1"
}
