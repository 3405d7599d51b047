noinst_LIBRARIES += libsteps.a
libsteps_a_SOURCES = \
	src/steps/steps.h
