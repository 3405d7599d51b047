/*
 * csv.c - one CSV record at a time (RFC 4180), from the byte input.
 *
 * The scanner finds where a record ends even when something inside it is
 * wrong (a stray quote, a NUL, invalid UTF-8, too many bytes), so that the
 * reader can report that record and go on with the next; only a quote
 * still open at the end of the input leaves no way to go on.  Fields are
 * kept NUL-separated in one buffer, at most `keep` of them, so a line of a
 * million commas costs a count, not a million entries.
 *
 * Plain ASCII content (no delimiter, quote, line break, NUL or non-ASCII
 * byte) is taken from the input's chunk in runs, a table lookup per byte
 * and one copy per run; everything else goes byte by byte through the
 * careful path, which keeps the line and column of every byte.
 */
#include "format/format_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A quote or a line break would make fields ambiguous; a non-ASCII byte
 * could be part of a UTF-8 character. */
bool fmt_csv_delim_ok(char delim, struct err *e)
{
	if (delim == '"' || delim == '\n' || delim == '\r' || (unsigned char)delim >= 0x80) {
		err_set(e, ERR_INVALID, "a CSV delimiter cannot be a quote, a line break or a "
			"non-ASCII byte");
		return false;
	}
	return true;
}

static bool line_break(char c)
{
	return c == '\n' || c == '\r';
}

bool fmt_csv_opts_ok(char delim, const struct fmt_csv_opts *o, struct err *e)
{
	char quote = o->quote ? o->quote : '"';
	if (!o->no_quote && (quote == delim || line_break(quote) || (unsigned char)quote >= 0x80
			     || quote == '\0')) {
		err_set(e, ERR_INVALID, "a CSV quote character cannot be the delimiter, a line "
			"break or a non-ASCII byte");
		return false;
	}
	if (o->escape && (o->escape == delim || line_break(o->escape)
			  || (unsigned char)o->escape >= 0x80)) {
		err_set(e, ERR_INVALID, "a CSV escape character cannot be the delimiter, a line "
			"break or a non-ASCII byte");
		return false;
	}
	return true;
}

void fmt_csv_init(struct csv_scan *s, char delim, const struct fmt_csv_opts *o)
{
	memset(s, 0, sizeof *s);
	s->delim = delim;
	s->quote = o->no_quote ? -1 : (unsigned char)(o->quote ? o->quote : '"');
	/* An escape that is the quote is RFC 4180's doubled quote, already understood. */
	s->escape = o->escape && (unsigned char)o->escape != s->quote
		? (unsigned char)o->escape : -1;
	s->latin1 = o->encoding == FMT_LATIN1;
	s->trim = o->trim_space;
	for (int c = 0x80; c < 0x100; c++)
		s->stop[c] = CSV_STOP_UNQUOTED | CSV_STOP_QUOTED;
	s->stop[0] = s->stop['\n'] = CSV_STOP_UNQUOTED | CSV_STOP_QUOTED;
	if (s->quote >= 0)
		s->stop[s->quote] = CSV_STOP_UNQUOTED | CSV_STOP_QUOTED;
	if (s->escape >= 0)
		s->stop[s->escape] = CSV_STOP_UNQUOTED | CSV_STOP_QUOTED;
	s->stop['\r'] |= CSV_STOP_UNQUOTED;
	s->stop[(unsigned char)delim] |= CSV_STOP_UNQUOTED;
	if (s->trim)
		s->stop[' '] |= CSV_STOP_UNQUOTED, s->stop['\t'] |= CSV_STOP_UNQUOTED;
}

void fmt_csv_free(struct csv_scan *s)
{
	buf_free(&s->text);
	free(s->f);
	s->f = NULL;
}

static void problem_at(struct csv_scan *s, long line, int col, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

static void problem_at(struct csv_scan *s, long line, int col, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = true;
	s->eline = line;
	s->ecol = col;
	s->efield = s->count ? s->count - 1 : 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->emsg, sizeof s->emsg, fmt, ap);
	va_end(ap);
}

/* in_peek that turns the size fence into the `over` flag and reads on, so
 * an oversized record is still scanned to its end. */
static int cpeek(struct csv_scan *s, struct fmt_input *in)
{
	int c = in_peek(in);
	if (c == IN_LIMIT) {
		s->over = true;
		in->fence = NO_FENCE;
		c = in_peek(in);
	}
	return c;
}

static void put(struct csv_scan *s, bool storing, char c)
{
	if (storing && !s->over)
		buf_putc(&s->text, c);
}

static void end_field(struct csv_scan *s, bool storing, size_t off, bool quoted, long line,
		      int col)
{
	if (!storing)
		return;
	if (s->nf == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->f = xrealloc(s->f, s->cap * sizeof *s->f);
	}
	size_t len = s->over ? 0 : s->text.len - off;
	if (s->over)
		s->text.len = off;
	s->f[s->nf++] = (struct csv_field){ off, len, quoted, line, col };
	buf_putc(&s->text, '\0');
}

/* Take the run of plain content at the input's position (bytes whose
 * stop[] has none of `mask`), up to the end of the chunk and the size
 * fence.  Plain bytes are ASCII and not LF, so the column moves by one a
 * byte and the line stays. */
static void plain_run(struct csv_scan *s, struct fmt_input *in, bool storing,
		      unsigned char mask)
{
	size_t avail = in->len - in->pos;
	if (in->fence - in->offset < avail)
		avail = (size_t)(in->fence - in->offset);
	const unsigned char *p = in->buf + in->pos;
	size_t n = 0;
	while (n < avail && !(s->stop[p[n]] & mask))
		n++;
	if (n == 0)
		return;
	if (storing && !s->over)
		buf_append(&s->text, p, n);
	in->pos += n;
	in->offset += n;
	in->col += (int)n;
}

/* A byte of content (>= 0x80 or not). */
static int content(struct csv_scan *s, struct fmt_input *in, bool storing, int c)
{
	if (c == '\0') {
		problem_at(s, in->line, in->col, "NUL byte in a field");
		in_skip(in);
		return 0;
	}
	if (c < 0x80) {
		put(s, storing, (char)c);
		in_skip(in);
		return 0;
	}
	if (s->latin1) {
		/* one byte, one character: U+0080..U+00FF as two UTF-8 bytes */
		put(s, storing, (char)(0xc0 | (c >> 6)));
		put(s, storing, (char)(0x80 | (c & 0x3f)));
		bool cont = (c & 0xc0) == 0x80;
		in_skip(in);
		if (cont)   /* in_skip counts UTF-8 characters, not Latin-1 ones */
			in->col++;
		return 0;
	}
	long line = in->line;
	int col = in->col, bad = 0;
	int rc = fmt_in_utf8(in, storing && !s->over ? &s->text : NULL, &bad);
	if (rc == IN_LIMIT) {
		/* the fence fell inside a character: go on without keeping it */
		s->over = true;
		in->fence = NO_FENCE;
		return 0;
	}
	if (rc == IN_IOERR)
		return IN_IOERR;
	if (rc < 0)
		problem_at(s, line, col, "invalid UTF-8 byte 0x%02X", (unsigned)bad);
	return 0;
}

/* After a CR: a CRLF ends the record; a bare CR is a problem. */
static bool crlf(struct csv_scan *s, struct fmt_input *in)
{
	long line = in->line;
	int col = in->col;
	in_skip(in);
	if (cpeek(s, in) == '\n') {
		in_skip(in);
		return true;
	}
	problem_at(s, line, col,
		   "bare CR (carriage return) not followed by LF: only LF and CRLF end a line");
	return false;
}

/* After an escape byte: a delimiter, quote, escape, line break, space or
 * tab that follows is content; before anything else (and at the end of the
 * input) the escape stays as written, so "\N" remains "\N" for null_if. */
static int escaped(struct csv_scan *s, struct fmt_input *in, bool storing)
{
	in_skip(in);
	int c = cpeek(s, in);
	if (c == IN_IOERR)
		return IN_IOERR;
	if (c < 0) {
		put(s, storing, (char)s->escape);
		return 0;
	}
	int rc = 0;
	if (c == '\n' || c == '\r' || c == s->delim || c == s->quote || c == s->escape
	    || c == ' ' || c == '\t') {
		put(s, storing, (char)c);
		in_skip(in);
	} else {
		put(s, storing, (char)s->escape);
		rc = content(s, in, storing, c);
	}
	s->hard_end = s->text.len;
	return rc;
}

#define FIELD_NEXT   1     /* a delimiter: another field follows */
#define RECORD_END   2     /* a line end or the end of the input */
#define QUOTE_OPEN  (-1)   /* the input ended inside quotes */
#define READ_FAILED (-2)

/* Inside quotes, from after the opening quote to after the closing one. */
static int quoted_part(struct csv_scan *s, struct fmt_input *in, bool storing, long fline,
		       int fcol)
{
	for (;;) {
		plain_run(s, in, storing, CSV_STOP_QUOTED);
		int c = cpeek(s, in);
		if (c == IN_IOERR)
			return READ_FAILED;
		if (c == IN_EOF) {
			s->failed = false;   /* this one outranks anything before */
			problem_at(s, in->line, in->col,
				   "unterminated quoted field (opened at line %ld, column %d)",
				   fline, fcol);
			return QUOTE_OPEN;
		}
		if (c == s->quote) {
			in_skip(in);
			if (cpeek(s, in) != s->quote)
				return 0;
			in_skip(in);
			put(s, storing, (char)s->quote);
			continue;
		}
		if (c == s->escape) {
			if (escaped(s, in, storing) == IN_IOERR)
				return READ_FAILED;
			continue;
		}
		if (content(s, in, storing, c) == IN_IOERR)
			return READ_FAILED;
	}
}

/* The rest of a field up to its delimiter or line end: unquoted content,
 * or what follows a closing quote (which should be nothing). */
static int unquoted_part(struct csv_scan *s, struct fmt_input *in, bool storing,
			 bool after_quote)
{
	for (;;) {
		if (!after_quote)
			plain_run(s, in, storing, CSV_STOP_UNQUOTED);
		int c = cpeek(s, in);
		if (c == IN_IOERR)
			return READ_FAILED;
		if (c == s->delim) {
			in_skip(in);
			return FIELD_NEXT;
		}
		if (c == '\n' || c == IN_EOF || c == '\r') {
			s->end_line = in->line;
			s->end_col = in->col;
			if (c == '\n')
				in_skip(in);
			if (c != '\r' || crlf(s, in))
				return RECORD_END;
			continue;
		}
		if (s->trim && (c == ' ' || c == '\t')) {
			put(s, storing && !after_quote, (char)c);   /* the end is trimmed */
			in_skip(in);
			continue;
		}
		if (c == s->escape && !after_quote) {
			if (escaped(s, in, storing) == IN_IOERR)
				return READ_FAILED;
			continue;
		}
		if (after_quote) {
			char what[32];
			fmt_describe_byte(c, what, sizeof what);
			problem_at(s, in->line, in->col, "unexpected %s after a closing quote", what);
			after_quote = false;
		} else if (c == s->quote) {
			problem_at(s, in->line, in->col, "quote character in an unquoted field");
		}
		if (content(s, in, storing, c) == IN_IOERR)
			return READ_FAILED;
	}
}

/* Skip empty lines (when they are not records); 0 at the end of input. */
static int record_start(struct csv_scan *s, struct fmt_input *in)
{
	for (;;) {
		int c = in_peek(in);
		if (c == IN_EOF)
			return 0;
		if (c == IN_IOERR)
			return READ_FAILED;
		s->line = in->line;
		s->col = in->col;
		if (c == '\n' && s->skip_blank) {
			in_skip(in);
			continue;
		}
		if (c == '\r' && s->skip_blank) {
			in_skip(in);
			if (in_peek(in) == '\n') {
				in_skip(in);
				continue;
			}
			problem_at(s, s->line, s->col, "bare CR (carriage return) not followed by LF: "
				   "only LF and CRLF end a line");
		}
		return 1;
	}
}

static void skip_blanks(struct csv_scan *s, struct fmt_input *in)
{
	int c;
	while ((c = cpeek(s, in)) == ' ' || c == '\t')
		in_skip(in);
}

/* Drop the spaces a trimmed unquoted field ends with, but not escaped ones. */
static void trim_end(struct csv_scan *s, bool storing, size_t off)
{
	if (!storing || s->over)
		return;
	size_t keep = s->hard_end > off ? s->hard_end : off;
	while (s->text.len > keep && (s->text.data[s->text.len - 1] == ' '
				     || s->text.data[s->text.len - 1] == '\t'))
		s->text.len--;
}

int fmt_csv_scan(struct csv_scan *s, struct fmt_input *in, size_t max_record)
{
	buf_reset(&s->text);
	s->nf = s->count = 0;
	s->failed = s->over = false;
	s->emsg[0] = '\0';
	int rc = record_start(s, in);
	if (rc <= 0)
		return rc;
	in->fence = in->offset + max_record;
	do {
		s->count++;
		bool storing = s->count <= s->keep;
		size_t off = s->text.len;
		s->hard_end = off;
		if (s->trim)
			skip_blanks(s, in);
		long fline = in->line;
		int fcol = in->col;
		bool quoted = s->quote >= 0 && cpeek(s, in) == s->quote;
		rc = 0;
		if (quoted) {
			in_skip(in);
			rc = quoted_part(s, in, storing, fline, fcol);
		}
		if (rc == 0)
			rc = unquoted_part(s, in, storing, quoted);
		if (rc < 0) {
			in->fence = NO_FENCE;
			return rc;
		}
		if (s->trim && !quoted)
			trim_end(s, storing, off);
		end_field(s, storing, off, quoted, fline, fcol);
	} while (rc == FIELD_NEXT);
	in->fence = NO_FENCE;
	return 1;
}
