#!/bin/bash
# The cron oracle: 2,000 random cron lines and start instants, sluice's
# next three ticks against python3-croniter's (tests/oracle/cron_croniter.py
# lists the intended differences).  SEED=N replays another draw.
set -euo pipefail
prog="$SLUICE_BUILDDIR/tests/oracle/cron_next"
if ! /usr/bin/python3 -c 'import croniter' 2>/dev/null; then
	echo "python3-croniter is missing (apt-get install python3-croniter)" >&2
	exit 99
fi
exec /usr/bin/python3 "$SLUICE_SRCDIR/tests/oracle/cron_croniter.py" "$prog" \
	"${CASES:-2000}" "${SEED:-11}"
