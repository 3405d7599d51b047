# Backfill and compare: above steps/ (the rebuild runs the flow's steps),
# below cmd/.
noinst_LIBRARIES += libbackfill.a
libbackfill_a_SOURCES = src/backfill/backfill.h src/backfill/compare.c \
	src/backfill/backfill_int.h src/backfill/backfill.c src/backfill/backfill_plan.c \
	src/backfill/backfill_run.c src/backfill/backfill_swap.c src/backfill/backfill_status.c \
	src/backfill/backfill_partitions.c

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
# Partitioned backfills: a range, one run per partition, reprocess, a crash.
TESTS += tests/integration/backfill_partitions.sh tests/integration/backfill_partitions_pg.sh
EXTRA_DIST += tests/integration/backfill_partitions_lib.sh
# A load's partition_column: a partition's run replaces its rows.
TESTS += tests/integration/partition_replace.sh tests/integration/partition_replace_pg.sh
EXTRA_DIST += tests/integration/partition_replace_lib.sh
# The rows a partition's replacement deleted, beside those it wrote.
TESTS += tests/integration/partition_counts.sh tests/integration/partition_counts_pg.sh
EXTRA_DIST += tests/integration/partition_counts_lib.sh
# A check of severity error that failed the rebuild, in the validation.
TESTS += tests/integration/backfill_failed_checks.sh
# {{table:NAME}}: a custom check and a sql step read the rebuilt table.
TESTS += tests/integration/backfill_tableref.sh tests/integration/backfill_tableref_pg.sh
EXTRA_DIST += tests/integration/backfill_tableref_lib.sh
# A rebuild begun in its own pool, taken over once an engine is up.
TESTS += tests/integration/backfill_takeover.sh
