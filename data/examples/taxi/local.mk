# The Prefect course's taxi flow as an example project, installed under
# $(pkgdatadir)/examples/taxi, with its end-to-end test (a local web
# server, a generated month of trips; SQLite and PostgreSQL).
taxidir = $(pkgdatadir)/examples/taxi
dist_taxi_DATA = data/examples/taxi/sluice.json data/examples/taxi/README.md
taxisqldir = $(pkgdatadir)/examples/taxi/sql
dist_taxisql_DATA = data/examples/taxi/sql/clean_trips.sql
TESTS += tests/integration/taxi_example.sh tests/integration/taxi_example_pg.sh
