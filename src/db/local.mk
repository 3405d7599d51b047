noinst_LIBRARIES += libdb.a
libdb_a_SOURCES = \
	src/db/db.h \
	src/db/db_int.h \
	src/db/db.c \
	src/db/copy.c \
	src/db/ddl.c \
	src/db/typemap.c \
	src/db/sqlite.c \
	src/db/sqlite_widen.c \
	src/db/pg.c \
	src/db/same_db.c

check_PROGRAMS += tests/unit/test_db tests/unit/test_db_pg
tests_unit_test_db_SOURCES = tests/unit/test_db.c tests/unit/testutil.h
tests_unit_test_db_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_db_LDADD = $(TEST_LIBS)
tests_unit_test_db_pg_SOURCES = tests/unit/test_db_pg.c tests/unit/testutil.h
tests_unit_test_db_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_db_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_db tests/unit/test_db_pg
