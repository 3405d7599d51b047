/*
 * diag.c - diagnostics: collecting them, putting them in file order,
 * formatting them like a compiler, and finding the LINE:COL of a key path.
 *
 * Positions come from the parser's index (project_json.c: where each value
 * and each key starts).  A problem inside a string (a `when` condition) is
 * shown at the very character, which needs the text itself.
 */
#include "project/project_int.h"

#include <stdlib.h>
#include <string.h>

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof *d);
}

static void diag_free(void *item)
{
	struct diag *g = item;
	free(g->file);
	free(g->path);
	free(g->message);
	free(g);
}

void diags_free(struct diags *d)
{
	vec_free_all(&d->items, diag_free);
	d->errors = d->warnings = 0;
}

static void diags_vadd(struct diags *d, enum diag_severity s, const char *file,
		       int line, int col, const char *path, const char *fmt, va_list ap)
	PRINTF_LIKE(7, 0);

static void diags_vadd(struct diags *d, enum diag_severity s, const char *file,
		       int line, int col, const char *path, const char *fmt, va_list ap)
{
	struct diag *g = xcalloc(1, sizeof *g);
	g->severity = s;
	g->file = xstrdup(file ? file : "");
	g->line = line;
	g->col = col;
	g->path = xstrdup(path ? path : "");
	g->message = xvasprintf(fmt, ap);
	vec_push(&d->items, g);
	if (s == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void diags_add(struct diags *d, enum diag_severity s, const char *file,
	       int line, int col, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(d, s, file, line, col, path, fmt, ap);
	va_end(ap);
}

char *diag_format(const struct diag *g)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, g->file);
	if (g->line > 0)
		buf_printf(&b, ":%d:%d", g->line, g->col);
	buf_puts(&b, ": ");
	if (g->severity == DIAG_WARNING)
		buf_puts(&b, "warning: ");
	if (g->path && *g->path)
		buf_printf(&b, "%s: ", g->path);
	buf_puts(&b, g->message);
	return buf_detach(&b);
}

struct ranked {
	struct diag *g;
	size_t order;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->g->line != y->g->line)
		return x->g->line < y->g->line ? -1 : 1;
	if (x->g->col != y->g->col)
		return x->g->col < y->g->col ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void diags_sort(struct diags *d)
{
	size_t n = d->items.len;
	if (n < 2)
		return;
	struct ranked *r = xcalloc(n, sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){ d->items.items[i], i };
	qsort(r, n, sizeof *r, ranked_cmp);
	for (size_t i = 0; i < n; i++)
		d->items.items[i] = r[i].g;
	free(r);
}

/* ---- positions ------------------------------------------------------------ */

/* Drop the last ".key" or "[i]" of a path; false at the top. */
static bool path_parent(char *path)
{
	size_t n = strlen(path);
	if (!n)
		return false;
	if (path[n - 1] == ']') {
		char *open = strrchr(path, '[');
		if (open) {
			*open = '\0';
			return true;
		}
	}
	char *dot = strrchr(path, '.');
	if (dot)
		*dot = '\0';
	else
		path[0] = '\0';
	return true;
}

/* Where the value at `path`, or its nearest enclosing value, starts. */
static bool find_pos(const struct project *p, const char *path, int *line, int *col)
{
	if (!p || !p->positions)
		return false;
	char *q = xstrdup(path ? path : "");
	struct pjson_pos at;
	bool found;
	for (;;) {
		found = pjson_value_at(p->positions, q, &at);
		if (found || !path_parent(q))
			break;
	}
	free(q);
	if (found) {
		*line = at.line;
		*col = at.col;
	}
	return found;
}

static bool continuation_byte(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Line and column of byte `off`, counted from a known position `at`
 * before it rather than from the top of the file, so that a file with
 * thousands of problems costs no more than its size times a small factor. */
static void pos_after(const struct project *p, const struct pjson_pos *at, size_t off,
		      int *line, int *col)
{
	int l = at->line, c = at->col;
	for (size_t i = at->off; i < off; i++) {
		if (p->text[i] == '\n') {
			l++;
			c = 1;
		} else if (!continuation_byte(p->text[i])) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Length in UTF-8 of the character a \uHHHH escape (pair) decodes to. */
static size_t escape_decoded_len(const char *t, size_t n, size_t i, size_t *raw)
{
	char hex[5] = { t[i + 2], t[i + 3], t[i + 4], t[i + 5], '\0' };
	unsigned cp = (unsigned)strtoul(hex, NULL, 16);
	*raw = 6;
	if (cp >= 0xd800 && cp <= 0xdbff && i + 11 < n && t[i + 6] == '\\' && t[i + 7] == 'u') {
		*raw = 12;
		return 4;
	}
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
}

/* Offset in the text of decoded byte `off` of the string starting at `soff`. */
static size_t string_char_offset(const struct project *p, size_t soff, size_t off)
{
	const char *t = p->text;
	size_t n = p->text_len, i = soff + 1, decoded = 0;
	while (i < n && t[i] != '"' && decoded < off) {
		if (t[i] == '\\' && i + 1 < n) {
			if (t[i + 1] == 'u' && i + 5 < n) {
				size_t raw;
				decoded += escape_decoded_len(t, n, i, &raw);
				i += raw;
			} else {
				decoded++;
				i += 2;
			}
		} else {
			decoded++;
			i++;
		}
	}
	return i;
}

static void project_vdiag(const struct project *p, struct diags *d, enum diag_severity s,
			  const char *path, const char *fmt, va_list ap)
	PRINTF_LIKE(5, 0);

static void project_vdiag(const struct project *p, struct diags *d, enum diag_severity s,
			  const char *path, const char *fmt, va_list ap)
{
	int line = 0, col = 0;
	find_pos(p, path, &line, &col);
	diags_vadd(d, s, p ? p->file : "", line, col, path, fmt, ap);
}

void project_where(const struct project *p, const char *path, char *out, size_t n)
{
	int line = 0, col = 0;
	find_pos(p, path, &line, &col);
	if (line)
		snprintf(out, n, "%s:%d:%d", p->file, line, col);
	else
		snprintf(out, n, "%s", path);
}

void project_diag(const struct project *p, struct diags *d, enum diag_severity s,
		  const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	project_vdiag(p, d, s, path, fmt, ap);
	va_end(ap);
}

void ld_error(struct ld *L, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	project_vdiag(L->p, L->d, DIAG_ERROR, path, fmt, ap);
	va_end(ap);
}

void diag_at_member(const struct project *p, struct diags *d, const char *path,
		    const char *key, const char *fmt, va_list ap)
{
	char *kp = spec_path_key(path, key);
	project_vdiag(p, d, DIAG_ERROR, kp, fmt, ap);
	free(kp);
}

void ld_member_error(struct ld *L, const char *path, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_at_member(L->p, L->d, path, key, fmt, ap);
	va_end(ap);
}

void ld_warn(struct ld *L, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	project_vdiag(L->p, L->d, DIAG_WARNING, path, fmt, ap);
	va_end(ap);
}

/* At the key of the member at `path` (an array element: at its value). */
static void diag_vat_key(const struct project *p, struct diags *d, const char *path,
			 const char *fmt, va_list ap) PRINTF_LIKE(4, 0);

static void diag_vat_key(const struct project *p, struct diags *d, const char *path,
			 const char *fmt, va_list ap)
{
	int line = 0, col = 0;
	struct pjson_pos at;
	if (p && pjson_key_at(p->positions, path, &at)) {
		line = at.line;
		col = at.col;
	} else {
		find_pos(p, path, &line, &col);
	}
	diags_vadd(d, DIAG_ERROR, p ? p->file : "", line, col, path, fmt, ap);
}

void diag_at_key(const struct project *p, struct diags *d, const char *path,
		 const char *fmt, va_list ap)
{
	diag_vat_key(p, d, path, fmt, ap);
}

void ld_error_at_key(struct ld *L, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vat_key(L->p, L->d, path, fmt, ap);
	va_end(ap);
}

void ld_error_in_string(struct ld *L, const char *path, size_t off, const char *fmt, ...)
{
	int line = 0, col = 0;
	struct pjson_pos at;
	if (pjson_value_at(L->p->positions, path, &at)) {
		pos_after(L->p, &at, string_char_offset(L->p, at.off, off), &line, &col);
	} else {
		find_pos(L->p, path, &line, &col);
	}
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(L->d, DIAG_ERROR, L->p->file, line, col, path, fmt, ap);
	va_end(ap);
}
