/*
 * cron_next.c - sluice's answer for the cron oracle (cron_croniter.sh):
 * reads lines "START<TAB>ZONE<TAB>SCHEDULE" (START in Unix seconds, ZONE
 * "-" for UTC) and prints, per line, "OK T1 T2 T3" - the next three ticks
 * in Unix seconds - or "ERR message" when the schedule is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "project/project.h"

static void answer(char *line)
{
	char *zone = strchr(line, '\t');
	char *text = zone ? strchr(zone + 1, '\t') : NULL;
	if (!text) {
		printf("ERR malformed oracle line\n");
		return;
	}
	*zone++ = '\0';
	*text++ = '\0';
	struct schedule s = { 0 };
	struct err e = { 0 };
	if (schedule_parse(text, &s, &e) < 0) {
		printf("ERR %s\n", err_text(&e));
		return;
	}
	s.timezone = strcmp(zone, "-") == 0 ? NULL : strdup(zone);
	usec_t t = strtoll(line, NULL, 10) * USEC_PER_SEC;
	printf("OK");
	for (int i = 0; i < 3; i++) {
		t = schedule_next(&s, t);
		printf(" %lld", (long long)(t / USEC_PER_SEC));
		if (!t)
			break;
	}
	printf("\n");
	schedule_free(&s);
}

int main(void)
{
	char line[1024];
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = '\0';
		answer(line);
	}
	return 0;
}
