/*
 * runs.c - flow runs: creation, the state machine (one table of allowed
 * moves, checked inside the transaction that makes the move and recorded
 * beside it), listing and counting for the console, and claiming runs
 * for workers.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[RUN_STATE_COUNT] = {
	[RUN_SCHEDULED] = "SCHEDULED", [RUN_LATE] = "LATE",
	[RUN_PENDING] = "PENDING", [RUN_RUNNING] = "RUNNING",
	[RUN_RETRYING] = "RETRYING", [RUN_COMPLETED] = "COMPLETED",
	[RUN_CACHED] = "CACHED", [RUN_FAILED] = "FAILED",
	[RUN_CANCELLING] = "CANCELLING", [RUN_CANCELLED] = "CANCELLED",
	[RUN_CRASHED] = "CRASHED",
};

#define B(st) RUN_STATE_BIT(RUN_##st)
static const unsigned allowed_moves[RUN_STATE_COUNT] = {
	[RUN_SCHEDULED]  = B(LATE) | B(PENDING) | B(RUNNING) | B(CANCELLED),
	[RUN_LATE]       = B(PENDING) | B(RUNNING) | B(CANCELLED),
	[RUN_PENDING]    = B(RUNNING) | B(CANCELLED) | B(FAILED),
	[RUN_RUNNING]    = B(COMPLETED) | B(CACHED) | B(FAILED) | B(RETRYING) |
			   B(CANCELLING) | B(CANCELLED) | B(CRASHED) |
			   B(PENDING),       /* handed back by a draining worker */
	[RUN_RETRYING]   = B(PENDING) | B(RUNNING) | B(FAILED) | B(CANCELLED),
	[RUN_CANCELLING] = B(CANCELLED) | B(COMPLETED) | B(FAILED) | B(CRASHED),
	[RUN_CRASHED]    = B(RETRYING),
};
#undef B

static const char *const trigger_names[RUN_TRIGGER_COUNT] = {
	[TRIGGER_MANUAL] = "manual", [TRIGGER_TASK] = "task",
	[TRIGGER_BACKFILL] = "backfill", [TRIGGER_RETRY] = "retry",
	[TRIGGER_COMMAND_LINE] = "command line", [TRIGGER_SCHEDULE] = "schedule",
};

const char *run_state_name(enum run_state st)
{
	return (unsigned)st < RUN_STATE_COUNT ? state_names[st] : "?";
}

bool run_state_parse(const char *s, enum run_state *out)
{
	int v;
	if (!st_enum_parse(state_names, RUN_STATE_COUNT, s, &v))
		return false;
	*out = (enum run_state)v;
	return true;
}

bool run_state_is_terminal(enum run_state st)
{
	return st == RUN_COMPLETED || st == RUN_CACHED || st == RUN_FAILED ||
	       st == RUN_CANCELLED || st == RUN_CRASHED;
}

bool run_transition_allowed(enum run_state from, enum run_state to)
{
	if ((unsigned)from >= RUN_STATE_COUNT || (unsigned)to >= RUN_STATE_COUNT)
		return false;
	return (allowed_moves[from] & RUN_STATE_BIT(to)) != 0;
}

const char *run_trigger_name(enum run_trigger t)
{
	return (unsigned)t < RUN_TRIGGER_COUNT ? trigger_names[t] : "?";
}

bool run_trigger_parse(const char *s, enum run_trigger *out)
{
	int v;
	if (!st_enum_parse(trigger_names, RUN_TRIGGER_COUNT, s, &v))
		return false;
	*out = (enum run_trigger)v;
	return true;
}

/* ---- reading ------------------------------------------------------------------ */
#define RUN_COLS "id, flow, params, state, reason, trigger_kind, trigger_detail, " \
	"attempt, max_attempts, environment, worker, created_at, scheduled_at, " \
	"started_at, ended_at, next_retry_at, updated_at, error, error_detail, " \
	"rows_in, rows_out, parent_run, pool, late_at, partition_key, rows_deleted"

static void *parse_run(struct db_cursor *c)
{
	struct store_run *r = xcalloc(1, sizeof(*r));
	r->id = st_col_i64(c, 0);
	r->flow = st_col_str(c, 1);
	r->params = st_col_str(c, 2);
	if (!run_state_parse(db_cursor_text(c, 3), &r->state))
		r->state = RUN_FAILED;
	r->reason = st_col_str(c, 4);
	if (!run_trigger_parse(db_cursor_text(c, 5), &r->trigger))
		r->trigger = TRIGGER_MANUAL;
	r->trigger_detail = st_col_str(c, 6);
	r->attempt = (int)st_col_i64(c, 7);
	r->max_attempts = (int)st_col_i64(c, 8);
	r->environment = st_col_str(c, 9);
	r->worker = st_col_str(c, 10);
	r->created = st_col_i64(c, 11);
	r->scheduled = st_col_i64(c, 12);
	r->started = st_col_i64(c, 13);
	r->ended = st_col_i64(c, 14);
	r->next_retry = st_col_i64(c, 15);
	r->updated = st_col_i64(c, 16);
	r->error = st_col_str(c, 17);
	r->error_detail = st_col_str(c, 18);
	r->rows_in = st_col_i64(c, 19);
	r->rows_out = st_col_i64(c, 20);
	r->parent_run = st_col_i64(c, 21);
	r->pool = st_col_str(c, 22);
	r->late_at = st_col_i64(c, 23);
	r->partition = st_col_str(c, 24);
	r->rows_deleted = db_cursor_text(c, 25) ? st_col_i64(c, 25) : -1;
	return r;
}

void store_run_free(struct store_run *r)
{
	if (!r)
		return;
	free(r->flow);
	free(r->params);
	free(r->reason);
	free(r->trigger_detail);
	free(r->environment);
	free(r->worker);
	free(r->error);
	free(r->error_detail);
	free(r->pool);
	free(r->partition);
	free(r);
}

static void free_run_v(void *p)
{
	store_run_free(p);
}

void store_run_list_free(struct vec *runs)
{
	vec_free_all(runs, free_run_v);
}

struct store_run *store_run_get(struct store *s, int64_t id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	int rc;
	struct store_run *r = st_collect_one(st_query(s, "SELECT " RUN_COLS " FROM runs "
						      "WHERE id = $1", &p, e),
					     parse_run, free_run_v, &rc, e);
	if (rc == 0)
		err_set(e, ERR_NOTFOUND, "no run %lld", (long long)id);
	return r;
}

/* ---- creating ------------------------------------------------------------------ */
static int insert_transition(struct store *s, int64_t run_id, usec_t at,
			     const char *from, enum run_state to,
			     const char *reason, const char *worker, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	st_sqlp_i64(&p, at);
	st_sqlp_str(&p, from);
	st_sqlp_str(&p, run_state_name(to));
	st_sqlp_str(&p, reason);
	st_sqlp_str(&p, worker);
	return st_exec(s, "INSERT INTO run_transitions "
		       "(run_id, at, from_state, to_state, reason, worker) "
		       "VALUES ($1, $2, $3, $4, $5, $6)", &p, NULL, e);
}

int store_run_create(struct store *s, const struct store_run_spec *spec,
		     int64_t *id, struct err *e)
{
	if (!spec || !spec->flow || !*spec->flow)
		return err_set(e, ERR_INVALID, "a run needs a flow");
	if (spec->state != RUN_SCHEDULED && spec->state != RUN_PENDING)
		return err_set(e, ERR_INVALID, "a run starts SCHEDULED or PENDING, not %s",
			       run_state_name(spec->state));
	BUG_ON((unsigned)spec->trigger >= RUN_TRIGGER_COUNT);
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, spec->flow);
	st_sqlp_str(&p, spec->params ? spec->params : "{}");
	st_sqlp_str(&p, run_state_name(spec->state));
	st_sqlp_str(&p, spec->reason ? spec->reason : "created");
	st_sqlp_str(&p, run_trigger_name(spec->trigger));
	st_sqlp_str(&p, spec->trigger_detail);
	st_sqlp_i64(&p, spec->max_attempts > 0 ? spec->max_attempts : 1);
	st_sqlp_str(&p, spec->environment);
	st_sqlp_i64(&p, now);
	st_sqlp_i64(&p, spec->scheduled ? spec->scheduled : now);
	st_sqlp_i64_or_null(&p, spec->parent_run);
	st_sqlp_str(&p, spec->state == RUN_PENDING ? spec->worker : NULL);
	st_sqlp_str(&p, spec->pool && *spec->pool ? spec->pool : NULL);
	usec_t scheduled = spec->scheduled ? spec->scheduled : now;
	st_sqlp_i64_or_null(&p, spec->state == RUN_SCHEDULED && spec->late_after > 0
			    ? scheduled + spec->late_after : 0);
	st_sqlp_str(&p, spec->partition);

	if (st_begin(s, e) < 0)
		return -1;
	int64_t newid = 0;
	if (st_query_i64(s, "INSERT INTO runs (flow, params, state, reason, trigger_kind, "
			 "trigger_detail, attempt, max_attempts, environment, created_at, "
			 "scheduled_at, updated_at, parent_run, worker, pool, late_at, "
			 "partition_key, rows_deleted) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, "
			 "$8, $9, $10, $9, $11, $12, $13, $14, $15, 0) RETURNING id",
			 &p, &newid, e) != 1 ||
	    insert_transition(s, newid, now, NULL, spec->state,
			      spec->reason ? spec->reason : "created", NULL, e) < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_RUNS), e) < 0)
		return -1;
	if (id)
		*id = newid;
	return 0;
}

/* ---- transitions --------------------------------------------------------------- */
struct run_row {
	enum run_state state;
	int attempt;
	usec_t started, late_at;
	char *worker;
};

/* Read (and on PostgreSQL lock) the fields a transition depends on.
 * 1 found, 0 no such run, -1 error. */
static int lock_run(struct store *s, int64_t id, struct run_row *r, struct err *e)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT state, attempt, started_at, worker, late_at "
		 "FROM runs WHERE id = $1%s", s->d->lock_row);
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	struct db_cursor *c = st_query(s, sql, &p, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		if (!run_state_parse(db_cursor_text(c, 0), &r->state))
			r->state = RUN_FAILED;
		r->attempt = (int)st_col_i64(c, 1);
		r->started = st_col_i64(c, 2);
		r->worker = st_col_str(c, 3);
		r->late_at = st_col_i64(c, 4);
	}
	db_cursor_close(c);
	return rc;
}

struct move {
	enum run_state to;
	const char *reason;
	const char *error;
	usec_t next_retry;       /* RETRYING: when; 0 = now */
	const char *worker;      /* claiming: the new owner */
};

/* Steps end with their run: those a run leaves RUNNING or PENDING when it
 * ends (its worker died, its timeout struck) are settled with it, in the
 * transaction that ends it.  A CRASHED run retried in place runs them
 * again, rewriting their rows. */
static int end_open_steps(struct store *s, int64_t id, enum run_state to, struct err *e)
{
	char *why = xasprintf("ended with its run (%s)", run_state_name(to));
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, to == RUN_CANCELLED ? "CANCELLED" : "FAILED");
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_str(&p, why);
	st_sqlp_i64(&p, id);
	int rc = st_exec(s, "UPDATE step_runs SET state = $1, ended_at = $2, error = "
			 "COALESCE(error, $3), error_detail = COALESCE(error_detail, $3) "
			 "WHERE run_id = $4 AND state IN ('RUNNING', 'PENDING')", &p, NULL, e);
	free(why);
	return rc;
}

/* The state change and its record, inside the caller's transaction. */
static int apply_move(struct store *s, int64_t id, const struct run_row *cur,
		      const struct move *m, struct err *e)
{
	if (!run_transition_allowed(cur->state, m->to))
		return err_set(e, ERR_CONFLICT, "run %lld: cannot go from %s to %s",
			       (long long)id, run_state_name(cur->state),
			       run_state_name(m->to));
	usec_t now = clock_now_us();
	char *line = st_first_line(m->error);
	const char *reason = m->reason ? m->reason : line;
	int attempt = cur->attempt;
	if (m->to == RUN_RUNNING && cur->state == RUN_RETRYING)
		attempt++;
	const char *worker = m->worker ? m->worker : cur->worker;
	/* PENDING again (handed back by a draining worker): anyone's to take.
	 * A worker on a PENDING run means it is kept for a foreground run. */
	if (m->to == RUN_PENDING)
		worker = NULL;

	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "UPDATE runs SET state = $%d", st_sqlp_str(&p, run_state_name(m->to)));
	buf_printf(&sql, ", reason = $%d", st_sqlp_str(&p, reason));
	buf_printf(&sql, ", updated_at = $%d", st_sqlp_i64(&p, now));
	buf_printf(&sql, ", attempt = $%d", st_sqlp_i64(&p, attempt));
	buf_printf(&sql, ", worker = $%d", st_sqlp_str(&p, worker));
	if (m->to == RUN_RUNNING && !cur->started)
		buf_printf(&sql, ", started_at = $%d", st_sqlp_i64(&p, now));
	if (run_state_is_terminal(m->to))
		buf_printf(&sql, ", ended_at = $%d", st_sqlp_i64(&p, now));
	else if (run_state_is_terminal(cur->state))
		buf_puts(&sql, ", ended_at = NULL");   /* CRASHED -> RETRYING: live again */
	if (m->to == RUN_RETRYING)
		buf_printf(&sql, ", next_retry_at = $%d",
			   st_sqlp_i64(&p, m->next_retry ? m->next_retry : now));
	else
		buf_puts(&sql, ", next_retry_at = NULL");
	if (m->error) {
		buf_printf(&sql, ", error = $%d", st_sqlp_str(&p, line));
		buf_printf(&sql, ", error_detail = $%d", st_sqlp_str(&p, m->error));
	} else if (m->to == RUN_RUNNING && cur->state == RUN_RETRYING) {
		/* A new attempt starts clean; the transitions keep the old error. */
		buf_puts(&sql, ", error = NULL, error_detail = NULL");
	}
	buf_printf(&sql, " WHERE id = $%d", st_sqlp_i64(&p, id));

	int rc = st_exec(s, buf_str(&sql), &p, NULL, e);
	if (rc == 0)
		rc = insert_transition(s, id, now, run_state_name(cur->state), m->to,
				       reason, worker, e);
	if (rc == 0 && run_state_is_terminal(m->to))
		rc = end_open_steps(s, id, m->to, e);
	buf_free(&sql);
	free(line);
	return rc;
}

static int transition(struct store *s, int64_t id, const struct move *m,
		      struct err *e)
{
	BUG_ON((unsigned)m->to >= RUN_STATE_COUNT);
	if (st_begin(s, e) < 0)
		return -1;
	struct run_row cur = { 0 };
	int rc = lock_run(s, id, &cur, e);
	if (rc == 0)
		err_set(e, ERR_NOTFOUND, "no run %lld", (long long)id);
	if (rc != 1 || apply_move(s, id, &cur, m, e) < 0) {
		free(cur.worker);
		st_rollback(s);
		return -1;
	}
	free(cur.worker);
	return st_commit(s, STORE_AREA_BIT(STORE_AREA_RUNS), e);
}

int store_run_transition(struct store *s, int64_t run_id, enum run_state to,
			 const char *reason, const char *error, struct err *e)
{
	struct move m = { .to = to, .reason = reason, .error = error };
	return transition(s, run_id, &m, e);
}

int store_run_retry_at(struct store *s, int64_t run_id, usec_t when,
		       const char *reason, const char *error, struct err *e)
{
	struct move m = { .to = RUN_RETRYING, .reason = reason, .error = error,
			  .next_retry = when };
	return transition(s, run_id, &m, e);
}

enum run_state store_run_shown_state(const struct store_run *r, usec_t now)
{
	if (r->state == RUN_SCHEDULED && r->late_at && r->late_at <= now)
		return RUN_LATE;
	return r->state;
}

int store_runs_overdue(struct store *s, usec_t now, int limit, struct vec *out,
		       usec_t *next, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, now);
	int64_t when = 0;
	if (st_query_i64(s, "SELECT coalesce(min(late_at), 0) FROM runs WHERE "
			 "ended_at IS NULL AND state = 'SCHEDULED' AND late_at > $1",
			 &p, &when, e) < 0)
		return -1;
	*next = when;
	char sql[640];
	snprintf(sql, sizeof sql, "SELECT " RUN_COLS " FROM runs WHERE ended_at IS NULL "
		 "AND state = 'SCHEDULED' AND late_at <= $1 ORDER BY late_at, id LIMIT %d",
		 st_clamp_limit(limit, 100, 1000));
	return st_collect(st_query(s, sql, &p, e), parse_run, free_run_v, out, e);
}

int store_run_repool(struct store *s, int64_t run_id, const char *pool, int *moved,
		     struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, pool && *pool ? pool : NULL);
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_i64(&p, run_id);
	int64_t n = 0;
	/* the state in the WHERE: a claim that won first keeps its run */
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_RUNS),
		      "UPDATE runs SET pool = $1, updated_at = $2 WHERE id = $3 AND "
		      "ended_at IS NULL AND (state IN ('RETRYING', 'SCHEDULED', 'LATE') OR "
		      "(state = 'PENDING' AND worker IS NULL))", &p, &n, e) < 0)
		return -1;
	*moved = n > 0;
	return 0;
}

int store_run_set_deleted(struct store *s, int64_t run_id, int64_t rows_deleted,
			  struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, rows_deleted);
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_i64(&p, run_id);
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_RUNS),
		      "UPDATE runs SET rows_deleted = $1, updated_at = $2 WHERE id = $3",
		      &p, &n, e) < 0)
		return -1;
	if (n == 0)
		return err_set(e, ERR_NOTFOUND, "no run %lld", (long long)run_id);
	return 0;
}

int store_run_set_rows(struct store *s, int64_t run_id, int64_t rows_in,
		       int64_t rows_out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, rows_in);
	st_sqlp_i64(&p, rows_out);
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_i64(&p, run_id);
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_RUNS),
		      "UPDATE runs SET rows_in = $1, rows_out = $2, updated_at = $3 "
		      "WHERE id = $4", &p, &n, e) < 0)
		return -1;
	if (n == 0)
		return err_set(e, ERR_NOTFOUND, "no run %lld", (long long)run_id);
	return 0;
}

static void *parse_transition(struct db_cursor *c)
{
	struct store_transition *t = xcalloc(1, sizeof(*t));
	t->id = st_col_i64(c, 0);
	t->run_id = st_col_i64(c, 1);
	t->at = st_col_i64(c, 2);
	t->has_from = run_state_parse(db_cursor_text(c, 3), &t->from);
	if (!run_state_parse(db_cursor_text(c, 4), &t->to))
		t->to = RUN_FAILED;
	t->reason = st_col_str(c, 5);
	t->worker = st_col_str(c, 6);
	return t;
}

static void free_transition_v(void *p)
{
	struct store_transition *t = p;
	free(t->reason);
	free(t->worker);
	free(t);
}

void store_transition_list_free(struct vec *v)
{
	vec_free_all(v, free_transition_v);
}

int store_run_transitions(struct store *s, int64_t run_id, struct vec *out,
			  struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	return st_collect(st_query(s, "SELECT id, run_id, at, from_state, to_state, "
				   "reason, worker FROM run_transitions "
				   "WHERE run_id = $1 ORDER BY id", &p, e),
			  parse_transition, free_transition_v, out, e);
}

/* ---- listing ------------------------------------------------------------------- */
#define TERMINAL_STATES (RUN_STATE_BIT(RUN_COMPLETED) | RUN_STATE_BIT(RUN_CACHED) | \
	RUN_STATE_BIT(RUN_FAILED) | RUN_STATE_BIT(RUN_CANCELLED) | RUN_STATE_BIT(RUN_CRASHED))

static void state_set_sql(struct buf *sql, unsigned states)
{
	bool first = true;
	buf_puts(sql, " OR state IN (");
	for (int st = 0; st < RUN_STATE_COUNT; st++) {
		if (!(states & RUN_STATE_BIT(st)))
			continue;
		/* Names from our own table, never from input. */
		buf_printf(sql, "%s'%s'", first ? "" : ", ", state_names[st]);
		first = false;
	}
	buf_putc(sql, ')');
}

static void run_where(struct buf *sql, struct sqlp *p, const struct store_run_filter *f)
{
	buf_puts(sql, " WHERE 1 = 1");
	if (!f)
		return;
	if (f->flow)
		buf_printf(sql, " AND flow = $%d", st_sqlp_str(p, f->flow));
	unsigned states = f->states & ((1u << RUN_STATE_COUNT) - 1);
	/* States as shown (store_run_shown_state): a SCHEDULED run past its
	 * late_at that no engine has marked is LATE. */
	unsigned sched_late = RUN_STATE_BIT(RUN_SCHEDULED) | RUN_STATE_BIT(RUN_LATE);
	if ((states & sched_late) == RUN_STATE_BIT(RUN_SCHEDULED)) {
		states &= ~RUN_STATE_BIT(RUN_SCHEDULED);
		buf_printf(sql, " AND (1 = 0 OR (state = 'SCHEDULED' AND (late_at IS NULL "
			   "OR late_at > $%d))", st_sqlp_i64(p, clock_now_us()));
	} else if ((states & sched_late) == RUN_STATE_BIT(RUN_LATE)) {
		buf_printf(sql, " AND (1 = 0 OR (state = 'SCHEDULED' AND late_at <= $%d)",
			   st_sqlp_i64(p, clock_now_us()));
	} else if (states) {
		buf_puts(sql, " AND (1 = 0");
	}
	if (states)
		state_set_sql(sql, states);
	if (states || (f->states & sched_late))
		buf_putc(sql, ')');
	states = f->states & ((1u << RUN_STATE_COUNT) - 1);
	if (states && !(states & TERMINAL_STATES))
		buf_puts(sql, " AND ended_at IS NULL");
	if (f->since)
		buf_printf(sql, " AND created_at >= $%d", st_sqlp_i64(p, f->since));
	if (f->parent_run)
		buf_printf(sql, " AND parent_run = $%d", st_sqlp_i64(p, f->parent_run));
	if (f->partition)
		buf_printf(sql, " AND partition_key = $%d", st_sqlp_str(p, f->partition));
}

static const char *run_order(enum store_run_sort sort)
{
	switch (sort) {
	case RUN_SORT_OLDEST:  return " ORDER BY id";
	case RUN_SORT_STARTED: return " ORDER BY COALESCE(started_at, 0) DESC, id DESC";
	case RUN_SORT_UPDATED: return " ORDER BY updated_at DESC, id DESC";
	case RUN_SORT_NEWEST:
	default:               return " ORDER BY id DESC";
	}
}

int store_run_list(struct store *s, const struct store_run_filter *f,
		   struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " RUN_COLS " FROM runs");
	run_where(&sql, &p, f);
	buf_puts(&sql, run_order(f ? f->sort : RUN_SORT_NEWEST));
	buf_printf(&sql, " LIMIT %d OFFSET %d", st_clamp_limit(f ? f->limit : 0, 100, 10000),
		   f && f->offset > 0 ? f->offset : 0);
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_run, free_run_v,
			    out, e);
	buf_free(&sql);
	return rc;
}

int store_run_count(struct store *s, const struct store_run_filter *f,
		    int64_t *count, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT count(*) FROM runs");
	run_where(&sql, &p, f);
	*count = 0;
	int rc = st_query_i64(s, buf_str(&sql), &p, count, e);
	buf_free(&sql);
	return rc < 0 ? -1 : 0;
}

int store_run_counts(struct store *s, const char *flow, usec_t since,
		     int64_t counts[RUN_STATE_COUNT], struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT state, count(*) FROM runs WHERE 1 = 1");
	if (flow)
		buf_printf(&sql, " AND flow = $%d", st_sqlp_str(&p, flow));
	if (since)
		buf_printf(&sql, " AND created_at >= $%d", st_sqlp_i64(&p, since));
	buf_puts(&sql, " GROUP BY state");
	for (int i = 0; i < RUN_STATE_COUNT; i++)
		counts[i] = 0;
	struct db_cursor *c = st_query(s, buf_str(&sql), &p, e);
	buf_free(&sql);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		enum run_state st;
		if (run_state_parse(db_cursor_text(c, 0), &st))
			counts[st] = st_col_i64(c, 1);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

/* ---- claiming ------------------------------------------------------------------ */
int store_flow_limit_set(struct store *s, const char *flow, int limit,
			 struct err *e)
{
	if (!flow || limit < 0)
		return err_set(e, ERR_INVALID, "a flow limit needs a flow and a "
			       "limit of 0 (unlimited) or more");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_i64(&p, limit);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_OBJECTS),
			 "INSERT INTO flow_limits (flow, max_running) VALUES ($1, $2) "
			 "ON CONFLICT (flow) DO UPDATE SET max_running = excluded.max_running",
			 &p, NULL, e);
}

int store_flow_limit_get(struct store *s, const char *flow, int *limit,
			 struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	int64_t v = 0;
	int rc = st_query_i64(s, "SELECT max_running FROM flow_limits WHERE flow = $1",
			      &p, &v, e);
	if (rc == 1)
		*limit = (int)v;
	return rc;
}

/* Runs that hold a slot of their flow's limit: those running, and those
 * waiting to run again (RETRYING).  A retried attempt skips the steps its
 * earlier attempts committed and goes on from what they left, in staging
 * tables every run of the flow shares; another run in between would
 * leave its own rows there.  A RETRYING run itself waits only for running
 * ones (two RETRYING runs of a one-at-a-time flow take turns). */
#define HOLDS_SLOT "('RUNNING', 'CANCELLING', 'RETRYING')"
#define RUNS_NOW   "('RUNNING', 'CANCELLING')"
#define LIMIT_OF(f) "COALESCE((SELECT l.max_running FROM flow_limits l " \
	"WHERE l.flow = " f "), 1)"
#define COUNT_OF(f, states) "(SELECT count(*) FROM runs x WHERE x.flow = " f \
	" AND x.state IN " states " AND x.ended_at IS NULL)"
/* Flows whose runs in `states` fill their limit. */
#define FLOWS_FULL(states) "(SELECT x.flow FROM runs x " \
	"LEFT JOIN flow_limits l ON l.flow = x.flow " \
	"WHERE x.state IN " states " AND x.ended_at IS NULL " \
	"GROUP BY x.flow HAVING COALESCE(max(l.max_running), 1) <> 0 " \
	"AND count(*) >= COALESCE(max(l.max_running), 1))"

/* The oldest due run below its flow's limit, locked (PostgreSQL: skipping
 * rows other claimers hold).  1 found, 0 none, -1 error. */
struct pools {
	const char *const *names;
	size_t n;
};

/* Runs of the worker's pools, or without a pool for a worker with none. */
static void where_pool(struct buf *sql, struct sqlp *p, const struct pools *pl)
{
	if (!pl->n) {
		buf_puts(sql, " AND pool IS NULL");
		return;
	}
	buf_puts(sql, " AND pool IN (");
	for (size_t i = 0; i < pl->n; i++)
		buf_printf(sql, "%s$%d", i ? ", " : "", st_sqlp_str(p, pl->names[i]));
	buf_puts(sql, ")");
}

/* FROM and WHERE of the runs a claim would take now. */
static void due_from_where(struct buf *sql, struct sqlp *p, const char *flow,
			   const struct pools *pl)
{
	int now = st_sqlp_i64(p, clock_now_us());
	buf_printf(sql, " FROM runs r WHERE ended_at IS NULL "
		   "AND state IN ('PENDING', 'RETRYING', 'SCHEDULED', 'LATE') "
		   "AND (state = 'PENDING' "
		   "OR (state = 'RETRYING' AND next_retry_at <= $%d) "
		   "OR (state IN ('SCHEDULED', 'LATE') AND scheduled_at <= $%d))",
		   now, now);
	if (flow)
		buf_printf(sql, " AND flow = $%d", st_sqlp_str(p, flow));
	where_pool(sql, p, pl);
	/* A PENDING run with a worker is kept for that worker (a foreground
	 * `sluice run` waiting for its flow's slot). */
	buf_puts(sql, " AND (state <> 'PENDING' OR worker IS NULL)");
	/* Flows at their limit, worked out once rather than per candidate:
	 * with a thousand runs queued a per-row count was most of a claim. */
	buf_puts(sql, " AND ((state <> 'RETRYING' AND flow NOT IN " FLOWS_FULL(HOLDS_SLOT) ")"
		 " OR (state = 'RETRYING' AND flow NOT IN " FLOWS_FULL(RUNS_NOW) "))");
}

int st_runs_claimable(struct store *s, const char *const *pools, size_t npools,
		      int64_t *n, struct err *e)
{
	const struct pools pl = { pools, npools };
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT count(*) FROM (SELECT id");
	due_from_where(&sql, &p, NULL, &pl);
	buf_puts(&sql, " LIMIT 100) AS due");
	int rc = st_query_i64(s, buf_str(&sql), &p, n, e);
	buf_free(&sql);
	return rc < 0 ? -1 : 0;
}

static int find_due(struct store *s, const char *flow, const struct pools *pl,
		    int64_t *id, char **run_flow, bool *retrying, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT id, flow, state");
	due_from_where(&sql, &p, flow, pl);
	buf_puts(&sql, " ORDER BY CASE state WHEN 'PENDING' THEN created_at "
		 "WHEN 'RETRYING' THEN next_retry_at ELSE scheduled_at END, id LIMIT 1");
	buf_puts(&sql, s->d->skip_locked);
	struct db_cursor *c = st_query(s, buf_str(&sql), &p, e);
	buf_free(&sql);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		*id = st_col_i64(c, 0);
		*run_flow = st_col_str(c, 1);
		*retrying = str_eq(db_cursor_text(c, 2), "RETRYING");
	}
	db_cursor_close(c);
	return rc;
}

/* Under the flow's lock, with a fresh snapshot: is there room (for a
 * RETRYING run, which holds its slot already: is nothing running)?  This
 * is what keeps two PostgreSQL claimers from both taking the last slot. */
static int flow_has_room(struct store *s, const char *flow, bool retrying, struct err *e)
{
	char *key = xasprintf("sluice.flow:%s", flow);
	int rc = st_lock_key(s, key, e);
	free(key);
	if (rc < 0)
		return -1;
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	int64_t room = 0;
	if (st_query_i64(s, retrying
			 ? "SELECT CASE WHEN " LIMIT_OF("$1") " = 0 THEN 1 WHEN "
			   COUNT_OF("$1", RUNS_NOW) " < " LIMIT_OF("$1") " THEN 1 ELSE 0 END"
			 : "SELECT CASE WHEN " LIMIT_OF("$1") " = 0 THEN 1 WHEN "
			   COUNT_OF("$1", HOLDS_SLOT) " < " LIMIT_OF("$1") " THEN 1 ELSE 0 END",
			 &p, &room, e) < 0)
		return -1;
	return room ? 1 : 0;
}

/* Claims run `id`, locked; *marked_late set when this claim found it
 * overdue and moved it SCHEDULED -> LATE itself. */
static int claim_locked(struct store *s, int64_t id, const char *worker,
			bool *marked_late, struct err *e)
{
	struct run_row cur = { 0 };
	int rc = lock_run(s, id, &cur, e);
	if (rc == 0)
		err_set(e, ERR_NOTFOUND, "no run %lld", (long long)id);
	if (rc == 1 && cur.state != RUN_PENDING && cur.state != RUN_SCHEDULED &&
	    cur.state != RUN_LATE && cur.state != RUN_RETRYING) {
		err_set(e, ERR_CONFLICT, "run %lld is %s; only SCHEDULED, LATE, "
			"PENDING or RETRYING runs can be claimed", (long long)id,
			run_state_name(cur.state));
		rc = -1;
	}
	if (rc == 1 && cur.state == RUN_SCHEDULED && cur.late_at &&
	    cur.late_at <= clock_now_us()) {
		/* No engine marked it (none ran): its history still says so. */
		char when[24];
		time_format_short(cur.late_at, when);
		char *why = xasprintf("not started by %s UTC, its late_after", when);
		struct move late = { .to = RUN_LATE, .reason = why };
		rc = apply_move(s, id, &cur, &late, e) < 0 ? -1 : 1;
		cur.state = RUN_LATE;
		*marked_late = true;
		free(why);
	}
	char *reason = xasprintf("claimed by worker %s", worker);
	struct move m = { .to = RUN_RUNNING, .reason = reason, .worker = worker };
	if (rc == 1)
		rc = apply_move(s, id, &cur, &m, e) < 0 ? -1 : 1;
	free(reason);
	free(cur.worker);
	return rc == 1 ? 0 : -1;
}

int store_run_next_due(struct store *s, const char *const *pools, size_t npools,
			usec_t *at, struct err *e)
{
	const struct pools pl = { pools, npools };
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT coalesce(min(CASE state WHEN 'RETRYING' THEN next_retry_at "
		 "ELSE scheduled_at END), 0) FROM runs WHERE ended_at IS NULL "
		 "AND state IN ('RETRYING', 'SCHEDULED', 'LATE')");
	where_pool(&sql, &p, &pl);
	int64_t when = 0;
	int rc = st_query_i64(s, buf_str(&sql), &p, &when, e);
	buf_free(&sql);
	if (rc < 0)
		return -1;
	*at = when;
	return when > 0;
}

int store_run_claim(struct store *s, const char *worker, const char *flow,
		    struct store_run **out, struct err *e)
{
	return store_run_claim_pools(s, worker, flow, NULL, 0, out, e);
}

int store_run_claim_pools(struct store *s, const char *worker, const char *flow,
			  const char *const *pools, size_t npools,
			  struct store_run **out, struct err *e)
{
	const struct pools pl = { pools, npools };
	*out = NULL;
	if (!worker || !*worker)
		return err_set(e, ERR_INVALID, "claiming a run needs a worker id");
	/* A lost race for a flow's last slot is retried with a fresh look,
	 * which no longer offers that flow. */
	for (int tries = 0; tries < 16; tries++) {
		if (st_begin(s, e) < 0)
			return -1;
		int64_t id = 0;
		char *run_flow = NULL;
		bool retrying = false;
		int rc = find_due(s, flow, &pl, &id, &run_flow, &retrying, e);
		if (rc == 1)
			rc = flow_has_room(s, run_flow, retrying, e);
		free(run_flow);
		if (rc <= 0) {
			st_rollback(s);
			if (rc < 0)
				return -1;
			if (id == 0)
				return 0;
			continue;
		}
		bool late = false;
		if (claim_locked(s, id, worker, &late, e) < 0) {
			st_rollback(s);
			return -1;
		}
		if (st_commit(s, STORE_AREA_BIT(STORE_AREA_RUNS), e) < 0)
			return -1;
		*out = store_run_get(s, id, e);
		if (*out)
			(*out)->late_at_claim = late;
		return *out ? 1 : -1;
	}
	return 0;
}

int store_run_claim_id(struct store *s, int64_t run_id, const char *worker,
		       struct store_run **out, struct err *e)
{
	*out = NULL;
	if (!worker || !*worker)
		return err_set(e, ERR_INVALID, "claiming a run needs a worker id");
	if (st_begin(s, e) < 0)
		return -1;
	bool late = false;
	if (claim_locked(s, run_id, worker, &late, e) < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_RUNS), e) < 0)
		return -1;
	*out = store_run_get(s, run_id, e);
	if (*out)
		(*out)->late_at_claim = late;
	return *out ? 0 : -1;
}

/* ---- crash recovery ---------------------------------------------------------------- */
int store_runs_orphaned(struct store *s, usec_t lease, struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, clock_now_us() - lease);
	return st_collect(st_query(s, "SELECT " RUN_COLS " FROM runs r "
				   "WHERE (state IN ('RUNNING', 'CANCELLING') OR "
				   "(state = 'PENDING' AND worker IS NOT NULL)) "
				   "AND ended_at IS NULL AND "
				   "NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = r.worker "
				   "AND w.heartbeat_at >= $1) ORDER BY id", &p, e),
			  parse_run, free_run_v, out, e);
}
