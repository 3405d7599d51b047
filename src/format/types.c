/*
 * types.c - declared column types: checking a value and writing it in the
 * one canonical form each type has, so that "007", "+7" and 7 all load as
 * 7 and a timestamp with a zone loads as the same instant in UTC.
 *
 * Names of formats and types live here too, and the helpers that show a
 * bad value in an error message without flooding it.
 */
#include "format/format_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const format_names[] = {
	[FMT_NDJSON] = "ndjson", [FMT_JSON] = "json", [FMT_CSV] = "csv",
	[FMT_PARQUET] = "parquet",
};

static const char *const type_names[] = {
	[FT_TEXT] = "text", [FT_INT] = "int", [FT_NUMERIC] = "numeric", [FT_BOOL] = "bool",
	[FT_DATE] = "date", [FT_TIME] = "time", [FT_TIMESTAMP] = "timestamp", [FT_JSON] = "json",
};

const char *fmt_format_name(enum fmt_format f)
{
	return (unsigned)f < ARRAY_LEN(format_names) ? format_names[f] : "?";
}

bool fmt_compression_parse(const char *s, enum fmt_compression *out)
{
	static const char *const names[] = {
		[FMT_COMPRESSION_NONE] = "none", [FMT_COMPRESSION_GZIP] = "gzip",
		[FMT_COMPRESSION_ZSTD] = "zstd",
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (str_eq(s, names[i])) {
			*out = (enum fmt_compression)i;
			return true;
		}
	return false;
}

bool fmt_format_parse(const char *s, enum fmt_format *out)
{
	for (size_t i = 0; i < ARRAY_LEN(format_names); i++)
		if (str_eq(s, format_names[i])) {
			*out = (enum fmt_format)i;
			return true;
		}
	return false;
}

const char *fmt_type_name(enum fmt_type t)
{
	return (unsigned)t < ARRAY_LEN(type_names) ? type_names[t] : "?";
}

bool fmt_type_parse(const char *s, enum fmt_type *out)
{
	for (size_t i = 0; i < ARRAY_LEN(type_names); i++)
		if (str_eq(s, type_names[i])) {
			*out = (enum fmt_type)i;
			return true;
		}
	return false;
}

void format_size(size_t n, char *out, size_t len)
{
	if (n && n % (1024 * 1024) == 0)
		snprintf(out, len, "%zu MiB", n / (1024 * 1024));
	else if (n && n % 1024 == 0)
		snprintf(out, len, "%zu KiB", n / 1024);
	else
		snprintf(out, len, "%zu bytes", n);
}

void fmt_show_value(struct buf *out, enum fmt_kind kind, const char *v, size_t len)
{
	switch (kind) {
	case FK_NULL: buf_puts(out, "null"); return;
	case FK_OBJECT: buf_puts(out, "an object"); return;
	case FK_ARRAY: buf_puts(out, "an array"); return;
	default: break;
	}
	bool quote = kind == FK_STRING;
	size_t shown = len;
	if (shown > 60) {
		shown = 60;
		while (shown > 0 && ((unsigned char)v[shown] & 0xc0) == 0x80)
			shown--;     /* do not cut a character in half */
	}
	if (quote)
		buf_putc(out, '"');
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\')
			buf_printf(out, "\\%c", c);
		else if (c < 0x20)
			buf_printf(out, "\\u%04x", c);
		else
			buf_putc(out, (char)c);
	}
	if (shown < len)
		buf_puts(out, "...");
	if (quote)
		buf_putc(out, '"');
}

static int bad_value(struct err *e, const char *expected, enum fmt_kind kind, const char *v,
		     size_t len, const char *why)
{
	struct buf b = BUF_INIT;
	fmt_show_value(&b, kind, v, len);
	err_set(e, ERR_PARSE, "expected %s, got %s%s", expected, buf_str(&b), why ? why : "");
	buf_free(&b);
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- numbers --------------------------------------------------------------------------- */

static int coerce_int(const char *s, size_t n, struct buf *out, const char **why)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t start = i;
	while (i < n && is_digit(s[i]))
		i++;
	if (i == start || i != n)
		return -1;
	while (start < n - 1 && s[start] == '0')
		start++;
	size_t digits = n - start;
	const char *limit = neg ? "9223372036854775808" : "9223372036854775807";
	if (digits > 19 || (digits == 19 && memcmp(s + start, limit, 19) > 0)) {
		*why = "range";
		return -1;
	}
	if (neg && !(digits == 1 && s[start] == '0'))
		buf_putc(out, '-');
	buf_append(out, s + start, digits);
	return 0;
}

#define EXP_LIMIT 1000

/* The digits of a decimal as written, the point left out. */
struct digits {
	const char *ip;           /* integer digits */
	long ni;
	const char *fp;           /* fraction digits */
	long n;                   /* all digits */
};

static char digit_at(const struct digits *d, long k)
{
	return k < d->ni ? d->ip[k] : k < d->n ? d->fp[k - d->ni] : '0';
}

static int coerce_numeric(const char *s, size_t n, struct buf *out, const char **why)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t int0 = i;
	while (i < n && is_digit(s[i]))
		i++;
	size_t intlen = i - int0, frac0 = i, fraclen = 0;
	if (i < n && s[i] == '.') {
		frac0 = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		fraclen = i - frac0;
	}
	if (intlen + fraclen == 0)
		return -1;
	long exp = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		size_t e0 = i;
		while (i < n && is_digit(s[i])) {
			if (exp <= EXP_LIMIT)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (i == e0)
			return -1;
		if (exp > EXP_LIMIT) {
			*why = "exponent";
			return -1;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return -1;
	/* The number's digits are the integer digits then the fraction's
	 * (read in place, no copy); the point goes after the first `point` of
	 * them, and digits beyond them are zeros. */
	struct digits d = { s + int0, (long)intlen, s + frac0, (long)(intlen + fraclen) };
	long point = (long)intlen + exp;
	bool zero = true;
	for (long k = 0; k < d.n && zero; k++)
		zero = digit_at(&d, k) == '0';
	if (neg && !zero)
		buf_putc(out, '-');
	/* the integer part, without leading zeros; "0" when there is none */
	long k = 0;
	while (k < point - 1 && digit_at(&d, k) == '0')
		k++;
	if (point <= 0)
		buf_putc(out, '0');
	if (point == d.ni) {          /* no exponent: both parts as written */
		buf_append(out, d.ip + k, (size_t)(point - k));
		if (d.n > d.ni) {
			buf_putc(out, '.');
			buf_append(out, d.fp, (size_t)(d.n - d.ni));
		}
		return 0;
	}
	for (; k < point; k++)
		buf_putc(out, digit_at(&d, k));
	/* the fraction, after zeros when the point is left of the digits */
	if (point < d.n) {
		buf_putc(out, '.');
		for (long z = point; z < 0; z++)
			buf_putc(out, '0');
		for (k = point > 0 ? point : 0; k < d.n; k++)
			buf_putc(out, digit_at(&d, k));
	}
	return 0;
}

static int coerce_bool(const char *s, size_t n, struct buf *out)
{
	static const char *const yes[] = { "t", "true", "y", "yes", "on", "1" };
	static const char *const no[] = { "f", "false", "n", "no", "off", "0" };
	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strlen(yes[i]) == n && !strncasecmp(s, yes[i], n)) {
			buf_putc(out, 't');
			return 0;
		}
		if (strlen(no[i]) == n && !strncasecmp(s, no[i], n)) {
			buf_putc(out, 'f');
			return 0;
		}
	}
	return -1;
}

/* ---- dates and times ----------------------------------------------------------------------- */

static bool digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	if (at + count > n)
		return false;
	int v = 0;
	for (size_t i = at; i < at + count; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool parse_date(const char *s, size_t n, size_t *at, int *y, int *m, int *d)
{
	size_t i = *at;
	if (!digits(s, n, i, 4, y) || i + 4 >= n || s[i + 4] != '-' ||
	    !digits(s, n, i + 5, 2, m) || i + 7 >= n || s[i + 7] != '-' ||
	    !digits(s, n, i + 8, 2, d))
		return false;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > cal_days_in_month(*y, *m))
		return false;
	*at = i + 10;
	return true;
}

/* HH:MM[:SS[.fraction]] as microseconds since midnight, rounded. */
static bool parse_time(const char *s, size_t n, size_t *at, int64_t *us)
{
	size_t i = *at;
	int h, mi, sec = 0;
	if (!digits(s, n, i, 2, &h) || i + 2 >= n || s[i + 2] != ':' ||
	    !digits(s, n, i + 3, 2, &mi))
		return false;
	i += 5;
	int64_t frac = 0;
	if (i < n && s[i] == ':') {
		if (!digits(s, n, i + 1, 2, &sec))
			return false;
		i += 3;
		if (i < n && s[i] == '.') {
			size_t f0 = ++i;
			int64_t scale = 100000;
			bool round_up = false;
			while (i < n && is_digit(s[i])) {
				if (i - f0 < 6) {
					frac += (s[i] - '0') * scale;
					scale /= 10;
				} else if (i - f0 == 6) {
					round_up = s[i] >= '5';
				}
				i++;
			}
			if (i == f0 || i - f0 > 9)
				return false;
			frac += round_up;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	*us = ((int64_t)h * 3600 + mi * 60 + sec) * USEC_PER_SEC + frac;
	*at = i;
	return true;
}

static bool parse_zone(const char *s, size_t n, size_t *at, int64_t *offset_us)
{
	size_t i = *at;
	*offset_us = 0;
	if (i < n && s[i] == ' ' && i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'))
		i++;
	if (i == n)
		return true;
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		*at = n;
		return true;
	}
	if (s[i] != '+' && s[i] != '-')
		return false;
	int sign = s[i] == '-' ? -1 : 1, hh, mm = 0;
	if (!digits(s, n, i + 1, 2, &hh))
		return false;
	i += 3;
	if (i < n && s[i] == ':')
		i++;
	if (i < n) {
		if (!digits(s, n, i, 2, &mm))
			return false;
		i += 2;
	}
	if (i != n || hh > 23 || mm > 59)
		return false;
	*offset_us = sign * ((int64_t)hh * 3600 + mm * 60) * USEC_PER_SEC;
	*at = i;
	return true;
}

/* v as exactly `width` decimal digits (v >= 0 and fits). */
static char *put_digits(char *p, int64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* "HH:MM:SS.ffffff" of microseconds since midnight: 15 bytes. */
static char *format_time(char *p, int64_t us)
{
	int64_t secs = us / USEC_PER_SEC;
	p = put_digits(p, secs / 3600, 2);
	*p++ = ':';
	p = put_digits(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, secs % 60, 2);
	*p++ = '.';
	return put_digits(p, us % USEC_PER_SEC, 6);
}

static void put_time(struct buf *out, int64_t us)
{
	char text[16];
	buf_append(out, text, (size_t)(format_time(text, us) - text));
}

static int coerce_timestamp(const char *s, size_t n, struct buf *out)
{
	size_t i = 0;
	int y, m, d;
	int64_t tod = 0, offset = 0;
	if (!parse_date(s, n, &i, &y, &m, &d))
		return -1;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < n &&
	    is_digit(s[i + 1])) {
		i++;
		if (!parse_time(s, n, &i, &tod))
			return -1;
	}
	if (!parse_zone(s, n, &i, &offset) || i != n)
		return -1;
	int64_t us = cal_days_from_civil(y, m, d) * 86400 * USEC_PER_SEC + tod - offset;
	int64_t day = cal_floor_div(us, 86400 * USEC_PER_SEC);
	int64_t rest = us - day * 86400 * USEC_PER_SEC;
	int64_t year;
	cal_civil_from_days(day, &year, &m, &d);
	if (year < 1 || year > 9999)
		return -1;
	char text[32], *p = text;
	p = put_digits(p, (int)year, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = ' ';
	p = format_time(p, rest);
	buf_append(out, text, (size_t)(p - text));
	return 0;
}

/* ---- the entry point ----------------------------------------------------------------------- */

static const char *const expectations[] = {
	[FT_TEXT] = "text",
	[FT_INT] = "an integer",
	[FT_NUMERIC] = "a number",
	[FT_BOOL] = "a boolean",
	[FT_DATE] = "a date (YYYY-MM-DD)",
	[FT_TIME] = "a time (HH:MM[:SS[.ffffff]])",
	[FT_TIMESTAMP] = "a timestamp (YYYY-MM-DD HH:MM[:SS[.ffffff]][zone])",
	[FT_JSON] = "JSON",
};

static int coerce_date(const char *s, size_t n, struct buf *out)
{
	size_t at = 0;
	int y, m, d;
	if (!parse_date(s, n, &at, &y, &m, &d) || at != n)
		return -1;
	buf_append(out, s, n);
	return 0;
}

static int coerce_time(const char *s, size_t n, struct buf *out)
{
	size_t at = 0;
	int64_t us;
	if (!parse_time(s, n, &at, &us) || at != n)
		return -1;
	put_time(out, us);
	return 0;
}

static int coerce_json(enum fmt_kind kind, const char *value, size_t len, struct buf *out,
		       struct err *e)
{
	if (kind == FK_NUMBER) {
		buf_append(out, value, len);
		return 0;
	}
	if (kind == FK_BOOL) {
		buf_puts(out, value[0] == 't' ? "true" : "false");
		return 0;
	}
	struct err je;
	cJSON *doc = fmt_json_parse(value, len, NULL, &je);
	if (!doc) {
		char why[600];
		snprintf(why, sizeof why, " (%s)", err_text(&je));
		return bad_value(e, "JSON", kind, value, len, why);
	}
	fmt_json_write(out, doc);
	cJSON_Delete(doc);
	return 0;
}

int fmt_coerce(enum fmt_type type, enum fmt_kind kind, const char *value, size_t len,
	       struct buf *out, struct err *e)
{
	if (type == FT_TEXT) {
		buf_append(out, value, len);
		return 0;
	}
	if (type == FT_JSON)
		return coerce_json(kind, value, len, out, e);
	/* Spaces around a number or a date are not part of it. */
	const char *s = value;
	size_t n = len;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	size_t before = out->len;
	const char *why = NULL;
	int rc = -1;
	bool text = kind == FK_STRING;
	if (type == FT_INT && (text || kind == FK_NUMBER))
		rc = coerce_int(s, n, out, &why);
	else if (type == FT_NUMERIC && (text || kind == FK_NUMBER))
		rc = coerce_numeric(s, n, out, &why);
	else if (type == FT_BOOL && (text || kind == FK_NUMBER || kind == FK_BOOL))
		rc = coerce_bool(s, n, out);
	else if (type == FT_DATE && text)
		rc = coerce_date(s, n, out);
	else if (type == FT_TIME && text)
		rc = coerce_time(s, n, out);
	else if (type == FT_TIMESTAMP && text)
		rc = coerce_timestamp(s, n, out);
	if (rc == 0)
		return 0;
	out->len = before;
	if (out->data)
		out->data[before] = '\0';
	if (why && !strcmp(why, "range"))
		return bad_value(e, "an integer in the 64-bit range", kind, value, len, NULL);
	if (why && !strcmp(why, "exponent"))
		return bad_value(e, "a number", kind, value, len, " (exponent beyond 1000)");
	return bad_value(e, expectations[type], kind, value, len, NULL);
}

/* ---- JSON items ---------------------------------------------------------------------------- */

enum fmt_kind fmt_item_kind(const cJSON *item)
{
	if (cJSON_IsString(item))
		return FK_STRING;
	if (cJSON_IsNumber(item))
		return FK_NUMBER;
	if (cJSON_IsBool(item))
		return FK_BOOL;
	if (cJSON_IsObject(item))
		return FK_OBJECT;
	if (cJSON_IsArray(item))
		return FK_ARRAY;
	return FK_NULL;
}

const char *fmt_item_kind_phrase(const cJSON *item)
{
	switch (fmt_item_kind(item)) {
	case FK_STRING: return "a string";
	case FK_NUMBER: return "a number";
	case FK_BOOL: return "a boolean";
	case FK_ARRAY: return "an array";
	case FK_OBJECT: return "an object";
	default: return "null";
	}
}

void fmt_item_text(const cJSON *item, struct buf *out, bool *is_null)
{
	*is_null = false;
	switch (fmt_item_kind(item)) {
	case FK_STRING: buf_puts(out, item->valuestring); break;
	case FK_BOOL: buf_puts(out, cJSON_IsTrue(item) ? "true" : "false"); break;
	case FK_NULL: *is_null = true; break;
	default: fmt_json_write(out, item); break;
	}
}

int fmt_coerce_item(enum fmt_type type, const cJSON *item, struct buf *out, bool *is_null,
		struct err *e)
{
	*is_null = !item || cJSON_IsNull(item);
	if (*is_null)
		return 0;
	if (type == FT_JSON) {
		fmt_json_write(out, item);
		return 0;
	}
	struct buf text = BUF_INIT;
	bool null;
	fmt_item_text(item, &text, &null);
	int rc = fmt_coerce(type, fmt_item_kind(item), buf_str(&text), text.len, out, e);
	buf_free(&text);
	return rc;
}

enum fmt_kind fmt_type_kind(enum fmt_type type, const char *canonical)
{
	switch (type) {
	case FT_INT:
	case FT_NUMERIC: return FK_NUMBER;
	case FT_BOOL: return FK_BOOL;
	case FT_JSON:
		return canonical[0] == '{' ? FK_OBJECT : canonical[0] == '[' ? FK_ARRAY : FK_STRING;
	default: return FK_STRING;
	}
}
