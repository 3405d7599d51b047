/*
 * cmd_check.c - `sluice check`: validate the project file and print every
 * problem in file order as FILE:LINE:COL: KEY.PATH: message.
 *
 * Exit 0 when valid (warnings allowed), 1 when not, 2 when the file cannot
 * be read or is not JSON.
 */
#include "cmd/cmd_int.h"
#include "project/project.h"
#include "steps/steps.h"

#include <stdlib.h>

static void print_diags(FILE *fp, struct diags *d)
{
	diags_sort(d);
	for (size_t i = 0; i < d->items.len; i++) {
		char *line = diag_format(d->items.items[i]);
		fprintf(fp, "%s\n", line);
		free(line);
	}
}

static int exec_check(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	(void)args;
	struct diags d;
	diags_init(&d);
	struct project *p = project_load(ctx->project_file, ctx->env, &d, e);
	if (p)
		steps_validate(p, &d);
	print_diags(ctx->out, &d);
	int rc;
	if (!p && e->code == ERR_IO) {
		rc = EXIT_USAGE;
	} else if (!p || d.errors) {
		fprintf(ctx->out, "%s: %zu error%s, %zu warning%s\n", ctx->project_file,
			d.errors, d.errors == 1 ? "" : "s",
			d.warnings, d.warnings == 1 ? "" : "s");
		err_set(e, ERR_INVALID, "%s is not valid", ctx->project_file);
		rc = EXIT_FAILED;
	} else {
		fprintf(ctx->out, "%s: ok (%zu connection%s, %zu pipe%s, %zu stream%s, "
			"%zu task%s, %zu flow%s)%s\n", ctx->project_file,
			p->nconnections, p->nconnections == 1 ? "" : "s",
			p->npipes, p->npipes == 1 ? "" : "s",
			p->nstreams, p->nstreams == 1 ? "" : "s",
			p->ntasks, p->ntasks == 1 ? "" : "s",
			p->nflows, p->nflows == 1 ? "" : "s",
			d.warnings ? ", with warnings" : "");
		err_clear(e);
		rc = EXIT_OK;
	}
	project_free(p);
	diags_free(&d);
	return rc;
}

const struct cmd_entry cmd_check_entries[] = {
	{ .name = "check",
	  .summary = "validate the project file and report every problem",
	  .help = "Prints each problem as FILE:LINE:COL: KEY.PATH: message, in file order.\n"
		  "Exit status: 0 valid, 1 problems found, 2 the file cannot be read.",
	  .exec = exec_check },
	{ .name = NULL },
};
