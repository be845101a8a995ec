#!/usr/bin/env bash
# The versions suite: jwt_auth on PostgreSQL 16, 17 and 18.
#
# For each major it builds PostgreSQL from a source tarball as an
# assertion-enabled build (--enable-cassert: freed memory is clobbered and
# memory-context misuse stops the server with a TRAP), into a cache outside
# the repository that later runs reuse; builds jwt_auth against it with
# -Werror from a copy of this tree, installs it there and checks what it
# exports (test/exports.sh); then, on a cluster of that build with nothing
# preloaded, runs README.md's Getting Started (test/docs.sh) and
# test/suite.sh: every pg_regress file (the upgrade from 1.0 among them),
# every isolation spec, and the suites that depend on the server (dump and
# restore, PgBouncer, a hot standby, concurrency, memory, the managed
# tenant, the server log, PyJWT); then throttling (test/throttle.sh, on a
# small table); then, on the same cluster restarted with
# shared_preload_libraries = jwt_auth, the todo app end to end (test/e2e).
# Last, the server log must hold no PANIC, no failed assertion (TRAP), no
# process that died of a signal, and no secret of the tests.
#
#   bash test/versions.sh                 # 16, 17 and 18 from ../shared/postgres
#   PG_SOURCES=DIR bash test/versions.sh  # tarballs postgresql-MAJOR.MINOR.tar.* in DIR
#   PG_CONFIGS="/usr/lib/postgresql/17/bin/pg_config ..." bash test/versions.sh
#                                         # installed servers instead: no build
#   PG_MAJORS="17" bash test/versions.sh  # only some majors
#   bash test/versions.sh --build-only    # fill the cache, run nothing
#
# The cache is PG_CACHE (/var/cache/jwt_auth/postgres): one prefix per
# tarball and build recipe, made once (about 6 minutes per major on 2
# cores) and reused after.  Run it as root, as test/run: it installs the
# Debian packages it needs (test/deps.sh versions: bison and flex, since git
# snapshots have no generated grammar, and what the suites use), and the
# servers run as the user postgres.  With no tarball and no PG_CONFIGS it
# says so in one line and exits 0.
#
# Prints "versions_MAJOR: N passed, N failed" per major (the whole output in
# test/output/versions/), then the sum "N passed, N failed"; exits non-zero
# when anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
suite=versions
. test/lib.sh

build_only=false
[ "${1:-}" = --build-only ] && build_only=true
majors=${PG_MAJORS:-16 17 18}
sources=${PG_SOURCES:-$top/../shared/postgres}
cache=${PG_CACHE:-/var/cache/jwt_auth/postgres}
logs=$top/test/output/versions
mkdir -p "$logs"

# The build recipe: a change here makes a new prefix, never a stale reuse.
# Besides the server: pgcrypto, fuzzystrmatch (sql/install.sql puts it in a
# schema auth made beforehand) and the isolation tester.
configure_flags=(--with-openssl --without-icu --without-readline --enable-debug --enable-cassert)
extras=(contrib/pgcrypto contrib/fuzzystrmatch src/test/isolation)
recipe="1 ${configure_flags[*]} ${extras[*]}"

# as_server CMD: a command of the servers' user.
as_server() { su postgres -s /bin/bash -c "$1"; }

# tarball MAJOR: the newest postgresql-MAJOR.N.tar.* in the sources folder.
tarball() {
    ls "$sources"/postgresql-"$1".[0-9]*.tar.* 2>/dev/null | sort -V | tail -n 1
}

install_extras() {
    local e
    for e in "${extras[@]}"; do
        make -C "$e" install || return 1
    done
}

# build TARBALL: print the prefix of its assertion build, building it first
# when the cache has none (under a lock, so two runs never build one twice).
build() {
    local tar=$1 version key prefix work
    version=$(basename "$tar" | sed -E 's/^postgresql-([0-9]+\.[0-9]+).*/\1/')
    key=$( { sha256sum < "$tar"; echo "$recipe"; } | sha256sum | cut -c1-12)
    prefix=$cache/$version-$key
    mkdir -p "$cache"
    (
        flock 9
        [ -f "$prefix/.complete" ] && exit 0
        for tool in bison flex; do
            command -v "$tool" >/dev/null || { echo "versions: $tool is needed to build $version (test/deps.sh versions)" >&2; exit 1; }
        done
        rm -rf "$prefix" "$prefix.build"
        work=$prefix.build
        mkdir -p "$work/build"
        echo "versions: building PostgreSQL $version (assertions on) into $prefix" >&2
        {
            mkdir "$work/source" &&
            tar -xf "$tar" -C "$work/source" --strip-components=1 &&
            cd "$work/build" &&
            ../source/configure --prefix="$prefix" "${configure_flags[@]}" &&
            make -j"$(nproc)" &&
            make install &&
            install_extras
        } > "$logs/build-$version.log" 2>&1 || {
            echo "versions: the build of PostgreSQL $version failed; its log: $logs/build-$version.log" >&2
            tail -n 30 "$logs/build-$version.log" >&2
            exit 1
        }
        rm -rf "$work"
        touch "$prefix/.complete"
        # Builds of this version by an older recipe are of no more use.
        for old in "$cache/$version"-*; do
            [ "$old" = "$prefix" ] || rm -rf "$old"
        done
    ) 9>"$cache/.lock" || return 1
    echo "$prefix"
}

# The pg_configs to test: given, or built from the tarballs.
configs=()
found=()
if [ -n "${PG_CONFIGS:-}" ]; then
    read -r -a configs <<<"$PG_CONFIGS"
else
    for m in $majors; do
        t=$(tarball "$m")
        [ -n "$t" ] && found+=("$t")
    done
    if [ ${#found[@]} -eq 0 ]; then
        echo "versions: skipped: no PostgreSQL source tarball for $majors in $sources (set PG_SOURCES or PG_CONFIGS)"
        exit 0
    fi
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "versions: run it as root (the servers run as the user postgres)" >&2
    exit 1
fi
bash test/deps.sh versions || exit 1
if [ ${#found[@]} -gt 0 ]; then
    for m in $majors; do
        [ -n "$(tarball "$m")" ] || echo "versions: no source tarball for PostgreSQL $m in $sources: $m is not tested"
    done
    for t in "${found[@]}"; do
        start=$SECONDS
        prefix=$(build "$t") || { echo "versions: 0 passed, 1 failed (the build of $(basename "$t"))"; exit 1; }
        echo "versions: PostgreSQL $("$prefix/bin/pg_config" --version | cut -d' ' -f2) ready ($((SECONDS - start)) s)"
        configs+=("$prefix/bin/pg_config")
    done
fi
$build_only && exit 0

work=$(mktemp -d /tmp/jwt_auth_versions.XXXXXX)
chmod 755 "$work"
server_data=
cleanup() {
    [ -z "$server_data" ] || as_server "'$PG_CONFIG_BINDIR/pg_ctl' -D '$server_data' -m immediate stop" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
total_passed=0
total_failed=0
status=0

# step NAME LOG COMMAND...: run one step of a major's run, its output into
# LOG, and count it by the closing lines it prints ("NAME: N passed, N
# failed"), or else as one test that passed when it exited 0.  What tells
# why a step failed goes to the major's whole output.
step() {
    local name=$1 log=$2 rc p f lines
    shift 2
    "$@" > "$log" 2>&1
    rc=$?
    lines=$(grep -E "$closing_line" "$log")
    if [ -n "$lines" ]; then
        read -r p f < <(closing_counts <<<"$lines")
    elif [ "$rc" -eq 0 ]; then
        p=1 f=0
    else
        p=0 f=1
    fi
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
    passed=$((passed + p))
    failed=$((failed + f))
    echo "  $name: $p passed, $f failed"
    if [ "$f" -gt 0 ]; then
        failure_excerpt "$log"
        return 1
    fi
}

# start_server OPTIONS...: (re)start the major's cluster with these settings.
start_server() {
    as_server "'$PG_CONFIG_BINDIR/pg_ctl' -D '$server_data' -l '$PG_SERVER_LOG' -w -t 120 -m fast \
        -o '$*' $(if [ -f "$server_data/postmaster.pid" ]; then echo restart; else echo start; fi)" >/dev/null
}

# on_cluster PG_CONFIG MAJOR TREE OUT: the suites, on a cluster of that build.
on_cluster() {
    local pg_config=$1 major=$2 tree=$3 out=$4

    # A cluster of this build: scram over TCP for every role, as pg_virtualenv makes them.
    export PG_CONFIG=$pg_config
    export PG_CONFIG_BINDIR
    PG_CONFIG_BINDIR=$("$pg_config" --bindir)
    export PATH=$PG_CONFIG_BINDIR:$ORIGINAL_PATH
    server_data=$work/pg$major/data
    export PG_SERVER_DATA=$server_data
    export PG_SERVER_LOG=$out/server.log
    mkdir -p "$server_data"
    export PGPASSWORD
    PGPASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    echo "$PGPASSWORD" > "$work/pg$major/pw"
    touch "$PG_SERVER_LOG"
    chown -R postgres "$work/pg$major" "$PG_SERVER_LOG" 2>/dev/null
    step initdb "$out/initdb.log" as_server "'$PG_CONFIG_BINDIR/initdb' -D '$server_data' -U postgres -E UTF8 \
        --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 --pwfile='$work/pg$major/pw'"
    export PGHOST=localhost PGUSER=postgres PGDATABASE=postgres
    PGPORT=$(free_port)
    export PGPORT
    # Settings as pg_virtualenv's clusters have them.
    cat >> "$server_data/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = 'localhost'
unix_socket_directories = '$work/pg$major'
fsync = off
timezone = 'Etc/UTC'
log_timezone = 'Etc/UTC'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
    step start "$out/start.log" start_server || return
    # README.md's Getting Started first: it makes role todo_app, as a new
    # user's cluster would have none.
    step docs "$out/docs.log" bash "$tree/test/docs.sh"
    # Nothing preloaded: every pg_regress file and isolation spec, and the
    # suites that depend on the server (test/suite.sh).
    # (The sign-in timing, printed and never asserted, is left to test/run.)
    CONCURRENCY_SECONDS=${CONCURRENCY_SECONDS:-20} SUITE_LOGS=$out/suite step suite "$out/suite.log" \
        bash "$tree/test/suite.sh" pg_regress isolation dump_restore pooler standby concurrency memory \
        managed logs pyjwt server_log
    # A small throttling table, still nothing preloaded: throttling.
    step restart "$out/restart.log" start_server -c jwt_auth.throttle_size=64
    step throttle "$out/throttle.log" bash "$tree/test/throttle.sh"
    # Preloaded: the todo app end to end, through PgBouncer and directly.
    step preload "$out/preload.log" start_server -c shared_preload_libraries=jwt_auth
    step e2e "$out/e2e.log" bash "$tree/test/e2e/run.sh"
    as_server "'$PG_CONFIG_BINDIR/pg_ctl' -D '$server_data' -m fast stop" >/dev/null 2>&1
    server_data=

    # The server's log: no crash, no failed assertion, no secret.
    check "no PANIC in the server log" "$(grep -c 'PANIC' "$PG_SERVER_LOG")" "^0$"
    check "no failed assertion (TRAP) in the server log" "$(grep -c 'TRAP:' "$PG_SERVER_LOG")" "^0$"
    check "no process died of a signal" "$(grep -cE 'terminated by signal|was terminated by exception' "$PG_SERVER_LOG")" "^0$"
    check "no secret in the server log" "$(secrets_in_log "$PG_SERVER_LOG" | wc -l)" "^0$"
}

# test_major PG_CONFIG: everything on one major.
test_major() {
    local pg_config=$1 version major tree out start=$SECONDS
    version=$("$pg_config" --version | cut -d' ' -f2)
    major=${version%%.*}
    suite=versions_$major
    passed=0
    failed=0
    out=$logs/$major
    rm -rf "$out"
    mkdir -p "$out"
    echo "versions: PostgreSQL $version ($pg_config)"

    # jwt_auth from a copy of this tree, so that this tree's build stays.
    tree=$work/jwt_auth-$major
    mkdir -p "$tree"
    tar -C "$top" --exclude=./.git --exclude=./node_modules --exclude=./test/output -cf - . | tar -C "$tree" -xf -
    chmod -R a+rX "$tree"
    make -C "$tree" -s clean PG_CONFIG="$pg_config" >/dev/null 2>&1
    if step build "$out/build.log" make -C "$tree" -s PG_CONFIG="$pg_config" COPT=-Werror &&
        step install "$out/install.log" make -C "$tree" -s PG_CONFIG="$pg_config" install; then
        step exports "$out/exports.log" bash "$tree/test/exports.sh"
        on_cluster "$pg_config" "$major" "$tree" "$out"
    fi

    echo "$suite: $passed passed, $failed failed ($((SECONDS - start)) s; whole outputs in $out/)"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    [ "$failed" -eq 0 ] || status=1
}

ORIGINAL_PATH=$PATH
for c in "${configs[@]}"; do
    test_major "$c"
done
echo "$total_passed passed, $total_failed failed"
exit "$status"
