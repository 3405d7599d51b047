/*
 * params.c - flow parameters in SQL text, and splitting scripts.
 *
 * Step SQL names parameters as :name.  Before a statement runs, every
 * :name outside string literals, quoted identifiers, comments and
 * PostgreSQL dollar quotes is replaced by $1..$N and its value bound, so a
 * value can never become SQL (a parameter holding "x'; DROP TABLE t; --"
 * is just a string).  "::" is PostgreSQL's cast and left alone, as is
 * ":=" (named arguments).  A colon right after a name or a number is not
 * a parameter either, so PostgreSQL array slices (a[1:n], a[lo:hi]) stay
 * as written.
 *
 * The same scanner splits a script into statements at top-level
 * semicolons, so each statement can be run with its own parameters.
 *
 * Built-ins: :run_id is the run's id; :window_end is the run's start and
 * :window_start the start of the flow's last completed run before it (NULL
 * when there is none, and always NULL in backfill mode, which reads all
 * history), both as UTC timestamps "YYYY-MM-DD HH:MM:SS.ffffff".  Runs
 * that fail leave no mark, so the next window reaches back over them.
 * :backfill is 1 in a backfill's rebuild and 0 otherwise, so SQL that keeps
 * its own incremental bookkeeping (the demo's stage) can read all history
 * there and leave that bookkeeping alone.
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool ident_char(char c)
{
	return ident_start(c) || isdigit((unsigned char)c) || c == '$';
}

static void line_col_at(const char *s, size_t off, int *line, int *col)
{
	str_line_col(s, off, line, col);
}

static int unterminated(const char *s, size_t at, const char *what, struct err *e)
{
	int line, col;
	line_col_at(s, at, &line, &col);
	char where[64];
	snprintf(where, sizeof where, "line %d, column %d", line, col);
	return err_at(e, ERR_PARSE, where, "unterminated %s", what);
}

/* A PostgreSQL dollar-quote opening tag at s[i] ("$$" or "$tag$"): its
 * length, or 0 when there is none. */
static size_t dollar_tag(const char *s, size_t i)
{
	if (s[i] != '$')
		return 0;
	if (i > 0 && ident_char(s[i - 1]))
		return 0;          /* part of an identifier like a$b */
	size_t j = i + 1;
	if (s[j] == '$')
		return 2;
	if (!ident_start(s[j]))
		return 0;
	while (ident_char(s[j]) && s[j] != '$')
		j++;
	return s[j] == '$' ? j - i + 1 : 0;
}

/* If a literal, quoted identifier or comment starts at s[i], the index just
 * after it; i when none starts there; (size_t)-1 with e set when it never
 * ends. */
static size_t skip_region(enum db_kind kind, const char *s, size_t i, struct err *e)
{
	char c = s[i];
	if (c == '-' && s[i + 1] == '-') {
		size_t j = i + 2;
		while (s[j] && s[j] != '\n')
			j++;
		return j;
	}
	if (c == '/' && s[i + 1] == '*') {
		int depth = 1;
		size_t j = i + 2;
		while (s[j]) {
			if (s[j] == '*' && s[j + 1] == '/') {
				j += 2;
				if (--depth == 0 || kind != DB_POSTGRES)
					return j;
			} else if (kind == DB_POSTGRES && s[j] == '/' && s[j + 1] == '*') {
				depth++;   /* PostgreSQL nests block comments */
				j += 2;
			} else {
				j++;
			}
		}
		unterminated(s, i, "comment", e);
		return (size_t)-1;
	}
	if (c == '\'') {
		/* E'...' on PostgreSQL takes backslash escapes. */
		bool escapes = kind == DB_POSTGRES && i > 0 &&
			       (s[i - 1] == 'E' || s[i - 1] == 'e') &&
			       (i == 1 || !ident_char(s[i - 2]));
		size_t j = i + 1;
		while (s[j]) {
			if (escapes && s[j] == '\\' && s[j + 1]) {
				j += 2;
			} else if (s[j] == '\'') {
				if (s[j + 1] != '\'')
					return j + 1;
				j += 2;
			} else {
				j++;
			}
		}
		unterminated(s, i, "string literal", e);
		return (size_t)-1;
	}
	if (c == '"' || (kind == DB_SQLITE && (c == '`' || c == '['))) {
		char close = c == '[' ? ']' : c;
		size_t j = i + 1;
		while (s[j]) {
			if (s[j] == close) {
				if (close != ']' && s[j + 1] == close) {
					j += 2;
					continue;
				}
				return j + 1;
			}
			j++;
		}
		unterminated(s, i, "quoted identifier", e);
		return (size_t)-1;
	}
	if (kind == DB_POSTGRES && c == '$') {
		size_t tag = dollar_tag(s, i);
		if (!tag)
			return i;
		const char *end = s + i + tag;
		for (;;) {
			end = strchr(end, '$');
			if (!end)
				break;
			if (strncmp(end, s + i, tag) == 0)
				return (size_t)(end - s) + tag;
			end++;
		}
		unterminated(s, i, "dollar-quoted string", e);
		return (size_t)-1;
	}
	return i;
}

size_t steps_sql_find_word(enum db_kind kind, const char *sql, const char *word)
{
	size_t n = strlen(word), i = 0;
	struct err e;
	while (sql[i]) {
		size_t next = skip_region(kind, sql, i, &e);
		if (next == (size_t)-1)
			return (size_t)-1;
		if (next != i) {
			i = next;
			continue;
		}
		if (sql[i] == '{' && sql[i + 1] == '{') {
			const char *close = strstr(sql + i, "}}");
			if (!close)
				return (size_t)-1;
			i = (size_t)(close - sql) + 2;
			continue;
		}
		if (!ident_start(sql[i]) || (i > 0 && ident_char(sql[i - 1]))) {
			i++;
			continue;
		}
		size_t j = i;
		while (ident_char(sql[j]))
			j++;
		if (j - i == n && strncasecmp(sql + i, word, n) == 0 &&
		    (i == 0 || sql[i - 1] != ':'))
			return i;
		i = j;
	}
	return (size_t)-1;
}

/* ---- binding --------------------------------------------------------------- */

struct bound_name {
	char *name;
	int   index;       /* 1-based $N */
};

static int find_bound(struct vec *names, const char *name)
{
	for (size_t k = 0; k < names->len; k++) {
		struct bound_name *b = names->items[k];
		if (strcmp(b->name, name) == 0)
			return b->index;
	}
	return 0;
}

static void free_bound_names(struct vec *names)
{
	for (size_t k = 0; k < names->len; k++) {
		struct bound_name *b = names->items[k];
		free(b->name);
		free(b);
	}
	vec_free(names);
}

static int add_param(const char *sql, size_t at, const char *name,
		     param_lookup_fn lookup, void *arg, struct vec *names,
		     struct vec *values, struct err *e)
{
	int index = find_bound(names, name);
	if (index)
		return index;
	const char *value = NULL;
	int rc = lookup(arg, name, &value, e);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		int line, col;
		line_col_at(sql, at, &line, &col);
		char where[64];
		snprintf(where, sizeof where, "line %d, column %d", line, col);
		/* The lookup may leave a list of what is known in e->msg. */
		if (e && e->msg[0]) {
			char known[sizeof e->msg];
			snprintf(known, sizeof known, "%s", e->msg);
			return err_at(e, ERR_INVALID, where, "unknown parameter :%s (%s)",
				      name, known);
		}
		return err_at(e, ERR_INVALID, where, "unknown parameter :%s", name);
	}
	struct bound_name *b = xmalloc(sizeof *b);
	b->name = xstrdup(name);
	b->index = (int)names->len + 1;
	vec_push(names, b);
	vec_push(values, value ? xstrdup(value) : NULL);
	return b->index;
}

int steps_sql_bind_with(enum db_kind kind, const char *sql, param_lookup_fn lookup,
		  void *arg, struct sql_bound *out, struct err *e)
{
	struct buf b = BUF_INIT;
	struct vec names = VEC_INIT, values = VEC_INIT;
	memset(out, 0, sizeof *out);
	size_t i = 0;
	while (sql[i]) {
		size_t next = skip_region(kind, sql, i, e);
		if (next == (size_t)-1)
			goto fail;
		if (next != i) {
			buf_append(&b, sql + i, next - i);
			i = next;
			continue;
		}
		char c = sql[i];
		if (c == ':' && sql[i + 1] == ':') {
			/* a cast; skip the type name too, so "::date" stays */
			buf_puts(&b, "::");
			i += 2;
			continue;
		}
		if (c == ':' && ident_start(sql[i + 1]) && (i == 0 || !ident_char(sql[i - 1]))) {
			size_t j = i + 1;
			while (ident_char(sql[j]) && sql[j] != '$')
				j++;
			char *name = xstrndup(sql + i + 1, j - i - 1);
			if (e)
				e->msg[0] = '\0';
			int index = add_param(sql, i, name, lookup, arg, &names, &values, e);
			free(name);
			if (index < 0)
				goto fail;
			buf_printf(&b, "$%d", index);
			i = j;
			continue;
		}
		if (kind == DB_POSTGRES && c == '$' && isdigit((unsigned char)sql[i + 1]) &&
		    (i == 0 || !ident_char(sql[i - 1]))) {
			int line, col;
			line_col_at(sql, i, &line, &col);
			char where[64];
			snprintf(where, sizeof where, "line %d, column %d", line, col);
			err_at(e, ERR_INVALID, where, "positional placeholder $%c: name "
			       "parameters as :name in step SQL", sql[i + 1]);
			goto fail;
		}
		buf_putc(&b, c);
		i++;
	}
	out->sql = buf_detach(&b);
	out->nvalues = (int)values.len;
	out->values = (char **)values.items;
	free_bound_names(&names);
	return 0;
fail:
	buf_free(&b);
	free_bound_names(&names);
	vec_free_all(&values, free);
	return -1;
}

void steps_sql_bound_free(struct sql_bound *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nvalues; i++)
		free(b->values[i]);
	free(b->values);
	free(b->sql);
	memset(b, 0, sizeof *b);
}

/* ---- the step's parameters -------------------------------------------------- */

struct ctx_lookup {
	struct step_ctx *ctx;
	char run_id[32];
	char window_end[32];
	char window_start[32];
	bool window_start_known, window_start_null;
};

/* The start of the newest completed run of this flow other than this one. */
static int previous_run_start(struct ctx_lookup *l, struct err *e)
{
	struct step_ctx *ctx = l->ctx;
	l->window_start_known = true;
	l->window_start_null = true;
	if (ctx->backfill || !ctx->store)
		return 0;
	struct store_run_filter f = {
		.flow = ctx->flow->name,
		.states = RUN_STATE_BIT(RUN_COMPLETED) | RUN_STATE_BIT(RUN_CACHED),
		.sort = RUN_SORT_STARTED,
		.limit = 5,
	};
	struct vec runs = VEC_INIT;
	if (store_run_list(ctx->store, &f, &runs, e) < 0)
		return -1;
	for (size_t i = 0; i < runs.len; i++) {
		const struct store_run *r = runs.items[i];
		if (r->id == ctx->run_id || !r->started || r->started > ctx->run_start)
			continue;
		steps_format_ts(r->started, l->window_start);
		l->window_start_null = false;
		break;
	}
	store_run_list_free(&runs);
	return 0;
}

static int ctx_param(void *arg, const char *name, const char **value, struct err *e)
{
	struct ctx_lookup *l = arg;
	struct step_ctx *ctx = l->ctx;
	for (size_t i = 0; i < ctx->nparams; i++) {
		if (strcmp(ctx->params[i].key, name) == 0) {
			*value = ctx->params[i].value;
			return 1;
		}
	}
	if (strcmp(name, "run_id") == 0) {
		snprintf(l->run_id, sizeof l->run_id, "%lld", (long long)ctx->run_id);
		*value = l->run_id;
		return 1;
	}
	if (strcmp(name, "backfill") == 0) {
		*value = ctx->backfill ? "1" : "0";
		return 1;
	}
	if (strcmp(name, "window_end") == 0) {
		steps_format_ts(ctx->run_start, l->window_end);
		*value = l->window_end;
		return 1;
	}
	if (strcmp(name, "window_start") == 0) {
		if (!l->window_start_known && previous_run_start(l, e) < 0)
			return -1;
		*value = l->window_start_null ? NULL : l->window_start;
		return 1;
	}
	/* Unknown: leave the list of known names for the message. */
	if (e) {
		struct buf known = BUF_INIT;
		buf_puts(&known, "known: ");
		for (size_t i = 0; i < ctx->nparams; i++)
			buf_printf(&known, ":%s, ", ctx->params[i].key);
		buf_puts(&known, ":run_id, :window_start, :window_end, :backfill");
		snprintf(e->msg, sizeof e->msg, "%s", buf_str(&known));
		buf_free(&known);
	}
	return 0;
}

int steps_bind_sql(struct step_ctx *ctx, enum db_kind kind, const char *sql,
		   struct sql_bound *out, struct err *e)
{
	struct ctx_lookup l;
	memset(&l, 0, sizeof l);
	l.ctx = ctx;
	return steps_sql_bind_with(kind, sql, ctx_param, &l, out, e);
}

/* ---- splitting ----------------------------------------------------------------- */

void steps_sql_stmts_free(struct vec *v)
{
	for (size_t i = 0; i < v->len; i++) {
		struct sql_stmt *st = v->items[i];
		free(st->text);
		free(st);
	}
	vec_free(v);
}

static void push_stmt(struct vec *out, const char *sql, size_t start, size_t end,
		      size_t first)
{
	if (first == (size_t)-1)
		return;        /* blanks and comments only */
	while (end > start && isspace((unsigned char)sql[end - 1]))
		end--;
	struct sql_stmt *st = xmalloc(sizeof *st);
	int col;
	line_col_at(sql, first, &st->line, &col);
	st->text = xstrndup(sql + first, end - first);
	vec_push(out, st);
}

/* Words that open and close the bodies of triggers (and PostgreSQL's
 * BEGIN ATOMIC function bodies), inside which ';' does not end the
 * statement. */
struct block_state {
	int  words;        /* words seen in this statement */
	bool create;       /* it began with CREATE */
	bool body_allowed; /* ... TRIGGER / FUNCTION / PROCEDURE */
	int  depth;
};

static void block_word(struct block_state *bs, const char *w, size_t n)
{
#define IS(word) (n == sizeof(word) - 1 && strncasecmp(w, word, n) == 0)
	if (bs->words++ == 0) {
		bs->create = IS("CREATE");
		return;
	}
	if (bs->create && (IS("TRIGGER") || IS("FUNCTION") || IS("PROCEDURE")))
		bs->body_allowed = true;
	if (!bs->body_allowed)
		return;
	if (IS("BEGIN") || (bs->depth > 0 && IS("CASE")))
		bs->depth++;
	else if (IS("END") && bs->depth > 0)
		bs->depth--;
#undef IS
}

int steps_sql_split(enum db_kind kind, const char *sql, struct vec *out, struct err *e)
{
	size_t i = 0, start = 0, first = (size_t)-1;
	struct block_state bs;
	memset(&bs, 0, sizeof bs);
	while (sql[i]) {
		size_t next = skip_region(kind, sql, i, e);
		if (next == (size_t)-1) {
			steps_sql_stmts_free(out);
			return -1;
		}
		if (next != i) {
			bool comment = sql[i] == '-' || sql[i] == '/';
			if (!comment && first == (size_t)-1)
				first = i;
			i = next;
			continue;
		}
		char c = sql[i];
		if (c == ';' && bs.depth == 0) {
			push_stmt(out, sql, start, i, first);
			start = i + 1;
			first = (size_t)-1;
			memset(&bs, 0, sizeof bs);
			i++;
			continue;
		}
		if (!isspace((unsigned char)c) && first == (size_t)-1)
			first = i;
		if (ident_start(c) && (i == 0 || !ident_char(sql[i - 1]))) {
			size_t j = i;
			while (ident_char(sql[j]))
				j++;
			block_word(&bs, sql + i, j - i);
			i = j;
			continue;
		}
		i++;
	}
	push_stmt(out, sql, start, i, first);
	return 0;
}

void steps_sql_first_word(const char *stmt, char *out, size_t n)
{
	const char *p = db_sql_skip_blank(stmt);
	size_t k = 0;
	while (n > 0 && k + 1 < n && (isalpha((unsigned char)p[k]) || p[k] == '_')) {
		out[k] = (char)toupper((unsigned char)p[k]);
		k++;
	}
	if (n > 0)
		out[k] = '\0';
}
