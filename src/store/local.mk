noinst_LIBRARIES += libstore.a
libstore_a_SOURCES = \
	src/store/store.h \
	src/store/store_int.h \
	src/store/backfills.c \
	src/store/cache.c \
	src/store/loads.c \
	src/store/logs.c \
	src/store/logsink.c \
	src/store/notifyq.c \
	src/store/objects.c \
	src/store/prune.c \
	src/store/runs.c \
	src/store/schema.c \
	src/store/sql.c \
	src/store/steps.c \
	src/store/store.c \
	src/store/tasks.c \
	src/store/watermarks.c
