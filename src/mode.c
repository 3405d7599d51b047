/*
 * mode.c - wiring the console to the command layer, the engine and the
 * demo.
 *
 * The console (tui/) reads what it shows by itself: the project model it
 * is handed, the control store through a read-only handle of its own
 * (store/), a flow's watermarks (steps/).  What it does, it does through
 * the callbacks this file supplies on top of cmd/: run a command line,
 * complete one, say whether one mutates.  So the prompt speaks exactly the
 * language of the command line, and read-only mode is enforced in one
 * place, cmd_run.  Unless read-only, this file also runs the engine
 * in-process on background threads while the console is open, hands the
 * engine's event descriptor to the console as its wake-up descriptor, and
 * for `sluice --demo` runs the demo's simulator (demo/) beside it.
 */
#include "mode.h"
#include "demo/demo.h"
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the console's callbacks get. */
struct console {
	struct cmd_ctx *ctx;
	struct engine *engine;    /* NULL: none in this process */
};

static int console_execute(void *arg, const char *line, struct buf *out,
			   struct err *e)
{
	struct cmd_ctx *ctx = ((struct console *)arg)->ctx;
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
	cmd_complete(((struct console *)arg)->ctx, line, strlen(line), out);
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

/* The views re-read the store when the console wakes; the events only
 * say that something happened, so draining them is all there is to do. */
static void console_wake(void *arg)
{
	struct console *c = arg;
	struct engine_event ev[64];
	if (c->engine)
		while (engine_events_drain(c->engine, ev, ARRAY_LEN(ev)) == ARRAY_LEN(ev))
			;
}

/* Threads started from here inherit the signal mask: the terminal's
 * signals (resize, interrupt, hang-up) must reach the console's thread,
 * never an engine worker's. */
static void block_terminal_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/* In-flight steps get this long to finish when the console closes; what
 * does not finish rolls back and is retried by the next engine. */
#define CONSOLE_ENGINE_GRACE (10 * USEC_PER_SEC)

static struct engine *console_engine_start(struct cmd_ctx *ctx)
{
	struct err e;
	err_clear(&e);
	struct engine_options opt = {
		.store_url = ctx->control_url ? ctx->control_url : ctx->project->control_url,
		.grace = CONSOLE_ENGINE_GRACE,
	};
	sigset_t old;
	block_terminal_signals(&old);
	struct engine *eng = engine_new(ctx->project, &opt, &e);
	if (eng && engine_start(eng, &e) < 0) {
		engine_abort(eng);
		engine_free(eng);
		eng = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!eng)
		log_error("the engine did not start: %s", err_text(&e));
	return eng;
}

/* The console is closed (a hang-up, SIGTERM, quitting): drain its engine.
 * The terminal's signals are back at their defaults by now, so block the
 * stop signals (for good: the process ends next) and let engine_drain
 * take them, so that a second hang-up shortens the drain instead of
 * ending the process with runs left RUNNING. */
static void console_engine_stop(struct engine *eng)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct err e;
	err_clear(&e);
	if (engine_drain(eng, CONSOLE_ENGINE_GRACE, &set, &e) < 0)
		fprintf(stderr, "sluice: stopping the engine: %s\n", err_text(&e));
	if (engine_left_behind(eng)) {
		fflush(NULL);
		_exit(EXIT_FAILED);    /* steps that would not stop end with us */
	}
	engine_free(eng);
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
	struct console c = { ctx, NULL };
	if (have_store && !ctx->read_only)
		c.engine = console_engine_start(ctx);

	char *help = commands_help();
	char *problem = have_store ? NULL : xstrdup(err_text(&load_err));
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
		.problem = problem,
		.execute = console_execute,
		.complete = console_complete,
		.mutates = console_mutates,
		.on_wake = console_wake,
		.arg = &c,
		.wake_fd = c.engine ? engine_event_fd(c.engine) : -1,
	};
	int rc = tui_run(&cfg, e) == 0 ? EXIT_OK : EXIT_FAILED;
	free(help);
	free(problem);
	if (c.engine)
		console_engine_stop(c.engine);
	return rc;
}

/* ---- the demo ---------------------------------------------------------------
 * `sluice --demo`: the demo project in the user's data directory, made on
 * first use by `init --demo`, with the demo's simulator (demo/) running on
 * a thread of its own while the console is open. */

static char *demo_dir(struct err *e)
{
	char *data = env_xdg_dir(ENV_XDG_DATA);
	if (!data) {
		err_set(e, ERR_NOTFOUND, "neither XDG_DATA_HOME nor HOME is set: "
			"nowhere to put the demo (try 'sluice init --demo DIR')");
		return NULL;
	}
	char *dir = xasprintf("%s/demo", data);
	free(data);
	return dir;
}

static int run_command(const char *project_file, const char *env, FILE *out,
		       char **argv, int argc, struct err *e)
{
	struct cmd_ctx ctx;
	cmd_ctx_init(&ctx, SURFACE_CLI);
	ctx.project_file = project_file;
	ctx.env = env;
	ctx.out = out;
	ctx.errout = out;
	int rc = cmd_run(&ctx, argc, argv, e);
	cmd_ctx_close(&ctx);
	return rc;
}

static struct demo_simulator *simulator_start(const char *project_file, const char *env)
{
	sigset_t old;
	block_terminal_signals(&old);
	struct demo_simulator *sim = demo_simulator_start(project_file, env);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return sim;
}

int mode_demo(struct cmd_ctx *ctx, struct err *e)
{
	char *dir = demo_dir(e);
	if (!dir)
		return EXIT_FAILED;
	char *file = path_join(dir, "sluice.json");
	if (!file_exists(file) && ctx->read_only) {
		err_set(e, ERR_READONLY, "read-only mode: there is no demo in %s yet, and "
			"making one would write files", dir);
		free(file);
		free(dir);
		return EXIT_READONLY;
	}
	if (!file_exists(file)) {
		fprintf(stderr, "sluice: creating the demo in %s\n", dir);
		char *argv[] = { "init", "--demo", dir };
		int rc = run_command(file, NULL, stderr, argv, 3, e);
		if (rc != EXIT_OK) {
			err_prefix(e, "creating the demo: ");
			free(file);
			free(dir);
			return rc;
		}
	}
	ctx->project_file = file;
	struct err load_err;
	err_clear(&load_err);
	/* The environment may make the demo read-only: then nothing changes,
	 * not even the simulated source. */
	bool read_only = ctx->read_only ||
			 (cmd_ctx_project(ctx, &load_err) == 0 && ctx->read_only);
	struct demo_simulator *sim = read_only ? NULL : simulator_start(file, ctx->env);
	int rc = mode_console(ctx, false, e);
	demo_simulator_stop(sim);
	/* ctx keeps pointing at the file until main closes it. */
	ctx->project_file = "sluice.json";
	free(file);
	free(dir);
	return rc;
}
