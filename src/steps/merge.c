/*
 * merge.c - a load's merge: the source's rows into the target by key,
 * matched rows updated in place and new ones inserted.
 *
 * The source's rows are first staged in a scratch table beside the target
 * (step_merge_stage creates it inside the load's transaction; step_load.c fills it),
 * so every statement below sees the same rows whatever the source is.
 * step_merge_apply then
 *
 *   refuses a NULL key      it could never match a row, and used to pile
 *                           up a new row on every run
 *   refuses a repeated key  two source rows for one target row would both
 *                           be written; with "latest_by" the latest row of
 *                           each key is taken instead (and two different
 *                           rows tied at the latest are refused)
 *   updates in place        only the matched rows whose values differ, and
 *                           only the source's columns: columns the target
 *                           alone has (a surrogate key, an audit column)
 *                           keep their values
 *   inserts the rest        rows whose key the target does not have
 *
 * A source that reads a default-mode stream with its action column
 * (_sluice_action, {{stream:NAME}}) carries the window's deleted rows as
 * 'DELETE': their keys are deleted from the target first, and the other
 * rows merged as above without that column, so a key deleted and inserted
 * again in one window ends as the row the table holds now.
 *
 * A refusal returns -1 before anything is written, and the caller rolls
 * the whole load back, so the target is as it was.  The statements are
 * UPDATE ... FROM and INSERT ... WHERE NOT EXISTS on both dialects (SQLite
 * 3.33 has UPDATE ... FROM): they need no unique constraint on the key,
 * which a target created by a load does not have.  On PostgreSQL the
 * target is locked against other writers (SHARE ROW EXCLUSIVE: readers go
 * on) so that two merges at once cannot both insert a key; SQLite's write
 * transaction already excludes them.
 */
#include "steps/steps_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAMPLE_KEYS 5           /* repeated keys named in an error */
#define SAMPLE_VALUE_BYTES 40   /* of each key value shown */

static bool same_name(const struct db *db, const char *a, const char *b)
{
	return db_kind(db) == DB_SQLITE ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static bool is_key(const struct merge *m, const char *name)
{
	for (int k = 0; k < m->nkey; k++)
		if (same_name(m->db, m->key[k], name))
			return true;
	return false;
}

/* "p.a, p.b" for the names given (prefix may be NULL). */
static void name_list(struct buf *b, const struct db *db, const char *const *names, int n,
		      const char *prefix, const char *suffix)
{
	for (int i = 0; i < n; i++) {
		char *q = db_quote_ident(db, names[i]);
		buf_printf(b, "%s%s%s%s", i ? ", " : "", prefix ? prefix : "", q,
			   suffix ? suffix : "");
		free(q);
	}
}

static void key_list(struct buf *b, const struct merge *m, const char *prefix)
{
	name_list(b, m->db, m->key, m->nkey, prefix, NULL);
}

static void column_list(struct buf *b, const struct merge *m, const char *prefix)
{
	for (int i = 0; i < m->ncols; i++) {
		char *q = db_quote_ident(m->db, m->cols[i].name);
		buf_printf(b, "%s%s%s", i ? ", " : "", prefix ? prefix : "", q);
		free(q);
	}
}

/* "sluice_target.k = sluice_source.k AND ..." */
static void key_match(struct buf *b, const struct merge *m)
{
	for (int k = 0; k < m->nkey; k++) {
		char *q = db_quote_ident(m->db, m->key[k]);
		buf_printf(b, "%ssluice_target.%s = sluice_source.%s", k ? " AND " : "", q, q);
		free(q);
	}
}

/* ---- checks ---------------------------------------------------------------------- */

static int require_columns(const struct merge *m, const char *const *names, int n,
			   const char *what, struct err *e)
{
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (int c = 0; c < m->ncols && !found; c++)
			found = same_name(m->db, m->cols[c].name, names[i]);
		if (!found) {
			struct buf have = BUF_INIT;
			for (int c = 0; c < m->ncols; c++)
				buf_printf(&have, "%s%s", c ? ", " : "", m->cols[c].name);
			err_set(e, ERR_INVALID, "%s column %s is not among the columns of the "
				"source (%s): %s", what, names[i], m->source_name, buf_str(&have));
			buf_free(&have);
			return -1;
		}
	}
	return 0;
}

/* Source rows with a NULL in a key column: named per column, with counts. */
static int refuse_null_keys(const struct merge *m, const char *from, struct err *e)
{
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT ");
	for (int k = 0; k < m->nkey; k++) {
		char *q = db_quote_ident(m->db, m->key[k]);
		buf_printf(&sql, "%scount(*) - count(%s)", k ? ", " : "", q);
		free(q);
	}
	buf_printf(&sql, " FROM %s", from);
	struct db_cursor *c = db_query(m->db, buf_str(&sql), NULL, 0, e);
	buf_free(&sql);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	struct buf found = BUF_INIT;
	for (int k = 0; rc == 1 && k < m->nkey; k++) {
		int64_t n = 0;
		const char *v = db_cursor_text(c, k);
		if (v && str_to_i64(v, &n) && n > 0)
			buf_printf(&found, "%s%s in %lld row%s", found.len ? ", " : "", m->key[k],
				   (long long)n, n == 1 ? "" : "s");
	}
	db_cursor_close(c);
	if (rc >= 0 && found.len) {
		err_set(e, ERR_INVALID, "merge key is NULL in the source (%s): %s; a merge "
			"matches rows by their key and cannot place a row without one: filter "
			"these rows out of the source or give them a key", m->source_name,
			buf_str(&found));
		rc = -1;
	}
	buf_free(&found);
	return rc < 0 ? -1 : 0;
}

/* "id=7" or "(a=1, b=x)", values cut short. */
static void show_key(struct buf *b, const struct merge *m, struct db_cursor *c)
{
	if (m->nkey > 1)
		buf_putc(b, '(');
	for (int k = 0; k < m->nkey; k++) {
		const char *v = db_cursor_text(c, k);
		size_t len = v ? strlen(v) : 0, shown = len;
		if (shown > SAMPLE_VALUE_BYTES) {
			shown = SAMPLE_VALUE_BYTES;
			while (shown > 0 && ((unsigned char)v[shown] & 0xc0) == 0x80)
				shown--;     /* do not cut a character in half */
		}
		buf_printf(b, "%s%s=%.*s%s", k ? ", " : "", m->key[k], (int)shown,
			   v ? v : "NULL", shown < len ? "..." : "");
	}
	if (m->nkey > 1)
		buf_putc(b, ')');
}

/* Keys that more than one row of `rows` (a subquery with the key columns)
 * has: -1 when there are any, saying `what` they are, a few of them with
 * their number of rows, and `why` that stops the merge. */
static int refuse_repeated_keys(const struct merge *m, const char *rows, const char *what,
				const char *why, struct err *e)
{
	struct buf sql = BUF_INIT, keys = BUF_INIT;
	key_list(&keys, m, NULL);
	buf_printf(&sql, "SELECT %s, count(*) FROM (%s) AS sluice_rows GROUP BY %s "
		   "HAVING count(*) > 1 ORDER BY count(*) DESC, %s", buf_str(&keys), rows,
		   buf_str(&keys), buf_str(&keys));
	buf_free(&keys);
	struct db_cursor *c = db_query(m->db, buf_str(&sql), NULL, 0, e);
	buf_free(&sql);
	if (!c)
		return -1;
	struct buf sample = BUF_INIT;
	int64_t nkeys = 0, nrows = 0;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		int64_t n = 0;
		str_to_i64(db_cursor_text(c, m->nkey), &n);
		if (nkeys++ < SAMPLE_KEYS) {
			if (sample.len)
				buf_puts(&sample, ", ");
			show_key(&sample, m, c);
			buf_printf(&sample, " (%lld rows)", (long long)n);
		}
		nrows += n;
	}
	db_cursor_close(c);
	if (rc == 0 && nkeys > 0) {
		err_set(e, ERR_INVALID, "%s (%s): %lld key%s with %lld rows in all: %s%s; %s",
			what, m->source_name, (long long)nkeys, nkeys == 1 ? "" : "s",
			(long long)nrows, buf_str(&sample), nkeys > SAMPLE_KEYS ? ", ..." : "",
			why);
		rc = -1;
	}
	buf_free(&sample);
	return rc < 0 ? -1 : 0;
}

/* ---- latest_by ------------------------------------------------------------------- */

static void latest_order(struct buf *b, const struct merge *m)
{
	name_list(b, m->db, m->latest_by, m->nlatest, NULL, " DESC NULLS LAST");
}

/* Rows of a key that tie at its latest `latest_by` and differ in any
 * column: which one is the latest cannot be told, so the merge stops. */
static int refuse_ties(const struct merge *m, const char *qstage, struct err *e)
{
	struct buf rows = BUF_INIT, keys = BUF_INIT, order = BUF_INIT, names = BUF_INIT;
	key_list(&keys, m, NULL);
	latest_order(&order, m);
	for (int i = 0; i < m->nlatest; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", m->latest_by[i]);
	buf_printf(&rows, "SELECT %s FROM (SELECT %s, rank() OVER (PARTITION BY %s ORDER BY "
		   "%s) AS sluice_rank FROM (SELECT DISTINCT * FROM %s) AS sluice_distinct) "
		   "AS sluice_ranked WHERE sluice_rank = 1", buf_str(&keys), buf_str(&keys),
		   buf_str(&keys), buf_str(&order), qstage);
	char *what = xasprintf("different rows tie at the latest %s of their key in the "
			       "source", buf_str(&names));
	int rc = refuse_repeated_keys(m, buf_str(&rows), what, "\"latest_by\" cannot pick "
				      "one of them: add a column to it that tells them apart", e);
	free(what);
	buf_free(&rows);
	buf_free(&keys);
	buf_free(&order);
	buf_free(&names);
	return rc;
}

/* The latest row of each key into a second scratch table, which the merge
 * then reads instead of the stage. */
static int keep_latest(struct merge *m, const char *qstage, struct err *e)
{
	snprintf(m->latest, sizeof m->latest, "%s_latest", m->stage);
	struct db_table def = { m->latest, (struct db_column *)m->cols, (size_t)m->ncols };
	if (db_create_table(m->db, &def, false, e) < 0)
		return -1;
	char *ql = db_quote_ident(m->db, m->latest);
	struct buf sql = BUF_INIT, keys = BUF_INIT, order = BUF_INIT;
	key_list(&keys, m, NULL);
	latest_order(&order, m);
	buf_printf(&sql, "INSERT INTO %s (", ql);
	column_list(&sql, m, NULL);
	buf_puts(&sql, ") SELECT ");
	column_list(&sql, m, NULL);
	buf_printf(&sql, " FROM (SELECT *, row_number() OVER (PARTITION BY %s ORDER BY %s) "
		   "AS sluice_version FROM %s) AS sluice_ranked WHERE sluice_version = 1",
		   buf_str(&keys), buf_str(&order), qstage);
	int64_t kept = 0;
	int rc = db_exec(m->db, buf_str(&sql), NULL, 0, &kept, e);
	if (rc == 0)
		m->superseded = m->staged - kept;
	buf_free(&sql);
	buf_free(&keys);
	buf_free(&order);
	free(ql);
	return rc;
}

/* ---- writing --------------------------------------------------------------------- */

/* Types PostgreSQL compares with each other by value (5 = 5.000): 0 for
 * those compared as text (json has no equality, and a column sluice does
 * not know is described as text). */
static int pg_compare_family(enum db_type t)
{
	switch (t) {
	case DT_INT: case DT_NUMERIC: case DT_FLOAT: return 1;
	case DT_DATE: case DT_TIMESTAMP: return 2;
	case DT_TIME: return 3;
	case DT_BOOL: return 4;
	default: return 0;
	}
}

/* How a changed value is told on PostgreSQL: by value when both sides
 * compare so, as text otherwise (text can only say "changed" too often,
 * never too rarely). */
static bool pg_native_compare(struct db_coltype target, struct db_coltype source)
{
	int f = pg_compare_family(target.type);
	return f != 0 && f == pg_compare_family(source.type);
}

static struct db_coltype target_type(const struct db_table *t, const struct db *db,
				     const char *name)
{
	for (size_t j = 0; t && j < t->ncolumns; j++)
		if (same_name(db, t->columns[j].name, name))
			return t->columns[j].type;
	return (struct db_coltype){ DT_TEXT, 0, 0 };
}

/* "a.c IS DISTINCT FROM b.c OR ..." over the non-key columns. */
static int changed_condition(struct buf *b, const struct merge *m, struct err *e)
{
	bool lite = db_kind(m->db) == DB_SQLITE;
	struct db_table *t = NULL;
	if (!lite && !(t = db_describe(m->db, m->table, e)))
		return -1;
	bool first = true;
	for (int i = 0; i < m->ncols; i++) {
		if (is_key(m, m->cols[i].name))
			continue;
		char *q = db_quote_ident(m->db, m->cols[i].name);
		buf_puts(b, first ? "(" : " OR ");
		first = false;
		if (lite)
			buf_printf(b, "sluice_target.%s IS NOT sluice_source.%s", q, q);
		else if (pg_native_compare(target_type(t, m->db, m->cols[i].name),
					   m->cols[i].type))
			buf_printf(b, "sluice_target.%s IS DISTINCT FROM sluice_source.%s", q, q);
		else
			buf_printf(b, "CAST(sluice_target.%s AS text) IS DISTINCT FROM "
				   "CAST(sluice_source.%s AS text)", q, q);
		free(q);
	}
	buf_putc(b, ')');
	db_table_free(t);
	return 0;
}

/* Matched rows whose values differ, in place. */
static int update_changed(struct merge *m, const char *qtable, const char *qsource,
			  struct err *e)
{
	int nvalues = 0;
	for (int i = 0; i < m->ncols; i++)
		nvalues += !is_key(m, m->cols[i].name);
	if (nvalues == 0)
		return 0;        /* only key columns: a matched row has nothing to change */
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "UPDATE %s AS sluice_target SET ", qtable);
	bool first = true;
	for (int i = 0; i < m->ncols; i++) {
		if (is_key(m, m->cols[i].name))
			continue;
		char *q = db_quote_ident(m->db, m->cols[i].name);
		buf_printf(&sql, "%s%s = sluice_source.%s", first ? "" : ", ", q, q);
		first = false;
		free(q);
	}
	buf_printf(&sql, " FROM %s AS sluice_source WHERE ", qsource);
	key_match(&sql, m);
	buf_puts(&sql, " AND ");
	int rc = changed_condition(&sql, m, e);
	if (rc == 0)
		rc = db_exec(m->db, buf_str(&sql), NULL, 0, &m->updated, e);
	buf_free(&sql);
	return rc;
}

static int insert_new(struct merge *m, const char *qtable, const char *qsource,
		      struct err *e)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "INSERT INTO %s (", qtable);
	column_list(&sql, m, NULL);
	buf_puts(&sql, ") SELECT ");
	column_list(&sql, m, "sluice_source.");
	buf_printf(&sql, " FROM %s AS sluice_source WHERE NOT EXISTS (SELECT 1 FROM %s AS "
		   "sluice_target WHERE ", qsource, qtable);
	key_match(&sql, m);
	buf_putc(&sql, ')');
	int rc = db_exec(m->db, buf_str(&sql), NULL, 0, &m->inserted, e);
	buf_free(&sql);
	return rc;
}

/* ---- deletes from a stream's window -------------------------------------------------- */

static int action_index(const struct merge *m)
{
	for (int i = 0; i < m->ncols; i++)
		if (same_name(m->db, m->cols[i].name, STREAM_ACTION))
			return i;
	return -1;
}

/* The keys of the source's 'DELETE' rows out of the target, and those rows
 * out of the stage. */
static int apply_deletes(struct merge *m, const char *qstage, const char *qtable,
			 struct err *e)
{
	/* IN, not a correlated EXISTS: SQLite ran the EXISTS once per target
	 * row over an unindexed stage (10,000 deletes from 100,000 rows took
	 * a minute); the IN list is read once and looked up. */
	struct buf keys = BUF_INIT, sql = BUF_INIT;
	for (int k = 0; k < m->nkey; k++) {
		char *q = db_quote_ident(m->db, m->key[k]);
		buf_printf(&keys, "%s%s", k ? ", " : "", q);
		free(q);
	}
	buf_printf(&sql, "DELETE FROM %s WHERE (%s) IN (SELECT %s FROM %s WHERE "
		   STREAM_ACTION " = 'DELETE')", qtable, buf_str(&keys), buf_str(&keys), qstage);
	buf_free(&keys);
	int rc = db_exec(m->db, buf_str(&sql), NULL, 0, &m->deleted, e);
	buf_free(&sql);
	if (rc == 0) {
		char *drop = xasprintf("DELETE FROM %s WHERE " STREAM_ACTION " = 'DELETE'",
				       qstage);
		int64_t gone = 0;
		rc = db_exec(m->db, drop, NULL, 0, &gone, e);
		m->staged -= gone;    /* what is merged below */
		free(drop);
	}
	return rc;
}

/* ---- the merge ------------------------------------------------------------------- */

int step_merge_stage(struct merge *m, const char *seed, struct err *e)
{
	char hex[65];
	sha256_hex_of(seed, strlen(seed), hex);
	snprintf(m->stage, sizeof m->stage, "_sluice_stage_%.16s", hex);
	m->latest[0] = '\0';
	struct db_table def = { m->stage, (struct db_column *)m->cols, (size_t)m->ncols };
	if (db_drop_table(m->db, m->stage, true, e) < 0)
		return -1;
	return db_create_table(m->db, &def, false, e);
}

int step_merge_apply(struct merge *m, struct err *e)
{
	m->superseded = m->updated = m->inserted = m->deleted = 0;
	if (require_columns(m, m->key, m->nkey, "key", e) < 0 ||
	    require_columns(m, m->latest_by, m->nlatest, "latest_by", e) < 0)
		return -1;
	char *qstage = db_quote_ident(m->db, m->stage);
	char *qtable = db_quote_ident(m->db, m->table);
	char *qsource = NULL;
	const struct db_column *all = m->cols;
	int ncols = m->ncols, action = action_index(m);
	struct db_column *kept = NULL;
	/* Before the deletes too: a deleted row without a key (a key column
	 * renamed while deletes waited in a stream's log) would delete
	 * nothing, and be dropped with the other deleted rows. */
	int rc = refuse_null_keys(m, qstage, e);
	if (rc == 0 && action >= 0) {
		/* merge every column but the action */
		kept = xcalloc((size_t)ncols, sizeof *kept);
		for (int i = 0, k = 0; i < ncols; i++)
			if (i != action)
				kept[k++] = all[i];
		m->cols = kept;
		m->ncols = ncols - 1;
		rc = apply_deletes(m, qstage, qtable, e);
	}
	if (rc == 0 && m->nlatest > 0) {
		rc = refuse_ties(m, qstage, e);
		if (rc == 0)
			rc = keep_latest(m, qstage, e);
		if (rc == 0)
			qsource = db_quote_ident(m->db, m->latest);
	} else if (rc == 0) {
		char *rows = xasprintf("SELECT * FROM %s", qstage);
		rc = refuse_repeated_keys(m, rows, "keys repeat in the source",
					  "a merge needs one row per key: make the "
					  "source unique, or name the column that orders a "
					  "key's rows with \"latest_by\" to take the latest", e);
		free(rows);
		qsource = xstrdup(qstage);
	}
	if (rc == 0 && db_kind(m->db) == DB_POSTGRES) {
		char *sql = xasprintf("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", qtable);
		rc = db_exec(m->db, sql, NULL, 0, NULL, e);
		free(sql);
	}
	if (rc == 0)
		rc = update_changed(m, qtable, qsource, e);
	if (rc == 0)
		rc = insert_new(m, qtable, qsource, e);
	if (rc == 0 && m->latest[0])
		rc = db_drop_table(m->db, m->latest, false, e);
	if (rc == 0)
		rc = db_drop_table(m->db, m->stage, false, e);
	m->cols = all;
	m->ncols = ncols;
	free(kept);
	free(qstage);
	free(qtable);
	free(qsource);
	return rc;
}
