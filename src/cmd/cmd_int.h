/*
 * cmd_int.h - shared between the files of cmd/: each command family
 * (cmd_check.c, cmd_show.c, ...) exports its table of entries here, and
 * small helpers for option parsing and output live in cmd_util.c.
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
extern const struct cmd_entry cmd_preview_entries[];
extern const struct cmd_entry cmd_shell_entries[];
extern const struct cmd_entry cmd_pipe_entries[];
extern const struct cmd_entry cmd_tables_entries[];
extern const struct cmd_entry cmd_init_entries[];
/* `demo simulate` (cmd_demo.c); its entry is in cmd_init.c's family. */
int demo_exec_simulate(struct cmd_ctx *ctx, int argc, char **argv, struct err *e);
extern const struct cmd_entry cmd_backfill_entries[];  /* backfill ... */
extern const struct cmd_entry cmd_store_entries[];     /* store prune */

/* --json output (json.c): one compact document a line; times ISO 8601 UTC
 * or null; strings or null. */
struct cJSON;
void cmd_json_print(FILE *fp, const struct cJSON *doc);
void cmd_json_add_time(struct cJSON *o, const char *key, usec_t t);
void cmd_json_add_str(struct cJSON *o, const char *key, const char *v);

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

/* A text table (table.c): ncols cells a row, row-major, each owned. */
struct cmd_table {
	size_t ncols;
	struct vec cells;          /* char * */
};
/* One row of ncols strings (NULL shows as "-"), copied. */
void cmd_table_add(struct cmd_table *t, ...);
/* Print with aligned columns, then free the cells. */
void cmd_table_print(FILE *fp, struct cmd_table *t);
void cmd_table_free(struct cmd_table *t);

/* The entry with exactly this name (a command's own descriptor). */
const struct cmd_entry *cmd_lookup(const char *name);

/* A parsed option list: flags that take no value, and --key value /
 * --key=value options.  Unknown options are usage errors naming them. */
struct cmd_opt_spec {
	const char *name;     /* "--wait", "--param", "-f" */
	const char *alias;    /* short form or NULL */
	bool takes_value;
	bool repeatable;
};

struct cmd_opts {
	struct vec names;      /* const char * (spec names) in order seen */
	struct vec values;     /* char * (NULL for flags) */
	struct vec positional; /* char * (borrowed from argv) */
};

int  cmd_parse_opts(const struct cmd_entry *ce, int argc, char **argv,
		    const struct cmd_opt_spec *specs, struct cmd_opts *out,
		    struct err *e);
void cmd_opts_free(struct cmd_opts *o);
bool cmd_opt_flag(const struct cmd_opts *o, const char *name);
/* Last value of an option, or NULL. */
const char *cmd_opt_value(const struct cmd_opts *o, const char *name);
/* Usage error for this command: "usage: sluice NAME ARGS". Returns EXIT_USAGE. */
int  cmd_usage_error(const struct cmd_entry *ce, struct err *e, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

/* The spec list of every command whose one option is --json. */
extern const struct cmd_opt_spec cmd_json_only_specs[];
/* Parse NAME's words when they may be --json and nothing else: the same
 * usage errors for all such commands.  Returns EXIT_OK or EXIT_USAGE. */
int  cmd_parse_json_only(const char *name, int argc, char **argv, bool *json,
			 struct err *e);

#endif
