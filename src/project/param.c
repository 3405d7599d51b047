/*
 * param.c - flow parameter values checked against their declared types.
 *
 * Values arrive as text (from the command line, a task's params, a
 * parameter's default) and are bound into SQL later; checking them here
 * means a typo fails before a run starts, with the parameter's name.
 */
#include "project/project_int.h"

#include <ctype.h>
#include <string.h>

/* Past one optional sign from `signs` and one or more digits; NULL when
 * there is no digit. */
static const char *skip_signed_digits(const char *s, const char *signs)
{
	if (*s && strchr(signs, *s))
		s++;
	if (!isdigit((unsigned char)*s))
		return NULL;
	while (isdigit((unsigned char)*s))
		s++;
	return s;
}

static bool is_int(const char *s)
{
	s = skip_signed_digits(s, "-");
	return s && *s == '\0';
}

static bool is_numeric(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	bool digits = false;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s = skip_signed_digits(s + 1, "-+");
		if (!s)
			return false;
	}
	return *s == '\0';
}

/* YYYY-MM-DD at the start of s naming a real day; *rest after it. */
static bool real_date(const char *s, const char **rest)
{
	for (int i = 0; i < 10; i++) {
		bool dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return false;
	}
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, m))
		return false;
	*rest = s + 10;
	return true;
}

int param_check(const struct project_param *param, const char *value, struct err *e)
{
	if (!value)
		return 0;
	const char *rest;
	usec_t t;
	bool ok;
	const char *expect = "";
	switch (param->type) {
	case PARAM_TEXT:
		return 0;
	case PARAM_INT:
		ok = is_int(value);
		if (ok) {
			int64_t v;
			ok = str_to_i64(value, &v);
			expect = ok ? "" : " (out of the 64-bit range)";
		}
		if (!ok && !*expect)
			expect = " (expected a whole number such as 42 or -7)";
		break;
	case PARAM_NUMERIC:
		ok = is_numeric(value);
		expect = " (expected a number such as 12.50)";
		break;
	case PARAM_BOOL:
		ok = strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
		expect = " (expected true or false)";
		break;
	case PARAM_DATE:
		ok = real_date(value, &rest) && !*rest;
		expect = " (expected a day as YYYY-MM-DD)";
		break;
	case PARAM_TIMESTAMP:
		ok = real_date(value, &rest) && time_parse_iso(value, &t);
		expect = " (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], optionally "
			 "with Z or +HH:MM)";
		break;
	default:
		BUG("a parameter type the loader does not produce");
	}
	if (ok)
		return 0;
	static const char *const nouns[] = {
		[PARAM_INT] = "an integer", [PARAM_NUMERIC] = "a number",
		[PARAM_BOOL] = "a boolean", [PARAM_DATE] = "a date",
		[PARAM_TIMESTAMP] = "a timestamp",
	};
	return err_set(e, ERR_INVALID, "parameter \"%s\": \"%.60s\" is not %s%s", param->name,
		       value, nouns[param->type], expect);
}
