/*
 * tz_libc.c - the time zone oracle: sluice's own TZif and POSIX TZ code
 * (src/project/tz.c) against the C library's, which reads the same files.
 *
 * For every zone under $TZDIR (default /usr/share/zoneinfo; not the
 * posix/ and right/ copies), the UTC offset sluice gives must equal
 * localtime_r's tm_gmtoff (TZ set to the zone, tzset) at: every 17 days
 * from 1850 to 2400, so the far past before the first transition and the
 * far future where only the footer's POSIX rule speaks are covered; the
 * second before and at every change sluice finds (tz_zone_next_change);
 * and every change libc shows between two samples, found by bisection.
 * Then the POSIX rule of every footer, and some written to reach the
 * rule forms no zone uses today, alone (TZ=the rule itself) from 1970 to
 * 2400.  Any difference is printed with zone, instant and both offsets.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "project/project_int.h"

#define STEP (17 * 86400LL)
#define FROM (-3786825600LL)       /* 1850-01-01 */
#define UNTIL (13569465600LL)      /* 2400-01-01 */

static long failures, checks, zones;

static long libc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return -999999;
	return tm.tm_gmtoff;
}

static void check_known(const char *what, const struct tz_zone *z, int64_t t, long theirs)
{
	long mine = tz_zone_offset(z, t);
	checks++;
	if (mine != theirs && failures++ < 50)
		printf("MISMATCH %s at %lld: sluice %+ld s, libc %+ld s\n", what,
		       (long long)t, mine, theirs);
}

static void check_at(const char *what, const struct tz_zone *z, int64_t t)
{
	check_known(what, z, t, libc_offset(t));
}

/* Bisect (lo, hi] for the first instant libc's offset is not lo's. */
static int64_t libc_change(int64_t lo, int64_t hi)
{
	long before = libc_offset(lo);
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (libc_offset(mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static void compare(const char *what, const struct tz_zone *z, int64_t from, int64_t until)
{
	long here = libc_offset(from);
	for (int64_t t = from; t < until; t += STEP) {
		check_known(what, z, t, here);
		long ahead = libc_offset(t + STEP);
		if (ahead != here) {
			int64_t c = libc_change(t, t + STEP);
			check_at(what, z, c - 1);
			check_at(what, z, c);
		}
		here = ahead;
	}
	int64_t t = from, when;
	while (tz_zone_next_change(z, t, &when) && when < until) {
		check_at(what, z, when - 1);
		check_at(what, z, when);
		t = when;
	}
}

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static char *footer(const unsigned char *b, size_t len)
{
	if (len < 2 || b[len - 1] != '\n')
		return NULL;
	size_t start = len - 1;
	while (start > 0 && b[start - 1] != '\n')
		start--;
	if (start == 0 || start == len - 1)
		return NULL;
	char *s = malloc(len - start);
	memcpy(s, b + start, len - 1 - start);
	s[len - 1 - start] = '\0';
	return s;
}

static void check_rule(const char *rule)
{
	static char *seen[1024];
	static size_t nseen;
	for (size_t i = 0; i < nseen; i++)
		if (strcmp(seen[i], rule) == 0)
			return;
	if (nseen < sizeof seen / sizeof seen[0])
		seen[nseen++] = strdup(rule);
	struct tz_zone *z = tz_zone_from_rule(rule);
	if (!z) {
		printf("MISMATCH rule %s: sluice cannot read it\n", rule);
		failures++;
		return;
	}
	use_tz(rule);
	char what[160];
	snprintf(what, sizeof what, "rule %.120s", rule);
	compare(what, z, 0, UNTIL);
	tz_zone_free(z);
}

static void check_zone(const char *dir, const char *name)
{
	char path[8320];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return;
	static unsigned char b[1 << 20];
	size_t len = fread(b, 1, sizeof b, fp);
	fclose(fp);
	if (len < 44 || memcmp(b, "TZif", 4) != 0)
		return;    /* zone.tab, tzdata.zi and the like */
	struct tz_zone *z = tz_zone_parse(b, len);
	if (!z) {
		printf("MISMATCH %s: sluice cannot read the file\n", name);
		failures++;
		return;
	}
	zones++;
	char tz[sizeof path + 1];
	snprintf(tz, sizeof tz, ":%s", path);
	use_tz(tz);
	compare(name, z, FROM, UNTIL);
	tz_zone_free(z);
	char *rule = footer(b, len);
	if (rule) {
		check_rule(rule);
		free(rule);
	}
}

static void walk(const char *top, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s%s%s", top, *rel ? "/" : "", rel);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		char child[4096];
		snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", d);
		struct stat st;
		char full[8192];
		snprintf(full, sizeof full, "%s/%s", top, child);
		if (d[0] != '.' && !(!*rel && (strcmp(d, "posix") == 0 || strcmp(d, "right") == 0)) &&
		    stat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				walk(top, child);
			else if (S_ISREG(st.st_mode))
				check_zone(top, child);
		}
		free(names[i]);
	}
	free(n >= 0 ? names : NULL);
}

/* DST all year: from January 1 00:00 to December 31 at 24:00 plus the
 * saving (tzfile(5)).  glibc 2.36 answers standard time for the last hours
 * of some years (2101, 2134, ...), against that text, so sluice is held to
 * the text alone. */
static void all_year_dst(void)
{
	struct tz_zone *z = tz_zone_from_rule("EST5EDT4,0/0,J365/25");
	for (int64_t t = 0; z && t < UNTIL; t += 3607) {
		checks++;
		if (tz_zone_offset(z, t) != -4 * 3600 && failures++ < 50)
			printf("MISMATCH all-year DST at %lld: %+ld s\n", (long long)t,
			       tz_zone_offset(z, t));
	}
	if (!z)
		failures++;
	tz_zone_free(z);
}

/* Rule forms beyond today's footers: Julian days with and without Feb 29,
 * times past midnight and negative, the southern hemisphere.  Not here,
 * because glibc 2.36 is no oracle for them: a change within hours of New
 * Year (glibc places each year's changes by the UTC year, so the end of
 * one year's DST after midnight UTC is lost; sluice goes by the local
 * year), and DST named without dates ("CET-1CEST", implementation-defined:
 * sluice takes today's US rules, as the tz reference code does; glibc
 * shifts America/New_York's whole history, and after 2037 answers with
 * New York's own offsets). */
static const char *const rules[] = {
	"AAA3BBB,J60/2,J300/25",
	"AAA3BBB,59/2,300/-1",
	"EST5EDT4,1/0,J364/23",
	"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
	"AEST-10AEDT,M10.1.0,M4.1.0/3",
	"XXX-5:30YYY-6:45:30,M3.1.3/27:30,M11.5.6/1:15",
	"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
	"WET0WEST,M3.5.0/1,M10.5.0",
	"NZST-12NZDT,M9.5.0,M4.1.0/3",
	"<-01>1<+00>,M3.5.0/0,M10.5.0/1",
	"<+02>-2<+03>,M3.4.4/-1:30,M10.5.5/167",
};

int main(void)
{
	const char *dir = getenv("TZDIR");
	walk(dir && *dir ? dir : "/usr/share/zoneinfo", "");
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		check_rule(rules[i]);
	all_year_dst();
	printf("%ld zones and their footer rules, %zu rules more, %ld offsets compared, "
	       "%ld mismatches\n", zones, sizeof rules / sizeof rules[0], checks, failures);
	if (zones < 300) {
		printf("too few zones found: is tzdata installed?\n");
		return 1;
	}
	return failures ? 1 : 0;
}
