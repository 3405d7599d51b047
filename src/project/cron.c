/*
 * cron.c - schedules: "every 5 minutes" intervals and five-field cron
 * lines, and the next time each fires.
 *
 * A cron line becomes bit sets (struct cron).  The next tick is found on
 * the wall clock of the task's zone, skipping whole months, days and hours
 * that cannot match, then mapped back to an instant.  The zone's UTC offset
 * is constant between its changes, so the search runs one such period at
 * a time; the rules for the hour skipped in spring and the hour repeated
 * in autumn are documented at schedule_next() in project.h.
 */
#include "project/project_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct field_spec {
	const char *name;          /* "minute" */
	int min, max;
	const char *const *names;  /* names[i] stands for min + i, or NULL */
	int nnames;
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const weekday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

static const struct field_spec fields[5] = {
	{ "minute", 0, 59, NULL, 0 },
	{ "hour", 0, 23, NULL, 0 },
	{ "day-of-month", 1, 31, NULL, 0 },
	{ "month", 1, 12, month_names, 12 },
	{ "day-of-week", 0, 7, weekday_names, 7 },
};

/* A number or (for months and weekdays) a three-letter name. */
static int parse_value(const char **sp, const struct field_spec *f, const char *field,
		       int *out, struct err *e)
{
	const char *s = *sp;
	if (isdigit((unsigned char)*s)) {
		long v = 0;
		while (isdigit((unsigned char)*s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		if (v < f->min || v > f->max)
			return err_set(e, ERR_PARSE, "%s field \"%s\": %ld is out of range (%d-%d)",
				       f->name, field, v, f->min, f->max);
		*out = (int)v;
		*sp = s;
		return 0;
	}
	if (isalpha((unsigned char)*s)) {
		size_t n = 0;
		while (isalpha((unsigned char)s[n]))
			n++;
		for (int i = 0; f->names && i < f->nnames; i++) {
			if (n == 3 && strncasecmp(s, f->names[i], 3) == 0) {
				*out = f->min + i;
				*sp = s + 3;
				return 0;
			}
		}
		if (!f->names)
			return err_set(e, ERR_PARSE, "%s field \"%s\": expected a number (%d-%d)",
				       f->name, field, f->min, f->max);
		return err_set(e, ERR_PARSE, "%s field \"%s\": unknown name \"%.*s\" (expected %s)",
			       f->name, field, (int)(n > 20 ? 20 : n), s,
			       f == &fields[3] ? "JAN..DEC" : "SUN..SAT");
	}
	if (!*s)
		return err_set(e, ERR_PARSE, "%s field \"%s\": expected a number at the end",
			       f->name, field);
	return err_set(e, ERR_PARSE, "%s field \"%s\": unexpected \"%c\"", f->name, field, *s);
}

static int parse_item(const char *item, const struct field_spec *f, const char *field,
		      uint64_t *bits, struct err *e)
{
	const char *s = item;
	int lo, hi, step = 1;
	bool single = false;
	if (*s == '*') {
		lo = f->min;
		hi = f->max;
		s++;
	} else {
		if (parse_value(&s, f, field, &lo, e) < 0)
			return -1;
		hi = lo;
		single = true;
		if (*s == '-') {
			s++;
			if (parse_value(&s, f, field, &hi, e) < 0)
				return -1;
			single = false;
			/* SAT-SUN: Sunday as the end of a range is 7. */
			if (f == &fields[4] && hi == 0 && lo > 0)
				hi = 7;
			if (hi < lo)
				return err_set(e, ERR_PARSE, "%s field \"%s\": range %d-%d goes backwards",
					       f->name, field, lo, hi);
		}
	}
	if (*s == '/') {
		s++;
		if (!isdigit((unsigned char)*s))
			return err_set(e, ERR_PARSE, "%s field \"%s\": expected a step after \"/\"",
				       f->name, field);
		long v = 0;
		while (isdigit((unsigned char)*s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		if (v < 1 || v > f->max)
			return err_set(e, ERR_PARSE, "%s field \"%s\": step %ld is out of range (1-%d)",
				       f->name, field, v, f->max);
		step = (int)v;
		if (single)
			hi = f->max;
	}
	if (*s)
		return err_set(e, ERR_PARSE, "%s field \"%s\": unexpected \"%c\"",
			       f->name, field, *s);
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	return 0;
}

static int parse_field(const char *field, const struct field_spec *f, uint64_t *bits,
		       bool *star, struct err *e)
{
	*bits = 0;
	*star = field[0] == '*';
	const char *s = field;
	for (;;) {
		size_t n = strcspn(s, ",");
		if (n == 0)
			return err_set(e, ERR_PARSE, "%s field \"%s\": empty item in the list",
				       f->name, field);
		char *item = xstrndup(s, n);
		int rc = parse_item(item, f, field, bits, e);
		free(item);
		if (rc < 0)
			return -1;
		if (!s[n])
			break;
		s += n + 1;
	}
	return 0;
}

static const struct {
	const char *name, *line;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* Under the AND rule, some chosen day must exist in some chosen month. */
static bool can_fire(const struct cron *c)
{
	if (!(c->any_day || c->any_weekday))
		return true;
	for (int m = 1; m <= 12; m++) {
		if (!(c->months >> m & 1))
			continue;
		int last = m == 2 ? 29 : cal_days_in_month(2001, m);
		for (int d = 1; d <= last; d++)
			if (c->days >> d & 1)
				return true;
	}
	return false;
}

int cron_parse(const char *text, struct cron *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@') {
		size_t n = strcspn(text, " \t\r\n");
		bool alone = text[n + strspn(text + n, " \t\r\n")] == '\0';
		for (size_t i = 0; alone && i < ARRAY_LEN(cron_macros); i++) {
			if (strlen(cron_macros[i].name) == n &&
			    strncasecmp(text, cron_macros[i].name, n) == 0)
				return cron_parse(cron_macros[i].line, out, e);
		}
		return err_set(e, ERR_PARSE, "unknown schedule \"%.*s\" (expected @yearly, "
			       "@monthly, @weekly, @daily, @hourly or five cron fields)",
			       (int)(n > 20 ? 20 : n), text);
	}
	struct vec parts = VEC_INIT;
	str_split(text, " \t\r\n", &parts);
	int rc = 0;
	if (parts.len != 5) {
		rc = err_set(e, ERR_PARSE, "expected 5 fields (minute hour day-of-month month "
			     "day-of-week), found %zu", parts.len);
		goto done;
	}
	uint64_t bits[5];
	bool star[5];
	for (int i = 0; i < 5; i++) {
		if (parse_field(parts.items[i], &fields[i], &bits[i], &star[i], e) < 0) {
			rc = -1;
			goto done;
		}
	}
	if (bits[4] & (1u << 7))
		bits[4] = (bits[4] | 1u) & ~(UINT64_C(1) << 7);
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->days = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->weekdays = (uint8_t)bits[4];
	out->any_day = star[2];
	out->any_weekday = star[4];
	if (!can_fire(out))
		rc = err_set(e, ERR_PARSE, "never fires: none of the chosen months has the "
			     "chosen day of the month");
done:
	vec_free_all(&parts, free);
	return rc;
}

int schedule_parse(const char *text, struct schedule *out, struct err *e)
{
	out->kind = SCHEDULE_NONE;
	free(out->text);
	out->text = NULL;
	const char *s = text;
	while (isspace((unsigned char)*s))
		s++;
	usec_t iv;
	if (duration_parse(s, &iv)) {
		if (iv < USEC_PER_SEC)
			return err_set(e, ERR_PARSE, "an interval must be at least 1s");
		out->kind = SCHEDULE_INTERVAL;
		out->interval = iv;
		out->text = xstrdup(text);
		return 0;
	}
	if (strncmp(s, "every", 5) == 0 && (!s[5] || isspace((unsigned char)s[5])))
		return err_set(e, ERR_PARSE, "\"%.40s\" is not an interval (expected \"every\" "
			       "with a number and a unit: ms, s, m, h or d, as in \"every 5 minutes\")",
			       s);
	struct cron c;
	if (cron_parse(s, &c, e) < 0) {
		/* "5 minutess" is a misspelt interval more likely than a cron line. */
		if (e && *s != '@' && !strpbrk(s, "*,/") &&
		    strncmp(e->msg, "expected 5 fields", 17) == 0)
			err_set(e, ERR_PARSE, "\"%.40s\" is neither an interval (\"every 5 minutes\") "
				"nor a cron line (minute hour day-of-month month day-of-week)", s);
		return -1;
	}
	out->kind = SCHEDULE_CRON;
	out->cron = c;
	out->text = xstrdup(text);
	return 0;
}

void schedule_free(struct schedule *s)
{
	free(s->text);
	free(s->timezone);
	s->text = s->timezone = NULL;
	s->kind = SCHEDULE_NONE;
}

/* ---- the next tick ---------------------------------------------------------- */

static int next_bit(uint64_t set, int from, int max)
{
	for (int i = from; i <= max; i++)
		if (set >> i & 1)
			return i;
	return -1;
}

static bool day_matches(const struct cron *c, int64_t y, int m, int d)
{
	bool dom = c->days >> d & 1;
	bool dow = c->weekdays >> cal_weekday_of_days(cal_days_from_civil(y, m, d)) & 1;
	if (c->any_day || c->any_weekday)
		return dom && dow;
	return dom || dow;
}

/* The first wall-clock minute (local seconds) >= from that matches; false
 * if none within a century (only possible for a cron_parse would reject). */
static bool wall_next(const struct cron *c, int64_t from, int64_t *out)
{
	int64_t minute = cal_floor_div(from + 59, 60);
	int64_t day = cal_floor_div(minute, 1440);
	int rest = (int)(minute - day * 1440), hour = rest / 60, min = rest % 60;
	int64_t y, limit;
	int m, d;
	cal_civil_from_days(day, &y, &m, &d);
	limit = y + 100;
	while (y <= limit) {
		int nm = next_bit(c->months, m, 12);
		if (nm < 0) {
			y++;
			m = 1, d = 1, hour = 0, min = 0;
			continue;
		}
		if (nm != m) {
			m = nm;
			d = 1, hour = 0, min = 0;
		}
		if (d > cal_days_in_month(y, m)) {
			if (++m > 12) {
				y++;
				m = 1;
			}
			d = 1, hour = 0, min = 0;
			continue;
		}
		if (!day_matches(c, y, m, d)) {
			d++;
			hour = 0, min = 0;
			continue;
		}
		int nh = next_bit(c->hours, hour, 23);
		if (nh < 0) {
			d++;
			hour = 0, min = 0;
			continue;
		}
		if (nh != hour) {
			hour = nh;
			min = 0;
		}
		int nmin = next_bit(c->minutes, min, 59);
		if (nmin < 0) {
			hour++;
			min = 0;
			if (hour > 23) {
				d++;
				hour = 0;
			}
			continue;
		}
		*out = (cal_days_from_civil(y, m, d) * 1440 + hour * 60 + nmin) * 60;
		return true;
	}
	return false;
}

/* The first instant >= t (seconds) at which the cron fires in zone z. */
static bool cron_next(const struct cron *c, const struct tz_zone *z, int64_t t, int64_t *out)
{
	bool every_hour = (c->hours & 0xffffffu) == 0xffffffu;
	for (int guard = 0; guard < 1000; guard++) {
		long off = tz_zone_offset(z, t);
		int64_t end, prev, w;
		bool has_end = tz_zone_next_change(z, t, &end);
		int64_t wall_from = t + off;
		/* Just after the clocks went back, the repeated wall times
		 * already had their turn, unless the job runs every hour. */
		if (!every_hour && tz_zone_prev_change(z, t, &prev)) {
			long before = tz_zone_offset(z, prev - 1);
			if (before > off && wall_from < prev + before)
				wall_from = prev + before;
		}
		if (!wall_next(c, wall_from, &w))
			return false;
		if (!has_end || w - off < end) {
			*out = w - off;
			return true;
		}
		long next_off = tz_zone_offset(z, end);
		if (next_off > off && w < end + next_off) {
			*out = end;      /* w is in the skipped hour: fire when it ends */
			return true;
		}
		/* Nothing on the wall before w matches: go straight to the
		 * period holding w (offsets are under two days), except after
		 * clocks go back, whose repeated hour may still match. */
		int64_t jump = w - 2 * 86400;
		t = next_off < off || jump < end ? end : jump;
	}
	return false;
}

usec_t schedule_next(const struct schedule *s, usec_t after)
{
	if (s->kind == SCHEDULE_INTERVAL) {
		if (s->interval <= 0)
			return 0;
		int64_t k = cal_floor_div(after, s->interval) + 1;
		/* A tick past what usec_t holds (an absurd interval) is no tick. */
		return k > INT64_MAX / s->interval ? 0 : k * s->interval;
	}
	if (s->kind != SCHEDULE_CRON)
		return 0;
	const struct tz_zone *z;
	if (!tz_lookup(s->timezone, &z))
		return 0;
	int64_t t = cal_floor_div(after, 60 * USEC_PER_SEC) * 60 + 60, next;
	if (!cron_next(&s->cron, z, t, &next) || next > INT64_MAX / USEC_PER_SEC)
		return 0;
	return next * USEC_PER_SEC;
}
