/*
 * compare.c - compare a table with its rebuilt copy, inside the database.
 *
 * The backfill's compare step asks: which rows are only in the current
 * table, which only in the backfill, which changed (and in which columns),
 * and what do a few of them look like.  Tables can hold millions of rows,
 * so nothing here reads a table into memory.  Three statements do it all:
 *
 *   1. one pass: a full outer join on the key whose WHERE keeps only rows
 *      that differ (missing on one side, or any column IS DISTINCT FROM /
 *      IS NOT the other), with conditional aggregates counting each kind,
 *      each column's changes, and the smallest and largest first-key value
 *      of each kind (and of each changed column) as sample handles.  The
 *      rows in each table come from two scalar count(*) subqueries of the
 *      same statement; unchanged rows are what is left.  Filtering before
 *      aggregating keeps the per-row work of the common case (almost
 *      everything equal) to the comparisons a plain diff query makes.
 *   2. uniqueness of the key, unless a primary key or unique index already
 *      proves it: a join on a key that repeats would multiply rows and
 *      every count would be wrong, so a repeated key is refused.
 *   3. the samples: the same join restricted on both sides to the handful
 *      of first-key values found in 1, so it reads a few rows (through the
 *      key's index when there is one).
 *
 * A column only one table has compares with NULL on the other side: a
 * column added to a transform shows as changed in every row where it is
 * not NULL, and as added in the column list.  Columns of different type
 * families are compared as text on PostgreSQL (which has no cross-family
 * operators); SQLite compares across storage classes itself.
 */
#include "backfill/backfill.h"
#include "db/db.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_SAMPLES 5
#define MAX_SAMPLE_ROWS 200
#define MARK "_sluice_cmp"

/* One column of the union of both tables' columns. */
struct ccol {
	const char *name;
	const struct db_column *cur, *bf;   /* NULL when that table lacks it */
	bool key;
};

struct cmp {
	struct db *db;
	enum db_kind kind;
	const struct compare_request *req;
	struct db_table *tc, *tb;
	struct ccol *cols;
	size_t ncols;
	size_t *keyidx;       /* index into cols of each key column */
	char *qc, *qb;        /* quoted table names */
	struct buf cm, bm;    /* "row present" expressions of each side */
	bool marker_is_key;   /* cm/bm are key columns (declared NOT NULL) */
};

const char *compare_kind_name(enum compare_kind k)
{
	static const char *const names[COMPARE_KIND_COUNT] = {
		[COMPARE_ONLY_CURRENT] = "only_current",
		[COMPARE_ONLY_BACKFILL] = "only_backfill",
		[COMPARE_CHANGED] = "changed",
	};
	return (unsigned)k < COMPARE_KIND_COUNT ? names[k] : "?";
}

static void put_ident(struct buf *b, const struct cmp *c, const char *name)
{
	char *q = db_quote_ident(c->db, name);
	buf_puts(b, q);
	free(q);
}

static void put_col(struct buf *b, const struct cmp *c, const char *alias,
		    const char *name)
{
	buf_printf(b, "%s.", alias);
	put_ident(b, c, name);
}

static const struct db_column *find_column(const struct db_table *t, const char *name,
					   enum db_kind kind)
{
	for (size_t i = 0; i < t->ncolumns; i++) {
		const char *n = t->columns[i].name;
		if (kind == DB_SQLITE ? strcasecmp(n, name) == 0 : strcmp(n, name) == 0)
			return &t->columns[i];
	}
	return NULL;
}

/* Type families PostgreSQL can compare without a cast. */
static int type_family(enum db_type t)
{
	switch (t) {
	case DT_INT: case DT_NUMERIC: case DT_FLOAT: return 1;
	case DT_DATE: case DT_TIMESTAMP: return 2;
	case DT_TIME: return 3;
	case DT_BOOL: return 4;
	case DT_TEXT: return 5;
	case DT_JSON: return 6;   /* json has no equality: always as text */
	}
	return 0;
}

static bool needs_text(const struct cmp *c, const struct ccol *col)
{
	if (c->kind != DB_POSTGRES || !col->cur || !col->bf)
		return false;
	int fc = type_family(col->cur->type.type), fb = type_family(col->bf->type.type);
	return fc != fb || fc == 6;
}

/* A column's value as the comparison sees it. */
static void put_value(struct buf *b, const struct cmp *c, const struct ccol *col,
		      const char *alias)
{
	put_col(b, c, alias, col->name);
	if (needs_text(c, col))
		buf_puts(b, "::text");
}

/* "the values differ" for a column both tables may have; on a matched row. */
static void put_differs(struct buf *b, const struct cmp *c, const struct ccol *col)
{
	if (!col->bf) {
		buf_putc(b, '(');
		put_col(b, c, "c", col->name);
		buf_puts(b, " IS NOT NULL)");
		return;
	}
	if (!col->cur) {
		buf_putc(b, '(');
		put_col(b, c, "b", col->name);
		buf_puts(b, " IS NOT NULL)");
		return;
	}
	buf_putc(b, '(');
	put_value(b, c, col, "c");
	buf_puts(b, c->kind == DB_POSTGRES ? " IS DISTINCT FROM " : " IS NOT ");
	put_value(b, c, col, "b");
	buf_putc(b, ')');
}

static void put_join(struct buf *b, const struct cmp *c, const char *left,
		     const char *right)
{
	buf_printf(b, " FROM %s c FULL JOIN %s b ON ", left, right);
	for (size_t i = 0; i < c->req->nkey; i++) {
		const struct ccol *k = &c->cols[c->keyidx[i]];
		if (i)
			buf_puts(b, " AND ");
		put_value(b, c, k, "c");
		buf_puts(b, " = ");
		put_value(b, c, k, "b");
	}
}

/* The WHERE that keeps rows that differ in any way. */
static void put_any_difference(struct buf *b, const struct cmp *c, const char *cm,
			       const char *bm)
{
	buf_printf(b, "%s IS NULL OR %s IS NULL", cm, bm);
	for (size_t i = 0; i < c->ncols; i++) {
		if (c->cols[i].key)
			continue;
		buf_puts(b, " OR ");
		put_differs(b, c, &c->cols[i]);
	}
}

/* ---- columns, key and markers -------------------------------------------- */

static int build_columns(struct cmp *c, struct err *e)
{
	c->cols = xcalloc(c->tc->ncolumns + c->tb->ncolumns, sizeof(*c->cols));
	for (size_t i = 0; i < c->tc->ncolumns; i++) {
		struct ccol *col = &c->cols[c->ncols++];
		col->name = c->tc->columns[i].name;
		col->cur = &c->tc->columns[i];
		col->bf = find_column(c->tb, col->name, c->kind);
	}
	for (size_t i = 0; i < c->tb->ncolumns; i++) {
		if (find_column(c->tc, c->tb->columns[i].name, c->kind))
			continue;
		struct ccol *col = &c->cols[c->ncols++];
		col->name = c->tb->columns[i].name;
		col->bf = &c->tb->columns[i];
	}
	c->keyidx = xcalloc(c->req->nkey, sizeof(*c->keyidx));
	bool key_not_null = true;
	for (size_t k = 0; k < c->req->nkey; k++) {
		const char *kn = c->req->key[k];
		size_t i;
		for (i = 0; i < c->ncols; i++) {
			const char *n = c->cols[i].name;
			if (c->kind == DB_SQLITE ? strcasecmp(n, kn) == 0 : strcmp(n, kn) == 0)
				break;
		}
		if (i == c->ncols || !c->cols[i].cur)
			return err_at(e, ERR_INVALID, c->req->current,
				      "the key column %s is not in table %s", kn,
				      c->req->current);
		if (!c->cols[i].bf)
			return err_at(e, ERR_INVALID, c->req->backfill,
				      "the key column %s is not in table %s", kn,
				      c->req->backfill);
		c->cols[i].key = true;
		c->keyidx[k] = i;
		if (!c->cols[i].cur->not_null || !c->cols[i].bf->not_null)
			key_not_null = false;
	}
	/* A row is absent from a side when its marker is NULL.  A NOT NULL
	 * key column serves; otherwise the row's own address does. */
	const char *k0 = c->cols[c->keyidx[0]].name;
	if (key_not_null) {
		put_col(&c->cm, c, "c", k0);
		put_col(&c->bm, c, "b", k0);
		c->marker_is_key = true;
	} else {
		const char *sys = c->kind == DB_POSTGRES ? "ctid" : "rowid";
		buf_printf(&c->cm, "c.%s", sys);
		buf_printf(&c->bm, "b.%s", sys);
	}
	return 0;
}

/* ---- is the key unique? -------------------------------------------------------- */

static bool names_subset(const struct vec *names, const struct cmp *c)
{
	if (names->len == 0)
		return false;
	for (size_t i = 0; i < names->len; i++) {
		bool found = false;
		for (size_t k = 0; k < c->req->nkey && !found; k++)
			found = c->kind == DB_SQLITE
				? strcasecmp(names->items[i], c->req->key[k]) == 0
				: strcmp(names->items[i], c->req->key[k]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* 1 when a unique index of `table` covers only key columns. */
static int unique_index_pg(struct cmp *c, const char *table, struct err *e)
{
	const char *params[] = { table };
	struct db_cursor *cur = db_query(c->db,
		"SELECT array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) k "
		"JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k), ',') "
		"FROM pg_index i WHERE i.indrelid = to_regclass(quote_ident($1)) "
		"AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL",
		params, 1, e);
	if (!cur)
		return -1;
	int rc, found = 0;
	while (!found && (rc = db_cursor_next(cur, e)) == 1) {
		struct vec names = VEC_INIT;
		str_split(db_cursor_text(cur, 0), ",", &names);
		found = names_subset(&names, c);
		vec_free_all(&names, free);
	}
	db_cursor_close(cur);
	return found ? 1 : rc < 0 ? -1 : 0;
}

static int unique_index_sqlite(struct cmp *c, const char *table, struct err *e)
{
	const char *params[] = { table };
	struct vec idx = VEC_INIT;
	struct db_cursor *cur = db_query(c->db, "SELECT name FROM pragma_index_list($1) "
					 "WHERE \"unique\" AND NOT partial", params, 1, e);
	if (!cur)
		return -1;
	int rc;
	while ((rc = db_cursor_next(cur, e)) == 1)
		vec_push(&idx, xstrdup(db_cursor_text(cur, 0)));
	db_cursor_close(cur);
	int found = rc < 0 ? -1 : 0;
	for (size_t i = 0; found == 0 && i < idx.len; i++) {
		const char *p2[] = { idx.items[i] };
		struct vec names = VEC_INIT;
		bool expr = false;
		cur = db_query(c->db, "SELECT name FROM pragma_index_info($1)", p2, 1, e);
		if (!cur) {
			found = -1;
			break;
		}
		while ((rc = db_cursor_next(cur, e)) == 1) {
			const char *n = db_cursor_text(cur, 0);
			if (n)
				vec_push(&names, xstrdup(n));
			else
				expr = true;
		}
		db_cursor_close(cur);
		if (rc < 0)
			found = -1;
		else if (!expr && names_subset(&names, c))
			found = 1;
		vec_free_all(&names, free);
	}
	vec_free_all(&idx, free);
	return found;
}

static int key_proven_unique(struct cmp *c, const struct db_table *t,
			     const char *table, struct err *e)
{
	struct vec pk = VEC_INIT;
	for (size_t i = 0; i < t->ncolumns; i++)
		if (t->columns[i].primary_key)
			vec_push(&pk, t->columns[i].name);
	bool by_pk = names_subset(&pk, c);
	vec_free(&pk);
	if (by_pk)
		return 1;
	return c->kind == DB_POSTGRES ? unique_index_pg(c, table, e)
				      : unique_index_sqlite(c, table, e);
}

/* Refuse a key that repeats in `table` (NULL keys never match: ignored). */
static int check_unique(struct cmp *c, const struct db_table *t, const char *table,
			struct err *e)
{
	int rc = key_proven_unique(c, t, table, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	struct buf q = BUF_INIT, keys = BUF_INIT, shown = BUF_INIT;
	for (size_t k = 0; k < c->req->nkey; k++) {
		if (k)
			buf_puts(&keys, ", ");
		put_ident(&keys, c, c->cols[c->keyidx[k]].name);
		buf_printf(&shown, "%s%s", k ? ", " : "", c->cols[c->keyidx[k]].name);
	}
	buf_printf(&q, "SELECT %s, count(*) FROM ", buf_str(&keys));
	put_ident(&q, c, table);
	buf_puts(&q, " WHERE ");
	for (size_t k = 0; k < c->req->nkey; k++) {
		buf_puts(&q, k ? " AND " : "");
		put_ident(&q, c, c->cols[c->keyidx[k]].name);
		buf_puts(&q, " IS NOT NULL");
	}
	buf_printf(&q, " GROUP BY %s HAVING count(*) > 1 LIMIT 1", buf_str(&keys));
	struct db_cursor *cur = db_query(c->db, buf_str(&q), NULL, 0, e);
	buf_free(&q);
	if (!cur) {
		buf_free(&keys);
		buf_free(&shown);
		return -1;
	}
	rc = db_cursor_next(cur, e);
	if (rc == 1) {
		struct buf v = BUF_INIT;
		for (size_t k = 0; k < c->req->nkey; k++) {
			const char *s = db_cursor_text(cur, (int)k);
			buf_printf(&v, "%s%s", k ? ", " : "", s ? s : "NULL");
		}
		err_at(e, ERR_INVALID, table, "the key (%s) is not unique in %s: (%s) "
		       "appears %s times; compare needs a key that names one row",
		       buf_str(&shown), table, buf_str(&v),
		       db_cursor_text(cur, (int)c->req->nkey));
		buf_free(&v);
		rc = -1;
	}
	db_cursor_close(cur);
	buf_free(&keys);
	buf_free(&shown);
	return rc < 0 ? -1 : 0;
}

/* ---- the pass ------------------------------------------------------------------- */

/* Sample handles: smallest and largest first-key value of each kind, then
 * the smallest of each changed column. */
struct handles {
	struct vec values;    /* char *, distinct */
};

static void handle_add(struct handles *h, const char *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < h->values.len; i++)
		if (strcmp(h->values.items[i], v) == 0)
			return;
	vec_push(&h->values, xstrdup(v));
}

static bool key0_as_text(const struct cmp *c)
{
	/* min() needs an ordered type; PostgreSQL's json and bool are not. */
	const struct ccol *k = &c->cols[c->keyidx[0]];
	if (c->kind != DB_POSTGRES)
		return false;
	enum db_type t = k->cur->type.type;
	return t == DT_JSON || t == DT_BOOL || needs_text(c, k);
}

static void put_key0(struct buf *b, const struct cmp *c, const char *alias)
{
	put_col(b, c, alias, c->cols[c->keyidx[0]].name);
	if (key0_as_text(c))
		buf_puts(b, "::text");
}

static void put_minmax(struct buf *b, const struct cmp *c, const char *alias,
		       const char *cond)
{
	for (int m = 0; m < 2; m++) {
		buf_printf(b, ", %s(", m ? "max" : "min");
		put_key0(b, c, alias);
		buf_printf(b, ") FILTER (WHERE %s)", cond);
	}
}

/* PostgreSQL: the same answers from the rows grouped by how they differ.
 * The inner query groups every joined row by (absent here, absent there,
 * which columns differ) and keeps each group's count and first-key range;
 * the outer one turns the few groups into the columns pass_sql_filtered
 * gives.  The row counts come from the join itself instead of two more
 * scans, and the planner may merge-join two primary keys where the
 * filtered pass's hash join spills to disk.  Measured on 1,000,000 rows
 * (bench/compare): 0.8 of the plain full join the bench takes as its
 * reference, where the filtered pass took 1.3 to 1.6 of it. */
static char *pass_sql_grouped(const struct cmp *c)
{
	struct buf q = BUF_INIT, inner = BUF_INIT, anyd = BUF_INIT;
	const char *cm = buf_str(&c->cm), *bm = buf_str(&c->bm);
	const char *matched = "NOT cn AND NOT bn";
	buf_printf(&inner, "SELECT %s IS NULL AS cn, %s IS NULL AS bn", cm, bm);
	for (size_t i = 0; i < c->ncols; i++) {
		if (c->cols[i].key)
			continue;
		buf_puts(&inner, ", ");
		put_differs(&inner, c, &c->cols[i]);
		buf_printf(&inner, " AS d%zu", i);
		buf_printf(&anyd, "%sd%zu", anyd.len ? " OR " : "", i);
	}
	if (!anyd.len)
		buf_puts(&anyd, "false");
	buf_puts(&inner, ", count(*) AS n");
	const char *ends[][2] = { { "min", "c" }, { "max", "c" }, { "min", "b" }, { "max", "b" } };
	for (size_t k = 0; k < ARRAY_LEN(ends); k++) {
		buf_printf(&inner, ", %s(", ends[k][0]);
		put_key0(&inner, c, ends[k][1]);
		buf_printf(&inner, ") AS %s%s", ends[k][0], ends[k][1]);
	}
	put_join(&inner, c, c->qc, c->qb);
	/* By position: a name would mean the table's column of that name. */
	buf_puts(&inner, " GROUP BY 1, 2");
	for (size_t i = 0, pos = 3; i < c->ncols; i++)
		if (!c->cols[i].key)
			buf_printf(&inner, ", %zu", pos++);
	buf_printf(&q, "SELECT sum(n) FILTER (WHERE NOT cn), sum(n) FILTER (WHERE NOT bn), "
		   "sum(n) FILTER (WHERE bn), sum(n) FILTER (WHERE cn), "
		   "sum(n) FILTER (WHERE %s AND (%s))", matched, buf_str(&anyd));
	for (size_t i = 0; i < c->ncols; i++)
		if (!c->cols[i].key)
			buf_printf(&q, ", sum(n) FILTER (WHERE %s AND d%zu)", matched, i);
	buf_puts(&q, ", min(minc) FILTER (WHERE bn), max(maxc) FILTER (WHERE bn)"
		 ", min(minb) FILTER (WHERE cn), max(maxb) FILTER (WHERE cn)");
	buf_printf(&q, ", min(minc) FILTER (WHERE %s AND (%s)), max(maxc) FILTER (WHERE %s AND (%s))",
		   matched, buf_str(&anyd), matched, buf_str(&anyd));
	for (size_t i = 0; i < c->ncols; i++)
		if (!c->cols[i].key)
			buf_printf(&q, ", min(minc) FILTER (WHERE %s AND d%zu)", matched, i);
	buf_printf(&q, " FROM (%s) AS groups", buf_str(&inner));
	buf_free(&inner);
	buf_free(&anyd);
	return buf_detach(&q);
}

/* SQLite: aggregates over the rows that differ, which a WHERE keeps;
 * the row counts from two count(*) (SQLite counts a table from its
 * smallest index). */
static char *pass_sql_filtered(const struct cmp *c)
{
	struct buf q = BUF_INIT, matched = BUF_INIT, cond = BUF_INIT;
	const char *cm = buf_str(&c->cm), *bm = buf_str(&c->bm);
	buf_printf(&matched, "%s IS NOT NULL AND %s IS NOT NULL", cm, bm);
	buf_printf(&q, "SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s), "
		   "count(*) FILTER (WHERE %s IS NULL), count(*) FILTER (WHERE %s IS NULL), "
		   "count(*) FILTER (WHERE %s)", c->qc, c->qb, bm, cm, buf_str(&matched));
	for (size_t i = 0; i < c->ncols; i++) {
		if (c->cols[i].key)
			continue;
		buf_printf(&q, ", count(*) FILTER (WHERE %s AND ", buf_str(&matched));
		put_differs(&q, c, &c->cols[i]);
		buf_putc(&q, ')');
	}
	buf_printf(&cond, "%s IS NULL", bm);
	put_minmax(&q, c, "c", buf_str(&cond));
	buf_reset(&cond);
	buf_printf(&cond, "%s IS NULL", cm);
	put_minmax(&q, c, "b", buf_str(&cond));
	put_minmax(&q, c, "c", buf_str(&matched));
	for (size_t i = 0; i < c->ncols; i++) {
		if (c->cols[i].key)
			continue;
		buf_puts(&q, ", min(");
		put_key0(&q, c, "c");
		buf_printf(&q, ") FILTER (WHERE %s AND ", buf_str(&matched));
		put_differs(&q, c, &c->cols[i]);
		buf_putc(&q, ')');
	}
	put_join(&q, c, c->qc, c->qb);
	buf_puts(&q, " WHERE ");
	put_any_difference(&q, c, cm, bm);
	buf_free(&matched);
	buf_free(&cond);
	return buf_detach(&q);
}

static int64_t cur_i64(struct db_cursor *cur, int col)
{
	int64_t v = 0;
	const char *s = db_cursor_text(cur, col);
	if (s && !str_to_i64(s, &v)) {
		double d;
		if (str_to_double(s, &d))
			v = (int64_t)d;
	}
	return v;
}

static int run_pass(struct cmp *c, struct compare_result *r, struct handles *h,
		    struct err *e)
{
	char *sql = c->kind == DB_POSTGRES ? pass_sql_grouped(c) : pass_sql_filtered(c);
	struct db_cursor *cur = db_query(c->db, sql, NULL, 0, e);
	free(sql);
	if (!cur)
		return -1;
	int rc = db_cursor_next(cur, e);
	if (rc != 1) {
		db_cursor_close(cur);
		return rc < 0 ? -1 : err_set(e, ERR_INTERNAL, "the comparison returned no row");
	}
	int col = 0;
	r->rows_current = cur_i64(cur, col++);
	r->rows_backfill = cur_i64(cur, col++);
	r->only_current = cur_i64(cur, col++);
	r->only_backfill = cur_i64(cur, col++);
	r->changed = cur_i64(cur, col++);
	for (size_t i = 0; i < c->ncols; i++)
		if (!c->cols[i].key)
			r->columns[i].changed = cur_i64(cur, col++);
	for (int k = 0; k < 6; k++)
		handle_add(h, db_cursor_text(cur, col++));
	for (size_t i = 0; i < c->ncols; i++)
		if (!c->cols[i].key)
			handle_add(h, db_cursor_text(cur, col++));
	db_cursor_close(cur);
	return 0;
}

/* ---- samples ---------------------------------------------------------------------- */

static void put_side(struct buf *b, const struct cmp *c, const char *table,
		     const struct handles *h)
{
	buf_puts(b, "(SELECT 1 AS " MARK ", * FROM ");
	buf_puts(b, table);
	buf_puts(b, " WHERE ");
	put_ident(b, c, c->cols[c->keyidx[0]].name);
	if (key0_as_text(c))
		buf_puts(b, "::text");
	buf_puts(b, " IN (");
	for (size_t i = 0; i < h->values.len; i++)
		buf_printf(b, "%s$%zu", i ? ", " : "", i + 1);
	buf_puts(b, "))");
}

static char *sample_sql(const struct cmp *c, const struct handles *h)
{
	struct buf q = BUF_INIT, left = BUF_INIT, right = BUF_INIT;
	buf_puts(&q, "SELECT c." MARK ", b." MARK);
	for (size_t i = 0; i < c->ncols; i++) {
		if (c->cols[i].key) {
			buf_puts(&q, ", 0");
			continue;
		}
		buf_puts(&q, ", CASE WHEN ");
		put_differs(&q, c, &c->cols[i]);
		buf_puts(&q, " THEN 1 ELSE 0 END");
	}
	for (int side = 0; side < 2; side++) {
		for (size_t i = 0; i < c->ncols; i++) {
			const struct ccol *col = &c->cols[i];
			if (side == 0 ? col->cur != NULL : col->bf != NULL) {
				buf_puts(&q, ", ");
				put_col(&q, c, side ? "b" : "c", col->name);
			} else {
				buf_puts(&q, ", NULL");
			}
		}
	}
	put_side(&left, c, c->qc, h);
	put_side(&right, c, c->qb, h);
	put_join(&q, c, buf_str(&left), buf_str(&right));
	buf_puts(&q, " WHERE ");
	put_any_difference(&q, c, "c." MARK, "b." MARK);
	buf_puts(&q, " ORDER BY ");
	for (size_t k = 0; k < c->req->nkey; k++) {
		buf_puts(&q, k ? ", " : "");
		buf_puts(&q, "COALESCE(");
		put_value(&q, c, &c->cols[c->keyidx[k]], "c");
		buf_puts(&q, ", ");
		put_value(&q, c, &c->cols[c->keyidx[k]], "b");
		buf_puts(&q, ")");
	}
	buf_printf(&q, " LIMIT %d", MAX_SAMPLE_ROWS);
	buf_free(&left);
	buf_free(&right);
	return buf_detach(&q);
}

static char **copy_row(struct db_cursor *cur, int first, size_t n)
{
	char **v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(db_cursor_text(cur, first + (int)i));
	return v;
}

static void free_row(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void sample_free(struct compare_sample *s, size_t n)
{
	free_row(s->current, n);
	free_row(s->backfill, n);
	free(s->differs);
	memset(s, 0, sizeof(*s));
}

/* Keep at most `want` samples of each kind; among changed rows prefer
 * those that show a column no kept sample shows yet. */
static void keep_sample(struct compare_result *r, struct compare_sample *s, int want,
			bool *shown)
{
	int have = 0;
	for (size_t i = 0; i < r->nsamples; i++)
		have += r->samples[i].kind == s->kind;
	bool news = false;
	if (s->kind == COMPARE_CHANGED)
		for (size_t i = 0; i < r->ncolumns; i++)
			news |= s->differs[i] && !shown[i];
	if (have >= want && !news) {
		sample_free(s, r->ncolumns);
		return;
	}
	if (have >= want) {
		/* Replace the last changed sample that adds no column of its own. */
		for (size_t i = r->nsamples; i-- > 0;) {
			struct compare_sample *old = &r->samples[i];
			if (old->kind != COMPARE_CHANGED || old->differs == NULL)
				continue;
			bool unique_col = false;
			for (size_t j = 0; j < r->ncolumns && !unique_col; j++) {
				if (!old->differs[j])
					continue;
				bool elsewhere = false;
				for (size_t o = 0; o < r->nsamples; o++)
					if (o != i && r->samples[o].kind == COMPARE_CHANGED &&
					    r->samples[o].differs[j])
						elsewhere = true;
				unique_col = !elsewhere;
			}
			if (!unique_col) {
				sample_free(old, r->ncolumns);
				*old = *s;
				goto mark;
			}
		}
		sample_free(s, r->ncolumns);
		return;
	}
	r->samples = xrealloc(r->samples, (r->nsamples + 1) * sizeof(*r->samples));
	r->samples[r->nsamples++] = *s;
mark:
	if (s->kind == COMPARE_CHANGED)
		for (size_t i = 0; i < r->ncolumns; i++)
			shown[i] |= s->differs[i];
}

static int run_samples(struct cmp *c, struct compare_result *r,
		       const struct handles *h, struct err *e)
{
	if (h->values.len == 0)
		return 0;
	int want = c->req->samples > 0 ? c->req->samples : DEFAULT_SAMPLES;
	char *sql = sample_sql(c, h);
	struct db_cursor *cur = db_query(c->db, sql, (const char *const *)h->values.items,
					 (int)h->values.len, e);
	free(sql);
	if (!cur)
		return -1;
	bool *shown = xcalloc(c->ncols ? c->ncols : 1, sizeof(bool));
	int rc;
	size_t n = c->ncols;
	while ((rc = db_cursor_next(cur, e)) == 1) {
		bool has_c = db_cursor_text(cur, 0) != NULL;
		bool has_b = db_cursor_text(cur, 1) != NULL;
		struct compare_sample s = { 0 };
		s.kind = !has_b ? COMPARE_ONLY_CURRENT : !has_c ? COMPARE_ONLY_BACKFILL
			: COMPARE_CHANGED;
		if (has_c)
			s.current = copy_row(cur, 2 + (int)n, n);
		if (has_b)
			s.backfill = copy_row(cur, 2 + 2 * (int)n, n);
		if (s.kind == COMPARE_CHANGED) {
			s.differs = xcalloc(n ? n : 1, sizeof(bool));
			bool any = false;
			for (size_t i = 0; i < n; i++) {
				const char *f = db_cursor_text(cur, 2 + (int)i);
				s.differs[i] = f && strcmp(f, "1") == 0;
				any |= s.differs[i];
			}
			if (!any) {
				sample_free(&s, n);
				continue;
			}
		}
		keep_sample(r, &s, want, shown);
	}
	free(shown);
	db_cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/* ---- the entry point ---------------------------------------------------------------- */

static void cmp_free(struct cmp *c)
{
	db_table_free(c->tc);
	db_table_free(c->tb);
	free(c->cols);
	free(c->keyidx);
	free(c->qc);
	free(c->qb);
	buf_free(&c->cm);
	buf_free(&c->bm);
}

/* The tables, the key and the columns with their types as c->kind spells
 * them. */
static void fill_result_shape(const struct cmp *c, struct compare_result *r)
{
	const struct compare_request *req = c->req;
	r->current = xstrdup(req->current);
	r->backfill = xstrdup(req->backfill);
	r->nkey = req->nkey;
	r->key = xcalloc(req->nkey, sizeof(char *));
	for (size_t k = 0; k < req->nkey; k++)
		r->key[k] = xstrdup(c->cols[c->keyidx[k]].name);
	r->ncolumns = c->ncols;
	r->columns = xcalloc(c->ncols ? c->ncols : 1, sizeof(*r->columns));
	for (size_t i = 0; i < c->ncols; i++) {
		struct compare_column *rc = &r->columns[i];
		const struct ccol *col = &c->cols[i];
		char t[64];
		rc->name = xstrdup(col->name);
		rc->key = col->key;
		if (col->cur) {
			db_type_sql(c->kind, col->cur->type, t, sizeof t);
			rc->type_current = xstrdup(t);
		}
		if (col->bf) {
			db_type_sql(c->kind, col->bf->type, t, sizeof t);
			rc->type_backfill = xstrdup(t);
		}
	}
}

/* A first build: the current table does not exist, so every row of the
 * backfill is new; the samples are its first rows by key. */
static int first_rows(struct cmp *c, struct compare_result *r, struct err *e)
{
	if (db_row_count(c->db, c->req->backfill, &r->rows_backfill, e) < 0)
		return -1;
	r->only_backfill = r->rows_backfill;
	struct buf q = BUF_INIT;
	buf_puts(&q, "SELECT ");
	for (size_t i = 0; i < c->ncols; i++) {
		buf_puts(&q, i ? ", " : "");
		put_ident(&q, c, c->cols[i].name);
	}
	buf_printf(&q, " FROM %s ORDER BY ", c->qb);
	for (size_t k = 0; k < c->req->nkey; k++) {
		buf_puts(&q, k ? ", " : "");
		put_ident(&q, c, c->cols[c->keyidx[k]].name);
	}
	buf_printf(&q, " LIMIT %d", c->req->samples > 0 ? c->req->samples : DEFAULT_SAMPLES);
	struct db_cursor *cur = db_query(c->db, buf_str(&q), NULL, 0, e);
	buf_free(&q);
	if (!cur)
		return -1;
	int rc;
	while ((rc = db_cursor_next(cur, e)) == 1) {
		r->samples = xrealloc(r->samples, (r->nsamples + 1) * sizeof(*r->samples));
		struct compare_sample *s = &r->samples[r->nsamples++];
		memset(s, 0, sizeof(*s));
		s->kind = COMPARE_ONLY_BACKFILL;
		s->backfill = copy_row(cur, 0, c->ncols);
	}
	db_cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

static struct db_table *describe_current(struct cmp *c, bool *missing, struct err *e)
{
	*missing = false;
	if (c->req->missing_current_is_empty) {
		int ex = db_table_exists(c->db, c->req->current, e);
		if (ex < 0)
			return NULL;
		if (ex == 0) {
			*missing = true;
			struct db_table *t = db_describe(c->db, c->req->backfill, e);
			if (t)   /* its columns, so the key is found; none counts as current's */
				for (size_t i = 0; i < t->ncolumns; i++)
					t->columns[i].not_null = true;
			return t;
		}
	}
	return db_describe(c->db, c->req->current, e);
}

int compare_tables(struct db *db, const struct compare_request *req,
		   struct compare_result *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!req->current || !req->backfill || req->nkey == 0)
		return err_set(e, ERR_INVALID, "a comparison needs two tables and a key");
	struct cmp c = { .db = db, .kind = db_kind(db), .req = req };
	int rc = -1;
	bool missing = false;
	struct handles h = { VEC_INIT };
	c.tc = describe_current(&c, &missing, e);
	if (!c.tc)
		goto done;
	c.tb = db_describe(db, req->backfill, e);
	if (!c.tb)
		goto done;
	if (build_columns(&c, e) < 0)
		goto done;
	c.qc = db_quote_ident(db, req->current);
	c.qb = db_quote_ident(db, req->backfill);
	if ((!missing && check_unique(&c, c.tc, req->current, e) < 0) ||
	    check_unique(&c, c.tb, req->backfill, e) < 0)
		goto done;
	fill_result_shape(&c, out);
	if (missing) {
		for (size_t i = 0; i < out->ncolumns; i++) {
			free(out->columns[i].type_current);
			out->columns[i].type_current = NULL;
		}
		if (first_rows(&c, out, e) < 0)
			goto done;
	} else if (run_pass(&c, out, &h, e) < 0 || run_samples(&c, out, &h, e) < 0) {
		goto done;
	}
	out->unchanged = out->rows_current - out->only_current - out->changed;
	int64_t most = out->rows_current > out->rows_backfill ? out->rows_current
							      : out->rows_backfill;
	int64_t diff = out->only_current + out->only_backfill + out->changed;
	out->score = most > 0 ? (double)diff / (double)most : 0.0;
	rc = 0;
done:
	if (rc < 0) {
		err_prefix(e, "comparing %s with %s: ", req->current, req->backfill);
		compare_result_free(out);
	}
	vec_free_all(&h.values, free);
	cmp_free(&c);
	return rc;
}

bool compare_result_identical(const struct compare_result *r)
{
	if (r->only_current || r->only_backfill || r->changed)
		return false;
	for (size_t i = 0; i < r->ncolumns; i++)
		if (!r->columns[i].type_current || !r->columns[i].type_backfill)
			return false;
	return true;
}

void compare_result_free(struct compare_result *r)
{
	if (!r)
		return;
	free(r->current);
	free(r->backfill);
	for (size_t k = 0; k < r->nkey; k++)
		free(r->key[k]);
	free(r->key);
	for (size_t i = 0; i < r->nsamples; i++)
		sample_free(&r->samples[i], r->ncolumns);
	free(r->samples);
	for (size_t i = 0; i < r->ncolumns; i++) {
		free(r->columns[i].name);
		free(r->columns[i].type_current);
		free(r->columns[i].type_backfill);
	}
	free(r->columns);
	memset(r, 0, sizeof(*r));
}

/* ---- JSON -------------------------------------------------------------------------------- */

static cJSON *row_object(const struct compare_result *r, char **vals, bool current)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < r->ncolumns; i++) {
		const struct compare_column *col = &r->columns[i];
		if (current ? !col->type_current : !col->type_backfill)
			continue;
		if (vals[i])
			cJSON_AddStringToObject(o, col->name, vals[i]);
		else
			cJSON_AddNullToObject(o, col->name);
	}
	return o;
}

static cJSON *key_object(const struct compare_result *r, char **vals)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < r->ncolumns; i++) {
		if (!r->columns[i].key)
			continue;
		if (vals[i])
			cJSON_AddStringToObject(o, r->columns[i].name, vals[i]);
		else
			cJSON_AddNullToObject(o, r->columns[i].name);
	}
	return o;
}

static cJSON *sample_json(const struct compare_result *r, const struct compare_sample *s)
{
	cJSON *o = cJSON_CreateObject();
	char **any = s->current ? s->current : s->backfill;
	cJSON_AddItemToObject(o, "key", key_object(r, any));
	if (s->kind == COMPARE_CHANGED) {
		cJSON *ch = cJSON_AddArrayToObject(o, "changed");
		for (size_t i = 0; i < r->ncolumns; i++)
			if (s->differs[i])
				cJSON_AddItemToArray(ch, cJSON_CreateString(r->columns[i].name));
	}
	if (s->current)
		cJSON_AddItemToObject(o, "current", row_object(r, s->current, true));
	if (s->backfill)
		cJSON_AddItemToObject(o, "backfill", row_object(r, s->backfill, false));
	return o;
}

cJSON *compare_result_json(const struct compare_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "table", r->current);
	cJSON_AddStringToObject(o, "backfill_table", r->backfill);
	cJSON *key = cJSON_AddArrayToObject(o, "key");
	for (size_t k = 0; k < r->nkey; k++)
		cJSON_AddItemToArray(key, cJSON_CreateString(r->key[k]));
	cJSON_AddNumberToObject(o, "rows_current", (double)r->rows_current);
	cJSON_AddNumberToObject(o, "rows_backfill", (double)r->rows_backfill);
	cJSON_AddNumberToObject(o, "only_current", (double)r->only_current);
	cJSON_AddNumberToObject(o, "only_backfill", (double)r->only_backfill);
	cJSON_AddNumberToObject(o, "changed", (double)r->changed);
	cJSON_AddNumberToObject(o, "unchanged", (double)r->unchanged);
	cJSON_AddNumberToObject(o, "score", r->score);
	cJSON_AddBoolToObject(o, "identical", compare_result_identical(r));
	cJSON *cols = cJSON_AddArrayToObject(o, "columns");
	for (size_t i = 0; i < r->ncolumns; i++) {
		const struct compare_column *col = &r->columns[i];
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", col->name);
		cJSON_AddBoolToObject(c, "key", col->key);
		cJSON_AddNumberToObject(c, "changed", (double)col->changed);
		if (col->type_current)
			cJSON_AddStringToObject(c, "type_current", col->type_current);
		else
			cJSON_AddNullToObject(c, "type_current");
		if (col->type_backfill)
			cJSON_AddStringToObject(c, "type_backfill", col->type_backfill);
		else
			cJSON_AddNullToObject(c, "type_backfill");
		cJSON_AddStringToObject(c, "status", !col->type_current ? "added"
					: !col->type_backfill ? "dropped"
					: strcmp(col->type_current, col->type_backfill) != 0
					? "retyped" : "same");
		cJSON_AddItemToArray(cols, c);
	}
	cJSON *samples = cJSON_AddObjectToObject(o, "samples");
	for (int k = 0; k < COMPARE_KIND_COUNT; k++) {
		cJSON *arr = cJSON_AddArrayToObject(samples, compare_kind_name(k));
		for (size_t i = 0; i < r->nsamples; i++)
			if ((int)r->samples[i].kind == k)
				cJSON_AddItemToArray(arr, sample_json(r, &r->samples[i]));
	}
	return o;
}

/* ---- between two connections ---------------------------------------------------------------
 * Current and backfill on different databases (a warehouse moved, a copy
 * on another server): neither database can join the other's table, so
 * both are read in key order and merged here, row by row, like two sorted
 * files.  Memory holds the current row of each side and the samples,
 * whatever the tables' size.  Keys are ordered bytewise on both sides
 * (COLLATE "C" on PostgreSQL, SQLite's BINARY), numbers as numbers.
 * Values are compared in the canonical text both backends produce, with
 * decimals normalised (3.90 = 3.9).  Rows whose key has a NULL never
 * match: they are counted on their own side. */

struct side {
	struct db *db;
	const struct db_table *t;
	struct db_cursor *cur;
	int has;              /* 1 a row is ready, 0 done */
	size_t *colpos;       /* result column -> cursor column, or SIZE_MAX */
	size_t *keypos;       /* key k -> cursor column */
};

static bool is_number_type(enum db_type t)
{
	return t == DT_INT || t == DT_NUMERIC || t == DT_FLOAT;
}

/* "3.900" -> "3.9", "4.0" -> "4", "-0.0" -> "0"; other text as is. */
static void norm_decimal(const char *s, char *out, size_t n)
{
	snprintf(out, n, "%s", s);
	char *dot = strchr(out, '.');
	if (!dot || strpbrk(out, "eE"))
		return;
	char *end = out + strlen(out);
	while (end > dot + 1 && end[-1] == '0')
		*--end = '\0';
	if (end == dot + 1)
		*dot = '\0';
	if (strcmp(out, "-0") == 0)
		snprintf(out, n, "0");
}

static bool values_differ(const char *a, const char *b, bool numeric)
{
	if (!a || !b)
		return a != b;
	if (!numeric)
		return strcmp(a, b) != 0;
	char na[128], nb[128];
	norm_decimal(a, na, sizeof na);
	norm_decimal(b, nb, sizeof nb);
	return strcmp(na, nb) != 0;
}

static int key_cmp(const char *a, const char *b, bool numeric)
{
	if (numeric) {
		int64_t ia, ib;
		if (str_to_i64(a, &ia) && str_to_i64(b, &ib))
			return ia < ib ? -1 : ia > ib;
		double da, db;
		if (str_to_double(a, &da) && str_to_double(b, &db))
			return da < db ? -1 : da > db;
	}
	int c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

static struct db_cursor *ordered(struct cmp *c, struct db *db, const struct db_table *t,
				 const char *table, struct err *e)
{
	struct buf q = BUF_INIT;
	buf_puts(&q, "SELECT ");
	for (size_t i = 0; i < t->ncolumns; i++) {
		buf_puts(&q, i ? ", " : "");
		char *qc = db_quote_ident(db, t->columns[i].name);
		buf_puts(&q, qc);
		free(qc);
	}
	char *qt = db_quote_ident(db, table);
	buf_printf(&q, " FROM %s WHERE ", qt);
	free(qt);
	for (size_t k = 0; k < c->req->nkey; k++) {
		char *qk = db_quote_ident(db, c->cols[c->keyidx[k]].name);
		buf_printf(&q, "%s%s IS NOT NULL", k ? " AND " : "", qk);
		free(qk);
	}
	buf_puts(&q, " ORDER BY ");
	for (size_t k = 0; k < c->req->nkey; k++) {
		const struct ccol *kc = &c->cols[c->keyidx[k]];
		char *qk = db_quote_ident(db, kc->name);
		const struct db_column *col = kc->cur;
		bool text = col && !is_number_type(col->type.type);
		buf_printf(&q, "%s%s%s", k ? ", " : "", qk,
			   text && db_kind(db) == DB_POSTGRES ? " COLLATE \"C\"" : "");
		free(qk);
	}
	struct db_cursor *cur = db_query(db, buf_str(&q), NULL, 0, e);
	buf_free(&q);
	return cur;
}

static int side_open(struct cmp *c, struct side *s, struct db *db, const struct db_table *t,
		     const char *table, bool current, struct err *e)
{
	s->db = db;
	s->t = t;
	s->colpos = xcalloc(c->ncols ? c->ncols : 1, sizeof(size_t));
	s->keypos = xcalloc(c->req->nkey, sizeof(size_t));
	for (size_t i = 0; i < c->ncols; i++) {
		const struct db_column *col = current ? c->cols[i].cur : c->cols[i].bf;
		s->colpos[i] = col ? (size_t)(col - t->columns) : SIZE_MAX;
	}
	for (size_t k = 0; k < c->req->nkey; k++)
		s->keypos[k] = s->colpos[c->keyidx[k]];
	s->cur = ordered(c, db, t, table, e);
	if (!s->cur)
		return -1;
	s->has = db_cursor_next(s->cur, e);
	return s->has < 0 ? -1 : 0;
}

static void side_close(struct side *s)
{
	db_cursor_close(s->cur);
	free(s->colpos);
	free(s->keypos);
}

static int side_key_cmp(const struct cmp *c, const struct side *a, const struct side *b)
{
	for (size_t k = 0; k < c->req->nkey; k++) {
		const struct ccol *kc = &c->cols[c->keyidx[k]];
		bool num = is_number_type(kc->cur->type.type) && is_number_type(kc->bf->type.type);
		int r = key_cmp(db_cursor_text(a->cur, (int)a->keypos[k]),
				db_cursor_text(b->cur, (int)b->keypos[k]), num);
		if (r)
			return r;
	}
	return 0;
}

static char **side_row(const struct cmp *c, const struct side *s)
{
	char **v = xcalloc(c->ncols ? c->ncols : 1, sizeof(char *));
	for (size_t i = 0; i < c->ncols; i++)
		if (s->colpos[i] != SIZE_MAX)
			v[i] = xstrdup(db_cursor_text(s->cur, (int)s->colpos[i]));
	return v;
}

/* Advance a side, refusing a key equal to the one just passed. */
static int side_next(struct cmp *c, struct side *s, const char *table, struct err *e)
{
	char **prev = xcalloc(c->req->nkey, sizeof(char *));
	for (size_t k = 0; k < c->req->nkey; k++)
		prev[k] = xstrdup(db_cursor_text(s->cur, (int)s->keypos[k]));
	s->has = db_cursor_next(s->cur, e);
	bool same = s->has == 1;
	for (size_t k = 0; k < c->req->nkey && same; k++)
		same = str_eq(prev[k], db_cursor_text(s->cur, (int)s->keypos[k]));
	int rc = s->has < 0 ? -1 : 0;
	if (same)
		rc = err_at(e, ERR_INVALID, table, "the key is not unique in %s: (%s%s) appears "
			    "more than once; compare needs a key that names one row", table,
			    prev[0], c->req->nkey > 1 ? ", ..." : "");
	for (size_t k = 0; k < c->req->nkey; k++)
		free(prev[k]);
	free(prev);
	return rc;
}

static int null_keys(struct cmp *c, struct db *db, const char *table, int64_t *n,
		     struct err *e)
{
	struct buf q = BUF_INIT;
	char *qt = db_quote_ident(db, table);
	buf_printf(&q, "SELECT count(*) FROM %s WHERE ", qt);
	free(qt);
	for (size_t k = 0; k < c->req->nkey; k++) {
		char *qk = db_quote_ident(db, c->cols[c->keyidx[k]].name);
		buf_printf(&q, "%s%s IS NULL", k ? " OR " : "", qk);
		free(qk);
	}
	int rc = db_query_int(db, buf_str(&q), NULL, 0, n, e);
	buf_free(&q);
	return rc < 0 ? -1 : 0;
}

static int merge_sides(struct cmp *c, struct side *a, struct side *b,
		       struct compare_result *r, struct err *e)
{
	int want = c->req->samples > 0 ? c->req->samples : DEFAULT_SAMPLES;
	bool *shown = xcalloc(c->ncols ? c->ncols : 1, sizeof(bool));
	bool *num = xcalloc(c->ncols ? c->ncols : 1, sizeof(bool));
	for (size_t i = 0; i < c->ncols; i++)
		num[i] = c->cols[i].cur && c->cols[i].bf &&
			 is_number_type(c->cols[i].cur->type.type) &&
			 is_number_type(c->cols[i].bf->type.type);
	int rc = 0;
	while (rc == 0 && (a->has == 1 || b->has == 1)) {
		int order = a->has != 1 ? 1 : b->has != 1 ? -1 : side_key_cmp(c, a, b);
		struct compare_sample s = { 0 };
		if (order < 0) {
			r->rows_current++;
			r->only_current++;
			s.kind = COMPARE_ONLY_CURRENT;
			s.current = side_row(c, a);
			keep_sample(r, &s, want, shown);
			rc = side_next(c, a, c->req->current, e);
			continue;
		}
		if (order > 0) {
			r->rows_backfill++;
			r->only_backfill++;
			s.kind = COMPARE_ONLY_BACKFILL;
			s.backfill = side_row(c, b);
			keep_sample(r, &s, want, shown);
			rc = side_next(c, b, c->req->backfill, e);
			continue;
		}
		r->rows_current++;
		r->rows_backfill++;
		bool any = false;
		bool *differs = xcalloc(c->ncols ? c->ncols : 1, sizeof(bool));
		for (size_t i = 0; i < c->ncols; i++) {
			if (c->cols[i].key)
				continue;
			const char *va = a->colpos[i] == SIZE_MAX ? NULL
				: db_cursor_text(a->cur, (int)a->colpos[i]);
			const char *vb = b->colpos[i] == SIZE_MAX ? NULL
				: db_cursor_text(b->cur, (int)b->colpos[i]);
			differs[i] = values_differ(va, vb, num[i]);
			if (differs[i]) {
				r->columns[i].changed++;
				any = true;
			}
		}
		if (any) {
			r->changed++;
			s.kind = COMPARE_CHANGED;
			s.current = side_row(c, a);
			s.backfill = side_row(c, b);
			s.differs = differs;
			keep_sample(r, &s, want, shown);
		} else {
			free(differs);
		}
		rc = side_next(c, a, c->req->current, e);
		if (rc == 0)
			rc = side_next(c, b, c->req->backfill, e);
	}
	free(shown);
	free(num);
	return rc;
}

int compare_tables_across(struct db *cur, struct db *bf, const struct compare_request *req,
			  struct compare_result *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!req->current || !req->backfill || req->nkey == 0)
		return err_set(e, ERR_INVALID, "a comparison needs two tables and a key");
	if (cur == bf)
		return compare_tables(cur, req, out, e);
	struct cmp c = { .db = cur, .kind = db_kind(cur), .req = req };
	struct side a = { 0 }, b = { 0 };
	int rc = -1;
	int64_t nulls = 0;
	c.tc = db_describe(cur, req->current, e);
	if (!c.tc)
		goto done;
	c.tb = db_describe(bf, req->backfill, e);
	if (!c.tb)
		goto done;
	/* Column names match without regard to case when either side is SQLite. */
	c.kind = db_kind(cur) == DB_SQLITE || db_kind(bf) == DB_SQLITE ? DB_SQLITE : DB_POSTGRES;
	if (build_columns(&c, e) < 0)
		goto done;
	c.kind = db_kind(cur);
	fill_result_shape(&c, out);
	if (db_kind(bf) != db_kind(cur))
		for (size_t i = 0; i < out->ncolumns; i++)
			if (c.cols[i].bf) {
				char t[64];
				db_type_sql(db_kind(bf), c.cols[i].bf->type, t, sizeof t);
				free(out->columns[i].type_backfill);
				out->columns[i].type_backfill = xstrdup(t);
			}
	if (side_open(&c, &a, cur, c.tc, req->current, true, e) < 0 ||
	    side_open(&c, &b, bf, c.tb, req->backfill, false, e) < 0 ||
	    merge_sides(&c, &a, &b, out, e) < 0)
		goto done;
	side_close(&a);
	side_close(&b);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (null_keys(&c, cur, req->current, &nulls, e) < 0)
		goto done;
	out->rows_current += nulls;
	out->only_current += nulls;
	if (null_keys(&c, bf, req->backfill, &nulls, e) < 0)
		goto done;
	out->rows_backfill += nulls;
	out->only_backfill += nulls;
	out->unchanged = out->rows_current - out->only_current - out->changed;
	int64_t most = out->rows_current > out->rows_backfill ? out->rows_current
							      : out->rows_backfill;
	out->score = most > 0 ? (double)(out->only_current + out->only_backfill +
					 out->changed) / (double)most : 0.0;
	rc = 0;
done:
	if (a.cur || a.colpos)
		side_close(&a);
	if (b.cur || b.colpos)
		side_close(&b);
	if (rc < 0) {
		err_prefix(e, "comparing %s with %s across connections: ", req->current,
			   req->backfill);
		compare_result_free(out);
	}
	cmp_free(&c);
	return rc;
}
