/*
 * diag.c - diagnostics: collecting them, putting them in file order,
 * formatting them like a compiler, and finding the LINE:COL of a key path.
 *
 * Positions come from core's jpos index (where each value starts).  Two
 * refinements need the text itself: an unknown key is shown at the key
 * rather than its value, and a problem inside a string (a `when`
 * condition) at the very character.
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

static size_t bom_len(const struct project *p)
{
	return p->text_len >= 3 && memcmp(p->text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

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
	bool found;
	for (;;) {
		found = jpos_find(p->positions, q, line, col);
		if (found || !path_parent(q))
			break;
	}
	if (!found)
		found = jpos_find(p->positions, "", line, col);
	free(q);
	return found;
}

/* A value found in the index: its offset in the text after any BOM, and
 * where it is. */
struct at {
	size_t off;
	int line, col;
};

static bool find_value(const struct project *p, const char *path, size_t nth, struct at *at)
{
	if (!p || !jpos_find_nth(p->positions, path, nth, &at->off, &at->line, &at->col))
		return false;
	at->off -= bom_len(p);
	return true;
}

static bool continuation_byte(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Line and column of byte `off`, counted from a known position `at` near
 * it rather than from the top of the file, so that a file with thousands
 * of problems costs no more than its size times a small factor. */
static void pos_near(const struct project *p, const struct at *at, size_t off,
		     int *line, int *col)
{
	const char *t = p->text + bom_len(p);
	int l = at->line, c = at->col;
	if (off >= at->off) {
		for (size_t i = at->off; i < off; i++) {
			if (t[i] == '\n') {
				l++;
				c = 1;
			} else if (!continuation_byte(t[i])) {
				c++;
			}
		}
	} else {
		bool crossed = false;
		for (size_t i = off; i < at->off; i++) {
			if (t[i] == '\n') {
				l--;
				crossed = true;
			} else if (!continuation_byte(t[i])) {
				c--;
			}
		}
		if (crossed) {
			size_t start = off;
			while (start > 0 && t[start - 1] != '\n')
				start--;
			c = 1;
			for (size_t i = start; i < off; i++)
				c += !continuation_byte(t[i]);
		}
	}
	*line = l;
	*col = c;
}

/* The opening quote of the key whose value starts at `voff`. */
static bool key_offset(const struct project *p, size_t voff, size_t *koff)
{
	const char *t = p->text + bom_len(p);
	size_t i = voff;
	while (i > 0 && strchr(" \t\r\n", t[i - 1]))
		i--;
	if (i == 0 || t[i - 1] != ':')
		return false;
	i--;
	while (i > 0 && strchr(" \t\r\n", t[i - 1]))
		i--;
	if (i == 0 || t[i - 1] != '"')
		return false;
	i--;                       /* the closing quote */
	while (i > 0) {
		i--;
		if (t[i] != '"')
			continue;
		size_t slashes = 0;
		while (slashes < i && t[i - 1 - slashes] == '\\')
			slashes++;
		if (slashes % 2 == 0) {
			*koff = i;
			return true;
		}
	}
	return false;
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
	const char *t = p->text + bom_len(p);
	size_t n = p->text_len - bom_len(p), i = soff + 1, decoded = 0;
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

static void diag_at_key_nth(const struct project *p, struct diags *d, const char *path,
			    size_t nth, const char *fmt, va_list ap) PRINTF_LIKE(5, 0);

/* At the key of the nth member written with this path (a key written twice
 * in one object has two). */
static void diag_at_key_nth(const struct project *p, struct diags *d, const char *path,
			    size_t nth, const char *fmt, va_list ap)
{
	int line = 0, col = 0;
	struct at at;
	if (find_value(p, path, nth, &at)) {
		size_t koff;
		line = at.line;
		col = at.col;
		if (key_offset(p, at.off, &koff))
			pos_near(p, &at, koff, &line, &col);
	} else {
		find_pos(p, path, &line, &col);
	}
	diags_vadd(d, DIAG_ERROR, p ? p->file : "", line, col, path, fmt, ap);
}

void diag_at_key(const struct project *p, struct diags *d, const char *path,
		 const char *fmt, va_list ap)
{
	diag_at_key_nth(p, d, path, 0, fmt, ap);
}

void ld_error_at_key(struct ld *L, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_at_key_nth(L->p, L->d, path, 0, fmt, ap);
	va_end(ap);
}

void ld_error_at_key_nth(struct ld *L, const char *path, size_t nth, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_at_key_nth(L->p, L->d, path, nth, fmt, ap);
	va_end(ap);
}

void ld_error_in_string(struct ld *L, const char *path, size_t off, const char *fmt, ...)
{
	int line = 0, col = 0;
	struct at at;
	if (find_value(L->p, path, 0, &at)) {
		pos_near(L->p, &at, string_char_offset(L->p, at.off, off), &line, &col);
	} else {
		find_pos(L->p, path, &line, &col);
	}
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(L->d, DIAG_ERROR, L->p->file, line, col, path, fmt, ap);
	va_end(ap);
}
