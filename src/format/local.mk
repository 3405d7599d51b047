noinst_LIBRARIES += libformat.a
libformat_a_SOURCES = \
	src/format/format.h
