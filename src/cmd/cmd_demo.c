/*
 * cmd_demo.c - `sluice demo simulate`: keep the demo's shop busy.
 *
 * Runs rounds of the simulator (demo_sim.c) against the project's
 * `source` connection and lake: new and amended sales orders for the
 * incremental extract, and files of order documents for the orders pipe.
 * With --once (or --rounds N) it stops by itself, which is what tests and
 * the console's background simulator (mode.c) use; otherwise it runs until
 * interrupted, finishing the round in progress.
 */
#include "cmd/cmd_int.h"
#include "cmd/demo_int.h"
#include "lake/lake.h"
#include "project/project.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_INTERVAL (5 * USEC_PER_SEC)

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Sleep up to `d`, waking early when a stop was asked for. */
static void nap(usec_t d)
{
	usec_t until = clock_monotonic_us() + d;
	while (!stop_requested) {
		usec_t left = until - clock_monotonic_us();
		if (left <= 0)
			return;
		if (left > 100 * USEC_PER_MSEC)
			left = 100 * USEC_PER_MSEC;
		struct timespec ts = { 0, (long)(left * 1000) };
		nanosleep(&ts, NULL);
	}
}

static char *getenv_copy(const char *name)
{
	const char *v = name ? getenv(name) : NULL;
	return v ? xstrdup(v) : NULL;
}

static struct db *open_source(const struct project *p, struct err *e)
{
	const struct project_connection *c = project_connection(p, "source");
	if (!c) {
		err_set(e, ERR_NOTFOUND, "the project has no connection named \"source\"; "
			"'demo simulate' works on projects made by 'sluice init --demo'");
		return NULL;
	}
	const char *password = c->password_env ? getenv(c->password_env) : NULL;
	if (c->password_env && !password) {
		err_at(e, ERR_INVALID, c->path, "password_env names %s, which is not set",
		       c->password_env);
		return NULL;
	}
	/* Looked at read-only first: a source the demo did not make is not
	 * even opened for writing (which on SQLite would turn on WAL). */
	struct db_options opt = { .read_only = true, .password = password, .label = "source" };
	struct db *db = db_open(c->url, &opt, e);
	int rc = db ? demo_sim_check_source(db, e) : -1;
	db_close(db);
	/* Then writable even when the project marks it read-only: the
	 * simulator plays the application that owns the source (demo_sim.c). */
	opt.read_only = false;
	db = rc == 0 ? db_open(c->url, &opt, e) : NULL;
	if (!db && e->code != ERR_CONFLICT)
		err_prefix(e, "source: ");
	return db;
}

static struct lake *open_lake(const struct project *p, struct err *e)
{
	const struct project_lake *l = &p->lake;
	char *access = getenv_copy(l->access_key_env);
	char *secret = getenv_copy(l->secret_key_env);
	struct lake_options opt = {
		.endpoint = l->endpoint,
		.region = l->region,
		.access_key = access,
		.secret_key = secret,
	};
	struct lake *lake = lake_open(l->url ? l->url : "file:lake", &opt, e);
	free(access);
	free(secret);
	if (lake && !lake_writable(lake)) {
		err_set(e, ERR_INVALID, "the lake (%s) is read-only: nowhere to drop order "
			"files", lake_url(lake));
		lake_close(lake);
		return NULL;
	}
	return lake;
}

static void print_round(FILE *out, const struct demo_round *r)
{
	fprintf(out, "round %lld: %lld new sales order%s, %lld amended, %lld other change%s",
		(long long)r->round, (long long)r->orders_new, r->orders_new == 1 ? "" : "s",
		(long long)r->orders_updated, (long long)r->others, r->others == 1 ? "" : "s");
	if (r->file)
		fprintf(out, "; dropped %s (%lld order%s%s)", r->file, (long long)r->documents,
			r->documents == 1 ? "" : "s", r->bad_file ? ", and a broken line" : "");
	fputc('\n', out);
	fflush(out);
}

static int simulate(struct cmd_ctx *ctx, int64_t rounds, usec_t interval, struct err *e)
{
	struct db *source = open_source(ctx->project, e);
	if (!source)
		return EXIT_FAILED;
	struct lake *lake = open_lake(ctx->project, e);
	if (!lake) {
		db_close(source);
		return EXIT_FAILED;
	}
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	bool handlers = rounds != 1;
	stop_requested = 0;
	if (handlers) {
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}
	int rc = EXIT_OK;
	for (int64_t done = 0; (rounds == 0 || done < rounds) && !stop_requested; done++) {
		if (done > 0)
			nap(interval);
		if (stop_requested)
			break;
		struct demo_round r;
		if (demo_sim_round(source, lake, &r, e) < 0) {
			rc = EXIT_FAILED;
			break;
		}
		print_round(ctx->out, &r);
		free(r.file);
	}
	if (handlers) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	lake_close(lake);
	db_close(source);
	return rc;
}

int demo_exec_simulate(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_USAGE;
	bool once = cmd_opt_flag(args, "--once");
	int64_t rounds = once ? 1 : 0;
	usec_t interval = DEFAULT_INTERVAL;
	const char *r = cmd_opt_value(args, "--rounds");
	const char *iv = cmd_opt_value(args, "--interval");
	if (r && once)
		rc = cmd_usage_error(self, e, "--once and --rounds do not go together");
	else if (r && (!str_to_i64(r, &rounds) || rounds < 1))
		rc = cmd_usage_error(self, e, "--rounds: expected a whole number of at least 1, "
				     "not '%s'", r);
	else if (iv && strcmp(iv, "0") != 0 && !duration_parse(iv, &interval))
		rc = cmd_usage_error(self, e, "--interval: expected a duration such as 5s or 1m, "
				     "not '%s'", iv);
	else if (rounds == 0 && ctx->surface != SURFACE_CLI)
		err_set(e, ERR_INVALID, "'demo simulate' without --once or --rounds runs until "
			"interrupted; here, use --once");
	else
		rc = simulate(ctx, rounds, iv && strcmp(iv, "0") == 0 ? 0 : interval, e);
	return rc;
}
