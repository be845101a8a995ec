#!/usr/bin/env bash
# The todo story, end to end, on a throwaway PostgreSQL cluster of its own
# (a free port, never the server on 5432): install what is missing, build,
# install the extension, then walk through examples/demo.sql.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/deps.sh demo
make -s
make -s install >/dev/null

# pg_virtualenv creates a temporary cluster, exports PGHOST/PGPORT/PGUSER/
# PGPASSWORD for the command, and drops the cluster afterwards.
pg_virtualenv -t -v 15 psql -X -q -v VERBOSITY=default -f examples/demo.sql
