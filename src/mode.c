/*
 * mode.c - wiring the console to the command layer, the worker daemon and the
 * demo.
 *
 * The console (tui/) reads what it shows by itself: the project model it
 * is handed, the control store through a read-only handle of its own
 * (store/), a flow's watermarks (steps/).  What it does, it does through
 * the callbacks this file supplies on top of cmd/: run a command line,
 * complete one, say whether one mutates.  So the prompt speaks exactly the
 * language of the command line, and read-only mode is enforced in one
 * place, cmd_run.  The console never runs the engine: unless read-only
 * it makes sure the project's worker daemon runs (starting one, as
 * `sluice worker --detach` does, when no engine serves the project), so
 * that closing the console, losing its terminal or stopping it with
 * Ctrl-Z stops no work.  For `sluice --demo` it runs the demo's simulator
 * (demo/) on a thread of its own beside the console.
 */
#include "mode.h"
#include "cmd/daemon.h"
#include "demo/demo.h"
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the console's callbacks get. */
struct console {
	struct cmd_ctx *ctx;
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

/* Threads started from here inherit the signal mask: the terminal's
 * signals (resize, interrupt, hang-up) must reach the console's thread,
 * never the demo simulator's. */
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

/* Run `sluice [--project F] [--env E] [--control URL] worker --detach`
 * (this same binary) and return what it printed; *status its exit status. */
static char *run_worker_detach(const struct cmd_ctx *ctx, int *status)
{
	const char *argv[12];
	int n = 0;
	argv[n++] = "sluice";
	argv[n++] = "--project";
	argv[n++] = ctx->project_file;
	if (ctx->env) {
		argv[n++] = "--env";
		argv[n++] = ctx->env;
	}
	if (ctx->control_url) {
		argv[n++] = "--control";
		argv[n++] = ctx->control_url;
	}
	argv[n++] = "worker";
	argv[n++] = "--detach";
	argv[n] = NULL;
	int p[2];
	*status = -1;
	if (pipe(p) < 0)
		return xasprintf("pipe: %s", strerror(errno));
	/* Only the copies on stdout and stderr may reach the daemon, which
	 * replaces them with its log: the read ends when it is up. */
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv("/proc/self/exe", (char **)argv);
		_exit(127);
	}
	close(p[1]);
	struct buf out = BUF_INIT;
	char chunk[512];
	ssize_t r;
	while (pid > 0 && ((r = read(p[0], chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			buf_append(&out, chunk, (size_t)r);
	close(p[0]);
	if (pid < 0)
		buf_printf(&out, "fork: %s", strerror(errno));
	else
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	while (out.len && out.data[out.len - 1] == '\n')
		out.data[--out.len] = '\0';
	return buf_detach(&out);
}

/* The console is a client: the engine is the project's worker daemon,
 * which outlives the console, its terminal and its session.  Start one
 * unless an engine already serves the project (this project's daemon, or
 * any live worker on the control store).  Returns what to say on the
 * status line, or NULL. */
static char *ensure_worker(struct cmd_ctx *ctx, bool *is_error)
{
	*is_error = false;
	struct daemon_files f;
	daemon_files_init(&f, ctx->project->dir);
	struct daemon_info live;
	daemon_probe(&f, &live);
	daemon_files_free(&f);
	bool alive = live.running;
	if (!alive && engine_alive(ctx->store, 0, &alive, NULL) < 0)
		alive = false;
	if (alive)
		return NULL;
	int status;
	char *said = run_worker_detach(ctx, &status);
	long pid = 0;
	const char *at = strstr(said, "worker started: pid ");
	char *msg;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_OK && at &&
	    sscanf(at, "worker started: pid %ld", &pid) == 1) {
		msg = xasprintf("started worker pid %ld", pid);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_RUNNING) {
		msg = NULL;      /* another console started it a moment ago */
	} else {
		const char *why = strncmp(said, "sluice: ", 8) == 0 ? said + 8 : said;
		msg = xasprintf("the worker did not start: %s", *why ? why : "no reason given");
		*is_error = true;
	}
	free(said);
	return msg;
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
	struct console c = { ctx };
	bool notice_is_error = false;
	char *notice = have_store && !ctx->read_only
		       ? ensure_worker(ctx, &notice_is_error) : NULL;

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
		.notice = notice,
		.notice_is_error = notice_is_error,
		.execute = console_execute,
		.complete = console_complete,
		.mutates = console_mutates,
		.arg = &c,
		.wake_fd = -1,
	};
	int rc = tui_run(&cfg, e) == 0 ? EXIT_OK : EXIT_FAILED;
	free(help);
	free(problem);
	free(notice);
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
