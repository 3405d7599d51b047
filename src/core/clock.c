/*
 * clock.c - the program's notion of "now", replaceable for tests, and the
 * formatting and parsing of times and durations that operators read.
 */
#include "core.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static usec_t (*_Atomic clock_source)(void);

static usec_t real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

usec_t clock_now_us(void)
{
	usec_t (*src)(void) = clock_source;
	return src ? src() : real_now();
}

usec_t clock_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

void clock_set_source(usec_t (*now)(void))
{
	clock_source = now;
}

void time_split_utc(usec_t t, struct tm *tm, long *frac)
{
	time_t secs = (time_t)(t / USEC_PER_SEC);
	long us = (long)(t % USEC_PER_SEC);
	if (us < 0) {
		us += USEC_PER_SEC;
		secs--;
	}
	gmtime_r(&secs, tm);
	*frac = us;
}

static void copy_truncated(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

void time_format_iso(usec_t t, char out[32])
{
	struct tm tm;
	long us;
	time_split_utc(t, &tm, &us);
	char wide[96];   /* roomy enough that no field can be truncated */
	snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	copy_truncated(out, 32, wide);
}

void time_format_short(usec_t t, char out[24])
{
	struct tm tm;
	long us;
	time_split_utc(t, &tm, &us);
	char wide[96];
	snprintf(wide, sizeof wide, "%04d-%02d-%02d %02d:%02d:%02d",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	copy_truncated(out, 24, wide);
}

static bool read_digits(const char **p, int count, int *out)
{
	int v = 0;
	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)**p))
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

static bool parse_zone(const char *p, long *offset_secs)
{
	*offset_secs = 0;
	if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
		return true;
	if (*p != '+' && *p != '-')
		return false;
	int sign = *p == '-' ? -1 : 1, hh, mm = 0;
	p++;
	if (!read_digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p && !read_digits(&p, 2, &mm))
		return false;
	if (*p)
		return false;
	*offset_secs = sign * (hh * 3600L + mm * 60L);
	return true;
}

bool time_parse_iso(const char *s, usec_t *out)
{
	const char *p = s;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int y, mo, d, h = 0, mi = 0, sec = 0;
	long us = 0;
	if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) ||
	    *p++ != '-' || !read_digits(&p, 2, &d))
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!read_digits(&p, 2, &sec))
				return false;
			if (*p == '.') {
				p++;
				int digits = 0;
				while (isdigit((unsigned char)*p)) {
					if (digits < 6) {
						us = us * 10 + (*p - '0');
						digits++;
					}
					p++;
				}
				if (!digits)
					return false;
				while (digits++ < 6)
					us *= 10;
			}
		}
	}
	long offset;
	if (!parse_zone(p, &offset))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t secs = timegm(&tm);
	*out = ((usec_t)secs - offset) * USEC_PER_SEC + us;
	return true;
}

void time_format_relative(usec_t now, usec_t t, char *out, size_t n)
{
	if (t <= 0) {
		snprintf(out, n, "-");
		return;
	}
	usec_t d = now - t;
	bool future = d < 0;
	if (future)
		d = -d;
	int64_t s = d / USEC_PER_SEC;
	char amount[32];
	if (s < 5 && !future) {
		snprintf(out, n, "just now");
		return;
	}
	if (s < 60)
		snprintf(amount, sizeof amount, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(amount, sizeof amount, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(amount, sizeof amount, "%lldh", (long long)(s / 3600));
	else
		snprintf(amount, sizeof amount, "%lldd", (long long)(s / 86400));
	if (future)
		snprintf(out, n, "in %s", amount);
	else
		snprintf(out, n, "%s ago", amount);
}

void duration_format(usec_t d, char *out, size_t n)
{
	if (d < 0)
		d = 0;
	if (d < USEC_PER_SEC)
		snprintf(out, n, "%lldms", (long long)(d / USEC_PER_MSEC));
	else if (d < 60 * USEC_PER_SEC)
		snprintf(out, n, "%.1fs", (double)d / USEC_PER_SEC);
	else if (d < 3600 * USEC_PER_SEC) {
		int64_t s = d / USEC_PER_SEC;
		snprintf(out, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	} else {
		int64_t m = d / (60 * USEC_PER_SEC);
		snprintf(out, n, "%lldh%02lldm", (long long)(m / 60), (long long)(m % 60));
	}
}

static const struct {
	const char *name;
	usec_t unit;
} duration_units[] = {
	{ "us", 1 }, { "ms", USEC_PER_MSEC },
	{ "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "secs", USEC_PER_SEC },
	{ "second", USEC_PER_SEC }, { "seconds", USEC_PER_SEC },
	{ "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC },
	{ "mins", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
	{ "minutes", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC }, { "hour", 3600 * USEC_PER_SEC },
	{ "hours", 3600 * USEC_PER_SEC },
	{ "d", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC },
	{ "days", 86400 * USEC_PER_SEC },
};

bool duration_parse(const char *s, usec_t *out)
{
	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "every", 5) == 0 && (isspace((unsigned char)s[5])))
		s += 5;
	while (isspace((unsigned char)*s))
		s++;
	char *end;
	double v = strtod(s, &end);
	if (end == s || !(v >= 0) || !isfinite(v))   /* NaN fails v >= 0 */
		return false;
	while (isspace((unsigned char)*end))
		end++;
	if (!*end)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(duration_units); i++) {
		if (strcmp(end, duration_units[i].name) == 0) {
			double us = v * (double)duration_units[i].unit + 0.5;
			/* Beyond usec_t (292,000 years) the cast is undefined. */
			if (us >= 0x1p63)
				return false;
			*out = (usec_t)us;
			return true;
		}
	}
	return false;
}
