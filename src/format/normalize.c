/*
 * normalize.c - nested JSON documents into flat rows.
 *
 * A spec is a list of columns, each a dotted path with at most one array
 * marker, all markers on the same array.  A document gives one row per
 * element of that array (fields outside it repeated), or one row when no
 * column goes through an array.  Rows are built in full before any is
 * emitted, so a document that fails half way gives nothing.
 */
#include "format/format_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct seg {
	char *name;           /* "" for a bare "[]" */
	bool array;
};

struct ncol {
	char *name, *path;
	enum fmt_type type;
	struct seg *segs;
	size_t nsegs;
	long arr;             /* index of the segment with the marker, or -1 */
};

struct fmt_norm {
	struct ncol *cols;
	size_t n;
	long arr_col;         /* a column going through the array, or -1 */
};

static void free_col(struct ncol *c)
{
	for (size_t i = 0; i < c->nsegs; i++)
		free(c->segs[i].name);
	free(c->segs);
	free(c->name);
	free(c->path);
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
	c->arr = -1;
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
			if (c->arr >= 0)
				return err_set(e, ERR_INVALID, "column \"%s\": path \"%s\" goes through "
					       "more than one array", c->name, c->path);
			c->arr = (long)c->nsegs;
		}
		c->segs = xrealloc(c->segs, (c->nsegs + 1) * sizeof *c->segs);
		c->segs[c->nsegs++] = (struct seg){ xstrndup(p, nlen), array };
		if (!dot)
			return 0;
		p = dot + 1;
	}
}

/* The path up to and including the array marker, as written. */
static char *array_prefix(const struct ncol *c)
{
	struct buf b = BUF_INIT;
	for (long i = 0; i <= c->arr; i++) {
		if (i && c->segs[i].name[0])
			buf_putc(&b, '.');
		buf_puts(&b, c->segs[i].name);
	}
	buf_puts(&b, "[]");
	return buf_detach(&b);
}

static bool same_array(const struct ncol *a, const struct ncol *b)
{
	if (a->arr != b->arr)
		return false;
	for (long i = 0; i <= a->arr; i++)
		if (strcmp(a->segs[i].name, b->segs[i].name))
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
		if (c->arr < 0)
			continue;
		if (nm->arr_col < 0) {
			nm->arr_col = (long)i;
		} else if (!same_array(&nm->cols[nm->arr_col], c)) {
			char *mine = array_prefix(c), *theirs = array_prefix(&nm->cols[nm->arr_col]);
			err_set(e, ERR_INVALID, "column \"%s\": path \"%s\" goes through %s, but "
				"column \"%s\" goes through %s; all columns must share one array",
				c->name, c->path, mine, nm->cols[nm->arr_col].name, theirs);
			free(mine);
			free(theirs);
			goto fail;
		}
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

/* One row: element is the array element (or NULL without an array). */
static int build_row(const struct fmt_norm *nm, const cJSON *doc, const cJSON *element,
		     long index, struct walk_ctx *w, struct row *row)
{
	row->offs = xcalloc(nm->n ? nm->n : 1, sizeof *row->offs);
	row->kinds = xcalloc(nm->n ? nm->n : 1, sizeof *row->kinds);
	for (size_t i = 0; i < nm->n; i++) {
		const struct ncol *c = &nm->cols[i];
		const cJSON *v = NULL;
		w->col = c;
		buf_reset(&w->trail);
		int rc;
		if (c->arr >= 0) {
			char *prefix = array_prefix(c);
			buf_printf(&w->trail, "%.*s[%ld]", (int)strlen(prefix) - 2, prefix, index);
			free(prefix);
			rc = walk(w, element, (size_t)c->arr + 1, c->nsegs, &v);
		} else {
			rc = walk(w, doc, 0, c->nsegs, &v);
		}
		if (rc < 0 || add_value(w, row, i, v) < 0)
			return -1;
	}
	return 0;
}

long fmt_normalize(const struct fmt_norm *nm, const cJSON *doc, const char *source,
		   long line, fmt_row_fn emit, void *arg, struct err *e)
{
	struct walk_ctx w = { .source = source, .line = line, .e = e };
	struct row *rows = NULL;
	size_t nrows = 0;
	long rc = -1;
	if (nm->arr_col < 0) {
		rows = xcalloc(1, sizeof *rows);
		nrows = 1;
		if (build_row(nm, doc, NULL, 0, &w, &rows[0]) < 0)
			goto out;
	} else {
		const struct ncol *ac = &nm->cols[nm->arr_col];
		const cJSON *arr = NULL;
		w.col = ac;
		if (walk(&w, doc, 0, (size_t)ac->arr + 1, &arr) < 0)
			goto out;
		if (arr && !cJSON_IsArray(arr)) {
			char *prefix = array_prefix(ac);
			prefix[strlen(prefix) - 2] = '\0';
			if (*prefix)
				walk_error(&w, "expected an array at \"%s\", got %s", prefix,
					   fmt_item_kind_phrase(arr));
			else
				walk_error(&w, "expected an array at the top, got %s",
					   fmt_item_kind_phrase(arr));
			free(prefix);
			goto out;
		}
		size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
		rows = xcalloc(n ? n : 1, sizeof *rows);
		long index = 0;
		for (const cJSON *el = arr ? arr->child : NULL; el; el = el->next, index++) {
			nrows++;
			if (build_row(nm, doc, el, index, &w, &rows[index]) < 0)
				goto out;
		}
	}
	struct fmt_field *fields = xcalloc(nm->n ? nm->n : 1, sizeof *fields);
	for (size_t r = 0; r < nrows; r++) {
		for (size_t i = 0; i < nm->n; i++) {
			bool null = rows[r].offs[i] == SIZE_MAX;
			const char *v = null ? NULL : rows[r].vals.data + rows[r].offs[i];
			fields[i] = (struct fmt_field){ nm->cols[i].name, v, v ? strlen(v) : 0,
							rows[r].kinds[i] };
		}
		if (emit(arg, fields, nm->n, e) < 0) {
			free(fields);
			goto out;
		}
	}
	free(fields);
	rc = (long)nrows;
out:
	free_rows(rows, nrows);
	buf_free(&w.trail);
	return rc;
}
