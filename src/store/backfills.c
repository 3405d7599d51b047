/*
 * backfills.c - where each backfill stands (one active per flow, kept by
 * a unique partial index so two operators cannot start two), with a
 * history of who moved it and when; and the queue of operator requests
 * through which consoles ask an engine to act.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const backfill_names[BACKFILL_STATE_COUNT] = {
	[BACKFILL_WAITING] = "WAITING", [BACKFILL_WORKING] = "WORKING",
	[BACKFILL_FAILED] = "FAILED", [BACKFILL_COMPLETED] = "COMPLETED",
	[BACKFILL_DISCARDED] = "DISCARDED",
};

const char *backfill_state_name(enum backfill_state st)
{
	return (unsigned)st < BACKFILL_STATE_COUNT ? backfill_names[st] : "?";
}

bool backfill_state_is_active(enum backfill_state st)
{
	return st == BACKFILL_WAITING || st == BACKFILL_WORKING || st == BACKFILL_FAILED;
}

static enum backfill_state parse_bf_state(const char *s)
{
	int v = BACKFILL_FAILED;
	st_enum_parse(backfill_names, BACKFILL_STATE_COUNT, s, &v);
	return (enum backfill_state)v;
}

#define BF_COLS "id, flow, step, state, plan, compare, error, created_by, " \
	"created_at, updated_at, ended_at"

static void *parse_backfill(struct db_cursor *c)
{
	struct store_backfill *b = xcalloc(1, sizeof(*b));
	b->id = st_col_i64(c, 0);
	b->flow = st_col_str(c, 1);
	b->step = st_col_str(c, 2);
	b->state = parse_bf_state(db_cursor_text(c, 3));
	b->plan = st_col_str(c, 4);
	b->compare = st_col_str(c, 5);
	b->error = st_col_str(c, 6);
	b->created_by = st_col_str(c, 7);
	b->created = st_col_i64(c, 8);
	b->updated = st_col_i64(c, 9);
	b->ended = st_col_i64(c, 10);
	return b;
}

void store_backfill_free(struct store_backfill *b)
{
	if (!b)
		return;
	free(b->flow);
	free(b->step);
	free(b->plan);
	free(b->compare);
	free(b->error);
	free(b->created_by);
	free(b);
}

static void free_backfill_v(void *p)
{
	store_backfill_free(p);
}

void store_backfill_list_free(struct vec *v)
{
	vec_free_all(v, free_backfill_v);
}

static void *parse_event(struct db_cursor *c)
{
	struct store_backfill_event *ev = xcalloc(1, sizeof(*ev));
	ev->id = st_col_i64(c, 0);
	ev->backfill_id = st_col_i64(c, 1);
	ev->step = st_col_str(c, 2);
	ev->state = parse_bf_state(db_cursor_text(c, 3));
	ev->by = st_col_str(c, 4);
	ev->note = st_col_str(c, 5);
	ev->at = st_col_i64(c, 6);
	return ev;
}

static void free_event_v(void *p)
{
	struct store_backfill_event *ev = p;
	free(ev->step);
	free(ev->by);
	free(ev->note);
	free(ev);
}

void store_backfill_history_free(struct vec *v)
{
	vec_free_all(v, free_event_v);
}

static int add_event(struct store *s, int64_t id, const char *step,
		     enum backfill_state state, const char *by, const char *note,
		     usec_t at, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, backfill_state_name(state));
	st_sqlp_str(&p, by);
	st_sqlp_str(&p, note);
	st_sqlp_i64(&p, at);
	return st_exec(s, "INSERT INTO backfill_events (backfill_id, step, state, "
		       "by_whom, note, at) VALUES ($1, $2, $3, $4, $5, $6)", &p, NULL, e);
}

/* Read the active backfill of `flow` inside the current transaction. */
static int active_locked(struct store *s, const char *flow, struct store_backfill **out,
			 struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " BF_COLS " FROM backfills "
				       "WHERE flow = $1 AND active = 1", &p, e),
			      parse_backfill, free_backfill_v, &rc, e);
	return rc;
}

static int active_conflict(struct store_backfill *b, struct err *e)
{
	err_set(e, ERR_CONFLICT, "flow %s already has backfill %lld (step %s, %s)",
		b->flow, (long long)b->id, b->step, backfill_state_name(b->state));
	store_backfill_free(b);
	return -1;
}

static int create_locked(struct store *s, const char *flow, const char *step,
			 const char *plan_json, const char *by, int64_t *id,
			 struct err *e)
{
	struct store_backfill *cur = NULL;
	int rc = active_locked(s, flow, &cur, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return active_conflict(cur, e);
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, plan_json);
	st_sqlp_str(&p, by);
	st_sqlp_i64(&p, now);
	/* The unique index is what guarantees one active backfill when two
	 * sessions race past the check above. */
	if (st_query_i64(s, "INSERT INTO backfills (flow, step, state, active, plan, "
			 "created_by, created_at, updated_at) VALUES ($1, $2, 'WAITING', "
			 "1, $3, $4, $5, $5) RETURNING id", &p, id, e) != 1)
		return -1;
	return add_event(s, *id, step, BACKFILL_WAITING, by, "created", now, e);
}

int store_backfill_create(struct store *s, const char *flow, const char *step,
			  const char *plan_json, const char *by, int64_t *id,
			  struct err *e)
{
	if (!flow || !*flow || !step || !*step)
		return err_set(e, ERR_INVALID, "a backfill needs a flow and a step");
	int64_t newid = 0;
	if (st_begin(s, e) < 0)
		return -1;
	if (create_locked(s, flow, step, plan_json, by, &newid, e) < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_BACKFILLS), e) < 0)
		return -1;
	if (id)
		*id = newid;
	return 0;
}

struct store_backfill *store_backfill_get(struct store *s, int64_t id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	int rc;
	struct store_backfill *b = st_collect_one(st_query(s, "SELECT " BF_COLS " FROM "
							   "backfills WHERE id = $1", &p, e),
						  parse_backfill, free_backfill_v, &rc, e);
	if (rc == 0)
		err_set(e, ERR_NOTFOUND, "no backfill %lld", (long long)id);
	return b;
}

static int update_locked(struct store *s, int64_t id, const struct store_backfill_move *m,
			 struct err *e)
{
	const char *step = m->step, *plan_json = m->plan_json,
		   *compare_json = m->compare_json, *error = m->error;
	enum backfill_state state = m->state;
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT state FROM backfills WHERE id = $1%s",
		 s->d->lock_row);
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	struct db_cursor *c = st_query(s, sql, &p, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	enum backfill_state cur = rc == 1 ? parse_bf_state(db_cursor_text(c, 0))
					  : BACKFILL_FAILED;
	db_cursor_close(c);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(e, ERR_NOTFOUND, "no backfill %lld", (long long)id);
	if (!backfill_state_is_active(cur))
		return err_set(e, ERR_CONFLICT, "backfill %lld is %s; it cannot move on",
			       (long long)id, backfill_state_name(cur));
	usec_t now = clock_now_us();
	struct sqlp u = SQLP_INIT;
	struct buf q = BUF_INIT;
	buf_printf(&q, "UPDATE backfills SET step = $%d", st_sqlp_str(&u, step));
	buf_printf(&q, ", state = $%d", st_sqlp_str(&u, backfill_state_name(state)));
	buf_printf(&q, ", active = %d", backfill_state_is_active(state) ? 1 : 0);
	buf_printf(&q, ", updated_at = $%d", st_sqlp_i64(&u, now));
	if (!backfill_state_is_active(state))
		buf_printf(&q, ", ended_at = $%d", st_sqlp_i64(&u, now));
	if (plan_json)
		buf_printf(&q, ", plan = $%d", st_sqlp_str(&u, plan_json));
	if (compare_json)
		buf_printf(&q, ", compare = $%d", st_sqlp_str(&u, compare_json));
	if (error)
		buf_printf(&q, ", error = $%d", st_sqlp_str(&u, error));
	else if (state != BACKFILL_FAILED)
		buf_puts(&q, ", error = NULL");
	buf_printf(&q, " WHERE id = $%d", st_sqlp_i64(&u, id));
	rc = st_exec(s, buf_str(&q), &u, NULL, e);
	buf_free(&q);
	if (rc < 0)
		return -1;
	if (m->quiet)
		return 0;
	return add_event(s, id, step, state, m->by, m->note, now, e);
}

int store_backfill_update(struct store *s, int64_t id, const struct store_backfill_move *m,
			  struct err *e)
{
	if (!m->step || !*m->step || (unsigned)m->state >= BACKFILL_STATE_COUNT)
		return err_set(e, ERR_INVALID, "a backfill update needs a step and a state");
	if (st_begin(s, e) < 0)
		return -1;
	if (update_locked(s, id, m, e) < 0) {
		st_rollback(s);
		return -1;
	}
	return st_commit(s, STORE_AREA_BIT(STORE_AREA_BACKFILLS), e);
}

int store_backfill_active(struct store *s, const char *flow,
			  struct store_backfill **out, struct err *e)
{
	return active_locked(s, flow, out, e);
}

int store_backfill_list(struct store *s, const char *flow, int limit,
			struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " BF_COLS " FROM backfills");
	if (flow)
		buf_printf(&sql, " WHERE flow = $%d", st_sqlp_str(&p, flow));
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d", st_clamp_limit(limit, 100, 10000));
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_backfill,
			    free_backfill_v, out, e);
	buf_free(&sql);
	return rc;
}

int store_backfill_history(struct store *s, int64_t id, struct vec *out,
			   struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	return st_collect(st_query(s, "SELECT id, backfill_id, step, state, by_whom, "
				   "note, at FROM backfill_events WHERE backfill_id = $1 "
				   "ORDER BY id", &p, e),
			  parse_event, free_event_v, out, e);
}

/* ---- operator requests ---------------------------------------------------------------- */
static const char *const request_names[REQUEST_STATE_COUNT] = {
	[REQUEST_PENDING] = "PENDING", [REQUEST_CLAIMED] = "CLAIMED",
	[REQUEST_DONE] = "DONE", [REQUEST_FAILED] = "FAILED",
};

const char *request_state_name(enum request_state st)
{
	return (unsigned)st < REQUEST_STATE_COUNT ? request_names[st] : "?";
}

#define REQ_COLS "id, kind, target, args, requested_by, requested_at, claimed_at, " \
	"completed_at, state, claimed_by, result, error"

static void *parse_request(struct db_cursor *c)
{
	struct store_request *r = xcalloc(1, sizeof(*r));
	r->id = st_col_i64(c, 0);
	r->kind = st_col_str(c, 1);
	r->target = st_col_str(c, 2);
	r->args = st_col_str(c, 3);
	r->requested_by = st_col_str(c, 4);
	r->requested = st_col_i64(c, 5);
	r->claimed = st_col_i64(c, 6);
	r->completed = st_col_i64(c, 7);
	int st = REQUEST_FAILED;
	st_enum_parse(request_names, REQUEST_STATE_COUNT, db_cursor_text(c, 8), &st);
	r->state = (enum request_state)st;
	r->claimed_by = st_col_str(c, 9);
	r->result = st_col_str(c, 10);
	r->error = st_col_str(c, 11);
	return r;
}

void store_request_free(struct store_request *r)
{
	if (!r)
		return;
	free(r->kind);
	free(r->target);
	free(r->args);
	free(r->requested_by);
	free(r->claimed_by);
	free(r->result);
	free(r->error);
	free(r);
}

static void free_request_v(void *p)
{
	store_request_free(p);
}

void store_request_list_free(struct vec *v)
{
	vec_free_all(v, free_request_v);
}

int store_request_add(struct store *s, const char *kind, const char *target,
		      const char *args_json, const char *requested_by, int64_t *id,
		      struct err *e)
{
	if (!kind || !*kind)
		return err_set(e, ERR_INVALID, "a request needs a kind");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, kind);
	st_sqlp_str(&p, target);
	st_sqlp_str(&p, args_json);
	st_sqlp_str(&p, requested_by);
	st_sqlp_i64(&p, clock_now_us());
	return st_insert_id(s, STORE_AREA_BIT(STORE_AREA_REQUESTS),
			    "INSERT INTO requests (kind, target, args, requested_by, "
			    "requested_at, state) VALUES ($1, $2, $3, $4, $5, 'PENDING') "
			    "RETURNING id", &p, id, e);
}

struct store_request *store_request_get(struct store *s, int64_t id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	int rc;
	struct store_request *r = st_collect_one(st_query(s, "SELECT " REQ_COLS " FROM "
							  "requests WHERE id = $1", &p, e),
						 parse_request, free_request_v, &rc, e);
	if (rc == 0)
		err_set(e, ERR_NOTFOUND, "no request %lld", (long long)id);
	return r;
}

int store_request_claim(struct store *s, const char *worker,
			struct store_request **out, struct err *e)
{
	return store_request_claim_target(s, worker, NULL, out, e);
}

int store_request_claim_target(struct store *s, const char *worker, const char *target,
			       struct store_request **out, struct err *e)
{
	*out = NULL;
	if (!worker || !*worker)
		return err_set(e, ERR_INVALID, "claiming a request needs a worker id");
	if (st_begin(s, e) < 0)
		return -1;
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT id FROM requests WHERE state = 'PENDING' "
		 "AND %s ORDER BY id LIMIT 1%s",
		 target ? "target = $1" : "(target IS NULL OR target NOT LIKE 'worker:%')",
		 s->d->skip_locked);
	int64_t id = 0;
	struct sqlp q = SQLP_INIT;
	if (target)
		st_sqlp_str(&q, target);
	int rc = st_query_i64(s, sql, &q, &id, e);
	if (rc == 1) {
		struct sqlp p = SQLP_INIT;
		st_sqlp_str(&p, worker);
		st_sqlp_i64(&p, clock_now_us());
		st_sqlp_i64(&p, id);
		rc = st_exec(s, "UPDATE requests SET state = 'CLAIMED', claimed_by = $1, "
			     "claimed_at = $2 WHERE id = $3", &p, NULL, e) < 0 ? -1 : 1;
	}
	if (rc <= 0) {
		st_rollback(s);
		return rc;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_REQUESTS), e) < 0)
		return -1;
	*out = store_request_get(s, id, e);
	return *out ? 1 : -1;
}

int store_request_complete(struct store *s, int64_t id, bool ok, const char *result,
			   const char *error, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, ok ? "DONE" : "FAILED");
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_str(&p, result);
	st_sqlp_str(&p, ok ? NULL : (error ? error : "failed"));
	st_sqlp_i64(&p, id);
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_REQUESTS),
		      "UPDATE requests SET state = $1, completed_at = $2, result = $3, "
		      "error = $4 WHERE id = $5 AND state = 'CLAIMED'", &p, &n, e) < 0)
		return -1;
	if (n == 0) {
		struct store_request *r = store_request_get(s, id, e);
		if (!r)
			return -1;
		err_set(e, ERR_CONFLICT, "request %lld is %s; only a CLAIMED request "
			"can be completed", (long long)id, request_state_name(r->state));
		store_request_free(r);
		return -1;
	}
	return 0;
}

int store_request_list(struct store *s, int limit, struct vec *out, struct err *e)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT " REQ_COLS " FROM requests ORDER BY id DESC "
		 "LIMIT %d", st_clamp_limit(limit, 100, 10000));
	return st_collect(st_query(s, sql, NULL, e), parse_request, free_request_v,
			  out, e);
}
