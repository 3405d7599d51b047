#!/bin/bash
# workers.sh - work pools and show workers on a SQLite control store (see
# workers_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/workers_lib.sh"
CONTROL=
pools_cases
echo "workers: ok"
