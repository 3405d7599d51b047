noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h

# Pipes and streams, and the step kinds that use them.
libsteps_a_SOURCES += \
	src/steps/pipe_int.h \
	src/steps/pipe.c \
	src/steps/pipe_load.c \
	src/steps/pipe_table.c \
	src/steps/stream.c \
	src/steps/ingest.c \
	src/steps/normalize.c
