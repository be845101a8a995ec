#!/usr/bin/env bash
# The whole example on localhost: a throwaway PostgreSQL cluster with
# jwt_auth and the todo schema, PgBouncer in transaction mode in front of
# it, and the FastAPI app through PgBouncer.  Prints curl lines to try it;
# Ctrl-C stops everything and drops the cluster.  Debian 12, as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh
make -s
make -s install >/dev/null
exec pg_virtualenv -t -v 15 bash examples/fastapi/serve.sh
