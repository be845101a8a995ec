# Shared by test/bench/run.sh and test/bench/compare.sh: a build of
# jwt_auth outside the work tree, and the server a benchmark runs on.
#
# PG_CONFIG names the PostgreSQL build (the pg_config on PATH by default);
# its bindir goes first on PATH, so that psql and pgbench are of that build.
# The server is the one the usual PG* variables name when PGHOST or PGPORT
# is set (PGUSER a superuser, PGPASSWORD as needed), which must be of that
# build: its library directory is checked to be PG_CONFIG's.  Otherwise
# bench_server_start makes a throwaway cluster of that build, in a temporary
# directory under /tmp, on a free port, run as the user postgres when root,
# with settings as pg_virtualenv's (fsync off) and shared_buffers = 256MB;
# bench_server_stop stops and removes it.

PG_CONFIG=${PG_CONFIG:-pg_config}
command -v "$PG_CONFIG" >/dev/null || { echo "bench: no pg_config '$PG_CONFIG' (set PG_CONFIG)" >&2; exit 1; }
PATH=$("$PG_CONFIG" --bindir):$PATH
export PG_CONFIG PATH
BENCH_SERVER_DIR=

# bench_tree_copy DEST: the files of the work tree as they are (tracked and
# untracked, less what .gitignore leaves out, so no build products), into
# DEST, to build there.
bench_tree_copy() {
    mkdir -p "$1"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$1"
}

# bench_build DIR: build the jwt_auth in DIR with PG_CONFIG.
bench_build() {
    make -C "$1" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
}

# bench_as_server CMD: a command of the user the server runs as.
bench_as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/bash -c "$1"
    else
        bash -c "$1"
    fi
}

# bench_server_check: the server PG* name is a superuser's connection to a
# server of PG_CONFIG's build.
bench_server_check() {
    local theirs ours
    theirs=$(psql -X -A -t -d "${PGDATABASE:-postgres}" -c \
        "SELECT setting FROM pg_catalog.pg_config() WHERE name = 'PKGLIBDIR'") || {
        echo "bench: cannot query the server (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-}) as a superuser" >&2
        return 1
    }
    ours=$("$PG_CONFIG" --pkglibdir)
    if [ "$theirs" != "$ours" ]; then
        echo "bench: the server loads libraries from $theirs, not from $ours ($PG_CONFIG): set PG_CONFIG to its build" >&2
        return 1
    fi
}

# bench_server_start: a throwaway cluster of PG_CONFIG's build; exports
# PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE for it.
bench_server_start() {
    local bindir port
    bindir=$("$PG_CONFIG" --bindir)
    BENCH_SERVER_DIR=$(mktemp -d /tmp/jwt_auth_bench.XXXXXX)
    chmod 755 "$BENCH_SERVER_DIR"
    PGPASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    echo "$PGPASSWORD" > "$BENCH_SERVER_DIR/pw"
    [ "$(id -u)" -ne 0 ] || chown -R postgres "$BENCH_SERVER_DIR"
    bench_as_server "'$bindir/initdb' -D '$BENCH_SERVER_DIR/data' -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --pwfile='$BENCH_SERVER_DIR/pw'" \
        > "$BENCH_SERVER_DIR/initdb.log" 2>&1 || {
        cat "$BENCH_SERVER_DIR/initdb.log" >&2
        return 1
    }
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    bench_as_server "cat >> '$BENCH_SERVER_DIR/data/postgresql.conf'" <<CONF
port = $port
listen_addresses = 'localhost'
unix_socket_directories = '$BENCH_SERVER_DIR'
fsync = off
shared_buffers = 256MB
timezone = 'Etc/UTC'
CONF
    bench_as_server "'$bindir/pg_ctl' -D '$BENCH_SERVER_DIR/data' -l '$BENCH_SERVER_DIR/server.log' -w -t 120 start" \
        >/dev/null || {
        tail -n 20 "$BENCH_SERVER_DIR/server.log" >&2
        return 1
    }
    export PGHOST=localhost PGPORT=$port PGUSER=postgres PGDATABASE=postgres PGPASSWORD
}

bench_server_stop() {
    [ -n "$BENCH_SERVER_DIR" ] || return 0
    bench_as_server "'$("$PG_CONFIG" --bindir)/pg_ctl' -D '$BENCH_SERVER_DIR/data' -w -t 120 -m fast stop" \
        >/dev/null 2>&1 || true
    rm -rf "$BENCH_SERVER_DIR"
    BENCH_SERVER_DIR=
}
