/*
 * cmd.c - the command table, the line splitter, dispatch and help.
 *
 * The read-only rule lives here and only here: a command flagged
 * CMD_MUTATES is refused before it runs when the context is read-only,
 * whichever surface (console, shell, command line) asked.
 */
#include "cmd/cmd_int.h"
#include "store/store.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct cmd_entry *const families[] = {
	cmd_general_entries,
	cmd_check_entries,
	cmd_run_entries,
	cmd_task_entries,
	cmd_flows_entries,
	cmd_watermarks_entries,
	cmd_notify_entries,
	cmd_logs_entries,
	cmd_worker_entries,
	cmd_workers_entries,
	cmd_shell_entries,
	cmd_pipe_entries,
	cmd_tables_entries,
	cmd_preview_entries,
	cmd_init_entries,
	cmd_backfill_entries,
	cmd_store_entries,
	cmd_audit_entries,
	cmd_step_def_entries,
};

#define MAX_COMMANDS 128
static struct cmd_entry all_commands[MAX_COMMANDS + 1];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
	size_t n = 0;
	for (size_t f = 0; f < ARRAY_LEN(families); f++)
		for (const struct cmd_entry *ce = families[f]; ce->name; ce++)
			if (n < MAX_COMMANDS)
				all_commands[n++] = *ce;
	all_commands[n].name = NULL;
}

const struct cmd_entry *cmd_table(void)
{
	pthread_once(&table_once, build_table);
	return all_commands;
}

int cmd_split(const char *line, struct vec *words, struct err *e)
{
	const char *p = line;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		struct buf word = BUF_INIT;
		char quote = 0;
		const char *opened = NULL;
		buf_puts(&word, "");
		while (*p && (quote || !isspace((unsigned char)*p))) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
				opened = p;
			} else if (*p == '\\' && quote != '\'' && p[1]) {
				buf_putc(&word, *++p);
			} else {
				buf_putc(&word, *p);
			}
			p++;
		}
		if (quote) {
			buf_free(&word);
			char where[32];
			snprintf(where, sizeof where, "column %d", (int)(opened - line) + 1);
			return err_at(e, ERR_PARSE, where, "unterminated %s quote",
				      quote == '"' ? "double" : "single");
		}
		vec_push(words, buf_detach(&word));
	}
}

/* Does the command name (space separated words) match argv's head? */
static int name_words_match(const char *name, int argc, char **argv)
{
	int used = 0;
	const char *p = name;
	while (*p) {
		const char *space = strchr(p, ' ');
		size_t len = space ? (size_t)(space - p) : strlen(p);
		if (used >= argc || strlen(argv[used]) != len ||
		    strncmp(argv[used], p, len) != 0)
			return 0;
		used++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return used;
}

const struct cmd_entry *cmd_find(int argc, char **argv, int *consumed)
{
	const struct cmd_entry *best = NULL;
	int best_used = 0;
	for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
		int used = name_words_match(ce->name, argc, argv);
		if (used > best_used) {
			best = ce;
			best_used = used;
		}
	}
	if (consumed)
		*consumed = best_used;
	return best;
}

/* Commands sharing a first word ("pipe refresh", "pipe pause"), for the
 * message when only the family was given. */
static void list_family(const char *word, struct buf *out)
{
	size_t wl = strlen(word);
	for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
		if (strncmp(ce->name, word, wl) == 0 && ce->name[wl] == ' ') {
			if (out->len)
				buf_puts(out, ", ");
			buf_puts(out, ce->name);
		}
	}
}

static const char *surface_name(enum cmd_surface s)
{
	return s == SURFACE_CONSOLE ? "console" : s == SURFACE_SHELL ? "shell" : "command line";
}

/* An audited command announces its action to the store before it runs:
 * the next commit, the action's own, writes the record. */
static void audit_announce(struct cmd_ctx *ctx, const struct cmd_entry *ce,
			   const struct cmd_args *args, int argc, char **argv)
{
	if (!ce->audit.action || !ctx->store)
		return;
	bool given = !ce->audit.only_with;
	for (size_t i = 0; !given && i < args->names.len; i++)
		given = str_eq(args->names.items[i], ce->audit.only_with);
	if (!given)
		return;
	const char *arg = args->positional.len ? args->positional.items[0] : "";
	char *object = xasprintf("%s %s", ce->audit.object, arg);
	struct buf line = BUF_INIT;
	for (int i = 0; i < argc; i++)
		buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
	store_audit_next(ctx->store, ce->audit.action, object, ctx->user,
			 surface_name(ctx->surface), buf_str(&line));
	buf_free(&line);
	free(object);
}

int cmd_run(struct cmd_ctx *ctx, int argc, char **argv, struct err *e)
{
	if (argc == 0)
		return err_set(e, ERR_INVALID, "no command given"), EXIT_USAGE;
	int used = 0;
	const struct cmd_entry *ce = cmd_find(argc, argv, &used);
	if (!ce || (ctx->surface != SURFACE_CLI && (ce->flags & CMD_CLI_ONLY))) {
		struct buf family = BUF_INIT;
		list_family(argv[0], &family);
		if (family.len)
			err_set(e, ERR_INVALID, "'%s' needs a subcommand: %s",
				argv[0], family.data);
		else
			err_set(e, ERR_INVALID, "unknown command '%s' (try 'help')", argv[0]);
		buf_free(&family);
		return EXIT_USAGE;
	}
	for (int i = used; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_print_help(ctx->out, ce->name, ctx->surface == SURFACE_CLI);
			return EXIT_OK;
		}
	}
	if ((ce->flags & (CMD_NEEDS_PROJECT | CMD_NEEDS_STORE | CMD_MUTATES)) &&
	    cmd_ctx_project(ctx, e) < 0)
		return EXIT_USAGE;
	if ((ce->flags & CMD_MUTATES) && ctx->read_only) {
		err_set(e, ERR_READONLY,
			"read-only mode: '%s' would change state and is refused", ce->name);
		return EXIT_READONLY;
	}
	struct cmd_args args;
	if (cmd_args_parse(ce, ctx->format, argc - used, argv + used, &args, e) < 0)
		return EXIT_USAGE;
	int rc = EXIT_FAILED;
	if (!(ce->flags & CMD_NEEDS_STORE) || cmd_ctx_store(ctx, e) == 0) {
		audit_announce(ctx, ce, &args, argc, argv);
		rc = ce->exec(ctx, &args, e);
		if (ctx->store)
			store_audit_drop(ctx->store);  /* it wrote nothing */
	}
	cmd_args_free(&args);
	return rc;
}

int cmd_run_line(struct cmd_ctx *ctx, const char *line, struct err *e)
{
	struct vec words = VEC_INIT;
	if (cmd_split(line, &words, e) < 0) {
		vec_free_all(&words, free);
		return EXIT_USAGE;
	}
	int rc = words.len ? cmd_run(ctx, (int)words.len, (char **)words.items, e)
			   : EXIT_OK;
	vec_free_all(&words, free);
	return rc;
}

/* The output formats line, from the entry's declaration. */
static void print_formats(FILE *fp, const struct cmd_entry *ce)
{
	if (!ce->formats)
		return;
	fprintf(fp, "\nOutput: --format table");
	for (enum cmd_format f = CMD_FORMAT_JSON; f <= CMD_FORMAT_CSV; f++)
		if (ce->formats & CMD_FORMAT_BIT(f))
			fprintf(fp, "|%s", cmd_format_name(f));
	fprintf(fp, " (or the global --format)%s.\n",
		ce->formats & CMD_PRINTS_JSON ? "; --json is --format json" : "");
}

void cmd_print_help(FILE *fp, const char *command, bool include_cli_only)
{
	if (command) {
		for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
			if (strcmp(ce->name, command) != 0)
				continue;
			fprintf(fp, "usage: sluice %s%s%s\n\n%s\n", ce->name,
				ce->usage ? " " : "", ce->usage ? ce->usage : "", ce->summary);
			if (ce->help)
				fprintf(fp, "\n%s\n", ce->help);
			print_formats(fp, ce);
			if (ce->flags & CMD_MUTATES)
				fprintf(fp, "\nThis command changes state; it is refused in read-only mode.\n");
			return;
		}
		fprintf(fp, "no such command: %s\n", command);
		return;
	}
	for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
		if (ce->flags & CMD_HIDDEN)
			continue;
		if ((ce->flags & CMD_CLI_ONLY) && !include_cli_only)
			continue;
		char left[256];
		snprintf(left, sizeof left, "%s%s%s", ce->name, ce->usage ? " " : "",
			 ce->usage ? ce->usage : "");
		/* A long usage gets its own line, so the summaries stay aligned. */
		if (strlen(left) > 40)
			fprintf(fp, "  %s\n  %-40s %s\n", left, "", ce->summary);
		else
			fprintf(fp, "  %-40s %s\n", left, ce->summary);
	}
}
