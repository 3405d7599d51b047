/*
 * fuzz_tz.c - time zones: with FUZZ_TZIF the bytes of a TZif file (v1, or
 * v2+ with its POSIX footer), otherwise a POSIX TZ string on its own.
 * The zone is then asked for offsets and for its changes forward and back
 * from instants spread from 1800 to 2200 and at the int64 edges of what a
 * schedule can ask; the answers must be consistent with each other.
 */
#include "fuzz.h"

#include "project/project_int.h"

static const int64_t instants[] = {
	-5364662400LL, -2208988800LL, -1, 0, 1, 1711846799, 1711846800,
	2147483647LL, 2147483648LL, 4102444800LL, 7258118400LL,
	-62135596800LL, 253402300799LL,     /* years 1 and 9999 */
};

static void probe(const struct tz_zone *z)
{
	for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
		int64_t t = instants[i], when;
		long off = tz_zone_offset(z, t);
		if (off < -7 * 86400 || off > 7 * 86400)
			continue;   /* a nonsense offset is the file's word; not ours to judge */
		/* Walk a few changes forward: strictly increasing. */
		for (int k = 0; k < 4 && tz_zone_next_change(z, t, &when); k++) {
			if (when <= t)
				abort();
			t = when;
		}
		t = instants[i];
		if (tz_zone_prev_change(z, t, &when) && when > t)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
#ifdef FUZZ_TZIF
	struct tz_zone *z = tz_zone_parse(data, size);
#else
	char *rule = fuzz_cstring(data, size);
	struct tz_zone *z = tz_zone_from_rule(rule);
	free(rule);
#endif
	if (z)
		probe(z);
	tz_zone_free(z);
	return 0;
}
