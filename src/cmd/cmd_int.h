/*
 * cmd_int.h - shared between the files of cmd/: each command family
 * (cmd_check.c, cmd_flows.c, ...) exports its table of entries here, and
 * the helpers for parsed options (opts.c) and output (table.c,
 * cmd_json.c) are declared here.
 */
#ifndef SLUICE_CMD_INT_H
#define SLUICE_CMD_INT_H

#include "cmd/cmd.h"

#include <signal.h>

/* Each family's entries end with a { NULL } entry. */
extern const struct cmd_entry cmd_general_entries[];
extern const struct cmd_entry cmd_check_entries[];
extern const struct cmd_entry cmd_run_entries[];     /* run, cancel, retry */
extern const struct cmd_entry cmd_task_entries[];    /* task ..., show tasks, show task-history */
extern const struct cmd_entry cmd_flows_entries[];   /* show flows, show runs, show run */
extern const struct cmd_entry cmd_watermarks_entries[];  /* show watermarks */
extern const struct cmd_entry cmd_notify_entries[];  /* show notifications, notify ... */
extern const struct cmd_entry cmd_logs_entries[];
extern const struct cmd_entry cmd_worker_entries[];
extern const struct cmd_entry cmd_workers_entries[];
extern const struct cmd_entry cmd_preview_entries[];
extern const struct cmd_entry cmd_shell_entries[];
extern const struct cmd_entry cmd_pipe_entries[];
extern const struct cmd_entry cmd_tables_entries[];
extern const struct cmd_entry cmd_init_entries[];
/* `demo simulate` (cmd_demo.c); its entry is in cmd_init.c's family. */
int cmd_demo_simulate_exec(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e);
extern const struct cmd_entry cmd_backfill_entries[];  /* backfill ... */
extern const struct cmd_entry cmd_store_entries[];     /* store prune */
extern const struct cmd_entry cmd_audit_entries[];     /* show audit */
extern const struct cmd_entry cmd_step_def_entries[];  /* show step */

/* JSON output (cmd_json.c): one compact document a line; times ISO 8601 UTC
 * or null; strings or null. */
struct cJSON;
void cmd_json_print(FILE *fp, const struct cJSON *doc);
void cmd_json_add_time(struct cJSON *o, const char *key, usec_t t);
void cmd_json_add_str(struct cJSON *o, const char *key, const char *v);

/* A table's schema changes (struct store_schema_change *, newest first)
 * as show tables and show table print them (cmd_tables.c): a JSON array
 * of {column, change, old_type, new_type, run, at}, or a text table. */
struct cJSON *cmd_schema_changes_json(const struct vec *changes);
void cmd_schema_changes_print(FILE *fp, enum cmd_format format, const struct vec *changes);
/* The project's note on a column of a "tables" entry (NULL: none). */
struct project_table;
const char *cmd_column_note(const struct project_table *note, const char *column);

/* The control store's URL: --control, else the project's (ctx.c). */
const char *cmd_ctx_store_url(const struct cmd_ctx *ctx);

/* Commands that stop on a signal (run, backfill next, worker) take INT,
 * TERM and HUP themselves: block them in this thread, and so in every
 * thread it starts, before the first one; *old is the mask to restore. */
void cmd_block_stop_signals(sigset_t *set, sigset_t *old);
/* The stop signal that came within ms, or 0. */
int  cmd_wait_signal(const sigset_t *set, int ms);
/* The same, but also returns 0 as soon as `fd` is readable (an engine's
 * event descriptor): a signal is noticed within a few tens of ms. */
int  cmd_wait_signal_or_fd(const sigset_t *set, int fd, int ms);

/* A text table (table.c): ncols cells a row, row-major, each owned; the
 * first row is the header.  Printed as aligned columns, or as CSV. */
struct cmd_table {
	size_t ncols;
	enum cmd_format format;    /* CMD_FORMAT_CSV: RFC 4180, else columns */
	/* Fixed printf widths ("%-24s " is -24), one space apart, for the
	 * lists that have always been printed so; NULL: as wide as the widest
	 * cell, two spaces apart. */
	const int *widths;
	struct vec cells;          /* char *, NULL for an absent value */
};
/* One row of ncols strings (NULL shows as "-", or an empty CSV field), copied. */
void cmd_table_add(struct cmd_table *t, ...);
/* One cell (NULL: absent), copied: rows of a width known at run time. */
void cmd_table_push(struct cmd_table *t, const char *cell);
/* Print, then free the cells. */
void cmd_table_print(FILE *fp, struct cmd_table *t);
void cmd_table_free(struct cmd_table *t);

/* Options of the parsed words (opts.c): was the flag given; the last value
 * of an option, or NULL. */
bool cmd_opt_flag(const struct cmd_args *a, const char *name);
const char *cmd_opt_value(const struct cmd_args *a, const char *name);
/* A run id word ("7" or "#7"); a usage error of this command otherwise. */
int  cmd_parse_run_id(const struct cmd_entry *ce, const char *word, int64_t *id,
		      struct err *e);
/* Usage error for this command: "usage: sluice NAME ARGS". Returns EXIT_USAGE. */
int  cmd_usage_error(const struct cmd_entry *ce, struct err *e, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

#endif
