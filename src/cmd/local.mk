noinst_LIBRARIES += libcmd.a
libcmd_a_SOURCES = \
	src/cmd/cmd.h \
	src/cmd/cmd_int.h \
	src/cmd/cmd.c \
	src/cmd/cmd_check.c \
	src/cmd/cmd_general.c \
	src/cmd/cmd_preview.c \
	src/cmd/complete.c \
	src/cmd/ctx.c \
	src/cmd/opts.c \
	src/cmd/shell.c
