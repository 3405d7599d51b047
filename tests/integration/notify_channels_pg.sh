# notify_channels_pg.sh - notify_channels.sh with the control store on
# PostgreSQL.
BACKEND=pg
OUTAGE=${OUTAGE:-20}     # the minute-long outage is notify_channels.sh's
. "${SLUICE_SRCDIR:?}/tests/integration/notify_channels.sh"
