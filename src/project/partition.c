/*
 * partition.c - a flow's partition: the period of one date or timestamp
 * parameter (an hour, a day, a month) that keys its runs.
 *
 * A partition is held as its first instant in UTC microseconds, which
 * orders and steps simply; the key ("2026-03-01", "2026-03",
 * "2026-03-01T05") is what the store, the command line and the console
 * show, and the parameter's value is what the run's SQL binds.
 */
#include "project/project_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const grain_names[] = { "hour", "day", "month" };

const char *partition_grain_name(enum partition_grain g)
{
	return (unsigned)g < ARRAY_LEN(grain_names) ? grain_names[g] : "?";
}

bool partition_grain_parse(const char *s, enum partition_grain *out)
{
	for (size_t i = 0; s && i < ARRAY_LEN(grain_names); i++) {
		if (strcmp(s, grain_names[i]) == 0) {
			*out = (enum partition_grain)i;
			return true;
		}
	}
	return false;
}

#define USEC_PER_HOUR (3600 * USEC_PER_SEC)
#define USEC_PER_DAY  (24 * USEC_PER_HOUR)

static void civil_of(usec_t t, int64_t *y, int *m, int *d, int *h)
{
	int64_t days = cal_floor_div(t, USEC_PER_DAY);
	cal_civil_from_days(days, y, m, d);
	*h = (int)((t - days * USEC_PER_DAY) / USEC_PER_HOUR);
}

/* A value, or a key of any grain ("2026-03", "2026-03-01T05"), as an
 * instant; a day that is not in the calendar is refused. */
static bool instant_of(const char *value, usec_t *t)
{
	char buf[64];
	size_t n = value ? strlen(value) : 0;
	if (n == 7 && value[4] == '-')
		snprintf(buf, sizeof buf, "%s-01", value);
	else if (n == 13 && (value[10] == 'T' || value[10] == ' '))
		snprintf(buf, sizeof buf, "%s:00", value);
	else if (n > 0 && n < sizeof buf)
		snprintf(buf, sizeof buf, "%s", value);
	else
		return false;
	struct project_param ts = { .name = "partition", .type = PARAM_TIMESTAMP };
	struct err e;
	err_clear(&e);
	return param_check(&ts, buf, &e) == 0 && time_parse_iso(buf, t);
}

bool partition_floor(const struct project_partition *pt, const char *value, usec_t *start)
{
	usec_t t;
	if (!instant_of(value, &t))
		return false;
	int64_t y;
	int m, d, h;
	civil_of(t, &y, &m, &d, &h);
	switch (pt->grain) {
	case GRAIN_HOUR:
		*start = cal_floor_div(t, USEC_PER_HOUR) * USEC_PER_HOUR;
		break;
	case GRAIN_DAY:
		*start = cal_floor_div(t, USEC_PER_DAY) * USEC_PER_DAY;
		break;
	case GRAIN_MONTH:
	default:
		*start = cal_days_from_civil(y, m, 1) * USEC_PER_DAY;
		break;
	}
	return true;
}

usec_t partition_next(const struct project_partition *pt, usec_t start)
{
	switch (pt->grain) {
	case GRAIN_HOUR:
		return start + USEC_PER_HOUR;
	case GRAIN_DAY:
		return start + USEC_PER_DAY;
	case GRAIN_MONTH:
	default: {
		int64_t y;
		int m, d, h;
		civil_of(start, &y, &m, &d, &h);
		return cal_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) *
		       USEC_PER_DAY;
	}
	}
}

void partition_key(const struct project_partition *pt, usec_t start,
		   char out[PARTITION_KEY_MAX])
{
	int64_t y;
	int m, d, h;
	civil_of(start, &y, &m, &d, &h);
	if (pt->grain == GRAIN_MONTH)
		snprintf(out, PARTITION_KEY_MAX, "%04lld-%02d", (long long)y, m);
	else if (pt->grain == GRAIN_DAY)
		snprintf(out, PARTITION_KEY_MAX, "%04lld-%02d-%02d", (long long)y, m, d);
	else
		snprintf(out, PARTITION_KEY_MAX, "%04lld-%02d-%02dT%02d", (long long)y, m, d, h);
}

void partition_value(const struct project_partition *pt, usec_t start,
		     char out[PARTITION_KEY_MAX])
{
	int64_t y;
	int m, d, h;
	civil_of(start, &y, &m, &d, &h);
	if (pt->type == PARAM_DATE)
		snprintf(out, PARTITION_KEY_MAX, "%04lld-%02d-%02d", (long long)y, m, d);
	else
		snprintf(out, PARTITION_KEY_MAX, "%04lld-%02d-%02d %02d:00:00", (long long)y, m,
			 d, h);
}

char *project_partition_of(const struct project_flow *f, const char *params_json)
{
	if (!f || !f->partition || !params_json)
		return NULL;
	cJSON *obj = cJSON_Parse(params_json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->partition->param);
	char *key = NULL;
	usec_t start;
	if (cJSON_IsString(v) && partition_floor(f->partition, v->valuestring, &start)) {
		key = xmalloc(PARTITION_KEY_MAX);
		partition_key(f->partition, start, key);
	}
	cJSON_Delete(obj);
	return key;
}
