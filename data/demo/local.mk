# The demo project's template (sluice.json with placeholders, SQL files in
# both dialects, a README), installed under $(pkgdatadir)/demo, where
# `sluice init --demo` finds it (src/cmd/demo_project.c).
demodir = $(pkgdatadir)/demo
dist_demo_DATA = data/demo/sluice.json data/demo/README.md
demosqlitedir = $(pkgdatadir)/demo/sql/sqlite
dist_demosqlite_DATA = \
	data/demo/sql/sqlite/analyze.sql \
	data/demo/sql/sqlite/stage_totesys.sql \
	data/demo/sql/sqlite/transform_orders.sql \
	data/demo/sql/sqlite/warehouse_schema.sql
demopgdir = $(pkgdatadir)/demo/sql/postgresql
dist_demopg_DATA = \
	data/demo/sql/postgresql/analyze.sql \
	data/demo/sql/postgresql/stage_totesys.sql \
	data/demo/sql/postgresql/transform_orders.sql \
	data/demo/sql/postgresql/warehouse_schema.sql

# The demo's tests: init and determinism, PostgreSQL, and a live minute.
TESTS += tests/integration/demo.sh tests/integration/demo_pg.sh \
	tests/integration/demo_existing.sh tests/integration/demo_existing_pg.sh \
	tests/integration/demo_live.sh
