/*
 * stream.c - streams: change tracking over a table, after Snowflake's.
 *
 * A stream's offset is a position in its table: a value of the offset
 * column (append_only) or a (watermark, tie-breaker) pair (default mode).
 * The truth lives in the stream's own database, in _sluice_stream_offsets,
 * so that a load step can move it in the same transaction that commits
 * what it loaded (stream_commit_consumed): exactly once, with no window in
 * which the data is committed and the offset is not, or the other way round.
 *
 * A run reads a window (offset, upper]: the upper bound is fixed at the
 * run's first read and kept both in the run's shared state (for the steps
 * of this attempt) and in _sluice_stream_windows (for a retried or
 * recovered attempt of the same run, which must consume exactly the rows
 * its earlier steps processed).  The consuming load moves the offset to
 * that bound and drops the windows of this and older runs.
 *
 * Positions are kept as text in the database's own text form of the column
 * (CAST(col AS TEXT)) and bound back as parameters, so the comparison is
 * done by the database in the column's type on PostgreSQL, and on the same
 * stored text (or integer) on SQLite.
 */
#include "pipes/stream_int.h"
#include "db/db.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>


/* The columns a stream compares, quoted for its database. */
struct scols {
	char *table;     /* quoted */
	char *pos;       /* quoted offset column (append_only) or watermark (default) */
	char *tb;        /* quoted tie-breaker, or NULL */
	const char *name;          /* the table as the project names it */
	struct db_table *def;      /* default mode: the table's columns (the delete log) */
};

static void scols_free(struct scols *c)
{
	free(c->table);
	free(c->pos);
	free(c->tb);
	db_table_free(c->def);
	memset(c, 0, sizeof *c);
}

static const char *offset_column(const struct project_stream *s)
{
	return s->offset_column && *s->offset_column ? s->offset_column : "_sluice_id";
}

static const char *watermark_column(const struct project_stream *s)
{
	return s->watermark_column && *s->watermark_column ? s->watermark_column
							    : "last_updated";
}

static const struct project_stream *find_stream(const struct project *p, const char *name)
{
	for (size_t i = 0; i < p->nstreams; i++)
		if (strcmp(p->streams[i].name, name) == 0)
			return &p->streams[i];
	return NULL;
}

static bool has_column(const struct db_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return true;
	return false;
}

/* The stream's table is not there: 0 it is now (a pipe's that has loaded
 * no file, made by a run's read, empty, from the pipe's declared shape:
 * what the first file would make, so the run reads an empty window rather
 * than fail); 1 not yet (a pipe's, not made); -1 an error. */
static int table_not_there(struct db *db, const struct project *p, struct store *store,
			   const struct project_stream *s, bool make, struct err *e)
{
	const struct project_pipe *pipe = p && store ? pipe_loading_table(p, s->connection,
									  s->table) : NULL;
	if (!pipe)
		return err_set(e, ERR_NOTFOUND, "stream %s: table %s does not exist on "
			       "connection %s", s->name, s->table, s->connection);
	int rc = pipe_table_before_first_file(db, store, pipe, make, e);
	if (rc < 0) {
		err_prefix(e, "stream %s: ", s->name);
		return -1;
	}
	if (rc == 0) {
		err_set(e, ERR_NOTFOUND, "stream %s: table %s does not exist yet: pipe %s "
			"makes it when it loads its first file", s->name, s->table, pipe->name);
		return 1;
	}
	return 0;
}

/* Find the table and the columns the stream compares: 0, 1 when the
 * table is a pipe's not made yet (table_not_there), -1 an error. */
static int stream_columns(struct db *db, const struct project *p, struct store *store,
			  const struct project_stream *s, bool make, struct scols *out,
			  struct err *e)
{
	memset(out, 0, sizeof *out);
	struct err de = { 0 };
	struct db_table *t = db_describe(db, s->table, &de);
	if (!t && de.code == ERR_NOTFOUND) {
		int rc = table_not_there(db, p, store, s, make, e);
		if (rc != 0)
			return rc;
		t = db_describe(db, s->table, &de);
	}
	if (!t) {
		*e = de;
		err_prefix(e, "stream %s: ", s->name);
		return -1;
	}
	const char *pos = s->mode == STREAM_APPEND_ONLY ? offset_column(s)
							 : watermark_column(s);
	if (!has_column(t, pos)) {
		db_table_free(t);
		return err_set(e, ERR_INVALID, "stream %s: table %s has no column %s "
			       "(its %s)", s->name, s->table, pos,
			       s->mode == STREAM_APPEND_ONLY ? "offset_column" : "watermark_column");
	}
	out->table = db_quote_ident(db, s->table);
	out->pos = db_quote_ident(db, pos);
	if (s->mode == STREAM_DEFAULT && strcmp(offset_column(s), pos) != 0 &&
	    has_column(t, offset_column(s)))
		out->tb = db_quote_ident(db, offset_column(s));
	out->name = s->table;
	if (s->mode == STREAM_DEFAULT)
		out->def = t;
	else
		db_table_free(t);
	return 0;
}

/* ---- SQL pieces -------------------------------------------------------------- */

struct params {
	char *v[12];
	int n;
	int base;        /* placeholders start at $base+1 (SQL with parameters before) */
};

static int param_add(struct params *ps, const char *v)
{
	ps->v[ps->n] = xstrdup(v);
	return ++ps->n + ps->base;
}

static void params_free(struct params *ps)
{
	for (int i = 0; i < ps->n; i++)
		free(ps->v[i]);
	ps->n = 0;
}

/* Rows strictly after `p` (all rows with a position when p->pos is NULL). */
static void where_after(struct buf *b, const struct scols *c, const struct spos *p,
			struct params *ps)
{
	buf_printf(b, "%s IS NOT NULL", c->pos);
	if (!p->pos)
		return;
	if (c->tb && p->tb) {
		int a = param_add(ps, p->pos);
		int t = param_add(ps, p->tb);
		buf_printf(b, " AND (%s, %s) > ($%d, $%d)", c->pos, c->tb, a, t);
	} else {
		buf_printf(b, " AND %s > $%d", c->pos, param_add(ps, p->pos));
	}
}

/* Rows at or before `p`. */
static void where_upto(struct buf *b, const struct scols *c, const struct spos *p,
		       struct params *ps)
{
	if (c->tb && p->tb) {
		int a = param_add(ps, p->pos);
		int t = param_add(ps, p->tb);
		buf_printf(b, " AND (%s, %s) <= ($%d, $%d)", c->pos, c->tb, a, t);
	} else {
		buf_printf(b, " AND %s <= $%d", c->pos, param_add(ps, p->pos));
	}
}

static void order_by(struct buf *b, const struct scols *c, bool desc)
{
	buf_printf(b, " ORDER BY %s%s", c->pos, desc ? " DESC" : "");
	if (c->tb)
		buf_printf(b, ", %s%s", c->tb, desc ? " DESC" : "");
}

/* ---- pending rows ------------------------------------------------------------------ */

static int count_after(struct db *db, const struct scols *c, const struct spos *at,
		       int64_t *rows, struct err *e)
{
	struct buf b = BUF_INIT;
	struct params ps = { 0 };
	buf_printf(&b, "SELECT count(*) FROM %s WHERE ", c->table);
	where_after(&b, c, at, &ps);
	int rc = db_query_int(db, buf_str(&b), (const char *const *)ps.v, ps.n, rows, e);
	params_free(&ps);
	buf_free(&b);
	return rc < 0 ? -1 : 0;
}

static int any_after(struct db *db, const struct scols *c, const struct spos *at,
		     bool *has, struct err *e)
{
	struct buf b = BUF_INIT;
	struct params ps = { 0 };
	buf_printf(&b, "SELECT 1 FROM %s WHERE ", c->table);
	where_after(&b, c, at, &ps);
	buf_puts(&b, " LIMIT 1");
	char *v = NULL;
	int rc = db_query_value(db, buf_str(&b), (const char *const *)ps.v, ps.n, &v, e);
	free(v);
	params_free(&ps);
	buf_free(&b);
	if (rc < 0)
		return -1;
	*has = rc == 1;
	return 0;
}

/* The stream's connection for a run's read, with its columns in *c;
 * NULL on failure. */
static struct db *stream_connect(const struct stream_reader *r, const struct project_stream *s,
				 struct scols *c, struct err *e)
{
	struct db *db = step_conns_get(r->conns, s->connection, e);
	if (!db || stream_columns(db, step_conns_project(r->conns), r->store, s, true, c, e) != 0)
		return NULL;
	return db;
}

static struct stream_owner owner_of(struct step_conns *conns, struct store *store)
{
	struct stream_owner o = { step_conns_project(conns), store_identity(store) };
	return o;
}

/* Open the stream's connection and find its columns and the store's
 * offset: 0, 1 when its table is a pipe's not made yet, -1 an error. */
static int stream_open(const struct project_stream *s, struct step_conns *conns,
		       struct store *store, struct db **db, struct scols *c,
		       struct offset_row *off, struct err *e)
{
	memset(c, 0, sizeof *c);
	memset(off, 0, sizeof *off);
	*db = step_conns_get(conns, s->connection, e);
	if (!*db) {
		err_prefix(e, "stream %s: ", s->name);
		return -1;
	}
	int rc = stream_columns(*db, step_conns_project(conns), store, s, false, c, e);
	if (rc != 0)
		return rc;
	struct stream_owner o = owner_of(conns, store);
	if (stream_offset_read(*db, &o, s, off, e) < 0) {
		err_prefix(e, "reading the offset of stream %s: ", s->name);
		scols_free(c);
		return -1;
	}
	return 0;
}

/* What lies past the stream's committed offset: the number of rows when
 * `rows` is non-NULL, else only whether there is any (a LIMIT 1, cheaper
 * on a long backlog).  The offset goes to *off (zeroed when the stream
 * cannot be opened); the caller frees its position. */
static int look_past_offset(const struct project_stream *s, struct step_conns *conns,
			    struct store *store, struct offset_row *off, int64_t *rows,
			    bool *has, struct err *e)
{
	struct db *db;
	struct scols c;
	int opened = stream_open(s, conns, store, &db, &c, off, e);
	if (opened != 0) {
		/* A pipe's table not made yet holds nothing to wait for. */
		if (rows)
			*rows = 0;
		else
			*has = false;
		if (opened > 0)
			err_clear(e);
		return opened > 0 ? 0 : -1;
	}
	int rc = rows ? count_after(db, &c, &off->at, rows, e)
		      : any_after(db, &c, &off->at, has, e);
	/* Default mode: rows deleted since the offset are pending too. */
	int64_t deleted = 0;
	if (rc == 0 && c.def && (rows || !*has) &&
	    (rc = stream_deletes_count(db, c.name, off->at.del, NULL, &deleted, e)) == 0) {
		if (rows)
			*rows += deleted;
		else
			*has = deleted > 0;
	}
	if (rc < 0)
		err_prefix(e, "stream %s: ", s->name);
	scols_free(&c);
	return rc;
}

int stream_pending_rows(const struct project_stream *s, struct step_conns *conns,
			struct store *store, int64_t *rows, struct err *e)
{
	struct offset_row off;
	int rc = look_past_offset(s, conns, store, &off, rows, NULL, e);
	stream_offset_row_free(&off);
	return rc;
}

int stream_has_data(const struct project_stream *s, struct step_conns *conns,
		    struct store *store, bool *has, struct err *e)
{
	struct offset_row off;
	int rc = look_past_offset(s, conns, store, &off, NULL, has, e);
	stream_offset_row_free(&off);
	return rc;
}

static char *position_text(const struct spos *p)
{
	if (!p->pos)
		return NULL;
	if (p->tb)
		return xasprintf("%s / %s", p->pos, p->tb);
	return xstrdup(p->pos);
}

int stream_status(const struct project_stream *s, struct step_conns *conns,
		  struct store *store, struct stream_status *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	out->pending = -1;
	struct offset_row off;
	int rc = look_past_offset(s, conns, store, &off, &out->pending, NULL, e);
	out->offset = position_text(&off.at);
	out->offset_updated = off.updated;
	out->offset_run = off.run_id;
	if (rc == 0)
		out->has_data = out->pending > 0;
	stream_offset_row_free(&off);
	return rc;
}

void stream_status_free(struct stream_status *st)
{
	free(st->offset);
	st->offset = NULL;
}

int stream_mirror_all(const struct project *p, struct step_conns *conns,
		      struct store *store, struct err *e)
{
	struct err first = { 0 };
	for (size_t i = 0; i < p->nstreams; i++) {
		const struct project_stream *s = &p->streams[i];
		struct stream_status st;
		struct err se = { 0 };
		if (stream_status(s, conns, store, &st, &se) < 0 && first.code == ERR_OK)
			first = se;
		if (store_stream_mirror(store, s->name, st.offset, st.pending, &se) < 0 &&
		    first.code == ERR_OK)
			first = se;
		stream_status_free(&st);
	}
	if (first.code != ERR_OK) {
		*e = first;
		return -1;
	}
	return 0;
}

/* ---- windows --------------------------------------------------------------------- */

static char *window_encode(const struct swindow *w)
{
	cJSON *o = cJSON_CreateObject();
	const char *names[] = { "lower", "lower_tb", "upper", "upper_tb", "lower_del",
				"upper_del" };
	const char *vals[] = { w->lower.pos, w->lower.tb, w->upper.pos, w->upper.tb,
			       w->lower.del, w->upper.del };
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (vals[i])
			cJSON_AddStringToObject(o, names[i], vals[i]);
		else
			cJSON_AddNullToObject(o, names[i]);
	}
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *copy = xstrdup(text);
	cJSON_free(text);
	return copy;
}

static char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static int window_decode(const char *text, struct swindow *w, struct err *e)
{
	memset(w, 0, sizeof *w);
	cJSON *o = cJSON_Parse(text);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return err_set(e, ERR_INTERNAL, "stream window is not readable: %s", text);
	}
	w->lower.pos = json_str(o, "lower");
	w->lower.tb = json_str(o, "lower_tb");
	w->upper.pos = json_str(o, "upper");
	w->upper.tb = json_str(o, "upper_tb");
	w->lower.del = json_str(o, "lower_del");
	w->upper.del = json_str(o, "upper_del");
	cJSON_Delete(o);
	return 0;
}

/* The newest position after `lower`, or none. */
static int newest_after(struct db *db, const struct scols *c, const struct spos *lower,
			struct spos *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct buf b = BUF_INIT;
	struct params ps = { 0 };
	buf_printf(&b, "SELECT CAST(%s AS TEXT)", c->pos);
	if (c->tb)
		buf_printf(&b, ", CAST(%s AS TEXT)", c->tb);
	buf_printf(&b, " FROM %s WHERE ", c->table);
	where_after(&b, c, lower, &ps);
	order_by(&b, c, true);
	buf_puts(&b, " LIMIT 1");
	struct db_cursor *cur = db_query(db, buf_str(&b), (const char *const *)ps.v, ps.n, e);
	params_free(&ps);
	buf_free(&b);
	if (!cur)
		return -1;
	int rc = db_cursor_next(cur, e);
	if (rc == 1) {
		out->pos = xstrdup(db_cursor_text(cur, 0));
		if (c->tb)
			out->tb = xstrdup(db_cursor_text(cur, 1));
	}
	db_cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/* A default stream's pending count is a range count over (watermark,
 * tie-breaker); give it an index.  The offset column of an append_only
 * stream over a pipe's table is its primary key already. */
static int ensure_index(struct db *db, const struct project_stream *s, const struct scols *c,
			struct err *e)
{
	if (db_is_read_only(db))
		return 0;
	const char *cols[2] = { watermark_column(s), offset_column(s) };
	int n = s->mode == STREAM_DEFAULT ? (c->tb ? 2 : 1) : 1;
	if (s->mode == STREAM_APPEND_ONLY) {
		if (strcmp(offset_column(s), "_sluice_id") == 0)
			return 0;
		cols[0] = offset_column(s);
	}
	return db_create_index(db, s->table, cols, n, false, e);
}

/* The run's shared state keeps each stream's window; the first step to fix
 * it wins and a later one adopts it. */
static char *shared_get(const struct stream_reader *r, const struct project_stream *s)
{
	return r->shared ? stream_shared_window_get(r->shared, s->name) : NULL;
}

static char *shared_set(const struct stream_reader *r, const struct project_stream *s,
			const struct swindow *w)
{
	char *mine = window_encode(w);
	char *kept = stream_shared_window_set(r->shared, s->name, mine);
	free(mine);
	return kept;
}

static void log_taken_over(const struct stream_reader *r, const struct project_stream *s,
			   const struct offset_row *off)
{
	if (!off->taken_from)
		return;
	if (*off->taken_from)
		log_emit(LOG_WARN, r->run_id, r->step, NULL,
			 NULL, 0, "stream %s: this control store has no offset of its own; "
			 "it continues from the one control store %s committed (run %lld), "
			 "whose load wrote a table a load of this project consuming the "
			 "stream writes too, so the rows before it are there already",
			 s->name, off->taken_from, (long long)off->run_id);
	else
		log_emit(LOG_INFO, r->run_id, r->step, NULL,
			 NULL, 0, "stream %s: continuing from its offset written before this "
			 "control store had an id (run %lld)", s->name, (long long)off->run_id);
}

/* Default mode: capture deletes from now on, and close the window's part
 * of the delete log at its newest id. */
static int fix_deletes(struct db *db, const struct scols *c, struct swindow *w,
		       bool capture, struct err *e)
{
	if (!c->def)
		return 0;
	if (capture && stream_deletes_capture(db, c->name, c->def, e) < 0)
		return -1;
	if (stream_deletes_newest(db, c->name, &w->upper.del, e) < 0)
		return -1;
	if (!w->upper.del && w->lower.del)
		w->upper.del = xstrdup(w->lower.del);
	return 0;
}

/* No window yet for this run: fix one from the store's offset and keep it
 * in the stream's database (unless the run is not a real one). */
static int fix_window(const struct stream_reader *r, const struct project_stream *s, struct db *db,
		      const struct scols *c, const struct stream_owner *o,
		      struct swindow *w, struct err *e)
{
	struct offset_row off;
	if (stream_offset_read(db, o, s, &off, e) < 0)
		return -1;
	log_taken_over(r, s, &off);
	w->lower = off.at;
	memset(&off.at, 0, sizeof off.at);
	stream_offset_row_free(&off);
	bool keep = r->run_id > 0 && !db_is_read_only(db);
	if (newest_after(db, c, &w->lower, &w->upper, e) < 0 ||
	    fix_deletes(db, c, w, keep, e) < 0) {
		stream_window_free(w);
		return -1;
	}
	if (keep) {
		struct swindow saved;
		if (ensure_index(db, s, c, e) < 0 ||
		    stream_window_save(db, o, s->name, r->run_id, w, e) < 0 ||
		    stream_window_load(db, o, s->name, r->run_id, &saved, e) < 0) {
			stream_window_free(w);
			return -1;
		}
		/* Another process of the same run saved first: use its window. */
		if (saved.lower.pos || saved.upper.pos || saved.upper.del) {
			stream_window_free(w);
			*w = saved;
		} else {
			stream_window_free(&saved);
		}
	}
	log_emit(LOG_INFO, r->run_id, r->step, NULL,
		 NULL, 0, "stream %s: window (%s, %s] fixed", s->name,
		 w->lower.pos ? w->lower.pos : "start",
		 w->upper.pos ? w->upper.pos : "empty");
	return 0;
}

/* This run's window of `s`: from the run's shared state, else from the
 * stream's database (an earlier attempt of the same run), else fixed now. */
static int window_get(const struct stream_reader *r, const struct project_stream *s, struct db *db,
		      const struct scols *c, struct swindow *w, struct err *e)
{
	char *text = shared_get(r, s);
	if (text) {
		int rc = window_decode(text, w, e);
		free(text);
		return rc;
	}
	struct stream_owner o = owner_of(r->conns, r->store);
	int found = r->run_id > 0 ? stream_window_load(db, &o, s->name, r->run_id, w, e) : 0;
	if (found < 0 || (!found && fix_window(r, s, db, c, &o, w, e) < 0))
		return -1;
	if (r->shared) {
		char *kept = shared_set(r, s, w);
		stream_window_free(w);
		int rc = window_decode(kept, w, e);
		free(kept);
		return rc;
	}
	return 0;
}

int stream_fix_window(const struct stream_reader *r, const struct project_stream *s,
		      char **window, struct err *e)
{
	if (window)
		*window = NULL;
	if (r->backfill) {
		if (window)
			*window = xstrdup("all history (backfill)");
		return 0;
	}
	struct scols c;
	struct db *db = stream_connect(r, s, &c, e);
	if (!db)
		return -1;
	struct swindow w;
	int rc = window_get(r, s, db, &c, &w, e);
	if (rc == 0 && window) {
		char *lo = position_text(&w.lower), *hi = position_text(&w.upper);
		bool dels = stream_window_has_deletes(&w);
		char *d = dels ? xasprintf(", deletes (%s, %s]", w.lower.del ? w.lower.del : "start",
					   w.upper.del) : xstrdup("");
		*window = hi ? xasprintf("(%s, %s]%s", lo ? lo : "start", hi, d)
			     : xasprintf("empty (nothing after %s)%s", lo ? lo : "start", d);
		free(d);
		free(lo);
		free(hi);
	}
	if (rc < 0)
		err_prefix(e, "stream %s: ", s->name);
	else
		stream_window_free(&w);
	scols_free(&c);
	return rc;
}

/* The action of a row in the window: 'INSERT' when it is new, as far as
 * the stream can tell (see doc/project-file.md): every row is new in a
 * window from the start; after that, a row is new when its tie-breaker is
 * greater than every tie-breaker at or before the window's lower bound
 * (offset_column increasing with each new row), and 'UPDATE' otherwise. */
static void action_column(struct buf *b, const struct scols *c, const struct spos *lower,
			  struct params *ps)
{
	if (!lower->pos) {
		buf_puts(b, ", 'INSERT' AS " STREAM_ACTION);
		return;
	}
	if (!c->tb || !lower->tb) {
		buf_puts(b, ", 'UPDATE' AS " STREAM_ACTION);
		return;
	}
	int a = param_add(ps, lower->pos);
	int t = param_add(ps, lower->tb);
	buf_printf(b, ", CASE WHEN %s > (SELECT max(%s) FROM %s WHERE (%s, %s) <= ($%d, $%d)) "
		   "THEN 'INSERT' ELSE 'UPDATE' END AS " STREAM_ACTION, c->tb, c->tb,
		   c->table, c->pos, c->tb, a, t);
}

/* The rows of window w (all history in backfill) as "SELECT ... FROM table
 * WHERE ..." without an order; with the action column when `changes`. */
static void window_rows(struct buf *b, const struct scols *c, const char *select_list,
			const struct swindow *w, bool changes, struct params *ps)
{
	buf_printf(b, "SELECT %s", select_list ? select_list : "*");
	if (changes)
		action_column(b, c, &w->lower, ps);
	buf_printf(b, " FROM %s WHERE ", c->table);
	where_after(b, c, &w->lower, ps);
	if (w->upper.pos)
		where_upto(b, c, &w->upper, ps);
	else
		buf_puts(b, " AND 1 = 0");
}

/* `changes` (default mode, {{stream:NAME}}): the window's rows with their
 * action, and the rows the delete log holds for the window as 'DELETE',
 * after them. */
static int window_query(const struct stream_reader *r, const struct project_stream *s,
			const char *select_list, int first_param, bool changes,
			struct stream_query *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct scols c;
	struct db *db = stream_connect(r, s, &c, e);
	if (!db)
		return -1;
	changes = changes && c.def;
	struct buf b = BUF_INIT;
	struct params ps = { .base = first_param - 1 };
	struct swindow w = { 0 };
	/* A backfill reads all history and fixes no window, but rows it reads
	 * may be swapped into a target: deletes from then on must be logged
	 * for the stream's first window to apply. */
	bool capture = r->backfill && c.def && r->run_id > 0 && !db_is_read_only(db);
	if ((capture && stream_deletes_capture(db, c.name, c.def, e) < 0) ||
	    (!r->backfill && window_get(r, s, db, &c, &w, e) < 0)) {
		err_prefix(e, "stream %s: ", s->name);
		scols_free(&c);
		return -1;
	}
	if (changes)
		buf_puts(&b, "SELECT * FROM (");
	if (r->backfill) {
		buf_printf(&b, "SELECT %s%s FROM %s WHERE ", select_list ? select_list : "*",
			   changes ? ", 'INSERT' AS " STREAM_ACTION : "", c.table);
		where_after(&b, &c, &w.lower, &ps);
	} else {
		window_rows(&b, &c, select_list, &w, changes, &ps);
	}
	if (changes && !r->backfill && stream_window_has_deletes(&w)) {
		buf_puts(&b, " UNION ALL ");
		int t = param_add(&ps, c.name);
		int lo = param_add(&ps, w.lower.del ? w.lower.del : "0");
		int hi = param_add(&ps, w.upper.del);
		stream_deletes_select(&b, db, c.def, c.name, t, lo, hi);
	}
	stream_window_free(&w);
	if (changes) {
		/* the rows in stream order, then the deleted ones */
		buf_puts(&b, ") AS _sluice_window ORDER BY CASE WHEN " STREAM_ACTION
			 " = 'DELETE' THEN 1 ELSE 0 END, ");
		buf_printf(&b, "%s", c.pos);
		if (c.tb)
			buf_printf(&b, ", %s", c.tb);
	} else {
		order_by(&b, &c, false);
	}
	out->db = db;
	out->sql = buf_detach(&b);
	for (int i = 0; i < ps.n; i++)
		out->params[i] = ps.v[i];
	out->nparams = ps.n;
	scols_free(&c);
	return 0;
}

int stream_query(const struct stream_reader *r, const struct project_stream *s,
		 const char *select_list, struct stream_query *out, struct err *e)
{
	return window_query(r, s, select_list, 1, false, out, e);
}

int stream_window_select(const struct stream_reader *r, const struct project_stream *s,
			 int first_param, struct stream_query *out, struct err *e)
{
	return window_query(r, s, NULL, first_param, true, out, e);
}

int stream_window_deletes(const struct stream_reader *r, const struct project_stream *s,
			  int64_t *n, struct err *e)
{
	*n = 0;
	if (r->backfill || s->mode != STREAM_DEFAULT)
		return 0;
	struct scols c;
	struct db *db = stream_connect(r, s, &c, e);
	if (!db)
		return -1;
	struct swindow w;
	int rc = window_get(r, s, db, &c, &w, e);
	if (rc == 0 && stream_window_has_deletes(&w))
		rc = stream_deletes_count(db, c.name, w.lower.del, w.upper.del, n, e);
	if (rc == 0)
		stream_window_free(&w);
	else
		err_prefix(e, "stream %s: ", s->name);
	scols_free(&c);
	return rc;
}

void stream_query_free(struct stream_query *q)
{
	free(q->sql);
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	memset(q, 0, sizeof *q);
}

int stream_commit_consumed(const struct stream_reader *r, struct db *db, const char *stream,
			   struct err *e)
{
	const struct project_stream *s = find_stream(r->project, stream);
	if (!s)
		return err_set(e, ERR_NOTFOUND, "no stream named %s", stream);
	if (r->backfill)
		return 0;
	struct db *own = step_conns_get(r->conns, s->connection, e);
	if (!own)
		return -1;
	if (own != db)
		return err_set(e, ERR_INVALID, "stream %s lives on connection %s: its offset "
			       "can only advance in a transaction on that connection",
			       s->name, s->connection);
	if (!db_in_transaction(db))
		return err_set(e, ERR_INVALID, "stream %s: the offset must advance inside "
			       "the transaction that commits the load", s->name);
	struct swindow w = { 0 };
	char *text = shared_get(r, s);
	struct stream_owner o = owner_of(r->conns, r->store);
	int found = text ? (window_decode(text, &w, e) < 0 ? -1 : 1)
			 : r->run_id > 0 ? stream_window_load(db, &o, s->name, r->run_id, &w, e) : 0;
	free(text);
	if (found == 0)
		log_emit(LOG_WARN, r->run_id, r->step, NULL,
			 NULL, 0, "stream %s: no step of this run read it, so nothing is "
			 "consumed and its offset stays (read it with a step that takes "
			 "from {\"stream\": \"%s\"} before the load)", s->name, s->name);
	int rc = found <= 0 ? found
		 : stream_offset_advance(db, &o, s, r->run_id,
				r->consumer, &w, e);
	if (rc < 0)
		err_prefix(e, "stream %s: advancing the offset: ", s->name);
	else if (found)
		log_emit(LOG_INFO, r->run_id, r->step, NULL,
			 NULL, 0, "stream %s: offset moves to %s when the load commits",
			 s->name, w.upper.pos ? w.upper.pos : "(where it is: nothing was pending)");
	stream_window_free(&w);
	return rc;
}
