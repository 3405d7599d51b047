noinst_LIBRARIES += libdb.a
libdb_a_SOURCES = \
	src/db/db.h
