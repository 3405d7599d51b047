/*
 * conns.c - the data connections of one worker thread.
 *
 * A worker opens each connection the first time a step asks for it and
 * keeps it for the thread's life, so a flow of ten steps on the warehouse
 * costs one connect.  The set is owned by its thread; the one thing
 * another thread may do is step_conns_cancel, which interrupts whatever
 * is running (db_cancel is safe from any thread).  The lock exists for
 * that: it keeps the list stable while a canceller walks it.
 *
 * A kept connection may have died meanwhile (the server restarted): each
 * one is tested before it is handed out, cheaply (a goodbye the server
 * sent is read without waiting) and, after it sat idle, with a round trip;
 * a dead one is reopened in place, so a restart of the server is not the
 * next step's failure, nor a task condition's.
 *
 * Writers wait for a SQLite file's write lock up to the connection's
 * lock_wait (STEP_LOCK_WAIT when not set), and
 * say so after a second (why and how long: doc/architecture.md).
 */
#include "pipes/pipes.h"
#include "project/project.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A connection idle this long gets a round trip before it is handed out. */
#define IDLE_PROBE (10 * USEC_PER_SEC)

struct conn_entry {
	char *name;
	struct db *db;
	usec_t handed;             /* monotonic: last handed out */
};

struct step_conns {
	const struct project *project;
	bool read_only;
	pthread_mutex_t lock;
	struct vec items;          /* struct conn_entry * */
	int64_t run_id;            /* step_conns_doing */
	const char *step;
	void (*on_wait)(void *arg, const struct db_wait *w);
	void *on_wait_arg;
};

struct step_conns *step_conns_new(const struct project *p, bool read_only)
{
	struct step_conns *c = xcalloc(1, sizeof *c);
	c->project = p;
	c->read_only = read_only;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

const struct project *step_conns_project(const struct step_conns *c)
{
	return c->project;
}

void step_conns_doing(struct step_conns *c, int64_t run_id, const char *step)
{
	c->run_id = run_id;
	c->step = step;
}

void step_conns_on_wait(struct step_conns *c,
			void (*fn)(void *arg, const struct db_wait *w), void *arg)
{
	c->on_wait = fn;
	c->on_wait_arg = arg;
}

/* A statement of ours waits for a lock another connection holds: say so
 * where the operator looks (the log, with the run and step), and tell
 * whoever asked. */
static void waiting(void *arg, const struct db_wait *w)
{
	struct step_conns *c = arg;
	char took[32];
	duration_format(w->waited, took, sizeof took);
	if (!w->over)
		log_emit(LOG_WARN, c->run_id, c->step, NULL, NULL, 0, "%s: waiting for %s, "
			 "which another connection holds (%s so far)", w->label, w->what, took);
	else if (w->gave_up)
		log_emit(LOG_WARN, c->run_id, c->step, NULL, NULL, 0, "%s: stopped waiting "
			 "for %s after %s", w->label, w->what, took);
	else
		log_emit(LOG_INFO, c->run_id, c->step, NULL, NULL, 0, "%s: got %s after "
			 "waiting %s", w->label, w->what, took);
	if (c->on_wait)
		c->on_wait(c->on_wait_arg, w);
}

static const struct project_connection *find_connection(const struct project *p,
							const char *name)
{
	for (size_t i = 0; i < p->nconnections; i++)
		if (strcmp(p->connections[i].name, name) == 0)
			return &p->connections[i];
	return NULL;
}

static struct db *open_connection(struct step_conns *c,
				  const struct project_connection *pc, struct err *e)
{
	struct db_options opt;
	memset(&opt, 0, sizeof opt);
	opt.read_only = c->read_only || pc->read_only || c->project->env.read_only;
	opt.label = pc->name;
	opt.busy_timeout_ms = (int)((pc->lock_wait ? pc->lock_wait : STEP_LOCK_WAIT) /
				    USEC_PER_MSEC);
	opt.on_wait = waiting;
	opt.on_wait_arg = c;
	if (pc->password_env) {
		const char *pw = getenv(pc->password_env);
		if (!pw) {
			err_at(e, ERR_INVALID, pc->path ? pc->path : pc->name,
			       "connection %s: the environment variable %s (password_env) "
			       "is not set", pc->name, pc->password_env);
			return NULL;
		}
		log_add_secret(pw);
		opt.password = pw;
	}
	return db_open(pc->url, &opt, e);
}

/* A kept connection the server dropped: a new one takes its place (the
 * struct db stays, so a step holding it gets the new connection too). */
static int reopen(struct step_conns *c, struct conn_entry *ce, struct err *e)
{
	struct db *fresh = open_connection(c, find_connection(c->project, ce->name), e);
	if (!fresh) {
		err_prefix(e, "connection %s was lost and cannot be reopened: ", ce->name);
		return -1;
	}
	pthread_mutex_lock(&c->lock);      /* no db_cancel on it meanwhile */
	db_replace(ce->db, fresh);
	pthread_mutex_unlock(&c->lock);
	log_emit(LOG_WARN, 0, NULL, NULL, NULL, 0, "connection %s was lost (server "
		 "restarted or network); reconnected", ce->name);
	return 0;
}

struct db *step_conns_get(struct step_conns *c, const char *name, struct err *e)
{
	usec_t now = clock_monotonic_us();
	for (size_t i = 0; i < c->items.len; i++) {
		struct conn_entry *ce = c->items.items[i];
		if (strcmp(ce->name, name) != 0)
			continue;
		if (!db_alive(ce->db, now - ce->handed >= IDLE_PROBE) &&
		    reopen(c, ce, e) < 0)
			return NULL;
		ce->handed = now;
		return ce->db;
	}
	const struct project_connection *pc = find_connection(c->project, name);
	if (!pc) {
		err_set(e, ERR_NOTFOUND, "no connection named %s in the project", name);
		return NULL;
	}
	struct db *db = open_connection(c, pc, e);
	if (!db)
		return NULL;
	struct conn_entry *ce = xmalloc(sizeof *ce);
	ce->name = xstrdup(name);
	ce->db = db;
	ce->handed = now;
	pthread_mutex_lock(&c->lock);
	vec_push(&c->items, ce);
	pthread_mutex_unlock(&c->lock);
	return db;
}

void step_conns_cancel(struct step_conns *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->items.len; i++) {
		struct conn_entry *ce = c->items.items[i];
		db_cancel(ce->db);
	}
	pthread_mutex_unlock(&c->lock);
}

void step_conns_reset(struct step_conns *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->items.len;) {
		struct conn_entry *ce = c->items.items[i];
		db_rollback(ce->db);
		/* A connection that cannot answer this is gone (server restart,
		 * network): drop it so the next step reconnects. */
		int64_t one;
		if (db_query_int(ce->db, "SELECT 1", NULL, 0, &one, NULL) == 1) {
			i++;
			continue;
		}
		pthread_mutex_lock(&c->lock);
		vec_remove(&c->items, i);
		pthread_mutex_unlock(&c->lock);
		log_emit(LOG_WARN, 0, NULL, NULL, NULL, 0, "connection %s lost; it will be "
			 "reopened on next use", ce->name);
		db_close(ce->db);
		free(ce->name);
		free(ce);
	}
}

void step_conns_free(struct step_conns *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->items.len; i++) {
		struct conn_entry *ce = c->items.items[i];
		db_close(ce->db);
		free(ce->name);
		free(ce);
	}
	vec_free(&c->items);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
