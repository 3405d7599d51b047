/*
 * step_stream_sql.c - {{stream:NAME}} in a step's SQL: the rows of the
 * stream's window for this run, as a subquery, so that a `sql` step or a
 * `load` step's query reads a stream without naming sluice's tables.
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
#define REF_CLOSE "}}"

/* The next reference at or after `from`: its start, the name (copied; NULL
 * when it is not closed) and the offset after it.  NULL when none. */
static const char *next_ref(const char *from, char **name, size_t *end)
{
	const char *at = strstr(from, REF_OPEN);
	if (!at)
		return NULL;
	const char *n = at + strlen(REF_OPEN);
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

size_t steps_check_stream_refs(const struct project *p, const struct project_step *s,
			       const char *key, const char *conn, const char *text,
			       struct diags *d)
{
	size_t errors = 0;
	char *path = step_spec_path(s, key);
	const char *from = text;
	char *name;
	size_t end;
	const char *at;
	while ((at = next_ref(from, &name, &end))) {
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

int steps_expand_streams(struct step_ctx *ctx, const char *conn, struct sql_bound *b,
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
	while (rc == 0 && (at = next_ref(from, &name, &end))) {
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
	if (rc < 0) {
		buf_free(&out);
		return -1;
	}
	buf_puts(&out, from);
	free(b->sql);
	b->sql = buf_detach(&out);
	return 0;
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
	while (rc == 0 && (at = next_ref(from, &name, &end))) {
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
