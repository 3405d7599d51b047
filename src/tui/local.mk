noinst_LIBRARIES += libtui.a
libtui_a_SOURCES = \
	src/tui/tui.h
