# The demo: the ToteSys project init writes, the generator that fills its
# source, and the simulator that keeps it busy.  Below cmd/ (which gives it
# commands) and main (which runs it beside the console).
noinst_LIBRARIES += libdemo.a
libdemo_a_SOURCES = \
	src/demo/demo.h \
	src/demo/demo_int.h \
	src/demo/demo_data.c \
	src/demo/demo_mark.c \
	src/demo/demo_project.c \
	src/demo/demo_shop.c \
	src/demo/demo_sim.c \
	src/demo/demo_source.c \
	src/demo/demo_warehouse.c
