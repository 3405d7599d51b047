noinst_LIBRARIES += libproject.a
libproject_a_SOURCES = \
	src/project/project.h
