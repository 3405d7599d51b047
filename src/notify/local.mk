noinst_LIBRARIES += libnotify.a
libnotify_a_SOURCES = \
	src/notify/notify.h \
	src/notify/notify.c \
	src/notify/slack.c
