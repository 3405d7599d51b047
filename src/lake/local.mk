noinst_LIBRARIES += liblake.a
liblake_a_SOURCES = \
	src/lake/lake.h \
	src/lake/lake_int.h \
	src/lake/lake.c \
	src/lake/lake_file.c \
	src/lake/curl.c \
	src/lake/http.c \
	src/lake/sigv4.c \
	src/lake/s3.c \
	src/lake/download.c

check_PROGRAMS += tests/unit/test_lake
tests_unit_test_lake_SOURCES = tests/unit/test_lake.c tests/unit/testutil.h
tests_unit_test_lake_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_lake_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_lake
