noinst_LIBRARIES += libcmd.a
libcmd_a_SOURCES = \
	src/cmd/cmd.h
