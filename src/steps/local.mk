noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h

# The framework and the data-moving step kinds.
libsteps_a_SOURCES += \
	src/steps/steps_int.h \
	src/steps/step_kinds.c \
	src/steps/ledger.c \
	src/pipes/conns.c \
	src/steps/step_params.c \
	src/steps/lake_open.c \
	src/steps/step_sql.c \
	src/steps/step_load.c \
	src/steps/merge.c \
	src/steps/drift.c \
	src/steps/extract_int.h \
	src/steps/extract.c \
	src/steps/extract_window.c \
	src/steps/validate.c \
	src/steps/step_http.c \
	src/steps/step_notify.c

check_PROGRAMS += tests/unit/test_steps tests/unit/test_steps_pg
tests_unit_test_steps_SOURCES = tests/unit/test_steps.c tests/unit/test_steps_fixture.h \
	tests/unit/steps_merge_cases.h tests/unit/testutil.h
tests_unit_test_steps_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_steps_LDADD = $(TEST_LIBS)
tests_unit_test_steps_pg_SOURCES = tests/unit/test_steps_pg.c tests/unit/test_steps_fixture.h \
	tests/unit/steps_merge_cases.h tests/unit/testutil.h
tests_unit_test_steps_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_steps_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_steps tests/unit/test_steps_pg

# Pipes and streams, and the step kinds that use them.
libsteps_a_SOURCES += \
	src/pipes/pipe_int.h \
	src/pipes/pipe.c \
	src/pipes/pipe_state.c \
	src/pipes/pipe_load.c \
	src/pipes/pipe_table.c \
	src/pipes/stream.c \
	src/pipes/stream_int.h \
	src/pipes/stream_store.c \
	src/steps/ingest.c \
	src/steps/step_normalize.c

check_PROGRAMS += tests/unit/test_pipes tests/unit/test_pipes_pg
tests_unit_test_pipes_SOURCES = tests/unit/test_pipes.c tests/unit/pipes_fixture.h \
	tests/unit/pipes_cases.h tests/unit/pipes_bad.h tests/unit/pipes_streams.h tests/unit/pipes_rules.h \
	tests/unit/testutil.h
tests_unit_test_pipes_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pipes_LDADD = $(TEST_LIBS)
tests_unit_test_pipes_pg_SOURCES = tests/unit/test_pipes_pg.c tests/unit/pipes_fixture.h \
	tests/unit/pipes_cases.h tests/unit/pipes_bad.h tests/unit/pipes_streams.h tests/unit/pipes_rules.h \
	tests/unit/testutil.h
tests_unit_test_pipes_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pipes_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_pipes tests/unit/test_pipes_pg

TESTS += tests/integration/identity.sh tests/integration/identity_pg.sh
TESTS += tests/integration/pipe_kill.sh tests/integration/pipe_kill_pg.sh \
	tests/integration/pipe_commands.sh tests/integration/pipe_rules.sh \
	tests/integration/pipe_rules_pg.sh

# The ToteSys warehouse, built by the real binary on SQLite and PostgreSQL,
# and the star schema's SQL it uses.
TESTS += tests/integration/totesys_steps.sh tests/integration/totesys_steps_pg.sh
# Extract windows on the source's own clock, and `show watermarks`.
TESTS += tests/integration/extract_windows.sh tests/integration/extract_windows_pg.sh
# ---- backfill and compare (steps/backfill.c, steps/compare.c) ----
libsteps_a_SOURCES += src/backfill/compare.c src/backfill/backfill_int.h src/backfill/backfill.c \
	src/backfill/backfill_plan.c src/backfill/backfill_run.c src/backfill/backfill_swap.c \
	src/backfill/backfill_status.c

check_PROGRAMS += tests/unit/test_compare tests/unit/test_compare_pg
EXTRA_DIST += tests/unit/test_compare_cases.c
tests_unit_test_compare_SOURCES = tests/unit/test_compare.c tests/unit/testutil.h
tests_unit_test_compare_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_compare_LDADD = $(TEST_LIBS)
tests_unit_test_compare_pg_SOURCES = tests/unit/test_compare_pg.c tests/unit/testutil.h
tests_unit_test_compare_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_compare_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_compare tests/unit/test_compare_pg

check_PROGRAMS += tests/unit/test_backfill tests/unit/test_backfill_pg
EXTRA_DIST += tests/unit/test_backfill_cases.c
tests_unit_test_backfill_SOURCES = tests/unit/test_backfill.c tests/unit/testutil.h
tests_unit_test_backfill_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_backfill_LDADD = $(TEST_LIBS)
tests_unit_test_backfill_pg_SOURCES = tests/unit/test_backfill_pg.c tests/unit/testutil.h
tests_unit_test_backfill_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_backfill_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_backfill tests/unit/test_backfill_pg

# The real binary: a backfill of the ToteSys warehouse; the command line;
# a process killed inside a step.
TESTS += tests/integration/backfill_totesys.sh tests/integration/backfill_totesys_pg.sh \
	tests/integration/backfill_cli.sh tests/integration/backfill_crash.sh \
	tests/integration/backfill_crash_pg.sh
