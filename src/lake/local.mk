noinst_LIBRARIES += liblake.a
liblake_a_SOURCES = \
	src/lake/lake.h
