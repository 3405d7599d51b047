/*
 * shell.c - `sluice shell`: the command language as a readline REPL, for
 * dumb terminals and scripts.
 *
 * On a terminal it offers readline's editing, history kept across
 * sessions and Tab completion from the same table as the console's
 * prompt.  With stdin not a terminal it reads lines plainly, prints no
 * prompt, and exits with the status of the last command that failed, so
 * `sluice shell < script` behaves like a script.
 */
#include "cmd/cmd_int.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cmd_ctx *completion_ctx;
static struct vec completion_matches;

static char *next_match(const char *text, int state)
{
	(void)text;
	static size_t index;
	if (state == 0)
		index = 0;
	if (index < completion_matches.len)
		return xstrdup(completion_matches.items[index++]);
	return NULL;
}

static char **complete_line(const char *text, int start, int end)
{
	(void)start;
	(void)text;
	vec_free_all(&completion_matches, free);
	cmd_complete(completion_ctx, rl_line_buffer, (size_t)end, &completion_matches);
	rl_attempted_completion_over = 1;   /* no file name fallback */
	return rl_completion_matches(text, next_match);
}

static char *history_path(void)
{
	char *dir = env_xdg_dir(ENV_XDG_STATE);
	if (!dir)
		return NULL;
	mkdir_p(dir, 0700, NULL);
	char *path = xasprintf("%s/shell_history", dir);
	free(dir);
	return path;
}

/* One line: run it and report failure on errout.  Returns its exit code. */
static int shell_line(struct cmd_ctx *ctx, const char *line)
{
	struct err e;
	err_clear(&e);
	int rc = cmd_run_line(ctx, line, &e);
	if (rc != EXIT_OK)
		fprintf(ctx->errout, "error: %s\n",
			e.code != ERR_OK ? err_text(&e) : "command failed");
	fflush(ctx->out);
	return rc;
}

static bool is_quit(const char *line)
{
	return strcmp(line, "quit") == 0 || strcmp(line, "exit") == 0;
}

static int shell_plain(struct cmd_ctx *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	int last_failure = EXIT_OK;
	while (getline(&line, &cap, stdin) >= 0) {
		char *text = str_trim(line);
		if (!*text || *text == '#')
			continue;
		if (is_quit(text))
			break;
		int rc = shell_line(ctx, text);
		if (rc != EXIT_OK)
			last_failure = rc;
	}
	free(line);
	return last_failure;
}

static int shell_interactive(struct cmd_ctx *ctx)
{
	char *hist = history_path();
	using_history();
	if (hist)
		read_history(hist);
	completion_ctx = ctx;
	rl_attempted_completion_function = complete_line;
	rl_readline_name = "sluice";
	const char *prompt = ctx->read_only ? "sluice (read-only)> " : "sluice> ";
	fprintf(ctx->out, "sluice shell: 'help' lists commands, 'quit' leaves%s\n",
		ctx->read_only ? "; read-only mode" : "");
	char *line;
	while ((line = readline(prompt)) != NULL) {
		char *text = str_trim(line);
		if (*text) {
			add_history(text);
			if (is_quit(text)) {
				free(line);
				break;
			}
			shell_line(ctx, text);
		}
		free(line);
	}
	if (hist) {
		write_history(hist);
		history_truncate_file(hist, 1000);
	}
	free(hist);
	vec_free_all(&completion_matches, free);
	return EXIT_OK;
}

int cmd_shell(struct cmd_ctx *ctx, struct err *e)
{
	(void)e;
	ctx->surface = SURFACE_SHELL;
	return isatty(STDIN_FILENO) ? shell_interactive(ctx) : shell_plain(ctx);
}

static int exec_shell(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	(void)args;
	int rc = cmd_shell(ctx, e);
	ctx->surface = SURFACE_CLI;
	return rc;
}

const struct cmd_entry cmd_shell_entries[] = {
	{ .name = "shell", .summary = "the command language as a readline REPL",
	  .help = "Reads commands from the terminal with editing, history and Tab\n"
	  "completion, or from standard input when it is not a terminal (then the\n"
	  "exit status is that of the last command that failed).",
	  .flags = CMD_CLI_ONLY, .exec = exec_shell },
	{ .name = NULL },
};
