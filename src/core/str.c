/*
 * str.c - small string helpers, UTF-8 checks and number parsing.
 */
#include "config.h"

#include "core.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

char *str_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void str_split(const char *s, const char *seps, struct vec *out)
{
	while (*s) {
		size_t skip = strspn(s, seps);
		s += skip;
		if (!*s)
			break;
		size_t len = strcspn(s, seps);
		vec_push(out, xstrndup(s, len));
		s += len;
	}
}

size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t need;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4; min = 0x10000;
	} else {
		return 0;
	}
	if (avail < need)
		return 0;
	unsigned cp = c & (0xff >> (need + 1));
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

void utf8_put(struct buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t k = utf8_seq_len(p + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

int utf8_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	int width = 0;
	size_t n = strlen(s);
	while (n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, n, &st);
		if (k == (size_t)-1 || k == (size_t)-2) {
			memset(&st, 0, sizeof st);
			k = 1;
			width++;
		} else if (k == 0) {
			break;
		} else {
			int w = wcwidth(wc);
			width += w > 0 ? w : 0;
		}
		s += k;
		n -= k;
	}
	return width;
}

bool str_is_identifier(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

bool str_to_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return false;
	*out = v;
	return true;
}

bool str_to_double(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s)
		return false;
	*out = v;
	return true;
}

/* A C locale for LC_NUMERIC, made once: the console sets the user's locale,
 * and a ',' decimal point must not cut "0.25" short. */
static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void)
{
	c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

bool str_to_double_c(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	pthread_once(&c_numeric_once, make_c_numeric);
	char *end;
	errno = 0;
	double v = c_numeric ? strtod_l(s, &end, c_numeric) : strtod(s, &end);
	if ((errno && errno != ERANGE) || *end || end == s)
		return false;
	*out = v;
	return true;
}

void str_line_col(const char *text, size_t off, int *line, int *col)
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
