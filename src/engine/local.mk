noinst_LIBRARIES += libengine.a
libengine_a_SOURCES = \
	src/engine/engine.h \
	src/engine/engine_int.h \
	src/engine/engine.c \
	src/engine/events.c \
	src/engine/exec.c \
	src/engine/params.c \
	src/engine/pool.c \
	src/engine/sched.c \
	src/engine/submit.c \
	src/engine/supervisor.c
