# taxi_example_pg.sh - taxi_example.sh with the warehouse and the control
# store on PostgreSQL.
BACKEND=pg
. "${SLUICE_SRCDIR:?}/tests/integration/taxi_example.sh"
