/*
 * cmd_general.c - help and version: commands that need nothing loaded.
 */
#include "config.h"
#include "cmd/cmd_int.h"

static int exec_help(struct cmd_ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)e;
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

static int exec_version(struct cmd_ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)argc; (void)argv; (void)e;
	fprintf(ctx->out, "sluice %s\n", PACKAGE_VERSION);
	return EXIT_OK;
}

const struct cmd_entry cmd_general_entries[] = {
	{ "help", "[COMMAND]", "list commands, or show one command's help", NULL,
	  0, exec_help },
	{ "version", NULL, "print the version", NULL, 0, exec_version },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
