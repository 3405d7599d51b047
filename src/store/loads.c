/*
 * loads.c - a pipe's load history: one row per attempt to load a file,
 * with what was parsed and loaded and the first error (message, line,
 * column, column name).  The data database's ledger is the truth about
 * what was committed; this is the operator's record and the pipe's quick
 * answer to "seen this file before?".
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[LOAD_STATUS_COUNT] = {
	[LOAD_LOADED] = "LOADED", [LOAD_FAILED] = "LOAD_FAILED",
	[LOAD_PARTIALLY_LOADED] = "PARTIALLY_LOADED",
};

const char *load_status_name(enum load_status st)
{
	return (unsigned)st < LOAD_STATUS_COUNT ? status_names[st] : "?";
}

bool load_status_parse(const char *s, enum load_status *out)
{
	int v;
	if (!st_enum_parse(status_names, LOAD_STATUS_COUNT, s, &v))
		return false;
	*out = (enum load_status)v;
	return true;
}

#define LOAD_COLS "id, pipe, file_key, size, checksum, rows_parsed, rows_loaded, " \
	"error_count, first_error, first_error_line, first_error_column, " \
	"first_error_column_name, status, loaded_at, run_id, attempt, file_mtime, " \
	"seen_size, seen_mtime, seen_checksum, seen_at, loaded_by"

static void *parse_load(struct db_cursor *c)
{
	struct store_load *l = xcalloc(1, sizeof(*l));
	l->id = st_col_i64(c, 0);
	l->pipe = st_col_str(c, 1);
	l->file_key = st_col_str(c, 2);
	l->size = st_col_i64(c, 3);
	l->checksum = st_col_str(c, 4);
	l->rows_parsed = st_col_i64(c, 5);
	l->rows_loaded = st_col_i64(c, 6);
	l->error_count = st_col_i64(c, 7);
	l->first_error = st_col_str(c, 8);
	l->first_error_line = st_col_i64(c, 9);
	l->first_error_column = st_col_i64(c, 10);
	l->first_error_column_name = st_col_str(c, 11);
	if (!load_status_parse(db_cursor_text(c, 12), &l->status))
		l->status = LOAD_FAILED;
	l->loaded = st_col_i64(c, 13);
	l->run_id = st_col_i64(c, 14);
	l->attempt = st_col_str(c, 15);
	l->mtime = st_col_i64(c, 16);
	l->seen_size = st_col_i64(c, 17);
	l->seen_mtime = st_col_i64(c, 18);
	l->seen_checksum = st_col_str(c, 19);
	l->seen_at = st_col_i64(c, 20);
	l->loaded_by = st_col_str(c, 21);
	return l;
}

void store_load_free(struct store_load *l)
{
	if (!l)
		return;
	free(l->pipe);
	free(l->file_key);
	free(l->checksum);
	free(l->first_error);
	free(l->first_error_column_name);
	free(l->attempt);
	free(l->seen_checksum);
	free(l->loaded_by);
	free(l);
}

static void free_load_v(void *p)
{
	store_load_free(p);
}

void store_load_list_free(struct vec *v)
{
	vec_free_all(v, free_load_v);
}

int store_load_add(struct store *s, const struct store_load *l, int64_t *id,
		   struct err *e)
{
	if (!l || !l->pipe || !l->file_key || (unsigned)l->status >= LOAD_STATUS_COUNT)
		return err_set(e, ERR_INVALID, "a load history entry needs a pipe, "
			       "a file key and a status");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, l->pipe);
	st_sqlp_str(&p, l->file_key);
	st_sqlp_i64(&p, l->size);
	st_sqlp_str(&p, l->checksum);
	st_sqlp_i64(&p, l->rows_parsed);
	st_sqlp_i64(&p, l->rows_loaded);
	st_sqlp_i64(&p, l->error_count);
	st_sqlp_str(&p, l->first_error);
	st_sqlp_i64_or_null(&p, l->first_error_line);
	st_sqlp_i64_or_null(&p, l->first_error_column);
	st_sqlp_str(&p, l->first_error_column_name);
	st_sqlp_str(&p, load_status_name(l->status));
	st_sqlp_i64(&p, l->loaded ? l->loaded : clock_now_us());
	st_sqlp_i64_or_null(&p, l->run_id);
	st_sqlp_str(&p, l->attempt);
	st_sqlp_i64_or_null(&p, l->mtime);
	st_sqlp_str(&p, l->loaded_by);
	if (st_begin(s, e) < 0)
		return -1;
	/* The unique index on (pipe, file_key, attempt) keeps one row per
	 * attempt, whoever records it first. */
	int64_t newid = 0;
	int rc = st_query_i64(s, "INSERT INTO load_history (pipe, file_key, size, checksum, "
			      "rows_parsed, rows_loaded, error_count, first_error, "
			      "first_error_line, first_error_column, first_error_column_name, "
			      "status, loaded_at, run_id, attempt, file_mtime, loaded_by) VALUES ($1, "
			      "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
			      "ON CONFLICT (pipe, file_key, attempt) DO NOTHING RETURNING id",
			      &p, &newid, e);
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, rc == 1 ? STORE_AREA_BIT(STORE_AREA_PIPES) : 0, e) < 0)
		return -1;
	if (id)
		*id = rc == 1 ? newid : 0;
	return 0;
}

int store_load_get(struct store *s, const char *pipe, const char *file_key,
		   struct store_load **out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, pipe);
	st_sqlp_str(&p, file_key);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " LOAD_COLS " FROM load_history "
				       "WHERE pipe = $1 AND file_key = $2 "
				       "ORDER BY id DESC LIMIT 1", &p, e),
			      parse_load, free_load_v, &rc, e);
	return rc;
}

int store_load_list(struct store *s, const char *pipe, unsigned status_mask,
		    int limit, int offset, struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " LOAD_COLS " FROM load_history WHERE 1 = 1");
	if (pipe)
		buf_printf(&sql, " AND pipe = $%d", st_sqlp_str(&p, pipe));
	if (status_mask & ((1u << LOAD_STATUS_COUNT) - 1)) {
		const char *sep = "";
		buf_puts(&sql, " AND status IN (");
		for (int i = 0; i < LOAD_STATUS_COUNT; i++) {
			if (status_mask & (1u << i)) {
				buf_printf(&sql, "%s'%s'", sep, status_names[i]);
				sep = ", ";
			}
		}
		buf_putc(&sql, ')');
	}
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d OFFSET %d",
		   st_clamp_limit(limit, 100, 10000), offset > 0 ? offset : 0);
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_load, free_load_v,
			    out, e);
	buf_free(&sql);
	return rc;
}

int store_load_counts(struct store *s, const char *pipe,
		      int64_t counts[LOAD_STATUS_COUNT], struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, pipe);
	for (int i = 0; i < LOAD_STATUS_COUNT; i++)
		counts[i] = 0;
	struct db_cursor *c = st_query(s, "SELECT status, count(*) FROM load_history "
				       "WHERE pipe = $1 GROUP BY status", &p, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		enum load_status st;
		if (load_status_parse(db_cursor_text(c, 0), &st))
			counts[st] = st_col_i64(c, 1);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

int store_load_seen(struct store *s, int64_t id, int64_t size, usec_t mtime,
		    const char *checksum, bool *news, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	st_sqlp_i64(&p, size);
	st_sqlp_i64_or_null(&p, mtime);
	st_sqlp_str(&p, checksum);
	st_sqlp_i64(&p, clock_now_us());
	if (st_begin(s, e) < 0)
		return -1;
	/* The row lock (PostgreSQL) or the write lock (SQLite) makes a second
	 * looker re-read the checksum the first one wrote. */
	int64_t first = 0;
	int rc = st_exec(s, "UPDATE load_history SET seen_size = $2, seen_mtime = $3, "
			 "seen_checksum = $4, seen_at = $5 WHERE id = $1 AND "
			 "(seen_checksum IS NULL OR seen_checksum <> $4)", &p, &first, e);
	if (rc == 0 && !first) {
		struct sqlp q = SQLP_INIT;
		st_sqlp_i64(&q, id);
		st_sqlp_i64(&q, size);
		st_sqlp_i64_or_null(&q, mtime);
		st_sqlp_i64(&q, clock_now_us());
		rc = st_exec(s, "UPDATE load_history SET seen_size = $2, seen_mtime = $3, "
			     "seen_at = $4 WHERE id = $1", &q, NULL, e);
	}
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	if (news)
		*news = first > 0;
	return st_commit(s, STORE_AREA_BIT(STORE_AREA_PIPES), e);
}

/* Newest attempts at their files matching `where` (on alias h, with
 * placeholders from $2), pipe in $1. */
static int newest_where(struct store *s, const struct sqlp *p, const char *where,
			const char *order, int limit, struct vec *out, struct err *e)
{
	char *sql = xasprintf("SELECT " LOAD_COLS " FROM load_history h WHERE h.pipe = $1 "
			      "AND %s AND h.id = (SELECT max(n.id) FROM load_history n "
			      "WHERE n.pipe = h.pipe AND n.file_key = h.file_key) "
			      "ORDER BY h.id %s LIMIT %d", where, order,
			      st_clamp_limit(limit, 100, 10000));
	int rc = st_collect(st_query(s, sql, p, e), parse_load, free_load_v, out, e);
	free(sql);
	return rc;
}

int store_load_changed(struct store *s, const char *pipe, int limit, struct vec *out,
		       struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, pipe);
	return newest_where(s, &p, "h.seen_checksum IS NOT NULL AND h.seen_checksum "
			    "<> h.checksum AND h.status <> 'LOAD_FAILED'", "DESC", limit, out, e);
}
