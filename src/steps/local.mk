noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h

# The framework and the data-moving step kinds.
libsteps_a_SOURCES += \
	src/steps/steps_int.h \
	src/steps/steps.c \
	src/steps/conns.c \
	src/steps/params.c \
	src/steps/lake_open.c \
	src/steps/sql.c \
	src/steps/load.c \
	src/steps/drift.c \
	src/steps/extract.c \
	src/steps/validate.c \
	src/steps/http.c \
	src/steps/notify.c
