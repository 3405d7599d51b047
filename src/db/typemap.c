/*
 * typemap.c - the type map between SQLite and PostgreSQL, and the canonical
 * text forms values travel in.
 *
 * PostgreSQL spells types the usual way.  SQLite is dynamically typed and
 * picks a column's "affinity" from substrings of its declared type, so the
 * declared names are chosen for the affinity they give as much as for the
 * reader:
 *
 *   type            SQLite declared type     affinity  stored as
 *   DT_TEXT         text / varchar(n)        TEXT      text
 *   DT_INT          integer                  INTEGER   64-bit integer
 *   DT_NUMERIC p<=15 numeric(p,s)            NUMERIC   integer or real (exact:
 *                                                      15 digits fit a double)
 *   DT_NUMERIC p>15 numeric_text(p,s)        TEXT      the canonical digits
 *     or unconstrained numeric_text
 *   DT_FLOAT        double precision         REAL      real
 *   DT_BOOL         boolean                  NUMERIC   1 / 0
 *   DT_DATE         date                     NUMERIC   'YYYY-MM-DD' (text)
 *   DT_TIME         time                     NUMERIC   'HH:MM:SS.ffffff' (text)
 *   DT_TIMESTAMP    timestamp                NUMERIC   'YYYY-MM-DD HH:MM:SS.ffffff'
 *   DT_JSON         json_text                TEXT      text
 *
 * NUMERIC affinity would turn '12345678901.1234567890' into a double and
 * keep 15 digits of it, so wide numerics are declared with a name that
 * contains "text": their digits stay exact, arithmetic still converts them
 * (price * 2 works), but comparing them with a number compares text;
 * write CAST(col AS REAL) > 10 there.  Narrow numerics keep real numeric
 * behaviour, and reading formats them back with their scale ("3.90").
 * Booleans are 1/0 so that "WHERE flag" means what it says.
 */
#include "db_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NUMERIC_EXACT_DIGITS 15   /* digits a double always keeps */
#define INT64_DIGITS 19

static const char *const type_names[] = {
	[DT_TEXT] = "text", [DT_INT] = "integer", [DT_NUMERIC] = "numeric",
	[DT_FLOAT] = "float", [DT_BOOL] = "boolean", [DT_DATE] = "date",
	[DT_TIME] = "time", [DT_TIMESTAMP] = "timestamp", [DT_JSON] = "json",
};

const char *db_type_name(enum db_type t)
{
	return (unsigned)t < ARRAY_LEN(type_names) ? type_names[t] : "text";
}

bool db_numeric_as_text(struct db_coltype t)
{
	return t.type == DT_NUMERIC &&
	       (t.precision <= 0 || t.precision > NUMERIC_EXACT_DIGITS);
}

void db_type_sql(enum db_kind kind, struct db_coltype t, char *out, size_t n)
{
	bool lite = kind == DB_SQLITE;
	switch (t.type) {
	case DT_TEXT:
		if (t.precision > 0)
			snprintf(out, n, "varchar(%d)", t.precision);
		else
			snprintf(out, n, "text");
		break;
	case DT_INT:
		snprintf(out, n, lite ? "integer" : "bigint");
		break;
	case DT_NUMERIC: {
		const char *name = lite && db_numeric_as_text(t) ? "numeric_text" : "numeric";
		if (t.precision > 0)
			snprintf(out, n, "%s(%d,%d)", name, t.precision, t.scale);
		else
			snprintf(out, n, "%s", name);
		break;
	}
	case DT_FLOAT:
		snprintf(out, n, "double precision");
		break;
	case DT_BOOL:
		snprintf(out, n, "boolean");
		break;
	case DT_DATE:
		snprintf(out, n, "date");
		break;
	case DT_TIME:
		snprintf(out, n, "time");
		break;
	case DT_TIMESTAMP:
		snprintf(out, n, "timestamp");
		break;
	case DT_JSON:
		snprintf(out, n, lite ? "json_text" : "jsonb");
		break;
	}
}

/* ---- parsing declared types ------------------------------------------------ */

static const struct {
	const char *name;
	enum db_type type;
} known_types[] = {
	{ "text", DT_TEXT }, { "varchar", DT_TEXT }, { "character varying", DT_TEXT },
	{ "char", DT_TEXT }, { "character", DT_TEXT }, { "bpchar", DT_TEXT },
	{ "nvarchar", DT_TEXT }, { "nchar", DT_TEXT }, { "varying character", DT_TEXT },
	{ "native character", DT_TEXT }, { "clob", DT_TEXT }, { "string", DT_TEXT },
	{ "name", DT_TEXT }, { "citext", DT_TEXT }, { "uuid", DT_TEXT },
	{ "int", DT_INT }, { "integer", DT_INT }, { "smallint", DT_INT },
	{ "bigint", DT_INT }, { "tinyint", DT_INT }, { "mediumint", DT_INT },
	{ "int2", DT_INT }, { "int4", DT_INT }, { "int8", DT_INT },
	{ "serial", DT_INT }, { "bigserial", DT_INT }, { "smallserial", DT_INT },
	{ "serial4", DT_INT }, { "serial8", DT_INT }, { "unsigned big int", DT_INT },
	{ "oid", DT_INT },
	{ "numeric", DT_NUMERIC }, { "decimal", DT_NUMERIC }, { "numeric_text", DT_NUMERIC },
	{ "real", DT_FLOAT }, { "float", DT_FLOAT }, { "float4", DT_FLOAT },
	{ "float8", DT_FLOAT }, { "double", DT_FLOAT }, { "double precision", DT_FLOAT },
	{ "boolean", DT_BOOL }, { "bool", DT_BOOL },
	{ "date", DT_DATE },
	{ "time", DT_TIME }, { "time without time zone", DT_TIME },
	{ "time with time zone", DT_TIME }, { "timetz", DT_TIME },
	{ "timestamp", DT_TIMESTAMP }, { "timestamp without time zone", DT_TIMESTAMP },
	{ "timestamp with time zone", DT_TIMESTAMP }, { "timestamptz", DT_TIMESTAMP },
	{ "datetime", DT_TIMESTAMP },
	{ "json", DT_JSON }, { "jsonb", DT_JSON }, { "json_text", DT_JSON },
};

bool db_type_parse(const char *decl, struct db_coltype *out)
{
	*out = (struct db_coltype){ DT_TEXT, 0, 0 };
	if (!decl)
		return false;
	/* Lower-case, collapse blanks, and lift the "(p,s)" out wherever it
	 * stands: "timestamp(3) without time zone" is still a timestamp. */
	char base[128];
	size_t n = 0;
	int args[2] = { 0, 0 }, nargs = 0;
	bool blank = false;
	for (const char *p = decl; *p; p++) {
		if (*p == '(') {
			const char *q = p + 1;
			while (nargs < 2) {
				while (isspace((unsigned char)*q))
					q++;
				char *end;
				long v = strtol(q, &end, 10);
				if (end == q)
					return false;
				args[nargs++] = (int)v;
				q = end;
				while (isspace((unsigned char)*q))
					q++;
				if (*q != ',')
					break;
				q++;
			}
			if (*q != ')')
				return false;
			p = q;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			blank = n > 0;
			continue;
		}
		if (n + 2 >= sizeof base)
			return false;
		if (blank)
			base[n++] = ' ';
		blank = false;
		base[n++] = (char)tolower((unsigned char)*p);
	}
	base[n] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(known_types); i++) {
		if (strcmp(base, known_types[i].name) != 0)
			continue;
		out->type = known_types[i].type;
		if (out->type == DT_NUMERIC) {
			out->precision = nargs > 0 ? args[0] : 0;
			out->scale = nargs > 1 ? args[1] : 0;
		} else if (out->type == DT_TEXT && nargs > 0) {
			out->precision = args[0];
		}
		return true;
	}
	return false;
}

/* ---- widening ------------------------------------------------------------------- */

static int rank_numberish(enum db_type t)
{
	switch (t) {
	case DT_INT: return 1;
	case DT_NUMERIC: return 2;
	case DT_FLOAT: return 3;
	default: return 0;
	}
}

static struct db_coltype as_numeric(struct db_coltype t)
{
	if (t.type == DT_INT)
		return (struct db_coltype){ DT_NUMERIC, INT64_DIGITS, 0 };
	return t;
}

static bool same_type(struct db_coltype a, struct db_coltype b)
{
	if (a.type != b.type)
		return false;
	if (a.type == DT_NUMERIC || a.type == DT_TEXT)
		return a.precision == b.precision && (a.type == DT_TEXT || a.scale == b.scale);
	return true;
}

struct db_coltype db_type_widen(struct db_coltype from, struct db_coltype to,
				bool *widened)
{
	struct db_coltype r = { DT_TEXT, 0, 0 };
	int rf = rank_numberish(from.type), rt = rank_numberish(to.type);
	if (from.type == to.type && from.type != DT_NUMERIC && from.type != DT_TEXT) {
		r = from;
	} else if (from.type == DT_TEXT && to.type == DT_TEXT) {
		/* varchar(n) grows to the longer; unbounded wins. */
		r.precision = from.precision > 0 && to.precision > 0 ?
			(from.precision > to.precision ? from.precision : to.precision) : 0;
	} else if (rf && rt && (rf == 3 || rt == 3)) {
		r.type = DT_FLOAT;
	} else if (rf && rt) {
		struct db_coltype a = as_numeric(from), b = as_numeric(to);
		r.type = DT_NUMERIC;
		if (a.precision > 0 && b.precision > 0) {
			int ia = a.precision - a.scale, ib = b.precision - b.scale;
			r.scale = a.scale > b.scale ? a.scale : b.scale;
			r.precision = (ia > ib ? ia : ib) + r.scale;
			if (r.precision > 1000)   /* PostgreSQL's limit */
				r = (struct db_coltype){ DT_NUMERIC, 0, 0 };
		}
	} else if ((from.type == DT_DATE && to.type == DT_TIMESTAMP) ||
		   (from.type == DT_TIMESTAMP && to.type == DT_DATE)) {
		r.type = DT_TIMESTAMP;
	}
	if (widened)
		*widened = !same_type(r, from);
	return r;
}

/* ---- inference -------------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool looks_like_date(const char *s)
{
	char buf[16];
	return strlen(s) == 10 && db_date_canon(s, buf, sizeof buf);
}

static bool looks_like_time(const char *s)
{
	char buf[32];
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && s[2] == ':' &&
	       db_time_canon(s, buf, sizeof buf);
}

static bool looks_like_timestamp(const char *s)
{
	char buf[48];
	return strlen(s) > 10 && (s[10] == ' ' || s[10] == 'T') &&
	       db_timestamp_canon(s, buf, sizeof buf);
}

struct db_coltype db_type_infer(const char *text)
{
	struct db_coltype t = { DT_TEXT, 0, 0 };
	if (!text || !*text)
		return t;
	/* Only the spellings PostgreSQL prints: "yes" or "1" are not booleans
	 * in a raw file. */
	if (strcasecmp(text, "t") == 0 || strcasecmp(text, "f") == 0 ||
	    strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0) {
		t.type = DT_BOOL;
		return t;
	}
	const char *p = text;
	if (*p == '-' || *p == '+')
		p++;
	size_t intlen = strspn(p, "0123456789");
	const char *q = p + intlen;
	if (intlen > 0 && *q == '\0') {
		int64_t v;
		if (str_to_i64(text, &v)) {
			t.type = DT_INT;
		} else {
			while (*p == '0' && p[1])
				p++;
			t = (struct db_coltype){ DT_NUMERIC, (int)strlen(p), 0 };
		}
		return t;
	}
	if (*q == '.') {
		size_t fraclen = strspn(q + 1, "0123456789");
		const char *r = q + 1 + fraclen;
		if ((intlen || fraclen) && *r == '\0') {
			while (intlen > 0 && *p == '0') {
				p++;
				intlen--;
			}
			int prec = (int)(intlen + fraclen);
			t = (struct db_coltype){ DT_NUMERIC, prec > 0 ? prec : 1, (int)fraclen };
			if (t.precision < t.scale)
				t.precision = t.scale;
			return t;
		}
	}
	char *end;
	if ((intlen || *q == '.') && (strchr(text, 'e') || strchr(text, 'E'))) {
		strtod(text, &end);
		if (*end == '\0' && end != text) {
			t.type = DT_FLOAT;
			return t;
		}
	}
	if (intlen == 4 && looks_like_date(text)) {
		t.type = DT_DATE;
	} else if (intlen == 4 && looks_like_timestamp(text)) {
		t.type = DT_TIMESTAMP;
	} else if (intlen == 2 && looks_like_time(text)) {
		t.type = DT_TIME;
	} else if ((text[0] == '{' && str_ends_with(text, "}")) ||
		   (text[0] == '[' && str_ends_with(text, "]"))) {
		t.type = DT_JSON;
	}
	return t;
}

/* ---- value forms ----------------------------------------------------------------------- */

void db_format_double(double d, char *out, size_t n)
{
	if (isnan(d)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, n, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		snprintf(out, n, signbit(d) ? "-0" : "0");
		return;
	}
	/* The shortest mantissa that reads back to the same double. */
	char e[40];
	for (int prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof e, "%.*e", prec, d);
		if (strtod(e, NULL) == d)
			break;
	}
	char digits[24];
	size_t nd = 0;
	const char *p = e;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	int exp = atoi(p + 1);
	struct buf b = BUF_INIT;
	if (neg)
		buf_putc(&b, '-');
	if (exp < -4 || exp >= 15) {
		/* PostgreSQL switches to exponent form where %g would at 15 digits. */
		buf_putc(&b, digits[0]);
		if (nd > 1) {
			buf_putc(&b, '.');
			buf_puts(&b, digits + 1);
		}
		buf_printf(&b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		buf_puts(&b, "0.");
		for (int i = -1; i > exp; i--)
			buf_putc(&b, '0');
		buf_puts(&b, digits);
	} else {
		for (int i = 0; i <= exp; i++)
			buf_putc(&b, (size_t)i < nd ? digits[i] : '0');
		if ((size_t)exp + 1 < nd) {
			buf_putc(&b, '.');
			buf_puts(&b, digits + exp + 1);
		}
	}
	snprintf(out, n, "%s", buf_str(&b));
	buf_free(&b);
}

void db_format_fixed(double d, int scale, char *out, size_t n)
{
	snprintf(out, n, "%.*f", scale, d);
	/* numeric has no negative zero */
	if (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1))
		memmove(out, out + 1, strlen(out));
}

bool db_parse_bool(const char *s, bool *out)
{
	static const struct {
		const char *word;
		size_t min;    /* shortest accepted prefix */
		bool value;
	} words[] = {
		{ "true", 1, true }, { "false", 1, false }, { "yes", 1, true },
		{ "no", 1, false }, { "on", 2, true }, { "off", 2, false },
		{ "1", 1, true }, { "0", 1, false },
	};
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(words); i++) {
		if (n >= words[i].min && n <= strlen(words[i].word) &&
		    strncasecmp(s, words[i].word, n) == 0) {
			*out = words[i].value;
			return true;
		}
	}
	return false;
}

/* A plain decimal ("-12.5", "007", ".5") that needs no rounding, written
 * canonically without the general path's buffers: 1 done, 0 too many
 * integer digits, -1 not plain (the general path decides). */
static int plain_numeric(const char *s, int scale, int max_int_digits, struct buf *out)
{
	bool neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	size_t ilen = strspn(s, "0123456789");
	const char *f = s + ilen;
	size_t flen = 0;
	if (*f == '.')
		flen = strspn(++f, "0123456789");
	if (f[flen] || ilen + flen == 0 || (scale >= 0 && flen > (size_t)scale))
		return -1;
	while (ilen > 0 && *s == '0')
		s++, ilen--;
	if (max_int_digits >= 0 && ilen > (size_t)max_int_digits)
		return 0;
	bool zero = ilen == 0 && strspn(f, "0") >= flen;
	size_t dscale = scale >= 0 ? (size_t)scale : flen;
	if (neg && !zero)
		buf_putc(out, '-');
	if (ilen)
		buf_append(out, s, ilen);
	else
		buf_putc(out, '0');
	if (dscale > 0) {
		buf_putc(out, '.');
		buf_append(out, f, flen);
		for (size_t k = flen; k < dscale; k++)
			buf_putc(out, '0');
	}
	return 1;
}

bool db_numeric_canon(const char *s, int scale, int max_int_digits, struct buf *out)
{
	buf_reset(out);
	int plain = plain_numeric(s, scale, max_int_digits, out);
	if (plain >= 0)
		return plain > 0;
	while (isspace((unsigned char)*s))
		s++;
	if (strcasecmp(s, "nan") == 0) {
		buf_puts(out, "NaN");
		return true;
	}
	bool neg = false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcasecmp(s, "infinity") == 0 || strcasecmp(s, "inf") == 0) {
		buf_puts(out, neg ? "-Infinity" : "Infinity");
		return true;
	}
	/* digits of the mantissa with the point's position among them */
	size_t ilen = strspn(s, "0123456789");
	const char *f = s + ilen;
	size_t flen = 0;
	if (*f == '.') {
		f++;
		flen = strspn(f, "0123456789");
	}
	if (ilen + flen == 0)
		return false;
	const char *rest = f + flen;
	long exp = 0;
	if (*rest == 'e' || *rest == 'E') {
		char *end;
		errno = 0;
		exp = strtol(rest + 1, &end, 10);
		if (end == rest + 1 || errno || exp > 100000 || exp < -100000)
			return false;
		rest = end;
	}
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest)
		return false;

	struct buf digits = BUF_INIT;
	buf_append(&digits, s, ilen);
	buf_append(&digits, f, flen);
	long point = (long)ilen + exp;            /* digits before the point */
	long dscale = (long)flen - exp;            /* PostgreSQL's display scale */
	if (dscale < 0)
		dscale = 0;
	if (scale >= 0)
		dscale = scale;
	/* The integer digits (when point > 0) then dscale fraction digits;
	 * positions outside the mantissa are zeros. */
	struct buf whole = BUF_INIT;
	long nd = (long)digits.len;
	for (long i = point < 0 ? point : 0; i < point + dscale; i++)
		buf_putc(&whole, i >= 0 && i < nd ? digits.data[i] : '0');
	/* Round half away from zero on the first dropped digit. */
	long dropped = point + dscale;
	if (dropped >= 0 && dropped < nd && digits.data[dropped] >= '5') {
		long i = (long)whole.len - 1;
		for (; i >= 0 && whole.data[i] == '9'; i--)
			whole.data[i] = '0';
		if (i >= 0) {
			whole.data[i]++;
		} else {
			struct buf tmp = BUF_INIT;
			buf_putc(&tmp, '1');
			buf_append(&tmp, whole.data, whole.len);
			buf_free(&whole);
			whole = tmp;
		}
	}
	buf_free(&digits);
	const char *w = buf_str(&whole);
	size_t wl = whole.len;
	const char *ip = w;
	size_t il = wl >= (size_t)dscale ? wl - (size_t)dscale : 0;
	while (il > 0 && *ip == '0') {
		ip++;
		il--;
	}
	if (max_int_digits >= 0 && (long)il > max_int_digits) {
		buf_free(&whole);
		return false;
	}
	bool zero = strspn(w, "0") == wl;
	if (neg && !zero)
		buf_putc(out, '-');
	if (il == 0)
		buf_putc(out, '0');
	else
		buf_append(out, ip, il);
	if (dscale > 0) {
		buf_putc(out, '.');
		buf_append(out, w + wl - (size_t)dscale, (size_t)dscale);
	}
	buf_free(&whole);
	return true;
}

/* ---- dates and times ---------------------------------------------------------------------- */

/* An ASCII digit (isdigit's answer in any locale sluice runs in, without
 * its table lookup: these checks run for every date and time loaded). */
static inline bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool two_digits(const char *p, int lo, int hi, int *out)
{
	if (!digit(p[0]) || !digit(p[1]))
		return false;
	int v = (p[0] - '0') * 10 + (p[1] - '0');
	if (v < lo || v > hi)
		return false;
	if (out)
		*out = v;
	return true;
}

/* "YYYY-MM-DD" at s; true when valid. */
static bool read_date(const char *s)
{
	int c, y, m, d;
	if (!two_digits(s, 0, 99, &c) || !two_digits(s + 2, 0, 99, &y) || s[4] != '-' ||
	    !two_digits(s + 5, 1, 12, &m) || s[7] != '-' || !two_digits(s + 8, 1, 31, &d))
		return false;
	return d <= cal_days_in_month(c * 100 + y, m);
}

/* "HH:MM:SS" or "HH:MM:SS.fff..." filling s[0, n) exactly: the form
 * sluice writes, whose canonical text is a prefix of it (read_time's
 * ranges; trailing zeros of the fraction dropped, digits past the sixth
 * cut).  *keep gets that prefix's length. */
static bool plain_time(const char *s, size_t n, size_t *keep)
{
	if (n < 8 || !two_digits(s, 0, 24, NULL) || s[2] != ':' ||
	    !two_digits(s + 3, 0, 59, NULL) || s[5] != ':' || !two_digits(s + 6, 0, 60, NULL))
		return false;
	if (n == 8) {
		*keep = 8;
		return true;
	}
	if (s[8] != '.' || n == 9 || !all_digits(s + 9, n - 9))
		return false;
	size_t digits = n - 9 > 6 ? 6 : n - 9;
	while (digits > 0 && s[8 + digits] == '0')
		digits--;
	*keep = digits ? 9 + digits : 8;
	return true;
}

/* The first len bytes of s into out as a string, if they fit. */
static bool copy_prefix(const char *s, size_t len, char *out, size_t n)
{
	if (len >= n)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* "HH:MM[:SS[.fff]]" at s, written canonically to out; returns the end. */
static const char *read_time(const char *s, struct buf *out)
{
	if (!two_digits(s, 0, 24, NULL) || s[2] != ':' || !two_digits(s + 3, 0, 59, NULL))
		return NULL;
	buf_append(out, s, 5);
	const char *p = s + 5;
	if (*p != ':') {
		buf_puts(out, ":00");
		return p;
	}
	if (!two_digits(p + 1, 0, 60, NULL))
		return NULL;
	buf_append(out, p, 3);
	p += 3;
	if (*p != '.')
		return p;
	size_t n = strspn(p + 1, "0123456789");
	if (n == 0)
		return NULL;
	size_t keep = n > 6 ? 6 : n;
	while (keep > 0 && p[keep] == '0')
		keep--;
	if (keep > 0)
		buf_append(out, p, keep + 1);
	return p + 1 + n;
}

static bool copy_out(struct buf *b, char *out, size_t n)
{
	bool fits = b->len < n;
	if (fits)
		memcpy(out, buf_str(b), b->len + 1);
	buf_free(b);
	return fits;
}

bool db_date_canon(const char *s, char *out, size_t n)
{
	if (strcmp(s, "infinity") == 0 || strcmp(s, "-infinity") == 0) {
		snprintf(out, n, "%s", s);
		return true;
	}
	if (!read_date(s))
		return false;
	if (s[10] != '\0' && s[10] != ' ' && s[10] != 'T')
		return false;
	if (s[10]) {
		char ts[48];
		if (!db_timestamp_canon(s, ts, sizeof ts))
			return false;
	}
	return copy_prefix(s, 10, out, n);
}

bool db_time_canon(const char *s, char *out, size_t n)
{
	size_t keep;
	if (plain_time(s, strlen(s), &keep))
		return copy_prefix(s, keep, out, n);
	struct buf b = BUF_INIT;
	const char *end = read_time(s, &b);
	if (!end || *end) {
		buf_free(&b);
		return false;
	}
	return copy_out(&b, out, n);
}

bool db_timestamp_canon(const char *s, char *out, size_t n)
{
	if (strcmp(s, "infinity") == 0 || strcmp(s, "-infinity") == 0) {
		snprintf(out, n, "%s", s);
		return true;
	}
	if (!read_date(s))
		return false;
	size_t len = strlen(s), plain;
	if (len >= 19 && (s[10] == ' ' || s[10] == 'T' || s[10] == 't') &&
	    plain_time(s + 11, len - 11, &plain)) {
		if (!copy_prefix(s, 11 + plain, out, n))
			return false;
		out[10] = ' ';
		return true;
	}
	struct buf b = BUF_INIT;
	buf_append(&b, s, 10);
	buf_putc(&b, ' ');
	const char *p = s + 10;
	if (*p == '\0') {
		buf_puts(&b, "00:00:00");
		return copy_out(&b, out, n);
	}
	if (*p != ' ' && *p != 'T' && *p != 't') {
		buf_free(&b);
		return false;
	}
	p = read_time(p + 1, &b);
	if (!p) {
		buf_free(&b);
		return false;
	}
	if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0') ||
	    strcmp(p, "+00") == 0 || strcmp(p, "+00:00") == 0)
		return copy_out(&b, out, n);
	/* Another zone: fold it into UTC. */
	buf_free(&b);
	usec_t t;
	if (!time_parse_iso(s, &t))
		return false;
	char iso[32];
	time_format_iso(t, iso);             /* 2026-11-21T13:05:09.123456Z */
	iso[10] = ' ';
	iso[26] = '\0';
	char *dot = iso + 19;
	size_t keep = 6;
	while (keep > 0 && dot[keep] == '0')
		keep--;
	dot[keep ? keep + 1 : 0] = '\0';
	snprintf(out, n, "%s", iso);
	return strlen(iso) < n;
}
