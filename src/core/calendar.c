/*
 * calendar.c - civil dates as day numbers, for cron, time zones, parameter
 * checks, typed values and the demo's dates.  Proleptic Gregorian; day 0 is
 * 1970-01-01.  The conversions are Howard Hinnant's (public domain), valid
 * for any year an int64 can hold, with no table and no libc time zone state.
 */
#include "core.h"

int64_t cal_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t cal_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = cal_floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = cal_floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

bool cal_is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cal_days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && cal_is_leap_year(y))
		return 29;
	return days[m - 1];
}

int cal_weekday_of_days(int64_t z)
{
	/* 1970-01-01 was a Thursday. */
	int64_t w = (z + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}
