#!/usr/bin/env bash
# The benchmark: every figure measured side by side in one run and printed
# as a ratio, with the machine noted.  Nothing here passes or fails on a
# timing.  Starts a throwaway cluster of its own; Debian 12, as root.
#   bash test/bench/run.sh           # full size (a few minutes)
#   BENCH_SMOKE=1 bash test/bench/run.sh   # tiny, as CI runs it
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/deps.sh
make -s
make -s install >/dev/null
exec pg_virtualenv -t -v 15 -o shared_buffers=256MB /usr/bin/python3 test/bench/bench.py
