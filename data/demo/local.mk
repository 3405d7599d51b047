# The demo project's template (sluice.json with placeholders, the flows'
# queries in both dialects, a README), installed under $(pkgdatadir)/demo,
# where `sluice init --demo` finds it (src/demo/demo_project.c).  The
# warehouse schema is not here: init writes it in the warehouse's dialect
# from one definition (src/demo/demo_warehouse.c).
demodir = $(pkgdatadir)/demo
dist_demo_DATA = data/demo/sluice.json data/demo/README.md
demosqlitedir = $(pkgdatadir)/demo/sql/sqlite
dist_demosqlite_DATA = \
	data/demo/sql/sqlite/analyze.sql \
	data/demo/sql/sqlite/stage_totesys.sql \
	data/demo/sql/sqlite/transform_orders.sql
demopgdir = $(pkgdatadir)/demo/sql/postgresql
dist_demopg_DATA = \
	data/demo/sql/postgresql/analyze.sql \
	data/demo/sql/postgresql/stage_totesys.sql \
	data/demo/sql/postgresql/transform_orders.sql

# The demo's tests: init and determinism, PostgreSQL, one warehouse schema
# for both dialects, and a live minute.
TESTS += tests/integration/demo.sh tests/integration/demo_pg.sh \
	tests/integration/demo_schema_pg.sh \
	tests/integration/demo_existing.sh tests/integration/demo_existing_pg.sh \
	tests/integration/demo_live.sh
# The warehouse flow is incremental: surrogate keys, nothing new, backfill.
TESTS += tests/integration/demo_incremental.sh tests/integration/demo_incremental_pg.sh
