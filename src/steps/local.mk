noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h

# ---- backfill and compare (steps/backfill.c, steps/compare.c) ----
libsteps_a_SOURCES += src/steps/compare.c

check_PROGRAMS += tests/unit/test_compare tests/unit/test_compare_pg
EXTRA_DIST += tests/unit/test_compare_cases.c
tests_unit_test_compare_SOURCES = tests/unit/test_compare.c tests/unit/testutil.h
tests_unit_test_compare_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_compare_LDADD = $(TEST_LIBS)
tests_unit_test_compare_pg_SOURCES = tests/unit/test_compare_pg.c tests/unit/testutil.h
tests_unit_test_compare_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_compare_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_compare tests/unit/test_compare_pg
