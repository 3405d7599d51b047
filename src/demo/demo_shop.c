/*
 * demo_shop.c - the simulator on a demo project: its source and lake
 * opened for writing, and the thread that runs a round every few seconds
 * while `sluice --demo` has the console open.
 *
 * The source is opened writable even when the project marks it read-only:
 * the simulator plays the application that owns the source (demo_sim.c),
 * not sluice.  Which is why a source the demo did not make is refused
 * after a look through a read-only connection, before it is opened for
 * writing (which on SQLite would turn on WAL).
 */
#include "demo/demo_int.h"
#include "lake/lake.h"
#include "project/project.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct demo_shop {
	struct db *source;
	struct lake *lake;
};

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

struct demo_shop *demo_shop_open(const struct project *p, struct err *e)
{
	struct db *source = open_source(p, e);
	if (!source)
		return NULL;
	struct lake *lake = open_lake(p, e);
	if (!lake) {
		db_close(source);
		return NULL;
	}
	struct demo_shop *s = xcalloc(1, sizeof *s);
	s->source = source;
	s->lake = lake;
	return s;
}

int demo_shop_round(struct demo_shop *s, struct demo_round *out, struct err *e)
{
	return demo_sim_round(s->source, s->lake, out, e);
}

void demo_shop_close(struct demo_shop *s)
{
	if (!s)
		return;
	lake_close(s->lake);
	db_close(s->source);
	free(s);
}

/* ---- the background simulator ------------------------------------------------ */

#define BACKGROUND_INTERVAL (5 * USEC_PER_SEC)

struct demo_simulator {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	char *project_file;
	char *env;
};

/* The project as `demo simulate` would read it: a project with errors is
 * no project. */
static struct project *load_project(const struct demo_simulator *sim, struct err *e)
{
	struct diags d;
	diags_init(&d);
	struct project *p = project_load(sim->project_file, sim->env, &d, e);
	if (p && d.errors) {
		err_at(e, ERR_INVALID, sim->project_file, "the project has %zu error%s; run "
		       "'sluice check' for all of them", d.errors, d.errors == 1 ? "" : "s");
		project_free(p);
		p = NULL;
	}
	diags_free(&d);
	return p;
}

/* One round from nothing, as `demo simulate --once` does it: the project
 * read afresh (the operator may have changed it), the shop opened and
 * closed again.  False when there is no point in another round: the
 * project cannot be read, is read-only, or its source is not the demo's
 * (a source the demo did not make stays that way). */
static bool background_round(const struct demo_simulator *sim, struct err *e)
{
	struct project *p = load_project(sim, e);
	if (!p)
		return false;
	bool go_on = true;
	if (p->env.read_only) {
		err_set(e, ERR_READONLY, "read-only mode: 'demo simulate' would change state "
			"and is refused");
		go_on = false;
	} else {
		struct demo_shop *shop = demo_shop_open(p, e);
		struct demo_round r = { 0 };
		if (shop && demo_shop_round(shop, &r, e) == 0)
			free(r.file);
		demo_shop_close(shop);
		go_on = e->code != ERR_CONFLICT;
	}
	project_free(p);
	return go_on;
}

static void *simulator_main(void *arg)
{
	struct demo_simulator *sim = arg;
	pthread_mutex_lock(&sim->lock);
	while (!sim->stop) {
		pthread_mutex_unlock(&sim->lock);
		struct err e;
		err_clear(&e);
		bool go_on = background_round(sim, &e);
		if (e.code != ERR_OK)
			log_warn("demo simulator: %s", err_text(&e));
		pthread_mutex_lock(&sim->lock);
		if (!go_on)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += BACKGROUND_INTERVAL / USEC_PER_SEC;
		while (!sim->stop &&
		       pthread_cond_timedwait(&sim->wake, &sim->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&sim->lock);
	return NULL;
}

static void simulator_free(struct demo_simulator *sim)
{
	pthread_cond_destroy(&sim->wake);
	pthread_mutex_destroy(&sim->lock);
	free(sim->project_file);
	free(sim->env);
	free(sim);
}

struct demo_simulator *demo_simulator_start(const char *project_file, const char *env)
{
	struct demo_simulator *sim = xcalloc(1, sizeof *sim);
	sim->project_file = xstrdup(project_file);
	sim->env = env ? xstrdup(env) : NULL;
	pthread_mutex_init(&sim->lock, NULL);
	pthread_cond_init(&sim->wake, NULL);
	if (pthread_create(&sim->thread, NULL, simulator_main, sim) == 0)
		return sim;
	simulator_free(sim);
	return NULL;
}

void demo_simulator_stop(struct demo_simulator *sim)
{
	if (!sim)
		return;
	pthread_mutex_lock(&sim->lock);
	sim->stop = true;
	pthread_cond_signal(&sim->wake);
	pthread_mutex_unlock(&sim->lock);
	pthread_join(sim->thread, NULL);
	simulator_free(sim);
}
