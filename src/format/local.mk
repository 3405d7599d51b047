noinst_LIBRARIES += libformat.a
libformat_a_SOURCES = \
	src/format/format.h \
	src/format/format_int.h \
	src/format/input.c \
	src/format/json.c \
	src/format/csv.c \
	src/format/types.c \
	src/format/reader.c \
	src/format/writer.c \
	src/format/normalize.c \
	src/format/gzip.c \
	src/format/thrift.c \
	src/format/parquet_codec.c \
	src/format/parquet_write.c \
	src/format/parquet_read.c

check_PROGRAMS += tests/unit/test_format
tests_unit_test_format_SOURCES = tests/unit/test_format.c tests/unit/testutil.h
tests_unit_test_format_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_format_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_format

# gzip files through pipes and the extract, made by gzip(1).
TESTS += tests/integration/gzip_files.sh tests/integration/gzip_files_pg.sh
# Parquet against an independent implementation (hyparquet, from npm:
# tests/parquet/package-lock.json, installed by scripts/test).
TESTS += tests/integration/parquet.sh tests/integration/parquet_pg.sh
EXTRA_DIST += tests/integration/parquet_lib.sh tests/parquet/package.json \
	tests/parquet/package-lock.json tests/parquet/read.mjs tests/parquet/write.mjs

check_PROGRAMS += tests/unit/test_parquet
tests_unit_test_parquet_SOURCES = tests/unit/test_parquet.c tests/unit/testutil.h
tests_unit_test_parquet_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_parquet_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_parquet
