/*
 * cmd.h - the command language shared by the console prompt, `sluice shell`
 * and the one-shot command line.
 *
 * One table describes every command (name, usage, summary, whether it
 * changes anything) in the manner of tmux's cmd-*.c descriptors; one parser
 * splits a line into words; one dispatcher finds the command, refuses
 * mutating commands in read-only mode (the only place that check lives),
 * and runs it.  Output goes to ctx->out, so the console can capture it.
 */
#ifndef SLUICE_CMD_H
#define SLUICE_CMD_H

#include <stdio.h>

#include "core/core.h"

struct project;
struct store;

/* Exit codes of the command line (documented in sluice(1)). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,      /* the command ran and failed, or found problems */
	EXIT_USAGE = 2,       /* bad arguments, unreadable project file */
	EXIT_CANCELLED = 3,   /* the run was cancelled */
	EXIT_READONLY = 4,    /* refused: read-only mode */
};

enum cmd_surface { SURFACE_CLI, SURFACE_SHELL, SURFACE_CONSOLE };

/* Where a command runs.  The caller fills the options; the dispatcher
 * loads the project and opens the store lazily for commands that need them,
 * and cmd_ctx_close releases what it opened. */
struct cmd_ctx {
	/* options */
	const char *project_file;   /* resolved path of sluice.json */
	const char *env;            /* environment name or NULL */
	const char *control_url;    /* --control override or NULL */
	bool read_only;             /* --read-only / monitor; the environment may add it */
	bool no_color;
	enum cmd_surface surface;
	FILE *out;                  /* normal output */
	FILE *errout;               /* diagnostics and progress */

	/* loaded on demand */
	struct project *project;
	struct store *store;
	char *user;                 /* "alice@bastion" for audit fields */
};

void cmd_ctx_init(struct cmd_ctx *ctx, enum cmd_surface surface);
void cmd_ctx_close(struct cmd_ctx *ctx);
/* Load the project (reporting its diagnostics to errout) and apply the
 * environment's read_only flag.  Idempotent. */
int  cmd_ctx_project(struct cmd_ctx *ctx, struct err *e);
/* Open the control store for the project (read-only when ctx is). */
int  cmd_ctx_store(struct cmd_ctx *ctx, struct err *e);

enum cmd_flags {
	CMD_MUTATES      = 1 << 0,  /* changes state: refused when read-only */
	CMD_NEEDS_PROJECT = 1 << 1,
	CMD_NEEDS_STORE  = 1 << 2,
	CMD_CLI_ONLY     = 1 << 3,  /* not offered at the console prompt or shell */
	CMD_HIDDEN       = 1 << 4,  /* not listed in help */
};

/* A command returns an exit code (enum exit_code); on failure it fills e. */
typedef int (*cmd_exec_fn)(struct cmd_ctx *ctx, int argc, char **argv,
			   struct err *e);

struct cmd_entry {
	const char *name;           /* "pipe refresh": one or more words */
	const char *args;           /* "NAME [--force]" */
	const char *summary;        /* one line for help */
	const char *help;           /* longer text for `sluice COMMAND --help`, or NULL */
	unsigned flags;             /* enum cmd_flags */
	cmd_exec_fn exec;           /* argv[0] is the first word after the name */
};

/* Split a command line into words: whitespace separates, single and double
 * quotes group, backslash escapes.  Returns -1 with ERR_PARSE and a column
 * on an unterminated quote. */
int  cmd_split(const char *line, struct vec *words, struct err *e);

/* Find the command named by the leading words of argv (longest match).
 * *consumed is how many words the name took. */
const struct cmd_entry *cmd_find(int argc, char **argv, int *consumed);

/* Run argv as a command in ctx.  Unknown commands, read-only refusals and
 * usage errors come back as exit codes with e filled. */
int  cmd_run(struct cmd_ctx *ctx, int argc, char **argv, struct err *e);
/* The same for one line of text (prompt, shell). */
int  cmd_run_line(struct cmd_ctx *ctx, const char *line, struct err *e);

/* Tab completion: candidates for the word being typed at `point` of
 * `line`: command words, then object names (flows, tasks, pipes, streams,
 * tables, runs) where the usage expects them.  Strings owned by `out`. */
void cmd_complete(struct cmd_ctx *ctx, const char *line, size_t point,
		  struct vec *out);

/* Every command, for help screens; ends with an entry whose name is NULL. */
const struct cmd_entry *cmd_table(void);
/* Print the command list (or one command's help) to fp. */
void cmd_print_help(FILE *fp, const char *command, bool include_cli_only);

/* `sluice shell`: a readline REPL over the same language. */
int  cmd_shell(struct cmd_ctx *ctx, struct err *e);

#endif
