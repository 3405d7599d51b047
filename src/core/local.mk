noinst_LIBRARIES += libcore.a
libcore_a_SOURCES = \
	src/core/core.h \
	src/core/buf.c \
	src/core/clock.c \
	src/core/err.c \
	src/core/file.c \
	src/core/keyset.c \
	src/core/log.c \
	src/core/sha256.c \
	src/core/sha256_ni.c \
	src/core/core_int.h \
	src/core/str.c \
	src/core/xalloc.c
