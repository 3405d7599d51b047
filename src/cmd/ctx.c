/*
 * ctx.c - the context a command runs in: project and store, loaded lazily,
 * and the stop signals of a command that runs in the foreground.
 */
#include "cmd/cmd_int.h"
#include "project/project.h"
#include "store/store.h"
#include "db/db.h"

#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *current_user(void)
{
	const char *name = getenv("USER");
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		name = pw->pw_name;
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	return xasprintf("%s@%s", name ? name : "unknown", host);
}

void cmd_ctx_init(struct cmd_ctx *ctx, enum cmd_surface surface)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->surface = surface;
	ctx->out = stdout;
	ctx->errout = stderr;
	ctx->project_file = "sluice.json";
	ctx->user = current_user();
}

void cmd_ctx_close(struct cmd_ctx *ctx)
{
	store_close(ctx->store);
	ctx->store = NULL;
	project_free(ctx->project);
	ctx->project = NULL;
	free(ctx->user);
	ctx->user = NULL;
}

/* The console has no lines to print before it starts: the first error is
 * the message, where it is in the file the place. */
static void console_problem(const struct diags *d, struct err *e)
{
	for (size_t i = 0; i < d->items.len; i++) {
		const struct diag *dg = d->items.items[i];
		if (dg->severity != DIAG_ERROR)
			continue;
		char where[sizeof e->where];
		snprintf(where, sizeof where, "%s:%d:%d", dg->file, dg->line, dg->col);
		char more[96] = "";
		if (d->errors > 1)
			snprintf(more, sizeof more, " (and %zu more; 'sluice check' lists them)",
				 d->errors - 1);
		err_at(e, ERR_INVALID, where, "%s%s%s%s", dg->path, *dg->path ? ": " : "",
		       dg->message, more);
		return;
	}
}

int cmd_ctx_project(struct cmd_ctx *ctx, struct err *e)
{
	if (ctx->project)
		return 0;
	struct diags d;
	diags_init(&d);
	struct project *p = project_load(ctx->project_file, ctx->env, &d, e);
	if (p && d.errors == 0) {
		diags_free(&d);
		ctx->project = p;
		if (p->env.read_only)
			ctx->read_only = true;
		return 0;
	}
	if (!p) {
		diags_free(&d);
		if (e->code == ERR_IO && ctx->surface != SURFACE_CONSOLE)
			err_prefix(e, "no project: ");
		return -1;
	}
	diags_sort(&d);
	if (ctx->surface == SURFACE_CONSOLE) {
		console_problem(&d, e);
		diags_free(&d);
		project_free(p);
		return -1;
	}
	/* Show the first problems; `sluice check` lists them all. */
	for (size_t i = 0; i < d.items.len && i < 5; i++) {
		const struct diag *dg = d.items.items[i];
		if (dg->severity != DIAG_ERROR)
			continue;
		char *line = diag_format(dg);
		fprintf(ctx->errout, "%s\n", line);
		free(line);
	}
	err_at(e, ERR_INVALID, ctx->project_file,
	       "the project has %zu error%s; run 'sluice check' for all of them",
	       d.errors, d.errors == 1 ? "" : "s");
	diags_free(&d);
	project_free(p);
	return -1;
}

int cmd_ctx_store(struct cmd_ctx *ctx, struct err *e)
{
	if (ctx->store)
		return 0;
	if (cmd_ctx_project(ctx, e) < 0)
		return -1;
	const char *url = cmd_ctx_store_url(ctx);
	struct store_options opt = { .read_only = ctx->read_only };
	ctx->store = store_open(url, &opt, e);
	if (!ctx->store) {
		/* Most of the store's own errors name it already. */
		if (!strstr(e->msg, "control store")) {
			char *shown = db_url_redacted(url);
			err_prefix(e, "control store %s: ", shown);
			free(shown);
		}
		return -1;
	}
	return 0;
}

const char *cmd_ctx_store_url(const struct cmd_ctx *ctx)
{
	return ctx->control_url ? ctx->control_url : ctx->project->control_url;
}

void cmd_block_stop_signals(sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, old);
}

int cmd_wait_signal(const sigset_t *set, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int sig = sigtimedwait(set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

/* The stop signals are blocked, so poll() never sees them: look for one
 * between short polls of the descriptor. */
#define SIGNAL_SLICE_MS 25

int cmd_wait_signal_or_fd(const sigset_t *set, int fd, int ms)
{
	for (int waited = 0;; waited += SIGNAL_SLICE_MS) {
		int sig = cmd_wait_signal(set, 0);
		if (sig || waited >= ms)
			return sig;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, SIGNAL_SLICE_MS) > 0)
			return 0;
	}
}
