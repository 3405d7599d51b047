noinst_LIBRARIES += libcmd.a
libcmd_a_SOURCES = \
	src/cmd/cmd.h \
	src/cmd/cmd_int.h \
	src/cmd/cmd.c \
	src/cmd/cmd_check.c \
	src/cmd/cmd_flows.c \
	src/cmd/cmd_watermarks.c \
	src/cmd/cmd_notify.c \
	src/cmd/cmd_general.c \
	src/cmd/cmd_logs.c \
	src/cmd/cmd_run.c \
	src/cmd/cmd_task.c \
	src/cmd/cmd_worker.c \
	src/cmd/cmd_workers.c \
	src/cmd/cmd_audit.c \
	src/cmd/cmd_step_def.c \
	src/cmd/daemon.h \
	src/cmd/daemon.c \
	src/cmd/cmd_preview.c \
	src/cmd/complete.c \
	src/cmd/ctx.c \
	src/cmd/cmd_json.c \
	src/cmd/opts.c \
	src/cmd/table.c \
	src/cmd/shell.c \
	src/cmd/cmd_pipe.c \
	src/cmd/cmd_tables.c \
	src/cmd/cmd_demo.c \
	src/cmd/cmd_init.c \
	src/cmd/cmd_backfill.c \
	src/cmd/cmd_store.c

check_PROGRAMS += tests/unit/test_cmd
tests_unit_test_cmd_SOURCES = tests/unit/test_cmd.c tests/unit/testutil.h
tests_unit_test_cmd_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_cmd_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_cmd
# `worker --detach`, `worker status`, `worker stop`: the daemon's life.
TESTS += tests/integration/worker_daemon.sh tests/integration/worker_daemon_pg.sh
# Environments that move other data: a store and a daemon of their own.
TESTS += tests/integration/environments.sh
# The log form journald keeps, under systemd (JOURNAL_STREAM).
TESTS += tests/integration/worker_journal.sh
# The systemd unit make install puts in place, verified by systemd-analyze.
TESTS += tests/integration/systemd_unit.sh
# `show table`: each column's note and the table's schema changes, listed.
TESTS += tests/integration/show_table.sh tests/integration/show_table_pg.sh
# `task execute` of a SQL task on a real engine: the message an operator reads.
TESTS += tests/integration/task_execute.sh
