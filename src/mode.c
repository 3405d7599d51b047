/*
 * mode.c - wiring the console to the command layer.
 *
 * The console (tui/) knows nothing of projects or stores: it gets a
 * header to show and callbacks that run command lines, complete them and
 * say whether they mutate.  This file supplies those callbacks on top of
 * cmd/, so the prompt speaks exactly the language of the command line.
 */
#include "mode.h"
#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"

#include <stdlib.h>
#include <string.h>

static int console_execute(void *arg, const char *line, struct buf *out,
			   struct err *e)
{
	struct cmd_ctx *ctx = arg;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return err_set(e, ERR_IO, "cannot capture command output");
	FILE *saved_out = ctx->out, *saved_err = ctx->errout;
	ctx->out = mem;
	ctx->errout = mem;
	int rc = cmd_run_line(ctx, line, e);
	ctx->out = saved_out;
	ctx->errout = saved_err;
	fclose(mem);
	buf_append(out, text, len);
	free(text);
	if (rc != EXIT_OK) {
		if (e->code == ERR_OK)
			err_set(e, ERR_INVALID, "'%s' failed (exit %d)", line, rc);
		return -1;
	}
	return 0;
}

static void console_complete(void *arg, const char *line, const char *word,
			     int word_index, struct vec *out)
{
	(void)word;
	(void)word_index;
	cmd_complete(arg, line, strlen(line), out);
}

static bool console_mutates(void *arg, const char *line)
{
	(void)arg;
	struct vec words = VEC_INIT;
	bool mutates = false;
	if (cmd_split(line, &words, NULL) == 0 && words.len) {
		const struct cmd_entry *ce =
			cmd_find((int)words.len, (char **)words.items, NULL);
		mutates = ce && (ce->flags & CMD_MUTATES);
	}
	vec_free_all(&words, free);
	return mutates;
}

/* The command list for the help view, one command per line. */
static char *commands_help(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return NULL;
	cmd_print_help(mem, NULL, false);
	fclose(mem);
	return text;
}

int mode_console(struct cmd_ctx *ctx, bool read_only, struct err *e)
{
	ctx->surface = SURFACE_CONSOLE;
	if (read_only)
		ctx->read_only = true;
	struct err load_err;
	err_clear(&load_err);
	/* A console without a project still opens: it says so, and `:help`
	 * works.  A broken project is reported on the status line. */
	bool have_project = cmd_ctx_project(ctx, &load_err) == 0;
	bool have_store = have_project && cmd_ctx_store(ctx, &load_err) == 0;

	char *help = commands_help();
	struct tui_config cfg = {
		.project = have_project ? ctx->project->name : NULL,
		.environment = have_project ? ctx->project->env.name : ctx->env,
		.production = have_project && ctx->project->env.production,
		.store_label = have_store ? store_url(ctx->store) : NULL,
		.read_only = ctx->read_only,
		.no_color = ctx->no_color,
		.commands_help = help,
		.project_model = have_project ? ctx->project : NULL,
		.store_url = have_store ? (ctx->control_url ? ctx->control_url
							    : ctx->project->control_url)
					: NULL,
		.execute = console_execute,
		.complete = console_complete,
		.mutates = console_mutates,
		.arg = ctx,
		.wake_fd = -1,
	};
	int rc = tui_run(&cfg, e) == 0 ? EXIT_OK : EXIT_FAILED;
	free(help);
	return rc;
}

int mode_demo(struct cmd_ctx *ctx, struct err *e)
{
	return mode_console(ctx, false, e);
}
