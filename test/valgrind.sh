#!/usr/bin/env bash
# The regression files that exercise the C code hardest, against a server
# run under Valgrind's memcheck: no invalid read, write or free, and no use
# of uninitialised memory, in any stack that passes through jwt_auth.
# Starts its own cluster (as user postgres); run as root:
#   bash test/valgrind.sh [regress files...]
set -uo pipefail
suite=valgrind
cd "$(dirname "$0")/.."
. test/lib.sh

files=${*:-install verify hostile identity sessions session_scan issuers configure cache}
bin=$(pg_config --bindir)
dir=$(mktemp -d)
port=$(free_port)
chown postgres "$dir"
cleanup() {
    su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -m immediate stop" >/dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT

su postgres -s /bin/sh -c "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync" >/dev/null
su postgres -s /bin/sh -c "valgrind --quiet --trace-children=yes --leak-check=no --error-limit=no \
    --num-callers=30 --log-file='$dir/vg.%p.log' \
    '$bin/postgres' -D '$dir/data' -p $port -k '$dir' -c listen_addresses='' -c max_connections=20 \
    > '$dir/server.log' 2>&1 &"
for _ in $(seq 240); do
    pg_isready -q -h "$dir" -p "$port" && break
    sleep 0.5
done
check "server under valgrind is up" "$(pg_isready -h "$dir" -p "$port")" "accepting connections"

PGHOST=$dir PGPORT=$port PGUSER=postgres make -s installcheck REGRESS="$files" ISOLATION= > "$dir/regress.out" 2>&1
check "regression files pass under valgrind" "$(tail -3 "$dir/regress.out")" "All [0-9]+ tests passed"
su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -m fast stop" >/dev/null 2>&1

# One report per error; keep those with a jwt_auth frame.  Leave out the
# server's own writes of WAL pages (XLogWrite, reached from a commit in the
# revocation worker), whose unused bytes a stock build does not mark for
# Valgrind: they are PostgreSQL's, not jwt_auth's.
reports=$(awk '
    function keep(b) { return b ~ /jwt_auth/ && b !~ /XLog(Flush|Write)/ }
    /^==[0-9]+== [A-Z]/ && !/^==[0-9]+== +(at|by) / { if (keep(block)) print block; block = $0; next }
    /^==[0-9]+== / { block = block "\n" $0; next }
    END { if (keep(block)) print block }
' "$dir"/vg.*.log)
count=$(printf '%s' "$reports" | grep -cE "Invalid (read|write|free)|uninitialised|Mismatched free|overlap" || true)
[ "$count" -eq 0 ] || printf '%s\n' "$reports" | head -60 >&2
check "no memory errors in jwt_auth" "$count" "^0$"
echo "valgrind: $(ls "$dir"/vg.*.log | wc -l) processes checked, files: $files"
finish
