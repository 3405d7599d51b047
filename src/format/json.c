/*
 * json.c - a strict JSON parser (RFC 8259) over the byte input, building
 * cJSON trees, and the compact printer.
 *
 * cJSON's own parser is lenient (control characters in strings, "01"),
 * forgets where things were, turns \u0000 into a silently shortened string
 * and keeps numbers only as doubles.  This one reports the line and column
 * of the first problem, tells problems after which the value's end is
 * still known ("soft": a bad escape, invalid UTF-8 in a string, a duplicate
 * key; the record can be skipped and reading go on) from broken structure
 * ("hard"), and keeps each number's text as written in valuestring so that
 * 3.94 stays 3.94 and 12345678901234567890 stays whole.
 */
#include "config.h"

#include "format/format_int.h"

#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void fmt_jp_init(struct jp *p, struct fmt_input *in, bool ndjson)
{
	memset(p, 0, sizeof *p);
	p->in = in;
	p->ndjson = ndjson;
}

void fmt_jp_reset(struct jp *p)
{
	p->depth = 0;
	p->nvalues = 0;
	p->failed = p->hard = p->limit = false;
	p->emsg[0] = p->ecolumn[0] = p->topkey[0] = '\0';
	p->eline = 0;
	p->ecol = 0;
	p->ntpos = 0;
	p->open_what = NULL;
}

void fmt_jp_free(struct jp *p)
{
	buf_free(&p->sb);
	free(p->tpos);
	p->tpos = NULL;
}

PRINTF_LIKE(5, 0)
static void jp_verror(struct jp *p, bool hard, long line, int col, const char *fmt,
		      va_list ap)
{
	if (hard)
		p->hard = true;
	if (p->failed)
		return;
	p->failed = true;
	p->eline = line;
	p->ecol = col;
	vsnprintf(p->emsg, sizeof p->emsg, fmt, ap);
	snprintf(p->ecolumn, sizeof p->ecolumn, "%s", p->topkey);
}

void fmt_jp_error_at(struct jp *p, bool hard, long line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jp_verror(p, hard, line, col, fmt, ap);
	va_end(ap);
}

void fmt_jp_error(struct jp *p, bool hard, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jp_verror(p, hard, p->in->line, p->in->col, fmt, ap);
	va_end(ap);
}

void fmt_describe_byte(int c, char *out, size_t n)
{
	if (c == IN_EOF)
		snprintf(out, n, "end of input");
	else if (c == '\n')
		snprintf(out, n, "end of line");
	else if (c == '"')
		snprintf(out, n, "'\"'");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(out, n, "\"%c\"", c);
	else
		snprintf(out, n, "byte 0x%02X", (unsigned)c);
}

/* An input condition that ends parsing: I/O failure or the size fence. */
static bool stop_on(struct jp *p, int c)
{
	if (c == IN_IOERR) {
		fmt_jp_error(p, true, "%s", p->in->ioerr.msg);
		return true;
	}
	if (c == IN_LIMIT) {
		p->limit = true;
		fmt_jp_error(p, true, "record too large");
		return true;
	}
	return false;
}

static int skip_ws(struct jp *p)
{
	for (;;) {
		int c = in_peek(p->in);
		if (c == ' ' || c == '\t' || c == '\r' || (c == '\n' && !p->ndjson))
			in_skip(p->in);
		else
			return c;
	}
}

/* The end of a line or of the input inside a container or string. */
static void unclosed(struct jp *p, int c, const char *what, long line, int col)
{
	fmt_jp_error(p, true, "unexpected end of %s: %s opened at line %ld, column %d is not closed",
		 c == '\n' ? "line" : "input", what, line, col);
}

static bool counted(struct jp *p)
{
	if (++p->nvalues <= FMT_MAX_VALUES)
		return true;
	fmt_jp_error(p, true, "more than %d values in one record", FMT_MAX_VALUES);
	return false;
}

/* Numbers are read the same whatever LC_NUMERIC the program runs under
 * (the console sets the locale; a ',' decimal point must not cut 3.94). */
static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void)
{
	c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static double c_strtod(const char *text)
{
	pthread_once(&c_numeric_once, make_c_numeric);
	return c_numeric ? strtod_l(text, NULL, c_numeric) : strtod(text, NULL);
}

cJSON *fmt_number_item(const char *text)
{
	cJSON *item = cJSON_CreateNumber(c_strtod(text));
	size_t n = strlen(text) + 1;
	item->valuestring = cJSON_malloc(n);
	if (!item->valuestring) {
		fprintf(stderr, "sluice: out of memory\n");
		abort();
	}
	memcpy(item->valuestring, text, n);
	return item;
}

/* ---- strings ------------------------------------------------------------------------ */

static int hex4(struct jp *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = in_peek(p->in);
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		in_skip(p->in);
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* After a backslash: one escape into out. */
static void escape(struct jp *p, struct buf *out, long line, int col)
{
	int c = in_peek(p->in);
	if (c < 0 || c == '\n')
		return;      /* the string loop reports it */
	in_skip(p->in);
	const char *simple = strchr("\"\\/bfnrt", c);
	if (simple && c) {
		static const char map[] = "\"\\/\b\f\n\r\t";
		buf_putc(out, map[simple - "\"\\/bfnrt"]);
		return;
	}
	if (c != 'u') {
		char what[16];
		fmt_describe_byte(c, what, sizeof what);
		if (c >= 0x20 && c < 0x7f)
			fmt_jp_error_at(p, false, line, col, "invalid escape \"\\%c\" in a string", c);
		else
			fmt_jp_error_at(p, false, line, col, "invalid escape in a string: %s after '\\'",
				    what);
		return;
	}
	unsigned cp;
	if (hex4(p, &cp) < 0) {
		fmt_jp_error_at(p, false, line, col, "invalid \\u escape: expected four hex digits");
		return;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		unsigned lo = 0;
		if (in_peek(p->in) == '\\') {
			in_skip(p->in);
			if (in_peek(p->in) == 'u') {
				in_skip(p->in);
				if (hex4(p, &lo) < 0)
					lo = 0;
			} else {
				fmt_jp_error_at(p, false, line, col,
					    "unpaired surrogate \\u%04x in a string", cp);
				/* the escape after it is an escape of its own */
				escape(p, out, p->in->line, p->in->col - 1);
				return;
			}
		}
		if (lo < 0xdc00 || lo > 0xdfff) {
			fmt_jp_error_at(p, false, line, col, "unpaired surrogate \\u%04x in a string", cp);
			return;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		fmt_jp_error_at(p, false, line, col, "unpaired surrogate \\u%04x in a string", cp);
		return;
	} else if (cp == 0) {
		fmt_jp_error_at(p, false, line, col, "\\u0000 (NUL) is not allowed in a string");
		return;
	}
	utf8_put(out, cp);
}

/* The opening quote is next.  Returns 0 (even after soft errors) or -1. */
static int parse_string(struct jp *p, struct buf *out)
{
	long oline = p->in->line;
	int ocol = p->in->col;
	in_skip(p->in);
	buf_reset(out);
	for (;;) {
		int c = in_peek(p->in);
		if (stop_on(p, c))
			return -1;
		if (c == IN_EOF || (c == '\n' && p->ndjson)) {
			unclosed(p, c, "string", oline, ocol);
			return -1;
		}
		if (c == '"') {
			in_skip(p->in);
			break;
		}
		if (c == '\\') {
			long line = p->in->line;
			int col = p->in->col;
			in_skip(p->in);
			escape(p, out, line, col);
			continue;
		}
		if (c < 0x20) {
			fmt_jp_error(p, false, "unescaped control character U+%04X in a string", (unsigned)c);
			in_skip(p->in);
			continue;
		}
		if (c < 0x80) {
			buf_putc(out, (char)c);
			in_skip(p->in);
			continue;
		}
		long line = p->in->line;
		int col = p->in->col, bad = 0;
		int rc = fmt_in_utf8(p->in, out, &bad);
		if (stop_on(p, rc))
			return -1;
		if (rc < 0)
			fmt_jp_error_at(p, false, line, col, "invalid UTF-8 byte 0x%02X", (unsigned)bad);
	}
	if (!out->data)
		buf_puts(out, "");
	return 0;
}

/* ---- numbers and literals ---------------------------------------------------------- */

bool fmt_json_number_ok(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static cJSON *parse_number(struct jp *p)
{
	long line = p->in->line;
	int col = p->in->col;
	char tok[4100];
	size_t n = 0;
	for (;;) {
		int c = in_peek(p->in);
		if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
		      c == 'E'))
			break;
		if (n + 1 >= sizeof tok) {
			fmt_jp_error_at(p, true, line, col, "number longer than %zu characters",
				    sizeof tok - 2);
			return NULL;
		}
		tok[n++] = (char)c;
		in_skip(p->in);
	}
	tok[n] = '\0';
	if (!fmt_json_number_ok(tok)) {
		fmt_jp_error_at(p, false, line, col, "invalid number \"%s\"", tok);
		return cJSON_CreateNull();
	}
	return fmt_number_item(tok);
}

static cJSON *parse_word(struct jp *p)
{
	long line = p->in->line;
	int col = p->in->col;
	char word[40];
	size_t n = 0;
	bool longer = false;
	for (;;) {
		int c = in_peek(p->in);
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			break;
		if (n + 1 < sizeof word)
			word[n++] = (char)c;
		else
			longer = true;
		in_skip(p->in);
	}
	word[n] = '\0';
	if (!longer && !strcmp(word, "true"))
		return cJSON_CreateTrue();
	if (!longer && !strcmp(word, "false"))
		return cJSON_CreateFalse();
	if (!longer && !strcmp(word, "null"))
		return cJSON_CreateNull();
	fmt_jp_error_at(p, false, line, col, "invalid literal \"%s%s\" (strings must be in double quotes)",
		    word, longer ? "..." : "");
	return cJSON_CreateNull();
}

/* ---- containers ----------------------------------------------------------------------- */

static void top_position(struct jp *p, long line, int col)
{
	if (p->ntpos == p->captpos) {
		p->captpos = p->captpos ? p->captpos * 2 : 32;
		p->tpos = xrealloc(p->tpos, p->captpos * sizeof *p->tpos);
	}
	p->tpos[p->ntpos].line = line;
	p->tpos[p->ntpos].col = col;
	p->ntpos++;
}

static bool enter(struct jp *p)
{
	if (++p->depth <= FMT_MAX_DEPTH)
		return true;
	fmt_jp_error(p, true, "nesting deeper than %d levels", FMT_MAX_DEPTH);
	return false;
}

/* Remember the innermost open container; returns what was there before. */
struct open_mark {
	const char *what;
	long line;
	int col;
};

static struct open_mark mark_open(struct jp *p, const char *what, long line, int col)
{
	struct open_mark before = { p->open_what, p->open_line, p->open_col };
	p->open_what = what;
	p->open_line = line;
	p->open_col = col;
	return before;
}

static void unmark(struct jp *p, struct open_mark m)
{
	p->open_what = m.what;
	p->open_line = m.line;
	p->open_col = m.col;
}

/* After a member or an element: neither a comma nor the closing bracket. */
static void bad_after_value(struct jp *p, int c, const char *what, char close,
			    const struct open_mark *at)
{
	if (stop_on(p, c))
		return;
	if (c == IN_EOF || (c == '\n' && p->ndjson)) {
		unclosed(p, c, what, at->line, at->col);
		return;
	}
	char got[32];
	fmt_describe_byte(c, got, sizeof got);
	fmt_jp_error(p, true, "expected \",\" or \"%c\" after %s, got %s", close,
		 close == '}' ? "a value in an object" : "an array element", got);
}

/* "key": value, from the opening quote of the key; added to obj. */
static int parse_member(struct jp *p, cJSON *obj, struct keyset *keys, bool top)
{
	long kline = p->in->line;
	int kcol = p->in->col;
	if (parse_string(p, &p->sb) < 0)
		return -1;
	char *key = xstrdup(buf_str(&p->sb));
	if (top)
		snprintf(p->topkey, sizeof p->topkey, "%s", key);
	int c = skip_ws(p);
	if (c != ':') {
		char got[32];
		fmt_describe_byte(c, got, sizeof got);
		if (!stop_on(p, c))
			fmt_jp_error(p, true, "expected \":\" after key \"%s\", got %s", key, got);
		free(key);
		return -1;
	}
	in_skip(p->in);
	skip_ws(p);
	if (top)
		top_position(p, p->in->line, p->in->col);
	cJSON *value = fmt_jp_value(p);
	if (value)
		cJSON_AddItemToObject(obj, key, value);
	free(key);
	if (!value)
		return -1;
	/* The set points at the key as cJSON stored it. */
	const char *stored = obj->child->prev->string;
	if (keyset_add(keys, stored))
		fmt_jp_error_at(p, false, kline, kcol, "duplicate key \"%s\"", stored);
	if (top)
		p->topkey[0] = '\0';
	return 0;
}

static cJSON *parse_object(struct jp *p)
{
	struct open_mark at = { "object", p->in->line, p->in->col };
	if (!enter(p))
		return NULL;
	struct open_mark outer = mark_open(p, at.what, at.line, at.col);
	in_skip(p->in);
	bool top = p->depth == 1, after_comma = false;
	cJSON *obj = cJSON_CreateObject();
	struct keyset keys = KEYSET_INIT;
	int c = skip_ws(p);
	if (c == '}') {
		in_skip(p->in);
		goto done;
	}
	for (;;) {
		if (stop_on(p, c))
			goto fail;
		if (c != '"') {
			char got[32];
			fmt_describe_byte(c, got, sizeof got);
			if (c == IN_EOF || (c == '\n' && p->ndjson))
				unclosed(p, c, "object", at.line, at.col);
			else if (c == '}' && after_comma)
				fmt_jp_error(p, true, "trailing comma before \"}\"");
			else
				fmt_jp_error(p, true, "expected a key in double quotes, got %s", got);
			goto fail;
		}
		if (parse_member(p, obj, &keys, top) < 0)
			goto fail;
		c = skip_ws(p);
		if (c == '}') {
			in_skip(p->in);
			break;
		}
		if (c != ',') {
			bad_after_value(p, c, "object", '}', &at);
			goto fail;
		}
		in_skip(p->in);
		after_comma = true;
		c = skip_ws(p);
	}
done:
	keyset_free(&keys);
	p->depth--;
	unmark(p, outer);
	return obj;
fail:
	keyset_free(&keys);
	cJSON_Delete(obj);
	return NULL;
}

static cJSON *parse_array(struct jp *p)
{
	struct open_mark at = { "array", p->in->line, p->in->col };
	if (!enter(p))
		return NULL;
	struct open_mark outer = mark_open(p, at.what, at.line, at.col);
	in_skip(p->in);
	cJSON *arr = cJSON_CreateArray();
	int c = skip_ws(p);
	if (c == ']') {
		in_skip(p->in);
		goto done;
	}
	for (;;) {
		cJSON *value = fmt_jp_value(p);
		if (!value)
			goto fail;
		cJSON_AddItemToArray(arr, value);
		c = skip_ws(p);
		if (c == ']') {
			in_skip(p->in);
			break;
		}
		if (c != ',') {
			bad_after_value(p, c, "array", ']', &at);
			goto fail;
		}
		in_skip(p->in);
		if (skip_ws(p) == ']') {
			fmt_jp_error(p, true, "trailing comma before \"]\"");
			goto fail;
		}
	}
done:
	p->depth--;
	unmark(p, outer);
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

cJSON *fmt_jp_value(struct jp *p)
{
	int c = in_peek(p->in);
	if (stop_on(p, c))
		return NULL;
	if (!counted(p))
		return NULL;
	if (c == '{')
		return parse_object(p);
	if (c == '[')
		return parse_array(p);
	if (c == '"') {
		if (parse_string(p, &p->sb) < 0)
			return NULL;
		return cJSON_CreateString(buf_str(&p->sb));
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return parse_word(p);
	if (c == IN_EOF || (c == '\n' && p->ndjson)) {
		if (p->open_what)
			unclosed(p, c, p->open_what, p->open_line, p->open_col);
		else
			fmt_jp_error(p, true, "unexpected end of %s: expected a value",
				 c == '\n' ? "line" : "input");
		return NULL;
	}
	char what[32];
	fmt_describe_byte(c, what, sizeof what);
	fmt_jp_error(p, true, "expected a value, got %s", what);
	return NULL;
}

/* ---- from memory ---------------------------------------------------------------------- */

struct mem_src {
	const char *p;
	size_t left;
};

static ssize_t mem_read(void *arg, void *buf, size_t n, struct err *e UNUSED)
{
	struct mem_src *m = arg;
	size_t take = m->left < n ? m->left : n;
	if (take)
		memcpy(buf, m->p, take);
	m->p += take;
	m->left -= take;
	return (ssize_t)take;
}

cJSON *fmt_json_parse(const char *text, size_t len, const char *source, struct err *e)
{
	struct mem_src m = { text, len };
	struct fmt_input in;
	fmt_in_init(&in, mem_read, &m, 65536);
	struct jp p;
	fmt_jp_init(&p, &in, false);
	cJSON *v = NULL;
	int c = skip_ws(&p);
	if (c == IN_EOF)
		fmt_jp_error(&p, true, "empty document");
	else
		v = fmt_jp_value(&p);
	if (v && !p.failed) {
		c = skip_ws(&p);
		if (c != IN_EOF) {
			char what[32];
			fmt_describe_byte(c, what, sizeof what);
			fmt_jp_error(&p, true, "unexpected %s after the document", what);
		}
	}
	if (p.failed) {
		char where[300];
		snprintf(where, sizeof where, "%s%s%ld:%d", source ? source : "", source ? ":" : "",
			 p.eline, p.ecol);
		if (p.ecolumn[0])
			err_at(e, ERR_PARSE, where, "column \"%s\": %s", p.ecolumn, p.emsg);
		else
			err_at(e, ERR_PARSE, where, "%s", p.emsg);
		cJSON_Delete(v);
		v = NULL;
	}
	fmt_jp_free(&p);
	fmt_in_free(&in);
	return v;
}

/* ---- printing ----------------------------------------------------------------------- */

void fmt_json_write_string(struct buf *out, const char *s, size_t len)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\b': buf_puts(out, "\\b"); break;
		case '\f': buf_puts(out, "\\f"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		default:
			if (c < 0x20)
				buf_printf(out, "\\u%04x", c);
			else
				buf_putc(out, (char)c);
		}
	}
	buf_putc(out, '"');
}

/* cJSON's keys and strings; NULL is written as "". */
static void write_text(struct buf *out, const char *s)
{
	if (!s)
		s = "";
	fmt_json_write_string(out, s, strlen(s));
}

/* %.17g with a '.' whatever the locale says. */
static void write_double(struct buf *out, double d)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.17g", d);
	for (char *p = tmp; *p; p++)
		if (*p == ',')
			*p = '.';
	buf_puts(out, tmp);
}

void fmt_json_write(struct buf *out, const cJSON *item)
{
	if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
		bool obj = cJSON_IsObject(item);
		buf_putc(out, obj ? '{' : '[');
		for (const cJSON *c = item->child; c; c = c->next) {
			if (c != item->child)
				buf_putc(out, ',');
			if (obj) {
				write_text(out, c->string);
				buf_putc(out, ':');
			}
			fmt_json_write(out, c);
		}
		buf_putc(out, obj ? '}' : ']');
	} else if (cJSON_IsString(item)) {
		write_text(out, item->valuestring);
	} else if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		if (item->valuestring)
			buf_puts(out, item->valuestring);
		else if (d != d || d - d != 0)
			buf_puts(out, "null");     /* NaN and infinities have no JSON form */
		else if (d == (double)(int64_t)d && d < 1e15 && d > -1e15)
			buf_printf(out, "%lld", (long long)d);
		else
			write_double(out, d);
	} else if (cJSON_IsTrue(item)) {
		buf_puts(out, "true");
	} else if (cJSON_IsFalse(item)) {
		buf_puts(out, "false");
	} else if (cJSON_IsRaw(item)) {
		buf_puts(out, item->valuestring ? item->valuestring : "null");
	} else {
		buf_puts(out, "null");
	}
}
