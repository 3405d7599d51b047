/*
 * object_states.c - operator-set object states (a paused pipe, a suspended
 * task), registered workers with their heartbeats, and named leases (one
 * scheduler at a time across hosts).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- object states ------------------------------------------------------------ */
static void *parse_object(struct db_cursor *c)
{
	struct store_object_state *o = xcalloc(1, sizeof(*o));
	o->object = st_col_str(c, 0);
	o->state = st_col_str(c, 1);
	o->reason = st_col_str(c, 2);
	o->changed_by = st_col_str(c, 3);
	o->changed = st_col_i64(c, 4);
	return o;
}

void store_object_free(struct store_object_state *o)
{
	if (!o)
		return;
	free(o->object);
	free(o->state);
	free(o->reason);
	free(o->changed_by);
	free(o);
}

static void free_object_v(void *p)
{
	store_object_free(p);
}

void store_object_list_free(struct vec *v)
{
	vec_free_all(v, free_object_v);
}

int store_object_set(struct store *s, const char *object, const char *state,
		     const char *reason, const char *changed_by, struct err *e)
{
	if (!object || !*object || !state || !*state)
		return err_set(e, ERR_INVALID, "an object state needs an object and a state");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, object);
	st_sqlp_str(&p, state);
	st_sqlp_str(&p, reason);
	st_sqlp_str(&p, changed_by);
	st_sqlp_i64(&p, clock_now_us());
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_OBJECTS),
			 "INSERT INTO object_states (object, state, reason, changed_by, "
			 "changed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (object) "
			 "DO UPDATE SET state = excluded.state, reason = excluded.reason, "
			 "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
			 &p, NULL, e);
}

int store_object_get(struct store *s, const char *object,
		     struct store_object_state **out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, object);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT object, state, reason, changed_by, "
				       "changed_at FROM object_states WHERE object = $1",
				       &p, e),
			      parse_object, free_object_v, &rc, e);
	return rc;
}

int store_object_list(struct store *s, const char *prefix, struct vec *out,
		      struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT object, state, reason, changed_by, changed_at "
		 "FROM object_states");
	/* A prefix match without LIKE, whose wildcards and case rules
	 * differ between the dialects. */
	if (prefix && *prefix) {
		int n = st_sqlp_str(&p, prefix);
		buf_printf(&sql, " WHERE substr(object, 1, length(CAST($%d AS TEXT))) = $%d",
			   n, n);
	}
	buf_puts(&sql, " ORDER BY object");
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_object,
			    free_object_v, out, e);
	buf_free(&sql);
	return rc;
}

/* ---- workers ---------------------------------------------------------------------- */
static void *parse_worker(struct db_cursor *c)
{
	struct store_worker *w = xcalloc(1, sizeof(*w));
	w->id = st_col_str(c, 0);
	w->host = st_col_str(c, 1);
	w->pid = st_col_i64(c, 2);
	w->started = st_col_i64(c, 3);
	w->heartbeat = st_col_i64(c, 4);
	w->pools = st_col_str(c, 5);
	w->in_flight = st_col_i64(c, 6);
	return w;
}

static void free_worker_v(void *p)
{
	struct store_worker *w = p;
	free(w->id);
	free(w->host);
	free(w->pools);
	free(w);
}

void store_worker_list_free(struct vec *v)
{
	vec_free_all(v, free_worker_v);
}

int store_worker_register(struct store *s, const char *id, const char *host,
			  int64_t pid, struct err *e)
{
	return store_worker_register_pools(s, id, host, pid, NULL, e);
}

int store_worker_register_pools(struct store *s, const char *id, const char *host,
				int64_t pid, const char *pools, struct err *e)
{
	if (!id || !*id)
		return err_set(e, ERR_INVALID, "a worker needs an id");
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, id);
	st_sqlp_str(&p, host);
	st_sqlp_i64(&p, pid);
	st_sqlp_i64(&p, now);
	st_sqlp_str(&p, pools && *pools ? pools : NULL);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_WORKERS),
			 "INSERT INTO workers (id, host, pid, started_at, heartbeat_at, pools) "
			 "VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (id) DO UPDATE SET "
			 "host = excluded.host, pid = excluded.pid, "
			 "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
			 "pools = excluded.pools",
			 &p, NULL, e);
}

int store_worker_heartbeat(struct store *s, const char *id, struct err *e)
{
	return store_worker_beat(s, id, NULL, 0, NULL, e);
}

static int count_requests(struct store *s, const char *target, int64_t *n, struct err *e)
{
	struct sqlp q = SQLP_INIT;
	if (target)
		st_sqlp_str(&q, target);
	return st_query_i64(s, target
			    ? "SELECT count(*) FROM requests WHERE state = 'PENDING' AND target = $1"
			    : "SELECT count(*) FROM requests WHERE state = 'PENDING' AND "
			      "(target IS NULL OR target NOT LIKE 'worker:%')",
			    &q, n, e) < 0 ? -1 : 0;
}

/* The beat's looks, in the heartbeat's transaction: an idle engine costs
 * the store one transaction a beat. */
static int beat_looks(struct store *s, const char *id, const char *const *pools,
		      size_t npools, struct store_beat *b, struct err *e)
{
	char *target = xasprintf("worker:%s", id ? id : "");
	int rc = count_requests(s, target, &b->for_me, e);
	free(target);
	if (rc < 0 || count_requests(s, NULL, &b->requests, e) < 0 ||
	    st_notify_due(s, &b->notify_due, e) < 0 ||
	    st_runs_claimable(s, pools, npools, &b->claimable, e) < 0)
		return -1;
	return 0;
}

int store_worker_beat(struct store *s, const char *id, const char *const *pools,
		      size_t npools, struct store_beat *b, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_str(&p, id);
	int64_t n = 0;
	if (st_begin(s, e) < 0)
		return -1;
	if (st_exec(s, "UPDATE workers SET heartbeat_at = $1 WHERE id = $2", &p, &n, e) < 0 ||
	    (b && beat_looks(s, id, pools, npools, b, e) < 0)) {
		st_rollback(s);
		return -1;
	}
	/* Every engine beats every few seconds: waking every listener for
	 * that would be most of an idle store's traffic.  Who shows heartbeat
	 * ages reads them on its own, slower, schedule. */
	int rc = st_commit_quietly(s, STORE_AREA_BIT(STORE_AREA_WORKERS), e);
	if (rc < 0)
		return -1;
	if (n == 0)
		return err_set(e, ERR_NOTFOUND, "worker %s is not registered",
			       id ? id : "");
	return 0;
}

int store_worker_remove(struct store *s, const char *id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, id);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_WORKERS),
			 "DELETE FROM workers WHERE id = $1", &p, NULL, e);
}

int store_worker_list(struct store *s, struct vec *out, struct err *e)
{
	return st_collect(st_query(s, "SELECT w.id, w.host, w.pid, w.started_at, "
				   "w.heartbeat_at, w.pools, (SELECT count(*) FROM runs r "
				   "WHERE r.worker = w.id AND r.ended_at IS NULL AND "
				   "r.state IN ('RUNNING', 'CANCELLING')) "
				   "FROM workers w ORDER BY w.id", NULL, e),
			  parse_worker, free_worker_v, out, e);
}

/* ---- leases ------------------------------------------------------------------------ */
static int lease_locked(struct store *s, const char *name, const char *holder,
			usec_t ttl, char **current, struct err *e)
{
	char *key = xasprintf("sluice.lease:%s", name);
	int rc = st_lock_key(s, key, e);
	free(key);
	if (rc < 0)
		return -1;
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, name);
	struct db_cursor *c = st_query(s, "SELECT holder, expires_at FROM leases "
				       "WHERE name = $1", &p, e);
	if (!c)
		return -1;
	rc = db_cursor_next(c, e);
	bool taken = rc == 1 && !str_eq(db_cursor_text(c, 0), holder) &&
		     st_col_i64(c, 1) > now;
	if (taken && current)
		*current = st_col_str(c, 0);
	db_cursor_close(c);
	if (rc < 0)
		return -1;
	if (taken)
		return 0;
	st_sqlp_str(&p, holder);
	st_sqlp_i64(&p, now);
	st_sqlp_i64(&p, now + ttl);
	/* The same holder renewing keeps its acquired_at. */
	if (st_exec(s, "INSERT INTO leases (name, holder, acquired_at, expires_at) "
		    "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET "
		    "acquired_at = CASE WHEN leases.holder = excluded.holder "
		    "THEN leases.acquired_at ELSE excluded.acquired_at END, "
		    "holder = excluded.holder, expires_at = excluded.expires_at",
		    &p, NULL, e) < 0)
		return -1;
	return 1;
}

int store_lease_acquire(struct store *s, const char *name, const char *holder,
			usec_t ttl, char **current, struct err *e)
{
	if (current)
		*current = NULL;
	if (!name || !holder || ttl <= 0)
		return err_set(e, ERR_INVALID, "a lease needs a name, a holder and a "
			       "positive time to live");
	if (st_begin(s, e) < 0)
		return -1;
	int rc = lease_locked(s, name, holder, ttl, current, e);
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	if (rc == 0) {
		st_rollback(s);
		return 0;
	}
	/* Renewed every few seconds: no event, as for heartbeats. */
	rc = st_commit_quietly(s, STORE_AREA_BIT(STORE_AREA_OBJECTS), e);
	return rc < 0 ? -1 : 1;
}

int store_lease_release(struct store *s, const char *name, const char *holder,
			struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, name);
	st_sqlp_str(&p, holder);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_OBJECTS),
			 "DELETE FROM leases WHERE name = $1 AND holder = $2", &p, NULL, e);
}
