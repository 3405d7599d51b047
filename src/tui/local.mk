# The console: main loop and frame, keys, prompt, theme, widgets, and one
# file per view (the registry in views.c lists them).
noinst_LIBRARIES += libtui.a
libtui_a_SOURCES = \
	src/tui/tui.h \
	src/tui/tui_int.h \
	src/tui/keys.h \
	src/tui/theme.h \
	src/tui/draw.h \
	src/tui/views.h \
	src/tui/widget_edit.h \
	src/tui/widget_list.h \
	src/tui/widget_pager.h \
	src/tui/widget_dialog.h \
	src/tui/widget_form.h \
	src/tui/widget_sparkline.h \
	src/tui/tui.c \
	src/tui/frame.c \
	src/tui/keys.c \
	src/tui/prompt.c \
	src/tui/script.c \
	src/tui/theme.c \
	src/tui/draw.c \
	src/tui/views.c \
	src/tui/data.c \
	src/tui/doc.c \
	src/tui/widget_edit.c \
	src/tui/widget_list.c \
	src/tui/widget_pager.c \
	src/tui/widget_dialog.c \
	src/tui/widget_form.c \
	src/tui/widget_sparkline.c \
	src/tui/view_list.c \
	src/tui/view_page.c \
	src/tui/view_help.c \
	src/tui/view_overview.c \
	src/tui/view_pipes.c \
	src/tui/view_streams.c \
	src/tui/view_tasks.c \
	src/tui/view_flows.c \
	src/tui/view_runs.c \
	src/tui/view_notifications.c \
	src/tui/view_run.c \
	src/tui/view_loads.c \
	src/tui/view_backfill.c \
	src/tui/view_table.c \
	src/tui/view_tables.c \
	src/tui/view_audit.c \
	src/tui/view_graph.c \
	src/tui/view_def.c \
	src/tui/view_backfills.c \
	src/tui/view_logs.c \
	src/tui/view_workers.c

check_PROGRAMS += tests/unit/test_tui
tests_unit_test_tui_SOURCES = tests/unit/test_tui.c tests/unit/testutil.h
tests_unit_test_tui_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tui_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_tui

# Builds real stores and warehouses for the console's tests and bench/console.
check_PROGRAMS += tests/console/mkfixture
tests_console_mkfixture_SOURCES = tests/console/fixture.c
tests_console_mkfixture_CFLAGS = $(TEST_CFLAGS)
tests_console_mkfixture_LDADD = $(SLUICE_LIBS) $(DEP_LIBS)

# The console tests that compare whole screens with tests/console/golden/.
# `make update-golden` runs them writing the goldens instead (review the
# diff before committing it); a plain test run only compares.
GOLDEN_TESTS = \
	tests/console/ascii.sh \
	tests/console/backfill_partitions.sh \
	tests/console/help.sh \
	tests/console/keys.sh \
	tests/console/sizes.sh \
	tests/console/truncation.sh \
	tests/console/views.sh \
	tests/console/problems.sh \
	tests/console/bulk.sh \
	tests/console/audit.sh \
	tests/console/graph.sh \
	tests/console/definition.sh \
	tests/console/small.sh \
	tests/console/watermarks.sh \
	tests/console/workers.sh \
	tests/console/schedule.sh \
	tests/console/env_switch.sh \
	tests/console/backfill_validation.sh
# The logs view's whole screen; a table's columns with its schema changes.
GOLDEN_TESTS += tests/console/logs.sh tests/console/table_changes.sh
.PHONY: update-golden
update-golden:
	SLUICE_UPDATE_GOLDEN=1 $(MAKE) $(AM_MAKEFLAGS) check TESTS='$(GOLDEN_TESTS)'

TESTS += \
	tests/console/workers.sh \
	tests/console/help.sh \
	tests/console/script.sh \
	tests/console/terminals.sh \
	tests/console/keys.sh \
	tests/console/sizes.sh \
	tests/console/truncation.sh \
	tests/console/resize.sh \
	tests/console/nocolor.sh \
	tests/console/prompt.sh \
	tests/console/ascii.sh \
	tests/console/header.sh \
	tests/console/idle.sh \
	tests/console/views.sh \
	tests/console/pipe_problems.sh \
	tests/console/pipe_validate.sh \
	tests/console/logs.sh \
	tests/console/readonly.sh \
	tests/console/readonly_user.sh \
	tests/console/actions.sh \
	tests/console/complete.sh \
	tests/console/backfill_demo.sh \
	tests/console/demo_console.sh \
	tests/console/watermarks.sh \
	tests/console/notifications.sh \
	tests/console/client.sh \
	tests/console/schedule.sh \
	tests/console/backfill_partitions.sh \
	tests/console/problems.sh \
	tests/console/bulk.sh \
	tests/console/audit.sh \
	tests/console/graph.sh \
	tests/console/definition.sh \
	tests/console/small.sh \
	tests/console/env_switch.sh \
	tests/console/backfill_validation.sh
TESTS += tests/console/table_changes.sh
# A check of severity error that failed the rebuild, on the backfill's page.
TESTS += tests/console/backfill_failed_checks.sh
# What a partition's run wrote and its replacement deleted, in the grid.
TESTS += tests/console/partition_counts.sh
