/*
 * cmd.h - the command language shared by the console prompt, `sluice shell`
 * and the one-shot command line.
 *
 * One table describes every command (name, usage, summary, whether it
 * changes anything, the options and arguments it takes and what kind of
 * object each names) in the manner of tmux's cmd_entry; one splitter
 * splits a line into words; one dispatcher finds the command, refuses
 * mutating commands in read-only mode (the only place that check lives),
 * parses its words by its declarations and runs it.  Completion reads the
 * same declarations.  Output goes to ctx->out, so the console can capture it.
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
	EXIT_RUNNING = 5,     /* worker --detach: a worker already runs here */
	EXIT_NOT_RUNNING = 6, /* worker status/stop: no worker runs here */
};

enum cmd_surface { SURFACE_CLI, SURFACE_SHELL, SURFACE_CONSOLE };

/* How a command prints: the global --format, or the command's own
 * --format / --json.  Table is every command's; the others are declared. */
enum cmd_format { CMD_FORMAT_TABLE, CMD_FORMAT_JSON, CMD_FORMAT_CSV };

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
	enum cmd_format format;     /* --format: where a command can print it */
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

/* What a word stands for.  Completion offers the project's objects of
 * the kind (or an option's choices), and the unit tests check each usage
 * line against it. */
enum cmd_kind {
	CMD_KIND_NONE = 0,      /* an option that takes no value */
	CMD_KIND_TEXT,          /* free text */
	CMD_KIND_NUMBER,
	CMD_KIND_DURATION,      /* "5s", "2m" */
	CMD_KIND_PARAM,         /* NAME=VALUE */
	CMD_KIND_CHOICE,        /* one of the option's choices */
	CMD_KIND_FLOW,
	CMD_KIND_TASK,
	CMD_KIND_PIPE,
	CMD_KIND_TABLE,
	CMD_KIND_CONNECTION,
	CMD_KIND_CHANNEL,
	CMD_KIND_RUN,           /* a run id */
	CMD_KIND_ID,            /* a notification id */
	CMD_KIND_FILE,          /* a file key in the lake */
	CMD_KIND_DIR,
	CMD_KIND_URL,
	CMD_KIND_COMMAND,       /* a command's name (help) */
};

struct cmd_option {
	const char *name;       /* "--limit" */
	const char *alias;      /* "-n", or NULL */
	enum cmd_kind value;    /* CMD_KIND_NONE: a flag without a value */
	const char *choices;    /* "debug|info|warn|error" for completion, or NULL */
	bool repeatable;        /* a value option given twice is otherwise an error */
};

#define CMD_FORMAT_BIT(f) (1u << (f))
#define CMD_PRINTS_JSON   CMD_FORMAT_BIT(CMD_FORMAT_JSON)
#define CMD_PRINTS_CSV    CMD_FORMAT_BIT(CMD_FORMAT_CSV)

/* Parse a --format word. */
bool cmd_format_parse(const char *word, enum cmd_format *out);
const char *cmd_format_name(enum cmd_format f);

enum { CMD_MAX_OPTIONS = 10, CMD_MAX_ARGS = 3 };
#define CMD_ARGS_MANY (-1)

struct cmd_entry;

/* What cmd_run parsed from the words after the command name, by the
 * entry's declarations, for its exec function. */
struct cmd_args {
	const struct cmd_entry *entry;
	enum cmd_format format;
	struct vec names;       /* const char * (the declared names) in order given */
	struct vec values;      /* char * (NULL for flags), parallel to names */
	struct vec positional;  /* char * (borrowed from argv) */
};

/* A command returns an exit code (enum exit_code); on failure it fills e. */
typedef int (*cmd_exec_fn)(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e);

struct cmd_entry {
	const char *name;           /* "pipe refresh": one or more words */
	const char *usage;          /* "PIPE [--force] [--file KEY]" (checked against below) */
	const char *summary;        /* one line for help */
	const char *help;           /* longer text for `sluice COMMAND --help`, or NULL */
	unsigned flags;             /* enum cmd_flags */
	unsigned formats;           /* CMD_PRINTS_*: output formats besides the table */
	struct cmd_option options[CMD_MAX_OPTIONS];   /* up to the first unnamed one */
	struct {
		int min, max;                     /* positional words; max CMD_ARGS_MANY */
		enum cmd_kind kinds[CMD_MAX_ARGS];  /* the last one named repeats */
	} args;
	cmd_exec_fn exec;
	/* An operator's action recorded in the audit (store_audit_next),
	 * in the transaction that takes it: the action's word, what its
	 * first argument names ("run": "run 13"), and, when set, the option
	 * without which the command is not audited ("--force"). */
	struct {
		const char *action, *object, *only_with;
	} audit;
};

/* Parse argv (the words after the command name) by the entry's
 * declarations: unknown options, missing values and a wrong number of
 * arguments are usage errors naming the command.  Returns 0 or -1. */
int  cmd_args_parse(const struct cmd_entry *ce, enum cmd_format format, int argc,
		    char **argv, struct cmd_args *out, struct err *e);
void cmd_args_free(struct cmd_args *a);
/* The declared option of this name or alias, or NULL. */
const struct cmd_option *cmd_option_find(const struct cmd_entry *ce, const char *word,
					 size_t len);
/* The kind of positional argument `index` (0-based), CMD_KIND_NONE past max. */
enum cmd_kind cmd_arg_kind(const struct cmd_entry *ce, int index);

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
 * `line`: command words, then option names, option values and object names
 * (flows, tasks, pipes, tables, connections, channels, run ids) where the
 * command's entry declares them.  Strings owned by `out`. */
void cmd_complete(struct cmd_ctx *ctx, const char *line, size_t point,
		  struct vec *out);

/* Every command, for help screens; ends with an entry whose name is NULL. */
const struct cmd_entry *cmd_table(void);
/* Print the command list (or one command's help) to fp. */
void cmd_print_help(FILE *fp, const char *command, bool include_cli_only);

/* `sluice shell`: a readline REPL over the same language. */
int  cmd_shell(struct cmd_ctx *ctx, struct err *e);

#endif
