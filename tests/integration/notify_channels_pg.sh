# notify_channels_pg.sh - notify_channels.sh with the control store on
# PostgreSQL.
BACKEND=pg
. "${SLUICE_SRCDIR:?}/tests/integration/notify_channels.sh"
