/*
 * normalize.c - nested JSON documents into flat rows.
 *
 * A spec is a list of columns, each a dotted path that may go through
 * arrays ("items[].tags[]"): the arrays of every column must lie on one
 * chain (one column's arrays a prefix of the deepest column's).  A
 * document gives one row per element of the innermost array, for each
 * element of the arrays around it (fields outside an array repeated), or
 * one row when no column goes through an array.  A parent whose array is
 * empty or missing gives no row, or with `outer` one row with NULL for
 * what lies inside that array (a left join, as Snowflake's FLATTEN with
 * OUTER => TRUE).  Rows are built in full before any is emitted, so a
 * document that fails half way gives nothing.
 */
#include "format/format_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct seg {
	char *name;           /* "" for a bare "[]" */
	bool array;
};

#define NORM_MAX_ARRAYS 8    /* arrays one path may go through */

struct ncol {
	char *name, *path;
	enum fmt_type type;
	struct seg *segs;
	size_t nsegs;
	long arrs[NORM_MAX_ARRAYS];   /* indexes of the segments with a marker */
	size_t narr;
};

struct fmt_norm {
	struct ncol *cols;
	size_t n;
	long arr_col;         /* the column going through the most arrays, or -1 */
	bool outer;
};

static void free_col(struct ncol *c)
{
	for (size_t i = 0; i < c->nsegs; i++)
		free(c->segs[i].name);
	free(c->segs);
	free(c->name);
	free(c->path);
}

void fmt_norm_set_outer(struct fmt_norm *n, bool outer)
{
	n->outer = outer;
}

void fmt_norm_free(struct fmt_norm *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		free_col(&n->cols[i]);
	free(n->cols);
	free(n);
}

static int parse_path(struct ncol *c, struct err *e)
{
	const char *p = c->path;
	if (!*p)
		return err_set(e, ERR_INVALID, "column \"%s\": empty path", c->name);
	c->narr = 0;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		bool array = len >= 2 && p[len - 2] == '[' && p[len - 1] == ']';
		size_t nlen = array ? len - 2 : len;
		if (!nlen && !array)
			return err_set(e, ERR_INVALID, "column \"%s\": path \"%s\" has an empty segment",
				       c->name, c->path);
		if (memchr(p, '[', nlen) || memchr(p, ']', nlen))
			return err_set(e, ERR_INVALID, "column \"%s\": path \"%s\": only \"[]\" may "
				       "follow a key (no indexes)", c->name, c->path);
		if (array) {
			if (c->narr == NORM_MAX_ARRAYS)
				return err_set(e, ERR_INVALID, "column \"%s\": path \"%s\" goes through "
					       "more than %d arrays", c->name, c->path,
					       NORM_MAX_ARRAYS);
			c->arrs[c->narr++] = (long)c->nsegs;
		}
		c->segs = xrealloc(c->segs, (c->nsegs + 1) * sizeof *c->segs);
		c->segs[c->nsegs++] = (struct seg){ xstrndup(p, nlen), array };
		if (!dot)
			return 0;
		p = dot + 1;
	}
}

/* The path up to and including the innermost array marker, as written. */
static char *array_prefix(const struct ncol *c)
{
	struct buf b = BUF_INIT;
	long last = c->narr ? c->arrs[c->narr - 1] : -1;
	for (long i = 0; i <= last; i++) {
		if (i && c->segs[i].name[0])
			buf_putc(&b, '.');
		buf_puts(&b, c->segs[i].name);
		if (c->segs[i].array)
			buf_puts(&b, "[]");
	}
	return buf_detach(&b);
}

/* a's arrays are the first of b's (b goes through at least as many). */
static bool on_chain(const struct ncol *a, const struct ncol *b)
{
	if (a->narr > b->narr)
		return false;
	if (a->narr == 0)
		return true;
	long last = a->arrs[a->narr - 1];
	for (long i = 0; i <= last; i++)
		if (i >= (long)b->nsegs || a->segs[i].array != b->segs[i].array ||
		    strcmp(a->segs[i].name, b->segs[i].name))
			return false;
	return true;
}

struct fmt_norm *fmt_norm_new(const struct fmt_norm_column *cols, size_t n, struct err *e)
{
	struct fmt_norm *nm = xcalloc(1, sizeof *nm);
	nm->cols = xcalloc(n ? n : 1, sizeof *nm->cols);
	nm->arr_col = -1;
	for (size_t i = 0; i < n; i++) {
		struct ncol *c = &nm->cols[i];
		c->name = xstrdup(cols[i].name ? cols[i].name : "");
		c->path = xstrdup(cols[i].path ? cols[i].path : "");
		c->type = cols[i].type;
		nm->n = i + 1;
		if (!*c->name) {
			err_set(e, ERR_INVALID, "column %zu has no name", i + 1);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(nm->cols[j].name, c->name)) {
				err_set(e, ERR_INVALID, "column \"%s\" is declared twice", c->name);
				goto fail;
			}
		if (parse_path(c, e) < 0)
			goto fail;
		if (c->narr && (nm->arr_col < 0 || c->narr > nm->cols[nm->arr_col].narr))
			nm->arr_col = (long)i;
	}
	for (size_t i = 0; nm->arr_col >= 0 && i < n; i++) {
		const struct ncol *c = &nm->cols[i], *deep = &nm->cols[nm->arr_col];
		if (on_chain(c, deep))
			continue;
		char *mine = array_prefix(c), *theirs = array_prefix(deep);
		err_set(e, ERR_INVALID, "column \"%s\": path \"%s\" goes through %s, but "
			"column \"%s\" goes through %s; all columns must follow one chain of "
			"arrays", c->name, c->path, mine, deep->name, theirs);
		free(mine);
		free(theirs);
		goto fail;
	}
	return nm;
fail:
	fmt_norm_free(nm);
	return NULL;
}

struct walk_ctx {
	const struct ncol *col;
	struct buf trail;         /* the path walked so far, with the element's index */
	const char *source;
	long line;
	struct err *e;
};

static int walk_error(struct walk_ctx *w, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int walk_error(struct walk_ctx *w, const char *fmt, ...)
{
	char where[300];
	snprintf(where, sizeof where, "%s:%ld", w->source ? w->source : "document", w->line);
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err_at(w->e, ERR_PARSE, where, "column \"%s\" (%s): %s", w->col->name, w->col->path, what);
	return -1;
}

/* Follow segs[from, to) by key from v; NULL when a key is missing or a
 * value on the way is null. */
static int walk(struct walk_ctx *w, const cJSON *v, size_t from, size_t to, const cJSON **out)
{
	for (size_t i = from; i < to && v; i++) {
		const struct seg *s = &w->col->segs[i];
		if (cJSON_IsNull(v)) {
			v = NULL;
			break;
		}
		if (!s->name[0])
			continue;
		if (!cJSON_IsObject(v)) {
			if (!w->trail.len)
				return walk_error(w, "expected an object at the top, got %s",
						  fmt_item_kind_phrase(v));
			return walk_error(w, "expected an object at \"%s\", got %s",
					  buf_str(&w->trail), fmt_item_kind_phrase(v));
		}
		if (w->trail.len)
			buf_putc(&w->trail, '.');
		buf_puts(&w->trail, s->name);
		v = cJSON_GetObjectItemCaseSensitive(v, s->name);
	}
	*out = v && !cJSON_IsNull(v) ? v : NULL;
	return 0;
}

struct row {
	struct buf vals;
	size_t *offs;             /* SIZE_MAX for NULL */
	enum fmt_kind *kinds;
};

static int add_value(struct walk_ctx *w, struct row *row, size_t i, const cJSON *v)
{
	bool null;
	size_t before = row->vals.len;
	struct err ce;
	if (fmt_coerce_item(w->col->type, v, &row->vals, &null, &ce) < 0) {
		char where[300];
		snprintf(where, sizeof where, "%s:%ld", w->source ? w->source : "document",
			 w->line);
		err_at(w->e, ERR_PARSE, where, "column \"%s\" (%s): %s", w->col->name,
		       buf_str(&w->trail), ce.msg);
		return -1;
	}
	if (null) {
		row->offs[i] = SIZE_MAX;
		row->kinds[i] = FK_NULL;
		return 0;
	}
	buf_putc(&row->vals, '\0');
	row->offs[i] = before;
	row->kinds[i] = fmt_type_kind(w->col->type, row->vals.data + before);
	return 0;
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_free(&rows[i].vals);
		free(rows[i].offs);
		free(rows[i].kinds);
	}
	free(rows);
}

/* Where the walk through the chain of arrays is: the element taken at
 * each level (NULL below a level that had none, under `outer`) and its
 * index, for error messages. */
struct chain {
	const cJSON *el[NORM_MAX_ARRAYS];
	long index[NORM_MAX_ARRAYS];
	size_t depth;             /* levels of the deepest column */
	struct row *rows;
	size_t nrows, cap;
};

/* "items[2].tags[0]": the trail of column c's arrays at this point. */
static void chain_trail(struct buf *b, const struct ncol *c, const struct chain *ch)
{
	size_t level = 0;
	for (long i = 0; i < (long)c->nsegs && level < c->narr; i++) {
		if (i && c->segs[i].name[0])
			buf_putc(b, '.');
		buf_puts(b, c->segs[i].name);
		if (c->segs[i].array)
			buf_printf(b, "[%ld]", ch->index[level++]);
	}
}

/* One row from the elements the chain stands on. */
static int build_row(const struct fmt_norm *nm, const cJSON *doc, const struct chain *ch,
		     struct walk_ctx *w, struct row *row)
{
	row->offs = xcalloc(nm->n ? nm->n : 1, sizeof *row->offs);
	row->kinds = xcalloc(nm->n ? nm->n : 1, sizeof *row->kinds);
	for (size_t i = 0; i < nm->n; i++) {
		const struct ncol *c = &nm->cols[i];
		const cJSON *v = NULL;
		w->col = c;
		buf_reset(&w->trail);
		int rc = 0;
		if (c->narr == 0) {
			rc = walk(w, doc, 0, c->nsegs, &v);
		} else if (ch->el[c->narr - 1]) {
			chain_trail(&w->trail, c, ch);
			rc = walk(w, ch->el[c->narr - 1], (size_t)c->arrs[c->narr - 1] + 1,
				  c->nsegs, &v);
		}
		if (rc < 0 || add_value(w, row, i, v) < 0)
			return -1;
	}
	return 0;
}

static struct row *next_row(struct chain *ch)
{
	if (ch->nrows == ch->cap) {
		ch->cap = ch->cap ? ch->cap * 2 : 8;
		ch->rows = xrealloc(ch->rows, ch->cap * sizeof *ch->rows);
	}
	struct row *r = &ch->rows[ch->nrows++];
	memset(r, 0, sizeof *r);
	return r;
}

/* The array of level `level` under the element of the level above (the
 * document at level 0); *arr NULL when it is missing or null. */
static int level_array(const struct fmt_norm *nm, const cJSON *doc, struct chain *ch,
		       size_t level, struct walk_ctx *w, const cJSON **arr)
{
	const struct ncol *ac = &nm->cols[nm->arr_col];
	w->col = ac;
	buf_reset(&w->trail);
	const cJSON *from = doc;
	size_t start = 0;
	if (level > 0) {
		from = ch->el[level - 1];
		start = (size_t)ac->arrs[level - 1] + 1;
		struct ncol upto = *ac;
		upto.narr = level;
		chain_trail(&w->trail, &upto, ch);
	}
	if (walk(w, from, start, (size_t)ac->arrs[level] + 1, arr) < 0)
		return -1;
	if (!*arr || cJSON_IsArray(*arr))
		return 0;
	if (w->trail.len)
		return walk_error(w, "expected an array at \"%s\", got %s", buf_str(&w->trail),
				  fmt_item_kind_phrase(*arr));
	return walk_error(w, "expected an array at the top, got %s", fmt_item_kind_phrase(*arr));
}

/* Rows for every element of this level's array and the levels inside. */
static int walk_chain(const struct fmt_norm *nm, const cJSON *doc, struct chain *ch,
		      size_t level, struct walk_ctx *w)
{
	if (level == ch->depth)
		return build_row(nm, doc, ch, w, next_row(ch));
	const cJSON *arr;
	if (level_array(nm, doc, ch, level, w, &arr) < 0)
		return -1;
	long index = 0;
	for (const cJSON *el = arr ? arr->child : NULL; el; el = el->next, index++) {
		ch->el[level] = el;
		ch->index[level] = index;
		if (walk_chain(nm, doc, ch, level + 1, w) < 0)
			return -1;
	}
	if (index > 0 || !nm->outer)
		return 0;
	/* outer: the parent stays, with NULL for everything inside */
	for (size_t l = level; l < ch->depth; l++)
		ch->el[l] = NULL;
	return build_row(nm, doc, ch, w, next_row(ch));
}

long fmt_normalize(const struct fmt_norm *nm, const cJSON *doc, const char *source,
		   long line, fmt_row_fn emit, void *arg, struct err *e)
{
	struct walk_ctx w = { .source = source, .line = line, .e = e };
	struct chain ch = { .depth = nm->arr_col < 0 ? 0 : nm->cols[nm->arr_col].narr };
	long rc = -1;
	if (walk_chain(nm, doc, &ch, 0, &w) < 0)
		goto out;
	struct fmt_field *fields = xcalloc(nm->n ? nm->n : 1, sizeof *fields);
	for (size_t r = 0; r < ch.nrows; r++) {
		for (size_t i = 0; i < nm->n; i++) {
			bool null = ch.rows[r].offs[i] == SIZE_MAX;
			const char *v = null ? NULL : ch.rows[r].vals.data + ch.rows[r].offs[i];
			fields[i] = (struct fmt_field){ nm->cols[i].name, v, v ? strlen(v) : 0,
							ch.rows[r].kinds[i] };
		}
		if (emit(arg, fields, nm->n, e) < 0) {
			free(fields);
			goto out;
		}
	}
	free(fields);
	rc = (long)ch.nrows;
out:
	free_rows(ch.rows, ch.nrows);
	buf_free(&w.trail);
	return rc;
}
