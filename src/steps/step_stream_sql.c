/*
 * step_stream_sql.c - {{stream:NAME}} and {{table:NAME}} in a step's SQL
 * (one parser for both; {{table:}} is at the end).
 *
 * {{stream:NAME}}: the rows of the stream's window for this run, as a
 * subquery, so that a `sql` step or a `load` step's query reads a stream
 * without naming sluice's tables.
 *
 *   INSERT INTO daily SELECT ... FROM {{stream:orders_stream}} AS o ...
 *
 * becomes "(SELECT * FROM raw_orders WHERE <after the offset, up to the
 * window's end> ORDER BY ...) AS o": the first read fixes the run's window
 * (as a normalize step's does), and every later step of the run, a retried
 * attempt too, reads the same rows.  The window's bounds are bound as
 * parameters after the step's own (:name ones), never pasted.  The
 * reference is expanded in the text after :name parameters are bound, so
 * it is taken wherever it is written (a comment or a string literal too).
 * Reading does not consume: the offset moves only with a load that lists
 * the stream in `consumes`.
 */
#include "steps/steps_int.h"

#include <stdlib.h>
#include <string.h>

#define REF_OPEN "{{stream:"
#define TABLE_OPEN "{{table:"
#define REF_CLOSE "}}"

/* The next `open` reference at or after `from`: its start, the name
 * (copied; NULL when it is not closed) and the offset after it.  NULL when
 * none. */
static const char *next_ref(const char *from, const char *open, char **name,
			    size_t *end)
{
	const char *at = strstr(from, open);
	if (!at)
		return NULL;
	const char *n = at + strlen(open);
	const char *close = strstr(n, REF_CLOSE);
	*name = close ? xstrndup(n, (size_t)(close - n)) : NULL;
	*end = close ? (size_t)(close + strlen(REF_CLOSE) - from) : strlen(from);
	return at;
}

static int line_of(const char *text, const char *at)
{
	int line = 1;
	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	return line;
}

static size_t check_stream_refs(const struct project *p, const struct project_step *s,
				const char *key, const char *conn, const char *text,
				struct diags *d)
{
	size_t errors = 0;
	char *path = step_spec_path(s, key);
	const char *from = text;
	char *name;
	size_t end;
	const char *at;
	while ((at = next_ref(from, REF_OPEN, &name, &end))) {
		int line = line_of(text, at);
		const struct project_stream *st = name ? project_stream(p, name) : NULL;
		if (!name)
			project_diag(p, d, DIAG_ERROR, path, "line %d: \"{{stream:\" is not closed "
				     "by \"}}\"", line);
		else if (!st)
			project_diag(p, d, DIAG_ERROR, path, "line %d: {{stream:%s}}: no stream "
				     "named \"%s\"", line, name, name);
		else if (conn && strcmp(st->connection, conn) != 0)
			project_diag(p, d, DIAG_ERROR, path, "line %d: {{stream:%s}}: the stream "
				     "is on connection \"%s\", this SQL runs on \"%s\"", line, name,
				     st->connection, conn);
		errors += !name || !st || (conn && strcmp(st->connection, conn) != 0);
		free(name);
		from += end;
	}
	free(path);
	return errors;
}

/* Append the window's parameters to the statement's. */
static void add_values(struct sql_bound *b, const struct stream_query *q)
{
	b->values = xrealloc(b->values, (size_t)(b->nvalues + q->nparams) * sizeof *b->values);
	for (int i = 0; i < q->nparams; i++)
		b->values[b->nvalues++] = xstrdup(q->params[i]);
}

static const struct project_stream *stream_on(struct step_ctx *ctx, const char *name,
					       const char *conn, struct err *e)
{
	const struct project_stream *st = project_stream(ctx->project, name);
	if (!st) {
		err_set(e, ERR_NOTFOUND, "{{stream:%s}}: no stream named \"%s\"", name, name);
		return NULL;
	}
	if (conn && strcmp(st->connection, conn) != 0) {
		err_set(e, ERR_INVALID, "{{stream:%s}}: the stream is on connection \"%s\", "
			"this SQL runs on \"%s\"", name, st->connection, conn);
		return NULL;
	}
	return st;
}

/* The expanded text so far plus the rest becomes the statement's SQL; on
 * failure (rc < 0) the statement is left as it was. */
static int finish_expansion(struct buf *out, const char *rest, struct sql_bound *b,
			    int rc)
{
	if (rc < 0) {
		buf_free(out);
		return -1;
	}
	buf_puts(out, rest);
	free(b->sql);
	b->sql = buf_detach(out);
	return 0;
}

static int expand_streams(struct step_ctx *ctx, const char *conn, struct sql_bound *b,
			  struct err *e)
{
	if (!strstr(b->sql, REF_OPEN))
		return 0;
	struct stream_reader r = steps_stream_reader(ctx);
	struct buf out = BUF_INIT;
	const char *from = b->sql;
	char *name;
	size_t end;
	const char *at;
	int rc = 0;
	while (rc == 0 && (at = next_ref(from, REF_OPEN, &name, &end))) {
		buf_append(&out, from, (size_t)(at - from));
		const struct project_stream *st = name ? stream_on(ctx, name, conn, e) : NULL;
		if (!name)
			err_set(e, ERR_INVALID, "\"{{stream:\" is not closed by \"}}\"");
		struct stream_query q;
		if (!st || stream_window_select(&r, st, b->nvalues + 1, &q, e) < 0) {
			rc = -1;
		} else {
			buf_printf(&out, "(%s)", q.sql);
			add_values(b, &q);
			stream_query_free(&q);
		}
		free(name);
		from += end;
	}
	return finish_expansion(&out, from, b, rc);
}

int steps_cache_streams(struct step_ctx *ctx, const char *text, struct buf *key,
			struct err *e)
{
	struct stream_reader r = steps_stream_reader(ctx);
	const char *from = text;
	char *name;
	size_t end;
	const char *at;
	int rc = 0;
	while (rc == 0 && (at = next_ref(from, REF_OPEN, &name, &end))) {
		const struct project_stream *st = name ? stream_on(ctx, name, NULL, e) : NULL;
		char *window = NULL;
		if (!st || stream_fix_window(&r, st, &window, e) < 0)
			rc = -1;
		else
			buf_printf(key, "stream %s %s\n", st->name, window ? window : "-");
		free(window);
		free(name);
		from += end;
	}
	return rc;
}

/* ---- {{table:NAME}} --------------------------------------------------------------
 * A table by name, as the run should read it: TABLE_backfill in a backfill
 * when this flow loads TABLE on this connection (the rule of a validate
 * step's `table`), TABLE otherwise.  User SQL is run as written, so a bare
 * name would read the live table while a backfill rebuilds its copy. */

/* A name of a table: not empty, no space or brace (a typo such as a missing
 * "}}" shows up here rather than as a strange table name). */
static bool table_name_ok(const char *name)
{
	return name && *name && !strpbrk(name, " \t\r\n{}");
}

/* A "{{word:" whose word is neither stream nor table: its word (copied). */
static char *unknown_placeholder(const char *at)
{
	const char *w = at + 2, *p = w;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')
		p++;
	if (p == w || *p != ':')
		return NULL;
	size_t n = (size_t)(p - w);
	if ((n == 6 && !strncmp(w, "stream", 6)) || (n == 5 && !strncmp(w, "table", 5)))
		return NULL;
	return xstrndup(w, n);
}

static size_t check_placeholders(const struct project *p, const char *path,
				 const char *text, struct diags *d)
{
	size_t errors = 0;
	for (const char *at = strstr(text, "{{"); at; at = strstr(at + 2, "{{")) {
		char *word = unknown_placeholder(at);
		if (!word)
			continue;
		project_diag(p, d, DIAG_ERROR, path, "line %d: unknown placeholder {{%s:...}} "
			     "(expected {{table:NAME}} or {{stream:NAME}})", line_of(text, at),
			     word);
		free(word);
		errors++;
	}
	const char *from = text, *at;
	char *name;
	size_t end;
	while ((at = next_ref(from, TABLE_OPEN, &name, &end))) {
		if (!table_name_ok(name)) {
			if (name)
				project_diag(p, d, DIAG_ERROR, path, "line %d: {{table:%s}}: "
					     "expected a table name", line_of(text, at), name);
			else
				project_diag(p, d, DIAG_ERROR, path, "line %d: \"{{table:\" is "
					     "not closed by \"}}\"", line_of(text, at));
			errors++;
		}
		free(name);
		from += end;
	}
	return errors;
}

/* Does step s run after the step named `name` (through its needs)?  A walk
 * of the needs, each step visited once. */
static bool runs_after(const struct project_flow *f, const struct project_step *s,
		       const char *name)
{
	bool *seen = xcalloc(f->nsteps + 1, sizeof *seen);
	const struct project_step **todo = xcalloc(f->nsteps + 1, sizeof *todo);
	size_t n = 0;
	bool found = false;
	todo[n++] = s;
	while (n > 0 && !found) {
		const struct project_step *at = todo[--n];
		for (size_t i = 0; i < at->nneeds && !found; i++) {
			const struct project_step *up = project_step(f, at->needs[i]);
			found = str_eq(at->needs[i], name);
			if (up && !seen[up - f->steps]) {
				seen[up - f->steps] = true;
				todo[n++] = up;
			}
		}
	}
	free(seen);
	free(todo);
	return found;
}

/* Warn of each table this flow loads on `conn` that the SQL names bare in
 * a step after the load: there the live table is surely not what a
 * backfill's step means.  A step before the load that reads the table
 * (incremental bookkeeping: what is new since the last load) may well mean
 * the live one, so it is left alone. */
static void warn_bare_tables(const struct project *p, const struct project_flow *f,
			     const struct project_step *s, const char *path,
			     const char *conn, enum db_kind kind, const char *text,
			     struct diags *d)
{
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct project_step *ls = &f->steps[i];
		const char *table = steps_json_string(ls->spec, "table");
		if (ls->kind != STEP_LOAD || !table ||
		    !str_eq(steps_json_string(ls->spec, "connection"), conn) ||
		    !runs_after(f, s, ls->name))
			continue;
		size_t at = steps_sql_find_word(kind, text, table);
		if (at == (size_t)-1)
			continue;
		project_diag(p, d, DIAG_WARNING, path, "line %d: %s: in a backfill this reads "
			     "the live table, not %s_backfill; write {{table:%s}}",
			     line_of(text, text + at), table, table, table);
	}
}

static size_t check_table_refs(const struct project *p, const struct project_flow *f,
			       const struct project_step *s, const char *key,
			       const char *conn, enum db_kind kind, const char *text,
			       struct diags *d)
{
	char *path = step_spec_path(s, key);
	size_t errors = check_placeholders(p, path, text, d);
	if (f && conn && !errors)
		warn_bare_tables(p, f, s, path, conn, kind, text, d);
	free(path);
	return errors;
}

static int expand_tables(struct step_ctx *ctx, const struct db *db, const char *conn,
			 struct sql_bound *b, struct err *e)
{
	if (!strstr(b->sql, TABLE_OPEN))
		return 0;
	struct buf out = BUF_INIT;
	const char *from = b->sql, *at;
	char *name;
	size_t end;
	int rc = 0;
	while (rc == 0 && (at = next_ref(from, TABLE_OPEN, &name, &end))) {
		buf_append(&out, from, (size_t)(at - from));
		if (!table_name_ok(name)) {
			rc = name ? err_set(e, ERR_INVALID, "{{table:%s}}: expected a table name",
					    name)
				  : err_set(e, ERR_INVALID, "\"{{table:\" is not closed by \"}}\"");
		} else {
			char *table = step_read_table(ctx, conn, name);
			char *q = db_quote_ident(db, table);
			buf_puts(&out, q);
			free(q);
			free(table);
		}
		free(name);
		from += end;
	}
	return finish_expansion(&out, from, b, rc);
}

/* ---- both ------------------------------------------------------------------------ */

size_t steps_check_refs(const struct project *p, const struct project_flow *f,
			const struct project_step *s, const char *key, const char *conn,
			const char *text, struct diags *d)
{
	return check_stream_refs(p, s, key, conn, text, d) +
	       check_table_refs(p, f, s, key, conn, steps_connection_kind(p, conn), text, d);
}

int steps_expand_refs(struct step_ctx *ctx, const struct db *db, const char *conn,
		      struct sql_bound *b, struct err *e)
{
	if (expand_streams(ctx, conn, b, e) < 0)
		return -1;
	return expand_tables(ctx, db, conn, b, e);
}
