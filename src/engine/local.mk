noinst_LIBRARIES += libengine.a
libengine_a_SOURCES = \
	src/engine/engine.h \
	src/engine/engine_int.h \
	src/engine/drain.c \
	src/engine/engine.c \
	src/engine/events.c \
	src/engine/exec.c \
	src/engine/httpd.c \
	src/engine/metrics.c \
	src/engine/params.c \
	src/engine/listen.c \
	src/engine/pool.c \
	src/engine/retention.c \
	src/engine/sched.c \
	src/engine/submit.c \
	src/engine/supervisor.c \
	src/engine/workers.c

check_PROGRAMS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c tests/unit/testutil.h \
	tests/unit/engine_testutil.h
tests_unit_test_engine_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_engine_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_engine

check_PROGRAMS += tests/unit/test_engine_tasks
tests_unit_test_engine_tasks_SOURCES = tests/unit/test_engine_tasks.c tests/unit/testutil.h \
	tests/unit/engine_testutil.h tests/unit/schedule_cases.h
tests_unit_test_engine_tasks_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_engine_tasks_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_engine_tasks

check_PROGRAMS += tests/unit/test_engine_pg
tests_unit_test_engine_pg_SOURCES = tests/unit/test_engine_pg.c tests/unit/testutil.h \
	tests/unit/engine_testutil.h tests/unit/schedule_cases.h
tests_unit_test_engine_pg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_engine_pg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_engine_pg

TESTS += tests/integration/runs_settle.sh tests/integration/runs_settle_pg.sh
TESTS += tests/integration/engine_run.sh tests/integration/engine_worker.sh \
	tests/integration/retention.sh tests/integration/retention_pg.sh \
	tests/integration/crash_pg.sh tests/integration/faults_pg.sh \
	tests/integration/faults_run_pg.sh \
	tests/integration/drain.sh tests/integration/drain_pg.sh \
	tests/integration/events.sh tests/integration/events_pg.sh \
	tests/integration/sched_wake_pg.sh \
	tests/integration/run_wait.sh tests/integration/run_wait_pg.sh \
	tests/integration/disk_full.sh tests/integration/sqlite_busy.sh \
	tests/integration/sqlite_lock_wait.sh \
	tests/integration/workers.sh tests/integration/workers_pg.sh

# A full disk under a PostgreSQL control store stops the engine (53100 is ERR_IO).
TESTS += tests/integration/disk_full_pg.sh

# run --at, LATE, catchup's MISSED ticks, typed parameters (issue 15).
TESTS += tests/integration/schedule.sh tests/integration/schedule_pg.sh
# a run marked LATE by its claim sends late_run once (w17).
TESTS += tests/integration/late_notify.sh tests/integration/late_notify_pg.sh

# `sluice worker --metrics` on a busy demo, checked by promtool.
TESTS += tests/integration/metrics.sh tests/integration/metrics_pg.sh
