/*
 * main.c - sluice's entry point: global options, logging, then the mode.
 *
 * With no command sluice opens the console; `monitor` opens it read-only;
 * everything else is a command of the shared command language (cmd/).
 */
#include "config.h"
#include "cmd/cmd.h"
#include "core/core.h"
#include "mode.h"
#include "project/project.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

struct global_options {
	const char *dir;
	const char *project;
	const char *env;
	const char *control;
	const char *log_file;
	enum log_level log_level;
	bool log_level_set;
	bool read_only;
	bool no_color;
	bool demo;
	bool allow_core_dumps;
	enum cmd_format format;
};

static void print_usage(FILE *fp)
{
	fprintf(fp,
		"usage: sluice [OPTIONS] [COMMAND [ARGS]]\n"
		"\n"
		"A terminal operations console for ETL pipelines. Without a command,\n"
		"opens the console on the project in the current directory.\n"
		"\n"
		"options:\n"
		"  -C DIR             run as if started in DIR\n"
		"  --project FILE     the project file (default ./sluice.json, or $SLUICE_PROJECT)\n"
		"  --env NAME         the environment (default $SLUICE_ENV)\n"
		"  --control URL      the control store (default: the project's)\n"
		"  --read-only        refuse every change; open every session read-only\n"
		"  --no-color         no colours in the console (also NO_COLOR)\n"
		"  --log-level LEVEL  debug, info, warn or error (default warn; worker: info)\n"
		"  --log-file FILE    also append log records to FILE\n"
		"  --format FORMAT    table, json or csv: how show commands print (--json is\n"
		"                     --format json)\n"
		"  --allow-core-dumps let a crash dump core (it holds passwords; also\n"
		"                     SLUICE_DEBUG_CORE=1)\n"
		"  --demo             create the demo project if missing and open the console on it\n"
		"  -h, --help         this help\n"
		"  --version          print the version\n"
		"\n"
		"commands:\n"
		"  console                                  open the console (the default)\n"
		"  monitor                                  open the console read-only\n");
	cmd_print_help(fp, NULL, true);
	fprintf(fp, "\nRun 'sluice COMMAND --help' for one command; see sluice(1).\n");
}

/* Options that take a value accept "--opt value" and "--opt=value". */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], name) != 0)
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "sluice: option %s needs a value\n", name);
		exit(EXIT_USAGE);
	}
	return argv[++*i];
}

/* Parse global options; returns the index of the command word. */
static int parse_global_options(int argc, char **argv, struct global_options *g)
{
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_usage(stdout);
			exit(EXIT_OK);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("sluice %s\n", PACKAGE_VERSION);
			exit(EXIT_OK);
		} else if ((v = option_value(argc, argv, &i, "-C"))) {
			g->dir = v;
		} else if ((v = option_value(argc, argv, &i, "--project"))) {
			g->project = v;
		} else if ((v = option_value(argc, argv, &i, "--env"))) {
			g->env = v;
		} else if ((v = option_value(argc, argv, &i, "--control"))) {
			g->control = v;
		} else if ((v = option_value(argc, argv, &i, "--log-file"))) {
			g->log_file = v;
		} else if ((v = option_value(argc, argv, &i, "--log-level"))) {
			if (!log_level_parse(v, &g->log_level)) {
				fprintf(stderr, "sluice: unknown log level '%s' "
					"(expected debug, info, warn or error)\n", v);
				exit(EXIT_USAGE);
			}
			g->log_level_set = true;
		} else if ((v = option_value(argc, argv, &i, "--format"))) {
			if (!cmd_format_parse(v, &g->format)) {
				fprintf(stderr, "sluice: unknown format '%s' "
					"(expected table, json or csv)\n", v);
				exit(EXIT_USAGE);
			}
		} else if (strcmp(argv[i], "--json") == 0) {
			g->format = CMD_FORMAT_JSON;
		} else if (strcmp(argv[i], "--read-only") == 0) {
			g->read_only = true;
		} else if (strcmp(argv[i], "--no-color") == 0) {
			g->no_color = true;
		} else if (strcmp(argv[i], "--demo") == 0) {
			g->demo = true;
		} else if (strcmp(argv[i], "--allow-core-dumps") == 0) {
			g->allow_core_dumps = true;
		} else {
			fprintf(stderr, "sluice: unknown option '%s' (see sluice --help)\n",
				argv[i]);
			exit(EXIT_USAGE);
		}
	}
	return i;
}

/* A core dump, or another process of the same user reading this one's
 * memory (/proc/PID/mem, environ, ptrace), would hold database passwords,
 * PGPASSWORD and webhook URLs: neither is allowed unless asked for. */
static void protect_memory(const struct global_options *g)
{
	const char *debug = getenv("SLUICE_DEBUG_CORE");
	if (g->allow_core_dumps || (debug && strcmp(debug, "1") == 0))
		return;
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fprintf(stderr, "sluice: warning: cannot disable core dumps: %s\n",
			strerror(errno));
}

static FILE *open_log_file(const char *path)
{
	FILE *fp = file_open_log(path);
	if (!fp) {
		fprintf(stderr, "sluice: cannot open log file %s: %s\n", path,
			strerror(errno));
		exit(EXIT_USAGE);
	}
	return fp;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	struct err e;
	err_clear(&e);
	struct global_options g = { .log_level = LOG_WARN };
	int first = parse_global_options(argc, argv, &g);
	protect_memory(&g);

	/* Refused before anything runs: the arguments are already in every
	 * user's `ps`, so at least the process must not live on with them. */
	if (g.control && project_check_url_option("--control", g.control, &e) < 0) {
		fprintf(stderr, "sluice: %s\n", err_text(&e));
		return EXIT_USAGE;
	}
	if (g.dir && chdir(g.dir) < 0) {
		fprintf(stderr, "sluice: cannot change to %s: %s\n", g.dir, strerror(errno));
		return EXIT_USAGE;
	}

	struct cmd_ctx ctx;
	cmd_ctx_init(&ctx, SURFACE_CLI);
	const char *project = g.project ? g.project : getenv("SLUICE_PROJECT");
	ctx.project_file = project && *project ? project : "sluice.json";
	const char *env = g.env ? g.env : getenv("SLUICE_ENV");
	ctx.env = env && *env ? env : NULL;
	ctx.control_url = g.control;
	ctx.read_only = g.read_only;
	ctx.format = g.format;
	ctx.no_color = g.no_color || env_no_color();

	const char *command = first < argc ? argv[first] : NULL;
	bool is_worker = command && strcmp(command, "worker") == 0;
	bool is_console = !command || strcmp(command, "console") == 0 ||
			  strcmp(command, "monitor") == 0;
	/* The console owns the terminal: its log records go to the store and
	 * the log view, not over the screen. */
	if (!is_console || g.log_file) {
		enum log_level level = g.log_level_set ? g.log_level
					: is_worker ? LOG_INFO : LOG_WARN;
		FILE *fp = is_console ? NULL : stderr;
		if (g.log_file)
			log_add_sink(level, log_text_sink(), open_log_file(g.log_file));
		/* Under systemd the journal stamps the time and wants the level
		 * as a prefix, one record a line. */
		if (fp)
			log_add_sink(level, env_journal_stderr() ? log_journal_sink()
							: log_text_sink(), fp);
	}

	int rc;
	if (g.demo)
		rc = mode_demo(&ctx, &e);
	else if (is_console)
		rc = mode_console(&ctx, command && strcmp(command, "monitor") == 0, &e);
	else
		rc = cmd_run(&ctx, argc - first, argv + first, &e);
	if (rc != EXIT_OK && e.code != ERR_OK)
		fprintf(stderr, "sluice: %s\n", err_text(&e));
	cmd_ctx_close(&ctx);
	return rc;
}
