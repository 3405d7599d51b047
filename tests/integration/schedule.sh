#!/bin/bash
# schedule.sh - run --at, LATE, typed parameters and MISSED ticks on a
# SQLite control store (see schedule_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/schedule_lib.sh"
CONTROL=""
WH_URL="sqlite:wh.db"
schedule_cases
echo "schedule: ok"
