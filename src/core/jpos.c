/*
 * jpos.c - where each value of a JSON text starts, by key path.
 *
 * A single forward scan with a stack of path segments.  It trusts cJSON
 * to reject malformed text; on anything it does not understand it simply
 * stops indexing, and lookups past that point fail softly.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

struct jpos_entry {
	char *path;
	size_t seq;        /* order in the text: duplicates keep it */
	size_t off;
	int line, col;
};

struct jpos {
	struct jpos_entry *entries;
	size_t len, cap;
};

struct scanner {
	const char *text;
	size_t len, off;
	int line, col;
	struct jpos *ix;
	struct buf path;
};

static void advance(struct scanner *s)
{
	unsigned char c = (unsigned char)s->text[s->off++];
	if (c == '\n') {
		s->line++;
		s->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		s->col++;
	}
}

static void skip_space(struct scanner *s)
{
	while (s->off < s->len && strchr(" \t\r\n", s->text[s->off]))
		advance(s);
}

static void record(struct scanner *s)
{
	struct jpos *ix = s->ix;
	if (ix->len == ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 64;
		ix->entries = xrealloc(ix->entries, ix->cap * sizeof *ix->entries);
	}
	ix->entries[ix->len] = (struct jpos_entry){
		xstrdup(buf_str(&s->path)), ix->len, s->off, s->line, s->col
	};
	ix->len++;
}

/* Scan a string starting at the opening quote; optionally capture it. */
static bool scan_string(struct scanner *s, struct buf *out)
{
	advance(s);
	while (s->off < s->len) {
		char c = s->text[s->off];
		if (c == '"') {
			advance(s);
			return true;
		}
		if (c == '\\') {
			advance(s);
			if (s->off >= s->len)
				return false;
			if (out)
				buf_putc(out, s->text[s->off]);
		} else if (out) {
			buf_putc(out, c);
		}
		advance(s);
	}
	return false;
}

static bool scan_value(struct scanner *s, int depth);

static bool scan_object(struct scanner *s, int depth)
{
	advance(s);
	size_t base = s->path.len;
	skip_space(s);
	if (s->off < s->len && s->text[s->off] == '}') {
		advance(s);
		return true;
	}
	for (;;) {
		skip_space(s);
		if (s->off >= s->len || s->text[s->off] != '"')
			return false;
		if (base)
			buf_putc(&s->path, '.');
		if (!scan_string(s, &s->path))
			return false;
		skip_space(s);
		if (s->off >= s->len || s->text[s->off] != ':')
			return false;
		advance(s);
		skip_space(s);
		if (!scan_value(s, depth + 1))
			return false;
		s->path.len = base;
		s->path.data[base] = '\0';
		skip_space(s);
		if (s->off >= s->len)
			return false;
		if (s->text[s->off] == ',') {
			advance(s);
			continue;
		}
		if (s->text[s->off] == '}') {
			advance(s);
			return true;
		}
		return false;
	}
}

static bool scan_array(struct scanner *s, int depth)
{
	advance(s);
	size_t base = s->path.len;
	skip_space(s);
	if (s->off < s->len && s->text[s->off] == ']') {
		advance(s);
		return true;
	}
	for (int i = 0;; i++) {
		skip_space(s);
		buf_printf(&s->path, "[%d]", i);
		if (!scan_value(s, depth + 1))
			return false;
		s->path.len = base;
		s->path.data[base] = '\0';
		skip_space(s);
		if (s->off >= s->len)
			return false;
		if (s->text[s->off] == ',') {
			advance(s);
			continue;
		}
		if (s->text[s->off] == ']') {
			advance(s);
			return true;
		}
		return false;
	}
}

static bool scan_value(struct scanner *s, int depth)
{
	if (depth > 256 || s->off >= s->len)
		return false;
	record(s);
	char c = s->text[s->off];
	if (c == '{')
		return scan_object(s, depth);
	if (c == '[')
		return scan_array(s, depth);
	if (c == '"')
		return scan_string(s, NULL);
	while (s->off < s->len && !strchr(",]} \t\r\n", s->text[s->off]))
		advance(s);
	return true;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct jpos_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct jpos *jpos_index(const char *text, size_t len)
{
	struct jpos *ix = xcalloc(1, sizeof *ix);
	struct scanner s = { text, len, 0, 1, 1, ix, BUF_INIT };
	buf_puts(&s.path, "");
	/* Skip a UTF-8 byte order mark; cJSON would reject it anyway. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		s.off = 3;
	skip_space(&s);
	scan_value(&s, 0);
	buf_free(&s.path);
	if (ix->len)
		qsort(ix->entries, ix->len, sizeof *ix->entries, entry_cmp);
	return ix;
}

void jpos_free(struct jpos *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->len; i++)
		free(ix->entries[i].path);
	free(ix->entries);
	free(ix);
}

/* The first entry whose path is not below `path`. */
static size_t lower_bound(const struct jpos *ix, const char *path)
{
	size_t lo = 0, hi = ix->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->entries[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool jpos_find_nth(const struct jpos *ix, const char *path, size_t nth, size_t *off,
		   int *line, int *col)
{
	if (!ix || !ix->len)
		return false;
	size_t i = lower_bound(ix, path) + nth;
	if (i >= ix->len || strcmp(ix->entries[i].path, path) != 0)
		return false;
	if (off)
		*off = ix->entries[i].off;
	*line = ix->entries[i].line;
	*col = ix->entries[i].col;
	return true;
}

bool jpos_find(const struct jpos *ix, const char *path, int *line, int *col)
{
	return jpos_find_nth(ix, path, 0, NULL, line, col);
}

void jpos_line_col(const char *text, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}
