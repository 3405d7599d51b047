/*
 * tz.c - IANA time zones read from TZif files (RFC 8536), for cron
 * schedules with a "timezone".
 *
 * libc's localtime_r answers only for the process's own TZ, and changing
 * TZ is neither thread-safe nor polite, so sluice reads the zone files
 * itself: the 64-bit (v2+) transition table, and the POSIX TZ string in
 * the footer for instants after the last transition (zic writes tables
 * only up to 2037 and leaves the rest to that rule).
 *
 * A zone is loaded once, kept for the life of the process in a list
 * guarded by a mutex, and never changed after: readers need no lock.  Of
 * the table only the instants where the UTC offset really changes are
 * kept; abbreviation-only changes do not matter to schedules.
 */
#include "project/project_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tz_rule_date {
	char kind;          /* 'J': day 1..365 without Feb 29; 'D': day 0..365; 'M' */
	int  month, week, day, n;
	long time;          /* seconds after local midnight, may be negative or > 24h */
};

struct tz_rule {
	long std_off, dst_off;   /* seconds east of UTC */
	bool has_dst;
	struct tz_rule_date start, end;
};

struct tz_zone {
	char    *name;
	int64_t *times;          /* instants where the offset changes, ascending */
	long    *offs;           /* the offset from times[i] on */
	size_t   n;
	long     first_off;      /* before times[0] */
	bool     has_table;
	int64_t  last_time;      /* the file's last transition; the rule applies after */
	bool     has_rule;
	struct tz_rule rule;
	struct tz_zone *next;
};

static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz_zone *zones;

/* ---- the POSIX TZ string ("GMT0BST,M3.5.0/1,M10.5.0") ----------------------- */

static bool parse_name(const char **sp)
{
	const char *s = *sp;
	if (*s == '<') {
		const char *close = strchr(s, '>');
		if (!close || close == s + 1)
			return false;
		*sp = close + 1;
		return true;
	}
	const char *start = s;
	while (isalpha((unsigned char)*s))
		s++;
	if (s - start < 3)
		return false;
	*sp = s;
	return true;
}

/* [+-]hh[:mm[:ss]], hours up to 167 */
static bool parse_hms(const char **sp, long *out)
{
	const char *s = *sp;
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return false;
	long h = 0, m = 0, sec = 0;
	while (isdigit((unsigned char)*s) && h < 1000)
		h = h * 10 + (*s++ - '0');
	if (*s == ':') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s) && m < 100)
			m = m * 10 + (*s++ - '0');
		if (*s == ':') {
			s++;
			if (!isdigit((unsigned char)*s))
				return false;
			while (isdigit((unsigned char)*s) && sec < 100)
				sec = sec * 10 + (*s++ - '0');
		}
	}
	if (h > 167 || m > 59 || sec > 59)
		return false;
	*out = sign * (h * 3600 + m * 60 + sec);
	*sp = s;
	return true;
}

static bool parse_int(const char **sp, int lo, int hi, int *out)
{
	const char *s = *sp;
	if (!isdigit((unsigned char)*s))
		return false;
	int v = 0;
	while (isdigit((unsigned char)*s) && v <= hi)
		v = v * 10 + (*s++ - '0');
	if (v < lo || v > hi)
		return false;
	*out = v;
	*sp = s;
	return true;
}

static bool parse_rule_date(const char **sp, struct tz_rule_date *d)
{
	const char *s = *sp;
	memset(d, 0, sizeof *d);
	if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (!parse_int(&s, 1, 12, &d->month) || *s++ != '.' ||
		    !parse_int(&s, 1, 5, &d->week) || *s++ != '.' ||
		    !parse_int(&s, 0, 6, &d->day))
			return false;
	} else if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (!parse_int(&s, 1, 365, &d->n))
			return false;
	} else {
		d->kind = 'D';
		if (!parse_int(&s, 0, 365, &d->n))
			return false;
	}
	d->time = 7200;
	if (*s == '/') {
		s++;
		if (!parse_hms(&s, &d->time))
			return false;
	}
	*sp = s;
	return true;
}

static bool parse_posix_tz(const char *s, struct tz_rule *r)
{
	memset(r, 0, sizeof *r);
	long off;
	if (!parse_name(&s) || !parse_hms(&s, &off))
		return false;
	r->std_off = -off;          /* POSIX counts west as positive */
	if (!*s)
		return true;
	if (!parse_name(&s))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!parse_hms(&s, &off))
			return false;
		r->dst_off = -off;
	}
	if (!*s) {
		/* No rule given: POSIX leaves it to the implementation; this is
		 * what glibc and the tz code use. */
		const char *def = "M3.2.0,M11.1.0";
		return parse_rule_date(&def, &r->start) && *def++ == ',' &&
			parse_rule_date(&def, &r->end);
	}
	if (*s++ != ',' || !parse_rule_date(&s, &r->start) || *s++ != ',' ||
	    !parse_rule_date(&s, &r->end))
		return false;
	return *s == '\0';
}

/* Local seconds (as if UTC) at which a rule date happens in year y. */
static int64_t rule_local(int64_t y, const struct tz_rule_date *d)
{
	int64_t day;
	if (d->kind == 'J') {
		day = cal_days_from_civil(y, 1, 1) + d->n - 1;
		if (cal_is_leap_year(y) && d->n >= 60)
			day++;
	} else if (d->kind == 'D') {
		day = cal_days_from_civil(y, 1, 1) + d->n;
	} else {
		int64_t first = cal_days_from_civil(y, d->month, 1);
		int offset = (d->day - cal_weekday_of_days(first) + 7) % 7 + (d->week - 1) * 7;
		int mdays = cal_days_in_month(y, d->month);
		while (offset >= mdays)
			offset -= 7;
		day = first + offset;
	}
	return day * 86400 + d->time;
}

static void rule_year(const struct tz_rule *r, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_local(y, &r->start) - r->std_off;
	*end = rule_local(y, &r->end) - r->dst_off;
}

/* Rules are applied to instants within about a billion years of 1970;
 * beyond that (only a malformed or hostile zone file reaches there) the
 * year's arithmetic would overflow, so the instant is held at the edge. */
#define RULE_INSTANT_LIMIT (INT64_C(1) << 55)

static int64_t rule_instant(int64_t t)
{
	return t > RULE_INSTANT_LIMIT ? RULE_INSTANT_LIMIT :
	       t < -RULE_INSTANT_LIMIT ? -RULE_INSTANT_LIMIT : t;
}

static int64_t year_of(int64_t t)
{
	int64_t y;
	int m, d;
	cal_civil_from_days(cal_floor_div(t, 86400), &y, &m, &d);
	return y;
}

static long rule_offset(const struct tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	int64_t s, e;
	t = rule_instant(t);
	rule_year(r, year_of(t + r->std_off), &s, &e);
	bool dst = s < e ? (s <= t && t < e) : !(e <= t && t < s);
	return dst ? r->dst_off : r->std_off;
}

/* The rule's changes in the years around t, sorted. */
static size_t rule_changes(const struct tz_rule *r, int64_t t, int64_t out[6])
{
	if (!r->has_dst || r->dst_off == r->std_off)
		return 0;
	int64_t y = year_of(rule_instant(t) + r->std_off);
	size_t n = 0;
	for (int64_t k = y - 1; k <= y + 1; k++) {
		rule_year(r, k, &out[n], &out[n + 1]);
		n += 2;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
			int64_t tmp = out[j];
			out[j] = out[j - 1];
			out[j - 1] = tmp;
		}
	return n;
}

/* ---- TZif --------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static bool read_counts(const unsigned char *b, size_t len, size_t at, struct tzif_counts *c)
{
	if (at + 44 > len || memcmp(b + at, "TZif", 4) != 0)
		return false;
	const unsigned char *p = b + at + 20;
	*c = (struct tzif_counts){ be32(p), be32(p + 4), be32(p + 8), be32(p + 12),
				   be32(p + 16), be32(p + 20) };
	/* Bounds that no real zone comes near, so the size sums cannot overflow. */
	return c->type >= 1 && c->type <= 256 && c->time <= 100000 && c->leap <= 10000 &&
		c->chars <= 10000 && c->isut <= 256 && c->isstd <= 256;
}

static size_t block_size(const struct tzif_counts *c, size_t timesize)
{
	return c->time * timesize + c->time + c->type * 6 + c->chars +
		c->leap * (timesize + 4) + c->isstd + c->isut;
}

static bool parse_block(const unsigned char *b, size_t len, size_t at, size_t timesize,
			const struct tzif_counts *c, struct tz_zone *z)
{
	if (at + block_size(c, timesize) > len)
		return false;
	const unsigned char *times = b + at;
	const unsigned char *idx = times + c->time * timesize;
	const unsigned char *types = idx + c->time;
	z->first_off = (long)(int32_t)be32(types);
	z->times = xcalloc(c->time + 1, sizeof *z->times);
	z->offs = xcalloc(c->time + 1, sizeof *z->offs);
	long cur = z->first_off;
	for (uint32_t i = 0; i < c->time; i++) {
		if (idx[i] >= c->type)
			return false;
		int64_t t = timesize == 8 ? be64(times + i * 8)
					  : (int64_t)(int32_t)be32(times + i * 4);
		long off = (long)(int32_t)be32(types + idx[i] * 6);
		if (z->n && t <= z->times[z->n - 1])
			return false;
		if (off != cur) {
			z->times[z->n] = t;
			z->offs[z->n++] = off;
			cur = off;
		}
		z->last_time = t;
		z->has_table = true;
	}
	return true;
}

static bool parse_tzif(const unsigned char *b, size_t len, struct tz_zone *z)
{
	struct tzif_counts c;
	if (!read_counts(b, len, 0, &c))
		return false;
	if (b[4] == '\0')
		return parse_block(b, len, 44, 4, &c, z);
	size_t at = 44 + block_size(&c, 4);
	if (!read_counts(b, len, at, &c))
		return false;
	at += 44;
	if (!parse_block(b, len, at, 8, &c, z))
		return false;
	at += block_size(&c, 8);
	if (at < len && b[at] == '\n') {
		const char *start = (const char *)b + at + 1;
		const char *nl = memchr(start, '\n', len - at - 1);
		if (nl && nl > start) {
			char *footer = xstrndup(start, (size_t)(nl - start));
			z->has_rule = parse_posix_tz(footer, &z->rule);
			free(footer);
		}
	}
	return true;
}

struct tz_zone *tz_zone_parse(const unsigned char *b, size_t len)
{
	struct tz_zone *z = xcalloc(1, sizeof *z);
	if (!parse_tzif(b, len, z)) {
		tz_zone_free(z);
		return NULL;
	}
	return z;
}

struct tz_zone *tz_zone_from_rule(const char *rule)
{
	struct tz_zone *z = xcalloc(1, sizeof *z);
	if (!parse_posix_tz(rule, &z->rule)) {
		free(z);
		return NULL;
	}
	z->has_rule = true;
	return z;
}

void tz_zone_free(struct tz_zone *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->times);
	free(z->offs);
	free(z);
}

static bool zone_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 200 || name[0] == '/')
		return false;
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._+-/", *s))
			return false;
	/* No "." or ".." components, nor hidden files. */
	for (const char *s = name; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (*s == '.' || *s == '\0')
			return false;
	}
	return true;
}

static struct tz_zone *load_zone(const char *name)
{
	char *path = path_join(env_tzdir(), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 44 ||
	    st.st_size > (1 << 20)) {
		close(fd);
		return NULL;
	}
	size_t len = (size_t)st.st_size, got = 0;
	unsigned char *b = xmalloc(len);
	while (got < len) {
		ssize_t r = read(fd, b + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	struct tz_zone *z = got == len ? tz_zone_parse(b, len) : NULL;
	free(b);
	if (z)
		z->name = xstrdup(name);
	return z;
}

bool tz_lookup(const char *name, const struct tz_zone **out)
{
	*out = NULL;
	if (!name)
		return true;
	if (!zone_name_ok(name))
		return false;
	pthread_mutex_lock(&zones_lock);
	struct tz_zone *z;
	for (z = zones; z; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	if (!z) {
		z = load_zone(name);
		if (z) {
			z->next = zones;
			zones = z;
		}
	}
	pthread_mutex_unlock(&zones_lock);
	if (z) {
		*out = z;
		return true;
	}
	/* A system without zone files still knows UTC. */
	return strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0;
}

/* The index of the last change <= t, or -1. */
static ssize_t change_at_or_before(const struct tz_zone *z, int64_t t)
{
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ssize_t)lo - 1;
}

static bool rule_applies(const struct tz_zone *z, int64_t t)
{
	return z->has_rule && (!z->has_table || t >= z->last_time);
}

long tz_zone_offset(const struct tz_zone *z, int64_t t)
{
	if (!z)
		return 0;
	if (rule_applies(z, t))
		return rule_offset(&z->rule, t);
	ssize_t i = change_at_or_before(z, t);
	return i < 0 ? z->first_off : z->offs[i];
}

bool tz_zone_next_change(const struct tz_zone *z, int64_t t, int64_t *when)
{
	if (!z)
		return false;
	ssize_t i = change_at_or_before(z, t);
	if ((size_t)(i + 1) < z->n && !rule_applies(z, t)) {
		*when = z->times[i + 1];
		return true;
	}
	if (!z->has_rule)
		return false;
	int64_t bound = z->has_table && z->last_time > t ? z->last_time : t;
	int64_t c[6];
	size_t n = rule_changes(&z->rule, bound, c);
	for (size_t k = 0; k < n; k++) {
		if (c[k] > bound) {
			*when = c[k];
			return true;
		}
	}
	return false;
}

bool tz_zone_prev_change(const struct tz_zone *z, int64_t t, int64_t *when)
{
	if (!z)
		return false;
	if (rule_applies(z, t)) {
		int64_t c[6];
		size_t n = rule_changes(&z->rule, t, c);
		for (size_t k = n; k > 0; k--) {
			if (c[k - 1] <= t && (!z->has_table || c[k - 1] > z->last_time)) {
				*when = c[k - 1];
				return true;
			}
		}
	}
	ssize_t i = change_at_or_before(z, t);
	if (i < 0)
		return false;
	*when = z->times[i];
	return true;
}

bool tz_valid(const char *tz)
{
	const struct tz_zone *z;
	return tz && tz_lookup(tz, &z);
}

bool tz_offset(const char *tz, usec_t t, long *offset)
{
	const struct tz_zone *z;
	if (!tz_lookup(tz, &z))
		return false;
	*offset = tz_zone_offset(z, cal_floor_div(t, USEC_PER_SEC));
	return true;
}

bool tz_wall_settled(const char *tz, usec_t t, usec_t *wall)
{
	const struct tz_zone *z;
	if (!tz_lookup(tz, &z))
		return false;
	int64_t secs = cal_floor_div(t, USEC_PER_SEC);
	long before = tz_zone_offset(z, secs);
	*wall = t + before * USEC_PER_SEC;
	int64_t when;
	if (!tz_zone_next_change(z, secs, &when))
		return true;
	/* Clocks going back at `when` show the walls from when + after again:
	 * while t is within that much of the change, its first pass is on. */
	long after = tz_zone_offset(z, when);
	usec_t repeat_from = (when + after) * USEC_PER_SEC;
	if (after < before && repeat_from <= *wall)
		*wall = repeat_from - 1;
	return true;
}
