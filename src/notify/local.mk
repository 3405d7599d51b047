noinst_LIBRARIES += libnotify.a
libnotify_a_SOURCES = \
	src/notify/notify.h \
	src/notify/notify_int.h \
	src/notify/notify.c \
	src/notify/send.c \
	src/notify/render.c \
	src/notify/slack.c \
	src/notify/email.c \
	src/notify/webhook.c

check_PROGRAMS += tests/unit/test_notify
tests_unit_test_notify_SOURCES = tests/unit/test_notify.c tests/unit/testutil.h \
	tests/unit/engine_testutil.h
tests_unit_test_notify_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_notify_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_notify
TESTS += tests/integration/notify_channels.sh tests/integration/notify_channels_pg.sh \
	tests/integration/notify_tls.sh
