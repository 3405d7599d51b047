noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h

# The framework and the data-moving step kinds.
libsteps_a_SOURCES += \
	src/steps/steps_int.h \
	src/steps/step_kinds.c \
	src/steps/step_def.c \
	src/steps/ledger.c \
	src/steps/step_params.c \
	src/steps/lake_open.c \
	src/steps/step_sql.c \
	src/steps/step_stream_sql.c \
	src/steps/step_load.c \
	src/steps/merge.c \
	src/steps/drift.c \
	src/steps/extract_int.h \
	src/steps/extract.c \
	src/steps/extract_window.c \
	src/steps/validate.c \
	src/steps/step_http.c \
	src/steps/step_notify.c \
	src/steps/ingest.c \
	src/steps/step_normalize.c

check_PROGRAMS += tests/unit/test_steps tests/unit/test_steps_pg
tests_unit_test_steps_SOURCES = tests/unit/test_steps.c tests/unit/test_steps_fixture.h \
	tests/unit/steps_merge_cases.h tests/unit/testutil.h \
	tests/unit/steps_pushdown_cases.h tests/unit/steps_sql_count_cases.h
tests_unit_test_steps_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_steps_LDADD = $(TEST_LIBS)
tests_unit_test_steps_pg_SOURCES = tests/unit/test_steps_pg.c tests/unit/test_steps_fixture.h \
	tests/unit/steps_merge_cases.h tests/unit/testutil.h \
	tests/unit/steps_pushdown_cases.h tests/unit/steps_sql_count_cases.h
tests_unit_test_steps_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_steps_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_steps tests/unit/test_steps_pg

# The ToteSys warehouse, built by the real binary on SQLite and PostgreSQL,
# and the star schema's SQL it uses.
TESTS += tests/integration/totesys_steps.sh tests/integration/totesys_steps_pg.sh
# Extract windows on the source's own clock, and `show watermarks`.
TESTS += tests/integration/extract_windows.sh tests/integration/extract_windows_pg.sh
# The http step against a real web server (tests/lib/http_files.py).
TESTS += tests/integration/http_step.sh
# A load's path (inside one database, or copied) as the run's log shows it.
TESTS += tests/integration/load_path.sh tests/integration/load_path_pg.sh
