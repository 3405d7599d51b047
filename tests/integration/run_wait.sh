#!/bin/bash
# run_wait.sh - Ctrl-C on `run --wait` with a live worker, on a SQLite
# control store and warehouse (see run_wait_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/run_wait_lib.sh"
CONTROL=
EXTRA_FLOWS=
WH_URL=sqlite:wh.db
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
wait_cases
echo "run_wait: ok"
