# gzip_files_pg.sh - gzip_files.sh with the warehouse and the control store
# on PostgreSQL.
BACKEND=pg
. "${SLUICE_SRCDIR:?}/tests/integration/gzip_files.sh"
