/*
 * sqlite_widen.c - widening a column's type on SQLite.
 *
 * SQLite has no ALTER COLUMN ... TYPE, but a declared type is only text
 * in sqlite_master: rewriting it there is the procedure SQLite's own
 * documentation gives for schema changes that leave the file format
 * alone.  This file finds the column's type in the CREATE TABLE text with
 * a small tokenizer, swaps it, makes the connection re-read the schema,
 * and converts the stored values to the new type's storage (typemap.c),
 * all inside a savepoint so a failure leaves the table as it was.
 */
#include "db_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct tok {
	const char *s;
	size_t n;
	char kind;     /* 'w' word, 'q' quoted name, 's' string, 'p' punctuation */
};

static const char *next_tok(const char *p, struct tok *t)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
			continue;
		}
		break;
	}
	t->s = p;
	if (!*p) {
		t->n = 0;
		t->kind = 0;
		return p;
	}
	char close = *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : *p == '\'' ? '\'' : 0;
	if (close) {
		const char *q = p + 1;
		for (;;) {
			if (!*q)
				break;
			if (*q == close) {
				if (close != ']' && q[1] == close) {
					q += 2;
					continue;
				}
				q++;
				break;
			}
			q++;
		}
		t->n = (size_t)(q - p);
		t->kind = close == '\'' ? 's' : 'q';
		return q;
	}
	if (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
		const char *q = p;
		while (isalnum((unsigned char)*q) || *q == '_' || *q == '$' ||
		       (unsigned char)*q >= 0x80)
			q++;
		t->n = (size_t)(q - p);
		t->kind = 'w';
		return q;
	}
	t->n = 1;
	t->kind = 'p';
	return p + 1;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return t->kind == 'w' && strlen(word) == t->n && strncasecmp(t->s, word, t->n) == 0;
}

static bool tok_names(const struct tok *t, const char *name)
{
	if (t->kind == 'w')
		return strlen(name) == t->n && strncasecmp(t->s, name, t->n) == 0;
	if (t->kind != 'q')
		return false;
	/* unquote, undoubling */
	struct buf b = BUF_INIT;
	char close = t->s[t->n - 1];
	for (size_t i = 1; i + 1 < t->n; i++) {
		buf_putc(&b, t->s[i]);
		if (t->s[i] == close && close != ']')
			i++;
	}
	bool same = strcasecmp(buf_str(&b), name) == 0;
	buf_free(&b);
	return same;
}

static bool ends_type(const struct tok *t)
{
	static const char *const words[] = {
		"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
		"COLLATE", "REFERENCES", "GENERATED", "AS",
	};
	if (t->kind == 'p')
		return t->s[0] == ',' || t->s[0] == ')';
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (tok_is(t, words[i]))
			return true;
	return t->kind == 0;
}

/* The CREATE TABLE text with `column`'s declared type replaced; NULL when
 * the column is not found. */
static char *rewrite_decl(const char *sql, const char *column, const char *type)
{
	struct tok t;
	const char *p = sql;
	do {
		p = next_tok(p, &t);
	} while (t.kind && !(t.kind == 'p' && t.s[0] == '('));
	while (t.kind) {
		/* at the start of a column definition or table constraint */
		p = next_tok(p, &t);
		if (!t.kind)
			break;
		if (tok_names(&t, column) && !tok_is(&t, "CONSTRAINT") &&
		    !tok_is(&t, "PRIMARY") && !tok_is(&t, "UNIQUE") &&
		    !tok_is(&t, "CHECK") && !tok_is(&t, "FOREIGN")) {
			const char *type_start = t.s + t.n, *type_end = type_start;
			const char *q = p;
			int depth = 0;
			for (;;) {
				const char *after = next_tok(q, &t);
				if (depth == 0 && ends_type(&t))
					break;
				if (t.kind == 'p' && t.s[0] == '(')
					depth++;
				if (t.kind == 'p' && t.s[0] == ')')
					depth--;
				type_end = t.s + t.n;
				q = after;
			}
			struct buf b = BUF_INIT;
			buf_append(&b, sql, (size_t)(type_start - sql));
			buf_putc(&b, ' ');
			buf_puts(&b, type);
			buf_puts(&b, type_end);
			return buf_detach(&b);
		}
		/* skip to the next comma at depth one */
		int depth = 0;
		for (;;) {
			if (t.kind == 'p' && t.s[0] == '(')
				depth++;
			if (t.kind == 'p' && t.s[0] == ')') {
				if (depth == 0)
					return NULL;
				depth--;
			}
			if ((t.kind == 'p' && t.s[0] == ',' && depth == 0) || !t.kind)
				break;
			p = next_tok(p, &t);
		}
	}
	return NULL;
}

static bool text_affinity(struct db_coltype t)
{
	return t.type == DT_TEXT || t.type == DT_JSON || db_numeric_as_text(t);
}

/* UPDATE statements that bring stored values to the new type's storage, so
 * the table reads as PostgreSQL's ALTER ... TYPE would leave it (and
 * PRAGMA integrity_check finds no number in a text column). */
static void convert_sql(struct buf *b, const char *qt, const char *qc,
			struct db_coltype from, struct db_coltype to)
{
	if (text_affinity(to) && !text_affinity(from)) {
		int scale = to.type == DT_NUMERIC ? to.scale :
			    from.type == DT_NUMERIC ? from.scale : 0;
		buf_printf(b, "UPDATE %s SET %s = ", qt, qc);
		if (from.type == DT_BOOL)
			buf_printf(b, "CASE WHEN %s THEN 'true' ELSE 'false' END", qc);
		else if (scale > 0)
			buf_printf(b, "CASE typeof(%s) WHEN 'integer' THEN CAST(%s AS TEXT) "
				   "|| '.%0*d' ELSE printf('%%.%df', %s) END",
				   qc, qc, scale, 0, scale, qc);
		else
			buf_printf(b, "CASE typeof(%s) WHEN 'real' THEN sluice_float_text(%s) "
				   "ELSE CAST(%s AS TEXT) END", qc, qc, qc);
		buf_printf(b, " WHERE typeof(%s) IN ('integer', 'real');", qc);
	}
	if (to.type == DT_TIMESTAMP && from.type == DT_DATE)
		buf_printf(b, "UPDATE %s SET %s = %s || ' 00:00:00' "
			   "WHERE typeof(%s) = 'text' AND length(%s) = 10;", qt, qc, qc, qc, qc);
	if (to.type == DT_FLOAT && from.type == DT_NUMERIC)
		buf_printf(b, "UPDATE %s SET %s = CAST(%s AS REAL) WHERE typeof(%s) = 'text' "
			   "AND %s NOT IN ('NaN', 'Infinity', '-Infinity');", qt, qc, qc, qc, qc);
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* An INTEGER PRIMARY KEY is the rowid itself: its values live in the
 * b-tree key, not the record, so its declared type is part of the file
 * format and must not be rewritten. */
static int is_rowid_alias(struct db *db, const char *table, const char *column,
			  const char *sql, struct err *e)
{
	const char *params[] = { table, column };
	int64_t n;
	if (db_query_int(db, "SELECT (SELECT count(*) FROM pragma_table_info($1) "
			 "WHERE pk > 0) = 1 AND EXISTS (SELECT 1 FROM "
			 "pragma_table_info($1) WHERE pk > 0 AND name = $2 COLLATE NOCASE "
			 "AND upper(type) = 'INTEGER')", params, 2, &n, e) < 0)
		return -1;
	return n && !contains_nocase(sql, "WITHOUT ROWID");
}

int db_sqlite_widen_column(struct db *db, const char *table, const char *column,
			     struct db_coltype from, struct db_coltype to, struct err *e)
{
	const char *params[] = { table, NULL };
	char *sql = NULL;
	if (db_query_value(db, "SELECT sql FROM sqlite_master WHERE type = 'table' "
			   "AND name = $1 COLLATE NOCASE", params, 1, &sql, e) < 0)
		return -1;
	if (!sql)
		return err_set(e, ERR_NOTFOUND, "no table %s in %s", table, db->label);
	int alias = is_rowid_alias(db, table, column, sql, e);
	if (alias != 0) {
		free(sql);
		return alias < 0 ? -1 : err_set(e, ERR_INVALID, "%s is the table's "
			"INTEGER PRIMARY KEY (its rowid); SQLite cannot change its type",
			column);
	}
	char type[64];
	db_type_sql(DB_SQLITE, to, type, sizeof type);
	char *rewritten = rewrite_decl(sql, column, type);
	free(sql);
	if (!rewritten)
		return err_set(e, ERR_NOTFOUND, "cannot find column %s in the definition "
			       "of %s", column, table);
	char *qt = db_quote(table), *qc = db_quote(column);
	struct buf conv = BUF_INIT;
	convert_sql(&conv, qt, qc, from, to);
	int64_t version = 0;
	int rc = -1;
	if (db_exec(db, "SAVEPOINT sluice_widen", NULL, 0, NULL, e) < 0)
		goto out;
	if (db_query_int(db, "PRAGMA schema_version", NULL, 0, &version, e) < 0 ||
	    db_exec(db, "PRAGMA writable_schema = ON", NULL, 0, NULL, e) < 0)
		goto undo;
	params[0] = rewritten;
	params[1] = table;
	rc = db_exec(db, "UPDATE sqlite_master SET sql = $1 WHERE type = 'table' "
		       "AND name = $2 COLLATE NOCASE", params, 2, NULL, e);
	char bump[64];
	snprintf(bump, sizeof bump, "PRAGMA schema_version = %lld", (long long)version + 1);
	if (rc == 0)
		rc = db_exec(db, bump, NULL, 0, NULL, e);
	/* RESET also makes this connection read the new schema. */
	db_exec(db, "PRAGMA writable_schema = RESET", NULL, 0, NULL, NULL);
	if (rc == 0 && conv.len)
		rc = db_exec_script(db, buf_str(&conv), e);
	if (rc == 0) {
		rc = db_exec(db, "RELEASE sluice_widen", NULL, 0, NULL, e);
		goto out;
	}
undo:
	rc = -1;
	db_exec(db, "ROLLBACK TO sluice_widen", NULL, 0, NULL, NULL);
	db_exec(db, "RELEASE sluice_widen", NULL, 0, NULL, NULL);
out:
	buf_free(&conv);
	free(qt);
	free(qc);
	free(rewritten);
	return rc;
}
