noinst_LIBRARIES += libcore.a
libcore_a_SOURCES = \
	src/core/core.h \
	src/core/buf.c \
	src/core/calendar.c \
	src/core/clock.c \
	src/core/digest.c \
	src/core/env.c \
	src/core/err.c \
	src/core/file.c \
	src/core/keyset.c \
	src/core/linediff.c \
	src/core/log.c \
	src/core/str.c \
	src/core/xalloc.c
