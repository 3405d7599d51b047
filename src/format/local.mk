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
	src/format/thrift.c \
	src/format/parquet_codec.c \
	src/format/parquet_write.c \
	src/format/parquet_read.c

check_PROGRAMS += tests/unit/test_format
tests_unit_test_format_SOURCES = tests/unit/test_format.c tests/unit/testutil.h
tests_unit_test_format_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_format_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_format
