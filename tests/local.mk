# Tests.  Every test runs through tests/lib/run-test, which starts a
# throwaway PostgreSQL server for tests whose name says they need one.
TEST_EXTENSIONS = .sh
LOG_COMPILER = $(top_srcdir)/tests/lib/run-test
SH_LOG_COMPILER = $(top_srcdir)/tests/lib/run-test
AM_TESTS_ENVIRONMENT = \
	SLUICE_BIN='$(abs_top_builddir)/sluice'; export SLUICE_BIN; \
	SLUICE_SRCDIR='$(abs_top_srcdir)'; export SLUICE_SRCDIR; \
	SLUICE_BUILDDIR='$(abs_top_builddir)'; export SLUICE_BUILDDIR; \
	SLUICE_FIXTURES='$(abs_top_srcdir)/tests/data/totesys'; export SLUICE_FIXTURES;

TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LIBS = $(SLUICE_LIBS) $(DEP_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c tests/unit/testutil.h
tests_unit_test_core_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_core_LDADD = $(TEST_LIBS)

TESTS += tests/unit/test_core
TESTS += tests/integration/cli.sh tests/integration/secrets.sh tests/integration/xdg_dirs.sh
# --format table|json|csv and --json on the show commands.
TESTS += tests/integration/formats.sh
# show step: a step's definition as its run used it, and the diff since.
TESTS += tests/integration/show_step.sh
# A seeded random scenario (SEED=N replays one; OPS picks the kinds).
TESTS += tests/integration/invariants.sh tests/integration/invariants_pg.sh

# Headers shared by the SQLite and PostgreSQL suites of a module, whose
# rules are in the module's own local.mk: named here as sources of each
# suite that includes them, so that they ship in the tarball.
tests_unit_test_db_SOURCES += tests/unit/db_testutil.h
tests_unit_test_db_pg_SOURCES += tests/unit/db_testutil.h
tests_unit_test_pipes_SOURCES += tests/unit/pipes_suite.h
tests_unit_test_pipes_pg_SOURCES += tests/unit/pipes_suite.h
tests_unit_test_pipes_SOURCES += tests/unit/pipes_copy.h
tests_unit_test_pipes_pg_SOURCES += tests/unit/pipes_copy.h
tests_unit_test_pipes_SOURCES += tests/unit/pipes_stream_steps.h
tests_unit_test_pipes_pg_SOURCES += tests/unit/pipes_stream_steps.h
tests_unit_test_pipes_SOURCES += tests/unit/pipes_stream_deletes.h
tests_unit_test_pipes_pg_SOURCES += tests/unit/pipes_stream_deletes.h
tests_unit_test_store_SOURCES += tests/unit/store_testutil.h
tests_unit_test_store_pg_SOURCES += tests/unit/store_testutil.h
include tests/fuzz/local.mk
include tests/oracle/local.mk

# No module library uses a symbol of a module above it (SLUICE_LIBS order).
TESTS += tests/layering.sh
EXTRA_DIST += tests/layering.sh
# Every test file in the tree is in a TESTS list.
TESTS += tests/registered.sh
EXTRA_DIST += tests/registered.sh
