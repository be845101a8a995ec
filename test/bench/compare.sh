#!/usr/bin/env bash
# Sign-in, sign-up, refresh and verify of two builds of jwt_auth side by
# side in one run: the library of git revision REF against the work tree's,
# on one server, alternated round after round.  Prints each measure for
# both and their ratio; nothing here passes or fails on a timing.
#   PG_CONFIG=/path/to/bin/pg_config bash test/bench/compare.sh [REF]
# REF is origin/main by default, or main where there is no origin/main.
# The server: the one the PG* variables name (PGHOST or PGPORT set; a
# superuser, of PG_CONFIG's build), or else a throwaway cluster of that
# build (test/bench/lib.sh).  COMPARE_ROUNDS (10) sets the rounds;
# BENCH_SMOKE=1 makes every measure tiny.
#
# Both libraries are built from copies (git archive of REF, the work tree's
# files as they are), with PG_CONFIG.  The work tree's extension is
# installed (make install: its SQL files, control file and library); then
# each round puts one library, then the other, in place of jwt_auth.so in
# PG_CONFIG's library directory (copied beside it under a temporary name,
# then renamed over it) and measures through new connections, which load
# the library in place.  Only the library changes, so REF's install script
# must be the work tree's: compare.sh refuses otherwise.  It refuses too
# when the server preloads jwt_auth (shared_preload_libraries), since new
# connections would then keep the library loaded at the server's start.
# At the end the work tree's library is in place again, as make install
# left it; the database it made (jwt_auth_compare) is dropped.
set -euo pipefail
cd "$(dirname "$0")/../.."

ref=${1:-}
if [ -z "$ref" ]; then
    if git rev-parse -q --verify 'origin/main^{commit}' >/dev/null; then ref=origin/main; else ref=main; fi
fi
commit=$(git rev-parse -q --verify "$ref^{commit}") || { echo "compare: no git revision '$ref'" >&2; exit 2; }

. test/bench/lib.sh
pkglibdir=$("$PG_CONFIG" --pkglibdir)
work=$(mktemp -d /tmp/jwt_auth_compare.XXXXXX)
installed=
cleanup() {
    # The work tree's library back in place, as make install left it.
    if [ -n "$installed" ]; then
        cp "$work/tree/jwt_auth.so" "$pkglibdir/.jwt_auth.so.compare-$$" &&
            mv -f "$pkglibdir/.jwt_auth.so.compare-$$" "$pkglibdir/jwt_auth.so" || true
    fi
    bench_server_stop
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/ref" "$work/tree"
git archive "$commit" | tar -xf - -C "$work/ref"
bench_tree_copy "$work/tree"
for f in jwt_auth.sql jwt_auth.control; do
    if ! cmp -s "$work/ref/$f" "$work/tree/$f"; then
        echo "compare: $f of $ref differs from the work tree's: swapping only the library would not compare like with like" >&2
        exit 2
    fi
done

# The server first: nothing is installed for a server of another build.
if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    bench_server_check
else
    bench_server_start
fi
if psql -X -A -t -d "${PGDATABASE:-postgres}" -c 'SHOW shared_preload_libraries' | grep -qw jwt_auth; then
    echo "compare: the server preloads jwt_auth (shared_preload_libraries): a new connection would not load the library put in place" >&2
    exit 2
fi

echo "compare: building $ref ($(git rev-parse --short "$commit")) and the work tree with $PG_CONFIG" >&2
bench_build "$work/ref"
bench_build "$work/tree"
make -C "$work/tree" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
installed=1

tree_label="work tree ($(git rev-parse --short HEAD)$([ -z "$(git status --porcelain)" ] || echo ', with changes'))"
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 test/bench/compare.py "$pkglibdir" \
    "$ref ($(git rev-parse --short "$commit"))" "$work/ref/jwt_auth.so" \
    "$tree_label" "$work/tree/jwt_auth.so"
