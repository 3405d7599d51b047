noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h

# The framework and the data-moving step kinds.
libsteps_a_SOURCES += \
	src/steps/steps_int.h \
	src/steps/steps.c \
	src/steps/conns.c \
	src/steps/params.c \
	src/steps/lake_open.c \
	src/steps/sql.c \
	src/steps/load.c \
	src/steps/drift.c \
	src/steps/extract.c \
	src/steps/validate.c \
	src/steps/http.c \
	src/steps/notify.c

check_PROGRAMS += tests/unit/test_steps tests/unit/test_steps_pg
tests_unit_test_steps_SOURCES = tests/unit/test_steps.c tests/unit/test_steps_fixture.h \
	tests/unit/testutil.h
tests_unit_test_steps_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_steps_LDADD = $(TEST_LIBS)
tests_unit_test_steps_pg_SOURCES = tests/unit/test_steps_pg.c tests/unit/test_steps_fixture.h \
	tests/unit/testutil.h
tests_unit_test_steps_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_steps_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_steps tests/unit/test_steps_pg

# Pipes and streams, and the step kinds that use them.
libsteps_a_SOURCES += \
	src/steps/pipe_int.h \
	src/steps/pipe.c \
	src/steps/pipe_load.c \
	src/steps/pipe_table.c \
	src/steps/pipe_hash.c \
	src/steps/stream.c \
	src/steps/ingest.c \
	src/steps/normalize.c

check_PROGRAMS += tests/unit/test_pipes tests/unit/test_pipes_pg
tests_unit_test_pipes_SOURCES = tests/unit/test_pipes.c tests/unit/pipes_fixture.h \
	tests/unit/pipes_cases.h tests/unit/pipes_bad.h tests/unit/pipes_streams.h tests/unit/testutil.h
tests_unit_test_pipes_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pipes_LDADD = $(TEST_LIBS)
tests_unit_test_pipes_pg_SOURCES = tests/unit/test_pipes_pg.c tests/unit/pipes_fixture.h \
	tests/unit/pipes_cases.h tests/unit/pipes_bad.h tests/unit/pipes_streams.h tests/unit/testutil.h
tests_unit_test_pipes_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pipes_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_pipes tests/unit/test_pipes_pg

TESTS += tests/integration/pipe_kill.sh tests/integration/pipe_kill_pg.sh \
	tests/integration/pipe_commands.sh

# The ToteSys warehouse, built by the real binary on SQLite and PostgreSQL,
# and the star schema's SQL it uses.
TESTS += tests/integration/totesys_steps.sh tests/integration/totesys_steps_pg.sh
