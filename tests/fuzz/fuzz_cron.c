/*
 * fuzz_cron.c - schedule parsing (cron lines, @names, intervals) and the
 * next-tick search, in UTC and in zones with daylight saving on both
 * hemispheres, from instants around DST changes and far from now.
 */
#include "fuzz.h"

#include "project/project.h"

static const char *const zones[] = { NULL, "Europe/London", "Australia/Lord_Howe",
				     "America/Sao_Paulo" };
static const usec_t starts[] = {
	0, 1711846799LL * USEC_PER_SEC,    /* 2024-03-31 00:59:59 UTC */
	1730595600LL * USEC_PER_SEC,       /* 2024-11-03 01:00 UTC */
	4102444800LL * USEC_PER_SEC,       /* 2100-01-01 */
	-2208988800LL * USEC_PER_SEC,      /* 1900-01-01 */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char *text = fuzz_cstring(data, size);
	struct schedule s = { 0 };
	struct err e = { 0 };
	if (schedule_parse(text, &s, &e) == 0) {
		for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
			s.timezone = (char *)zones[z];
			for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
				usec_t t = starts[i];
				for (int k = 0; k < 3; k++) {
					usec_t next = schedule_next(&s, t);
					if (!next)
						break;
					if (next <= t)
						abort();   /* must move strictly forward */
					t = next;
				}
			}
		}
		s.timezone = NULL;
		schedule_free(&s);
	}
	free(text);
	return 0;
}
