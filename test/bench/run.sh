#!/usr/bin/env bash
# The benchmark: every figure measured side by side in one run and printed
# as a ratio, with the machine noted.  Nothing here passes or fails on a
# timing.
#   bash test/bench/run.sh           # full size (a few minutes)
#   BENCH_SMOKE=1 bash test/bench/run.sh   # tiny, as CI runs it
# By default it builds and installs jwt_auth into Debian's PostgreSQL 15 and
# runs on a throwaway cluster of it (pg_virtualenv); Debian 12, as root.
# On another build, or on a server of one's own (test/bench/lib.sh):
#   PG_CONFIG=/path/to/bin/pg_config bash test/bench/run.sh
#       # a throwaway cluster of that build
#   PG_CONFIG=... PGHOST=... PGPORT=... PGUSER=... bash test/bench/run.sh
#       # the server those name (a superuser; of that build)
# Either way jwt_auth is built from a copy of the work tree and installed
# with that pg_config.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${PG_CONFIG:-}${PGHOST:-}${PGPORT:-}" ]; then
    bash test/deps.sh
    make -s
    make -s install >/dev/null
    exec pg_virtualenv -t -v 15 -o shared_buffers=256MB /usr/bin/python3 test/bench/bench.py
fi

. test/bench/lib.sh
[ "$(id -u)" -ne 0 ] || bash test/deps.sh versions
work=$(mktemp -d /tmp/jwt_auth_bench_build.XXXXXX)
trap 'bench_server_stop; rm -rf "$work"' EXIT
# The server first: nothing is installed for a server of another build.
if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    bench_server_check
else
    bench_server_start
fi
bench_tree_copy "$work/tree"
bench_build "$work/tree"
make -C "$work/tree" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
/usr/bin/python3 test/bench/bench.py
