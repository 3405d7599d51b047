/*
 * copy.c - PostgreSQL's COPY text format, and moving a query's rows into
 * a writer.
 *
 * The text format is one line per row, fields separated by tabs, NULL
 * written \N, and backslash escapes for the characters that would break
 * the framing (\t \n \r \\ and friends).  Both directions live here so the
 * SQLite backend can read and write the same lines the PostgreSQL one
 * passes through untouched.
 */
#include "db_int.h"

#include <string.h>

void db_copy_escape(struct buf *b, const char *s, size_t len)
{
	if (!s) {
		buf_append(b, "\\N", 2);
		return;
	}
	buf_reserve(b, len + 8);
	const char *run = s, *end = s + len;
	for (const char *p = s; p < end; p++) {
		char esc;
		switch (*p) {
		case '\\': esc = '\\'; break;
		case '\t': esc = 't'; break;
		case '\n': esc = 'n'; break;
		case '\r': esc = 'r'; break;
		case '\b': esc = 'b'; break;
		case '\f': esc = 'f'; break;
		case '\v': esc = 'v'; break;
		default: continue;
		}
		buf_append(b, run, (size_t)(p - run));
		buf_putc(b, '\\');
		buf_putc(b, esc);
		run = p + 1;
	}
	buf_append(b, run, (size_t)(end - run));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescape the field [p, end) in place; returns its new length. */
static size_t unescape(char *p, char *end)
{
	char *start = p, *out = p;
	while (p < end) {
		if (*p != '\\' || p + 1 >= end) {
			*out++ = *p++;
			continue;
		}
		p++;
		char c = *p++;
		switch (c) {
		case 't': *out++ = '\t'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'v': *out++ = '\v'; break;
		case 'x':
			if (p < end && hexval(*p) >= 0) {
				int v = hexval(*p++);
				if (p < end && hexval(*p) >= 0)
					v = v * 16 + hexval(*p++);
				*out++ = (char)v;
			} else {
				*out++ = 'x';
			}
			break;
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0';
				for (int i = 0; i < 2 && p < end && *p >= '0' && *p <= '7'; i++)
					v = v * 8 + (*p++ - '0');
				*out++ = (char)v;
			} else {
				*out++ = c;    /* \\ and any other escaped character */
			}
		}
	}
	return (size_t)(out - start);
}

int db_copy_split(char *line, size_t len, const char **vals, size_t *lens, int max)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	char *end = line + len;
	int n = 0;
	char *p = line;
	for (;;) {
		char *tab = memchr(p, '\t', (size_t)(end - p));
		char *fend = tab ? tab : end;
		if (n >= max)
			return -1;
		if (fend - p == 2 && p[0] == '\\' && p[1] == 'N') {
			vals[n] = NULL;
			lens[n] = 0;
		} else {
			char *start = p;
			size_t flen = (size_t)(fend - p);
			if (memchr(p, '\\', flen))
				flen = unescape(p, fend);
			start[flen] = '\0';
			vals[n] = start;
			lens[n] = flen;
		}
		n++;
		if (!tab)
			break;
		p = tab + 1;
	}
	return n;
}

/* ---- a query into a writer ------------------------------------------------------ */

static int line_into_writer(void *arg, const char *line, size_t len, struct err *e)
{
	return db_writer_copy_line(arg, line, len, e);
}

int db_copy_query(struct db *from, const char *sql, struct db_writer *to,
		  int64_t *rows, struct err *e)
{
	int64_t before = to->rows;
	int rc;
	if (rows)
		*rows = 0;
	if (from->kind == DB_POSTGRES) {
		/* COPY lines go into the writer as they are: a PostgreSQL writer
		 * appends them to its COPY buffer, SQLite parses them. */
		if (from == to->db)
			return err_set(e, ERR_INVALID, "%s: cannot copy a query into a "
				       "writer on the same connection", from->label);
		rc = db_pg_copy_out(from, sql, line_into_writer, to, e);
	} else {
		struct db_cursor *c = db_query_bulk(from, sql, e);
		if (!c)
			return -1;
		if (c->ncols != to->ncols) {
			db_cursor_close(c);
			return err_set(e, ERR_INVALID, "the query returns %d columns but %s "
				       "takes %d", c->ncols, to->table, to->ncols);
		}
		while ((rc = db_cursor_next(c, e)) == 1) {
			if (db_writer_row(to, c->vals, e) < 0) {
				rc = -1;
				break;
			}
		}
		db_cursor_close(c);
	}
	if (rows)
		*rows = to->rows - before;
	return rc < 0 ? -1 : 0;
}
