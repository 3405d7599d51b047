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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* One project and environment the console shows: the first borrows
 * main's context, each `:env` and `:project` opens one of its own. */
struct console_session {
	struct cmd_ctx own;
	struct cmd_ctx *ctx;        /* &own, or main's */
	char *project_file, *env, *control_url;   /* own's options */
	char *problem, *notice;
	bool notice_is_error;
	struct tui_config cfg;
};

/* What the console's callbacks get.  `before` is the session the console
 * showed until the last switch: it may still hold it while it switches. */
struct console {
	struct console_session *now, *before;
	bool read_only;             /* --read-only or monitor, whatever the environment */
	char *help;
};

static int console_execute(void *arg, const char *line, struct buf *out,
			   struct err *e)
{
	struct cmd_ctx *ctx = ((struct console *)arg)->now->ctx;
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

/* `:env NAME`: the environments the project on screen declares. */
static void complete_environments(const struct cmd_ctx *ctx, const char *word,
				  struct vec *out)
{
	const struct project *p = ctx->project;
	for (size_t i = 0; p && i < p->nenv_names; i++)
		if (str_starts_with(p->env_names[i], word))
			vec_push(out, xstrdup(p->env_names[i]));
	if (p && str_starts_with("default", word))
		vec_push(out, xstrdup("default"));   /* the console drops a repeat */
}

/* `:project DIR`: directories (not hidden ones unless asked for), as a
 * shell completes them, each ending in '/'. */
static void complete_directories(const char *word, struct vec *out)
{
	const char *slash = strrchr(word, '/');
	char *parent = slash ? xstrndup(word, (size_t)(slash - word) + 1) : xstrdup("");
	const char *base = slash ? slash + 1 : word;
	DIR *d = opendir(*parent ? parent : ".");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (str_eq(de->d_name, ".") || str_eq(de->d_name, "..") ||
		    (de->d_name[0] == '.' && base[0] != '.') ||
		    !str_starts_with(de->d_name, base))
			continue;
		char *path = xasprintf("%s%s", parent, de->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			vec_push(out, xasprintf("%s/", path));
		free(path);
	}
	if (d)
		closedir(d);
	free(parent);
}

static void console_complete(void *arg, const char *line, const char *word,
			     int word_index, struct vec *out)
{
	struct cmd_ctx *ctx = ((struct console *)arg)->now->ctx;
	if (word_index == 1 && str_starts_with(line, "env "))
		complete_environments(ctx, word, out);
	else if (word_index == 1 && str_starts_with(line, "project "))
		complete_directories(word, out);
	else
		cmd_complete(ctx, line, strlen(line), out);
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
	daemon_files_init(&f, ctx->project->dir, ctx->project->env.name);
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

static void session_config(struct console *c, struct console_session *s);
static void session_free(struct console_session *s);

/* The project file `:project DIR` names: DIR/sluice.json. */
static char *project_file_in(const char *dir, struct err *e)
{
	struct stat st;
	if (stat(dir, &st) < 0) {
		err_set(e, ERR_NOTFOUND, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(e, ERR_INVALID, "%s is not a directory", dir);
		return NULL;
	}
	char *file = path_join(dir, "sluice.json");
	if (!file_exists(file)) {
		err_set(e, ERR_NOTFOUND, "%s holds no sluice.json", dir);
		free(file);
		return NULL;
	}
	return file;
}

static bool declares_env(const struct project *p, const char *env)
{
	for (size_t i = 0; p && i < p->nenv_names; i++)
		if (str_eq(p->env_names[i], env))
			return true;
	return false;
}

/* `:env NAME` on a loaded project: refused in its own words, which the
 * status line has room for, before anything is opened. */
static bool unknown_environment(const struct project *p, const char *env, struct err *e)
{
	if (!p || str_eq(env, "default") || declares_env(p, env))
		return false;     /* loading says what else is wrong */
	struct buf known = BUF_INIT;
	for (size_t i = 0; i < p->nenv_names; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", p->env_names[i]);
	if (known.len)
		err_set(e, ERR_NOTFOUND, "unknown environment \"%s\" (known: %s, default)",
			env, buf_str(&known));
	else
		err_set(e, ERR_NOTFOUND, "unknown environment \"%s\": the project declares "
			"no environments", env);
	buf_free(&known);
	return true;
}

/* `:env NAME` (dir NULL) and `:project DIR [ENV]`: a session opened as
 * `sluice [--project F] [--env E]` would open it, with the worker rule of
 * a console's start.  `--control` stays with the project it was given
 * for; `:project` without ENV takes SLUICE_ENV's, as a start there would.
 * `:env default` is none, unless the project declares one so named.
 * Nothing of the session on screen changes unless the new one opened
 * whole. */
static const struct tui_config *console_switch(void *arg, const char *env,
					       const char *dir, struct err *e)
{
	struct console *c = arg;
	const struct cmd_ctx *was = c->now->ctx;
	if (!dir && unknown_environment(was->project, env, e))
		return NULL;
	char *file = dir ? project_file_in(dir, e) : xstrdup(was->project_file);
	if (!file)
		return NULL;
	struct console_session *s = xcalloc(1, sizeof *s);
	s->ctx = &s->own;
	cmd_ctx_init(&s->own, SURFACE_CONSOLE);
	s->project_file = file;
	/* `:project DIR` without ENV: what `sluice -C DIR` would open */
	const char *start_env = getenv("SLUICE_ENV");
	s->env = env ? xstrdup(env) : start_env && *start_env ? xstrdup(start_env) : NULL;
	const struct project *known = dir ? NULL : was->project;
	if (s->env && str_eq(s->env, "default") && !declares_env(known, "default")) {
		free(s->env);
		s->env = NULL;
	}
	s->control_url = !dir && was->control_url ? xstrdup(was->control_url) : NULL;
	s->own.project_file = s->project_file;
	s->own.env = s->env;
	s->own.control_url = s->control_url;
	s->own.read_only = c->read_only;
	s->own.no_color = was->no_color;
	s->own.format = was->format;
	if (cmd_ctx_store(&s->own, e) < 0) {
		session_free(s);
		return NULL;
	}
	if (!s->own.read_only)
		s->notice = ensure_worker(&s->own, &s->notice_is_error);
	session_config(c, s);
	/* The console still holds `now` while it switches; what it held
	 * before that it no longer does. */
	session_free(c->before);
	c->before = c->now;
	c->now = s;
	return &s->cfg;
}

/* What the console shows of a session; the session's problem and notice
 * are set before. */
static void session_config(struct console *c, struct console_session *s)
{
	struct cmd_ctx *ctx = s->ctx;
	bool have_project = ctx->project != NULL, have_store = ctx->store != NULL;
	s->cfg = (struct tui_config){
		.project = have_project ? ctx->project->name : NULL,
		.environment = have_project ? ctx->project->env.name : ctx->env,
		.production = have_project && ctx->project->env.production,
		.store_label = have_store ? store_url(ctx->store) : NULL,
		.read_only = ctx->read_only,
		.no_color = ctx->no_color,
		.commands_help = c->help,
		.project_model = have_project ? ctx->project : NULL,
		.store_url = have_store ? (ctx->control_url ? ctx->control_url
							    : ctx->project->control_url)
					: NULL,
		.problem = s->problem,
		.notice = s->notice,
		.notice_is_error = s->notice_is_error,
		.execute = console_execute,
		.complete = console_complete,
		.mutates = console_mutates,
		.switch_to = console_switch,
		.arg = c,
		.wake_fd = -1,
	};
}

static void session_free(struct console_session *s)
{
	if (!s)
		return;
	free(s->problem);
	free(s->notice);
	s->problem = s->notice = NULL;
	if (s->ctx != &s->own)
		return;           /* main's: main closes it */
	cmd_ctx_close(&s->own);
	free(s->project_file);
	free(s->env);
	free(s->control_url);
	free(s);
}

int mode_console(struct cmd_ctx *ctx, bool read_only, struct err *e)
{
	ctx->surface = SURFACE_CONSOLE;
	if (read_only)
		ctx->read_only = true;
	struct console c = { .read_only = ctx->read_only, .help = commands_help() };
	struct console_session first = { .ctx = ctx };
	struct err load_err;
	err_clear(&load_err);
	/* A console without a project still opens: it says so, and `:help`
	 * works.  A broken project is reported on the status line. */
	bool have_project = cmd_ctx_project(ctx, &load_err) == 0;
	bool have_store = have_project && cmd_ctx_store(ctx, &load_err) == 0;
	if (have_store && !ctx->read_only)
		first.notice = ensure_worker(ctx, &first.notice_is_error);
	if (!have_store)
		first.problem = xstrdup(err_text(&load_err));
	c.now = &first;
	session_config(&c, &first);
	int rc = tui_run(&first.cfg, e) == 0 ? EXIT_OK : EXIT_FAILED;
	if (c.now != &first)
		session_free(c.now);
	if (c.before != &first)
		session_free(c.before);
	session_free(&first);
	free(c.help);
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
