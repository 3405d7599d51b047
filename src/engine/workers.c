/*
 * workers.c - the engines serving a project as operators see them (the
 * console's workers view, `sluice show workers`): which are lost, why a
 * queued run has nobody to take it, and the operator's drain and cancel
 * of one worker.  Only reads and writes the store: no engine need run here.
 */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_VIEW_LEASE (30 * USEC_PER_SEC)

bool engine_worker_lost(const struct store_worker *w, usec_t lease)
{
	usec_t since = clock_now_us() - (lease ? lease : DEFAULT_VIEW_LEASE);
	return w->heartbeat < since || engine_worker_process_gone(w);
}

bool engine_worker_serving(const struct store_worker *w, usec_t lease)
{
	return !str_starts_with(w->id, FOREGROUND_PREFIX) && !engine_worker_lost(w, lease);
}

bool engine_worker_serves(const struct store_worker *w, const char *pool)
{
	if (!pool)
		return !w->pools;
	size_t n = strlen(pool);
	for (const char *p = w->pools; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, pool, n) == 0)
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return false;
}

char *engine_run_waiting(const struct store_run *r, const struct vec *workers,
			 usec_t lease)
{
	if (r->state == RUN_SCHEDULED && r->scheduled > clock_now_us()) {
		char when[24];
		time_format_short(r->scheduled, when);
		return xasprintf("scheduled for %s UTC", when);
	}
	bool queued = r->state == RUN_PENDING || r->state == RUN_LATE ||
		      r->state == RUN_SCHEDULED || r->state == RUN_RETRYING;
	if (!r->pool || !queued || (r->state == RUN_PENDING && r->worker))
		return NULL;
	for (size_t i = 0; i < workers->len; i++) {
		const struct store_worker *w = workers->items[i];
		if (engine_worker_serving(w, lease) && engine_worker_serves(w, r->pool))
			return NULL;
	}
	return xasprintf("waiting: no live worker serves pool %s", r->pool);
}

char *engine_run_worker_lost(const struct store_run *r, const struct vec *workers,
			     usec_t now, usec_t lease)
{
	if ((r->state != RUN_RUNNING && r->state != RUN_CANCELLING) || !r->worker)
		return NULL;
	for (size_t i = 0; i < workers->len; i++) {
		const struct store_worker *w = workers->items[i];
		if (!str_eq(w->id, r->worker))
			continue;
		if (!engine_worker_lost(w, lease))
			return NULL;
		char ago[32];
		time_format_relative(now, w->heartbeat, ago, sizeof ago);
		return xasprintf("LOST worker %s: last heartbeat %s", w->id, ago);
	}
	return xasprintf("LOST worker %s: it is no longer registered", r->worker);
}

int engine_worker_drain(struct store *s, const char *id, const char *by, struct err *e)
{
	char *target = xasprintf("worker:%s", id);
	int rc = store_request_add(s, ENGINE_REQ_DRAIN, target, NULL, by, NULL, e);
	free(target);
	return rc;
}

struct store_worker *engine_worker_find(struct store *s, const char *id, struct vec *ws,
					struct err *e)
{
	if (store_worker_list(s, ws, e) < 0)
		return NULL;
	for (size_t i = 0; i < ws->len; i++) {
		struct store_worker *w = ws->items[i];
		if (str_eq(w->id, id))
			return w;
	}
	err_set(e, ERR_NOTFOUND, "no worker %s is registered (sluice show workers lists them)",
		id);
	return NULL;
}

/* 1 when `id` is a registered worker, -1 when not (ERR_NOTFOUND) or on a
 * store error. */
static int worker_registered(struct store *s, const char *id, struct err *e)
{
	struct vec ws = VEC_INIT;
	int found = engine_worker_find(s, id, &ws, e) ? 1 : -1;
	store_worker_list_free(&ws);
	return found;
}

/* An id no worker has and no run names is a typo, not "0 runs": a worker
 * that has gone but left runs behind still has them cancelled. */
int engine_worker_cancel_runs(struct store *s, const char *id, const char *by,
			      int *cancelled, struct err *e)
{
	*cancelled = 0;
	struct store_run_filter f = {
		.states = RUN_STATE_BIT(RUN_RUNNING), .limit = 10000,
	};
	struct vec runs = VEC_INIT;
	if (store_run_list(s, &f, &runs, e) < 0)
		return -1;
	int rc = 0;
	bool matched = false;
	for (size_t i = 0; i < runs.len && rc == 0; i++) {
		const struct store_run *r = runs.items[i];
		if (!str_eq(r->worker, id))
			continue;
		matched = true;
		struct err ce;
		if (engine_cancel(s, r->id, by, &ce) == 0)
			(*cancelled)++;
		else if (ce.code != ERR_CONFLICT)
			rc = (*e = ce, -1);
	}
	store_run_list_free(&runs);
	if (rc == 0 && !matched)
		rc = worker_registered(s, id, e) < 0 ? -1 : 0;
	return rc;
}
