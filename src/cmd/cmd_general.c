/*
 * cmd_general.c - help and version: commands that need nothing loaded.
 */
#include "config.h"
#include "cmd/cmd_int.h"

static int exec_help(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	(void)e;
	int argc = (int)args->positional.len;
	char **argv = (char **)args->positional.items;
	if (argc > 0) {
		/* "help pipe refresh" -> the help of "pipe refresh" */
		int used = 0;
		const struct cmd_entry *ce = cmd_find(argc, argv, &used);
		cmd_print_help(ctx->out, ce ? ce->name : argv[0],
			       ctx->surface == SURFACE_CLI);
		return EXIT_OK;
	}
	fprintf(ctx->out, "commands:\n");
	cmd_print_help(ctx->out, NULL, ctx->surface == SURFACE_CLI);
	return EXIT_OK;
}

static int exec_version(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	(void)args; (void)e;
	fprintf(ctx->out, "sluice %s\n", PACKAGE_VERSION);
	return EXIT_OK;
}

const struct cmd_entry cmd_general_entries[] = {
	{ .name = "help", .usage = "[COMMAND]",
	  .summary = "list commands, or show one command's help",
	  .args = { 0, CMD_ARGS_MANY, { CMD_KIND_COMMAND } },
	  .exec = exec_help },
	{ .name = "version", .summary = "print the version", .exec = exec_version },
	{ .name = NULL },
};
