/*
 * extract_window.c - where an extract's window ends, read from the source.
 *
 * A window (start, end] ends at the highest watermark the table holds,
 * up to a bound taken from the source's own clock less the step's `lag`.
 * Not at the sluice host's clock: a source that stamps rows in local
 * time, or whose clock is slow, would have its newest rows fall behind a
 * watermark computed here and never be read.  Ending at a value the
 * table holds means the next window starts where the rows read ended, so
 * a row stamped by a slow clock but committed after this read is still
 * above it.
 *
 * The bound is what keeps a late commit: a row stamped at T by a
 * transaction that commits after the read would be missed once the
 * window has passed T.  Rows stamped within `lag` of the source's clock
 * wait for the next run; on PostgreSQL the bound also stays below the
 * start of the oldest transaction open in the database, so a transaction
 * that stamps its rows from the server's clock (now(), a column default)
 * is waited for however long it takes.
 *
 * The source's clock: PostgreSQL's clock_timestamp().  SQLite has no
 * server: the file is written by processes on the host that reads it, so
 * the clock is this host's.  A naive timestamp column holds UTC unless
 * its table declares a "timezone"; then the bound is that zone's wall
 * clock, held before an hour that is about to repeat (tz_wall_settled).
 *
 * SQLite keeps times as text, and text compares '2024-01-01T10:00' above
 * '2024-01-01 11:00'.  Windows there compare strftime's reading of the
 * value (UTC, separator and zone suffix normalised, milliseconds), and a
 * range on the raw text a day wider than the window on each side keeps
 * the read an index range scan.
 */
#include "steps/extract_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USEC_PER_DAY (86400 * USEC_PER_SEC)

/* ---- warnings once per process ------------------------------------------------------------ */

static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vec warned = VEC_INIT;

bool step_extract_first_warning(const char *what)
{
	bool first = true;
	pthread_mutex_lock(&warned_lock);
	for (size_t i = 0; i < warned.len && first; i++)
		first = strcmp(warned.items[i], what) != 0;
	if (first)
		vec_push(&warned, xstrdup(what));
	pthread_mutex_unlock(&warned_lock);
	return first;
}

static void warn_once(const struct step_ctx *ctx, const char *key, const char *table,
		      const char *msg)
{
	if (!step_extract_first_warning(key))
		return;
	char *object = xasprintf("table:%s", table);
	step_log(ctx, LOG_WARN, object, "%s", msg);
	free(object);
}

/* ---- the frame -------------------------------------------------------------------------------- */

static int watermark_indexed(struct db *db, const char *table, const char *column,
			     bool *indexed, struct err *e)
{
	const char *params[] = { table, column };
	int64_t n = 0;
	const char *sql = db_kind(db) == DB_POSTGRES ?
		"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
		"JOIN pg_namespace ns ON ns.oid = c.relnamespace "
		"JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
		"WHERE ns.nspname = current_schema() AND c.relname = $1 AND a.attname = $2" :
		"SELECT (SELECT count(*) FROM pragma_index_list($1) AS il, "
		"pragma_index_info(il.name) AS ii WHERE ii.seqno = 0 AND ii.name = $2 "
		"COLLATE NOCASE) + (SELECT count(*) FROM pragma_table_info($1) "
		"WHERE pk = 1 AND name = $2 COLLATE NOCASE AND upper(type) = 'INTEGER')";
	if (db_query_int(db, sql, params, 2, &n, e) < 0)
		return -1;
	*indexed = n > 0;
	return 0;
}

/* PostgreSQL: is the column timestamp WITH time zone (db/ maps both to
 * DT_TIMESTAMP)? */
static int pg_zoned(struct db *db, const char *table, const char *column, bool *zoned,
		    struct err *e)
{
	const char *params[] = { table, column };
	int64_t n = 0;
	if (db_query_int(db, "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON "
			 "c.oid = a.attrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace "
			 "WHERE ns.nspname = current_schema() AND c.relname = $1 AND "
			 "a.attname = $2 AND a.atttypid = 'timestamptz'::regtype",
			 params, 2, &n, e) < 0)
		return -1;
	*zoned = n > 0;
	return 0;
}

static int frame_kind(struct db *db, const struct extract_table *xt, struct db_coltype type,
		      struct wm_frame *f, struct err *e)
{
	switch (type.type) {
	case DT_INT: case DT_NUMERIC: case DT_FLOAT:
		f->kind = WM_NUMBER;
		break;
	case DT_TIMESTAMP: f->kind = WM_TIME; break;
	case DT_DATE: f->kind = WM_DATE; break;
	case DT_TEXT: f->kind = WM_TEXT; break;
	default:
		return err_set(e, ERR_INVALID, "watermark %s.%s is a %s column: a watermark "
			       "is a number, a date, a timestamp or text holding timestamps",
			       xt->table, xt->watermark, db_type_name(type.type));
	}
	f->lite = db_kind(db) == DB_SQLITE && f->kind != WM_NUMBER;
	if (db_kind(db) == DB_POSTGRES && f->kind == WM_TIME &&
	    pg_zoned(db, xt->table, xt->watermark, &f->zoned, e) < 0)
		return -1;
	if (xt->timezone && (f->kind == WM_NUMBER || f->zoned))
		return err_set(e, ERR_INVALID, "watermark %s.%s: \"timezone\" is for naive "
			       "timestamps, and this column %s", xt->table, xt->watermark,
			       f->zoned ? "holds instants (timestamp with time zone)" :
			       "is a number");
	f->tz = xt->timezone;
	return 0;
}

static void frame_expr(struct wm_frame *f)
{
	/* strftime gives NULL for what is not a time, and numbers would be
	 * read as Julian days: both are left out of every window. */
	if (f->lite)
		f->expr = xasprintf("(CASE WHEN typeof(%s) = 'text' THEN strftime("
				    "'%%Y-%%m-%%d %%H:%%M:%%f', %s) || '000' END)",
				    f->column, f->column);
	else
		f->expr = xstrdup(f->column);
}

static struct db_coltype column_type(const struct db_table *t, const char *column,
				     bool *found)
{
	*found = false;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (strcasecmp(t->columns[i].name, column) == 0) {
			*found = true;
			return t->columns[i].type;
		}
	}
	return (struct db_coltype){ DT_TEXT, 0, 0 };
}

static int warn_unindexed(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
			  struct err *e)
{
	bool indexed = true;
	if (watermark_indexed(db, xt->table, xt->watermark, &indexed, e) < 0)
		return -1;
	if (!indexed) {
		char *what = xasprintf("%s.%s.%s", db_label(db), xt->table, xt->watermark);
		char *msg = xasprintf("no index on %s.%s in %s: every extract reads the whole "
				      "table; create one on the source (sluice does not change "
				      "a source it reads)", xt->table, xt->watermark,
				      db_label(db));
		warn_once(ctx, what, xt->table, msg);
		free(msg);
		free(what);
	}
	return 0;
}

int step_wm_frame_open(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
		  struct wm_frame *f, struct err *e)
{
	memset(f, 0, sizeof *f);
	struct db_table *t = db_describe(db, xt->table, e);
	if (!t)
		return -1;
	bool found;
	struct db_coltype type = column_type(t, xt->watermark, &found);
	db_table_free(t);
	if (!found)
		return err_set(e, ERR_NOTFOUND, "table %s in %s has no watermark column %s",
			       xt->table, db_label(db), xt->watermark);
	if (frame_kind(db, xt, type, f, e) < 0)
		return -1;
	f->name = xt->table;
	f->watermark = xt->watermark;
	f->table = db_quote_ident(db, xt->table);
	f->column = db_quote_ident(db, xt->watermark);
	frame_expr(f);
	return warn_unindexed(ctx, db, xt, e);
}

void step_wm_frame_free(struct wm_frame *f)
{
	free(f->table);
	free(f->column);
	free(f->expr);
	memset(f, 0, sizeof *f);
}

/* ---- the source's clock ------------------------------------------------------------------------- */

/* How far behind the source's clock a temporal window ends.  A row
 * stamped at T by a transaction that commits a moment later would be
 * missed by an extract that read past T before the commit; ending the
 * window `lag` earlier leaves such rows for the next run. */
#define DEFAULT_LAG (2 * USEC_PER_SEC)

static usec_t window_lag(const struct project_step *step)
{
	const char *text = steps_json_string(step->spec, "lag");
	usec_t lag;
	return text && duration_parse(text, &lag) ? lag : DEFAULT_LAG;
}

struct source_clock {
	usec_t now;
	usec_t oldest;          /* start of the oldest open transaction; 0: none */
	char   oldest_who[64];  /* "pid 123, idle in transaction" */
	int64_t hidden;         /* sessions whose transactions we cannot see */
};

/* Other sessions of this database.  A role without pg_read_all_stats
 * sees another role's session with its type, state and transaction NULL. */
#define PG_OTHERS "FROM pg_stat_activity a WHERE a.datname = current_database() " \
	"AND a.pid <> pg_backend_pid()"
#define PG_CLIENTS PG_OTHERS " AND a.backend_type = 'client backend'"

static int pg_clock(struct db *db, struct source_clock *c, struct err *e)
{
	struct db_cursor *cur = db_query(db,
		"SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, "
		"(SELECT (extract(epoch FROM o.xact_start) * 1000000)::bigint || ' pid ' || "
		"o.pid || ', ' || coalesce(o.state, '?') FROM (SELECT a.xact_start, a.pid, a.state "
		PG_CLIENTS " AND a.xact_start IS NOT NULL ORDER BY a.xact_start LIMIT 1) o), "
		"(SELECT count(*) " PG_OTHERS " AND (a.backend_type IS NULL OR "
		"(a.backend_type = 'client backend' AND a.state = 'disabled')))",
		NULL, 0, e);
	if (!cur)
		return -1;
	int rc = db_cursor_next(cur, e);
	if (rc == 1) {
		const char *oldest = db_cursor_text(cur, 1);
		char *rest = NULL;
		long long us = oldest ? strtoll(oldest, &rest, 10) : 0;
		c->oldest = us;
		snprintf(c->oldest_who, sizeof c->oldest_who, "%s",
			 rest && *rest == ' ' ? rest + 1 : "");
		if (!str_to_i64(db_cursor_text(cur, 0), &c->now) ||
		    !str_to_i64(db_cursor_text(cur, 2), &c->hidden))
			rc = err_set(e, ERR_INTERNAL, "%s: unreadable clock", db_label(db));
	} else if (rc == 0) {
		rc = err_set(e, ERR_INTERNAL, "%s: no clock", db_label(db));
	}
	db_cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

static void warn_blind(struct step_ctx *ctx, struct db *db, const char *table,
		       int64_t hidden, usec_t lag)
{
	char *what = xasprintf("blind:%s", db_label(db));
	char lag_text[32];
	duration_format(lag, lag_text, sizeof lag_text);
	char *msg = xasprintf("%s: the transactions of %lld other session%s are not "
			      "visible to this role (grant it pg_read_all_stats): a "
			      "transaction that commits more than the lag (%s) after "
			      "stamping its rows may be missed", db_label(db),
			      (long long)hidden, hidden == 1 ? "" : "s", lag_text);
	warn_once(ctx, what, table, msg);
	free(msg);
	free(what);
}

/* The latest instant no uncommitted row can still be stamped at (as far
 * as the source lets us know). */
static int source_bound(struct step_ctx *ctx, struct db *db, const char *table,
			usec_t *bound, struct err *e)
{
	struct source_clock c = { 0 };
	usec_t lag = window_lag(ctx->step);
	if (db_kind(db) == DB_SQLITE)
		c.now = clock_now_us();
	else if (pg_clock(db, &c, e) < 0)
		return -1;
	*bound = c.now - lag;
	if (c.hidden > 0)
		warn_blind(ctx, db, table, c.hidden, lag);
	if (c.oldest && c.oldest - 1 < *bound) {
		*bound = c.oldest - 1;
		if (c.now - c.oldest > 60 * USEC_PER_SEC) {
			char since[32], *object = xasprintf("table:%s", table);
			time_format_iso(c.oldest, since);
			step_log(ctx, LOG_INFO, object, "%s: the window stops at %s, where a "
				 "transaction still open began (%s); rows after it wait for the "
				 "next run", table, since, c.oldest_who);
			free(object);
		}
	}
	return 0;
}

/* ---- values ------------------------------------------------------------------------------------- */

/* The bound as the column's own values read: wall-clock time of its zone,
 * a whole day for dates, with the separator its text uses. */
static int bound_text(const struct wm_frame *f, usec_t bound, char out[32], struct err *e)
{
	usec_t wall = bound;
	/* sluice check knows the zone; its file may have gone since */
	if (f->tz && !tz_wall_settled(f->tz, bound, &wall))
		return err_set(e, ERR_NOTFOUND, "watermark %s.%s: unknown time zone \"%s\"",
			       f->name, f->watermark, f->tz);
	if (f->kind == WM_DATE) {
		usec_t day = wall - ((wall % USEC_PER_DAY) + USEC_PER_DAY) % USEC_PER_DAY;
		wall = day - 1;   /* today is not over: the last whole day */
	}
	steps_format_ts(wall, out);
	if (f->kind == WM_DATE && !f->lite)
		out[10] = '\0';
	if (f->t_sep)
		out[10] = 'T';
	return 0;
}

/* On SQLite, a committed value as the window compares it (a watermark of
 * an earlier version may be raw text with a 'T'). */
static const char *compared(const struct wm_frame *f, const char *v, char out[40])
{
	usec_t t;
	if (!f->lite || !v || !time_parse_iso(v, &t))
		return v;
	steps_format_ts(t, out);
	return out;
}

/* The date text `days` away from value v, or NULL if v is not a time. */
static const char *date_near(const char *v, int days, bool high, char out[40])
{
	usec_t t;
	if (!v || !time_parse_iso(v, &t))
		return NULL;
	steps_format_ts(t + days * USEC_PER_DAY, out);
	out[10] = high ? '~' : '\0';
	out[11] = '\0';
	return out;
}

/* Append " WHERE lhs op $N" (" AND ..." after the first), N the new value's number. */
static void bind(struct wm_params *p, struct buf *b, const char *lhs, const char *op,
		 const char *v)
{
	p->v[p->n++] = v;
	buf_printf(b, " %s %s %s $%d", p->n > 1 ? "AND" : "WHERE", lhs, op, p->n);
}

/* WHERE over (start, end] (either may be NULL): the compared expression,
 * and on SQLite the raw text range around it that an index can scan. */
static void window_where(struct buf *b, const struct wm_frame *f, const char *start,
			 const char *end, struct wm_params *p)
{
	if (start)
		bind(p, b, f->expr, ">", compared(f, start, p->own[0]));
	if (end)
		bind(p, b, f->expr, "<=", compared(f, end, p->own[1]));
	if (!f->lite)
		return;
	/* Written with an offset, a time's text may name the day before or
	 * after its UTC day: a day either side holds every candidate. */
	const char *lo = date_near(start, -1, false, p->own[2]);
	const char *hi = date_near(end, 1, true, p->own[3]);
	if (lo)
		bind(p, b, f->column, ">=", lo);
	if (hi)
		bind(p, b, f->column, "<", hi);
}

static int query_text(struct db *db, const char *sql, const struct wm_params *p, char **out,
		      struct err *e)
{
	*out = NULL;
	return db_query_value(db, sql, p ? p->v : NULL, p ? p->n : 0, out, e) < 0 ? -1 : 0;
}

/* PostgreSQL text watermarks: does the column write times with a 'T'? */
static int text_separator(struct db *db, struct wm_frame *f, struct err *e)
{
	char *sql = xasprintf("SELECT max(%s) FROM %s", f->column, f->table);
	char *max = NULL;
	int rc = query_text(db, sql, NULL, &max, e);
	f->t_sep = max && strlen(max) > 10 && max[10] == 'T';
	free(max);
	free(sql);
	return rc;
}

/* The newest value ahead of the bound by more than a minute past the lag
 * is a clock or a time zone the window cannot see: its rows only come
 * when the source's clock passes them. */
static int warn_ahead(struct step_ctx *ctx, struct db *db, const struct wm_frame *f,
		      const char *bound, struct err *e)
{
	char *sql = f->lite ? xasprintf("SELECT strftime('%%Y-%%m-%%d %%H:%%M:%%f', max(%s)) "
					"FROM %s", f->column, f->table)
			    : xasprintf("SELECT max(%s) FROM %s", f->column, f->table);
	char *max = NULL;
	int rc = query_text(db, sql, NULL, &max, e);
	free(sql);
	usec_t newest, limit;
	if (rc == 0 && max && time_parse_iso(max, &newest) && time_parse_iso(bound, &limit) &&
	    newest - limit > window_lag(ctx->step) + 60 * USEC_PER_SEC) {
		char *what = xasprintf("ahead:%s.%s.%s", db_label(db), f->name, f->watermark);
		char *msg = xasprintf("%s: the newest %s (%s) is ahead of the source's clock "
				      "(%s): its rows wait until the clock passes them; if the "
				      "column holds local time, declare the table's \"timezone\"",
				      f->name, f->watermark, max, bound);
		warn_once(ctx, what, f->name, msg);
		free(msg);
		free(what);
	}
	free(max);
	return rc;
}

int step_wm_window_end(struct step_ctx *ctx, struct db *db, const struct wm_frame *f,
		  const char *start, char **end, struct err *e)
{
	*end = NULL;
	struct wm_frame frame = *f;
	char bound[32];
	if (f->kind != WM_NUMBER) {
		usec_t at;
		if ((f->kind == WM_TEXT && !f->lite && text_separator(db, &frame, e) < 0) ||
		    source_bound(ctx, db, f->name, &at, e) < 0 ||
		    bound_text(&frame, at, bound, e) < 0 ||
		    (f->kind != WM_DATE && warn_ahead(ctx, db, &frame, bound, e) < 0))
			return -1;
	}
	struct buf sql = BUF_INIT;
	struct wm_params p = { .n = 0 };
	buf_printf(&sql, "SELECT max(%s) FROM %s", f->expr, f->table);
	window_where(&sql, &frame, start, f->kind == WM_NUMBER ? NULL : bound, &p);
	int rc = query_text(db, buf_str(&sql), &p, end, e);
	buf_free(&sql);
	return rc;
}

char *step_wm_window_query(struct db *db, const struct extract_table *xt,
		      const struct wm_frame *f, const struct store_watermark *w,
		      struct wm_params *p)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "SELECT ");
	if (xt->columns) {
		const cJSON *el;
		int i = 0;
		cJSON_ArrayForEach(el, xt->columns) {
			char *q = db_quote_ident(db, el->valuestring);
			buf_printf(&b, "%s%s", i++ ? ", " : "", q);
			free(q);
		}
	} else {
		buf_puts(&b, "*");
	}
	buf_printf(&b, " FROM %s", f->table);
	p->n = 0;
	if (w)
		window_where(&b, f, w->pending_start, w->pending_end, p);
	else
		buf_puts(&b, " WHERE 1 = 0");
	buf_printf(&b, " ORDER BY %s", f->column);
	return buf_detach(&b);
}

int step_wm_unextractable(struct db *db, const struct wm_frame *f, const struct store_watermark *w,
		     int64_t *n, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct wm_params p = { .n = 0 };
	buf_printf(&sql, "SELECT count(*) FROM %s WHERE %s IS NULL", f->table, f->column);
	if (f->lite) {
		/* below '0': numbers and text that starts with no digit; from ':'
		 * on, words.  Both outside any date, so never in a window. */
		buf_printf(&sql, " OR %s < '0' OR %s >= ':'", f->column, f->column);
		const char *lo = w ? date_near(w->pending_start, -1, false, p.own[0]) : NULL;
		const char *hi = w ? date_near(w->pending_end, 1, true, p.own[1]) : NULL;
		if (hi) {
			buf_printf(&sql, " OR (%s IS NULL AND %s < $%d", f->expr, f->column, ++p.n);
			p.v[p.n - 1] = hi;
			if (lo) {
				buf_printf(&sql, " AND %s >= $%d", f->column, ++p.n);
				p.v[p.n - 1] = lo;
			}
			buf_puts(&sql, ")");
		}
	}
	int rc = db_query_int(db, buf_str(&sql), p.v, p.n, n, e);
	buf_free(&sql);
	return rc < 0 ? -1 : 0;
}

usec_t step_wm_key_time(const struct wm_frame *f, const struct store_watermark *w)
{
	usec_t t;
	if (f->kind == WM_NUMBER || !w->pending_end || !time_parse_iso(w->pending_end, &t))
		return w->planned_at;
	long off;
	if (f->tz && tz_offset(f->tz, t, &off)) {
		/* wall -> UTC: the offset at the instant the wall time names */
		usec_t guess = t - off * USEC_PER_SEC;
		if (tz_offset(f->tz, guess, &off))
			t -= off * USEC_PER_SEC;
	}
	return t;
}
