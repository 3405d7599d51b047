noinst_LIBRARIES += libnotify.a
libnotify_a_SOURCES = \
	src/notify/notify.h
