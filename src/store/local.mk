noinst_LIBRARIES += libstore.a
libstore_a_SOURCES = \
	src/store/store.h \
	src/store/store_int.h \
	src/store/audit.c \
	src/store/backfills.c \
	src/store/cache.c \
	src/store/identity.c \
	src/store/link.c \
	src/store/listen.c \
	src/store/evsock.c \
	src/store/loads.c \
	src/store/logs.c \
	src/store/logsink.c \
	src/store/metric_reads.c \
	src/store/notifyq.c \
	src/store/object_states.c \
	src/store/prune.c \
	src/store/runs.c \
	src/store/schema.c \
	src/store/step_history.c \
	src/store/step_defs.c \
	src/store/store.c \
	src/store/store_sql.c \
	src/store/task_history.c \
	src/store/watermarks.c

check_PROGRAMS += tests/unit/test_store tests/unit/test_store_pg
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/testutil.h
tests_unit_test_store_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_store_LDADD = $(TEST_LIBS)
tests_unit_test_store_pg_SOURCES = tests/unit/test_store_pg.c tests/unit/testutil.h
tests_unit_test_store_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_store_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_store tests/unit/test_store_pg
# A PostgreSQL store's errors name its server and database, no password (w18).
TESTS += tests/integration/store_label_pg.sh
