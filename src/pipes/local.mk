# Pipes and streams, and the data connections they and the step kinds run
# on (steps/ builds on this library, backfill/ on steps/).
noinst_LIBRARIES += libpipes.a
libpipes_a_SOURCES = \
	src/pipes/pipes.h \
	src/pipes/conns.c \
	src/pipes/pipe_int.h \
	src/pipes/pipe.c \
	src/pipes/pipe_state.c \
	src/pipes/pipe_load.c \
	src/pipes/pipe_after.c \
	src/pipes/pipe_validate.c \
	src/pipes/pipe_table.c \
	src/pipes/stream.c \
	src/pipes/stream_int.h \
	src/pipes/stream_store.c \
	src/pipes/stream_deletes.c \
	src/pipes/run_shared.c

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
TESTS += tests/integration/pipe_validate.sh
TESTS += tests/integration/stream_deletes.sh tests/integration/stream_deletes_pg.sh
EXTRA_DIST += tests/integration/stream_deletes_lib.sh
TESTS += tests/integration/stream_before_pipe.sh tests/integration/stream_before_pipe_pg.sh
EXTRA_DIST += tests/integration/stream_before_pipe_lib.sh
