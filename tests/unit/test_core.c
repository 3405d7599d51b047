/*
 * test_core.c - errors, BUG_ON, buffers, time, logging masks and JSON positions.
 */
#include "testutil.h"

START_TEST(err_carries_location_and_prefix)
{
	struct err e;
	err_clear(&e);
	ck_assert_int_eq(err_at(&e, ERR_PARSE, "sluice.json:3:7", "bad %s", "thing"), -1);
	err_prefix(&e, "loading: ");
	ck_assert_str_eq(err_text(&e), "sluice.json:3:7: loading: bad thing");
	ck_assert_int_eq(e.code, ERR_PARSE);
	ck_assert_int_eq(err_set(NULL, ERR_IO, "ignored"), -1);
}
END_TEST

START_TEST(buf_grows_and_detaches)
{
	struct buf b = BUF_INIT;
	ck_assert_str_eq(buf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert(str_starts_with(b.data, "0,1,2,"));
	ck_assert(str_ends_with(b.data, "998,999,"));
	char *s = buf_detach(&b);
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

START_TEST(time_round_trip_and_relative)
{
	usec_t t;
	ck_assert(time_parse_iso("2022-11-03T14:20:49.962000", &t));
	char out[32];
	time_format_iso(t, out);
	ck_assert_str_eq(out, "2022-11-03T14:20:49.962000Z");
	ck_assert(time_parse_iso("2022-11-03 15:20:49+01:00", &t));
	time_format_iso(t, out);
	ck_assert_str_eq(out, "2022-11-03T14:20:49.000000Z");
	ck_assert(!time_parse_iso("2022-13-03", &t));
	ck_assert(!time_parse_iso("yesterday", &t));
	char rel[32];
	time_format_relative(t + 185 * USEC_PER_SEC, t, rel, sizeof rel);
	ck_assert_str_eq(rel, "3m ago");
	time_format_relative(t, t + 7200 * USEC_PER_SEC, rel, sizeof rel);
	ck_assert_str_eq(rel, "in 2h");
}
END_TEST

START_TEST(durations_parse_like_people_write_them)
{
	usec_t d;
	ck_assert(duration_parse("every 5 minutes", &d));
	ck_assert_int_eq(d, 300 * USEC_PER_SEC);
	ck_assert(duration_parse("1.5s", &d));
	ck_assert_int_eq(d, 1500 * USEC_PER_MSEC);
	ck_assert(!duration_parse("5 fortnights", &d));
	ck_assert(!duration_parse("minutes", &d));
	/* Found by tests/fuzz (cron): beyond 64-bit microseconds, or not a number. */
	ck_assert(!duration_parse("every 1e30 seconds", &d));
	ck_assert(!duration_parse("9223372036855 s", &d));
	ck_assert(!duration_parse("nan s", &d));
	ck_assert(!duration_parse("inf s", &d));
	ck_assert(duration_parse("9223372036854 s", &d));
	char out[16];
	duration_format(245 * USEC_PER_SEC, out, sizeof out);
	ck_assert_str_eq(out, "4m05s");
}
END_TEST

static usec_t fixed_now(void)
{
	return 1000 * USEC_PER_SEC;
}

START_TEST(clock_can_be_replaced)
{
	clock_set_source(fixed_now);
	ck_assert_int_eq(clock_now_us(), 1000 * USEC_PER_SEC);
	clock_set_source(NULL);
	ck_assert(clock_now_us() > 1600000000 * USEC_PER_SEC);
}
END_TEST

struct captured {
	char text[512];
	int count;
};

static void capture_sink(const struct log_record *rec, void *arg)
{
	struct captured *c = arg;
	snprintf(c->text, sizeof c->text, "%s|%s=%s", rec->message,
		 rec->nfields ? rec->fields[0].key : "",
		 rec->nfields ? rec->fields[0].value : "");
	c->count++;
}

START_TEST(log_masks_secrets_before_sinks)
{
	struct captured c = { "", 0 };
	int id = log_add_sink(LOG_INFO, capture_sink, &c);
	log_add_secret("hunter2-password");
	struct log_field f = { "url", "https://hooks.example/hunter2-password" };
	log_emit(LOG_WARN, 7, "load", "pipe:orders", &f, 1,
		 "connect failed with %s", "hunter2-password");
	ck_assert_str_eq(c.text, "connect failed with ****|url=https://hooks.example/****");
	log_debug("below the sink's level");
	ck_assert_int_eq(c.count, 1);
	log_remove_sink(id);
	log_clear_secrets();
}
END_TEST

/* What a child says on stderr and in its log file before BUG_ON stops it. */
struct bug_outcome {
	int status;
	char *stderr_text;
	char *log_text;
};

struct bug_trip {
	const char *log_path;
	void (*fn)(int);
	int arg;
};

static void bug_child(void *p)
{
	struct bug_trip *t = p;
	log_add_sink(LOG_WARN, log_text_sink(), file_open_log(t->log_path));
	log_add_secret("hunter2-password");
	t->fn(t->arg);
}

static void run_and_catch_bug(void (*fn)(int), int arg, struct bug_outcome *o)
{
	char *dir = test_mkdtemp();
	struct bug_trip t = { path_join(dir, "sluice.log"), fn, arg };
	o->stderr_text = test_child_stderr(bug_child, &t, &o->status);
	o->log_text = file_read_all(t.log_path, NULL, NULL);
	ck_assert_ptr_nonnull(o->log_text);
	free((char *)t.log_path);
	test_rmdir(dir);
}

static void bug_outcome_free(struct bug_outcome *o)
{
	free(o->stderr_text);
	free(o->log_text);
}

static void trip_bug_on(int slot)
{
	int nslots = 4;
	BUG_ON(slot >= nslots);
}
static const int trip_bug_on_line = __LINE__ - 2;

static void trip_bug(int kind)
{
	if (kind > 0)
		BUG("no step kind for a password like hunter2-password");
}

START_TEST(bug_on_aborts_and_says_where)
{
	struct bug_outcome o;
	run_and_catch_bug(trip_bug_on, 1, &o);   /* holds: the child carries on */
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert_str_eq(o.stderr_text, "");
	bug_outcome_free(&o);

	run_and_catch_bug(trip_bug_on, 4, &o);
	ck_assert(WIFSIGNALED(o.status));
	ck_assert_int_eq(WTERMSIG(o.status), SIGABRT);
	char *where = xasprintf("BUG at tests/unit/test_core.c:%d in trip_bug_on(): "
				"slot >= nslots", trip_bug_on_line);
	ck_assert_msg(strstr(o.stderr_text, where), "stderr: %s", o.stderr_text);
	ck_assert_msg(strstr(o.log_text, where), "log: %s", o.log_text);
	ck_assert(strstr(o.log_text, " ERROR "));
#if defined(__GLIBC__)
	/* the backtrace names the binary's frames */
	ck_assert_msg(strstr(o.stderr_text, "test_core("), "stderr: %s", o.stderr_text);
#endif
	free(where);
	bug_outcome_free(&o);

	run_and_catch_bug(trip_bug, 1, &o);
	ck_assert_int_eq(WTERMSIG(o.status), SIGABRT);
	ck_assert_msg(strstr(o.stderr_text, "in trip_bug(): no step kind for a password "
			     "like ****"), "stderr: %s", o.stderr_text);
	ck_assert(!strstr(o.stderr_text, "hunter2"));
	ck_assert(!strstr(o.log_text, "hunter2"));
	bug_outcome_free(&o);
}
END_TEST

static void hand_back_terminal(void)
{
	fputs("terminal restored\n", stderr);
}

static void trip_bug_with_hook(int arg)
{
	bug_set_hook(hand_back_terminal);
	trip_bug(arg);
}

/* The console registers a hook that gives the terminal back: it runs
 * before the message is written, so the message is readable. */
START_TEST(bug_runs_its_hook_first)
{
	struct bug_outcome o;
	run_and_catch_bug(trip_bug_with_hook, 1, &o);
	ck_assert_int_eq(WTERMSIG(o.status), SIGABRT);
	const char *restored = strstr(o.stderr_text, "terminal restored\n");
	const char *bug = strstr(o.stderr_text, "BUG at ");
	ck_assert_msg(restored && bug && restored < bug, "stderr: %s", o.stderr_text);
	bug_outcome_free(&o);
}
END_TEST

/* Past the few it scans, the set hashes: a hundred thousand keys, each
 * told apart, each counted. */
START_TEST(keyset_counts_repeats_at_any_size)
{
	enum { N = 100000 };
	char **keys = xcalloc(N, sizeof *keys);
	struct keyset ks = KEYSET_INIT;
	for (int i = 0; i < N; i++) {
		keys[i] = xasprintf("key%d", i);
		ck_assert_uint_eq(keyset_add(&ks, keys[i]), 0);
	}
	for (int i = 0; i < N; i += 997) {
		char *again = xasprintf("key%d", i);
		ck_assert_uint_eq(keyset_add(&ks, again), 1);
		ck_assert_uint_eq(keyset_add(&ks, again), 2);
		free(again);
	}
	ck_assert_uint_eq(keyset_add(&ks, "key"), 0);
	keyset_free(&ks);
	ck_assert_uint_eq(keyset_add(&ks, "key0"), 0);   /* empty after free */
	ck_assert_uint_eq(keyset_add(&ks, "key0"), 1);
	keyset_free(&ks);
	for (int i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}
END_TEST

START_TEST(utf8_validation_finds_first_bad_byte)
{
	const char *s = "caf\xc3\xa9 \xff rest";
	ck_assert_int_eq(utf8_valid_prefix(s, strlen(s)), 6);
	ck_assert_int_eq(utf8_valid_prefix("\xed\xa0\x80", 3), 0);   /* surrogate */
	ck_assert_int_eq(utf8_valid_prefix("\xc0\xaf", 2), 0);       /* overlong */
}
END_TEST

START_TEST(atomic_write_replaces_whole_file)
{
	char *dir = test_mkdtemp();
	char *path = path_join(dir, "a/b/c.txt");
	char *parent = path_dirname(path);
	ck_assert_int_eq(mkdir_p(parent, 0755, NULL), 0);
	ck_assert_int_eq(file_write_atomic(path, "hello", 5, NULL), 0);
	size_t len;
	char *back = file_read_all(path, &len, NULL);
	ck_assert_str_eq(back, "hello");
	free(back);
	struct err e;
	ck_assert_ptr_null(file_read_all("/nonexistent/x", NULL, &e));
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_str_eq(e.where, "/nonexistent/x");
	free(parent);
	free(path);
	test_rmdir(dir);
}
END_TEST

START_TEST(sha256_matches_fips_vectors)
{
	char hex[65];
	sha256_hex_of("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex_of(two, strlen(two), hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* RFC 4231 test case 2 */
	uint8_t mac[32];
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	sha256_hex(mac, hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

static void digest_hex(struct sha256 *c, char out[65])
{
	uint8_t d[32];
	sha256_final(c, d);
	sha256_hex(d, out);
}

/* Fed in one piece, in two at any split, or a byte at a time, a stream
 * gives the same digest for every length around the 64-byte block, and
 * the FIPS 180-4 digest of a million 'a'. */
START_TEST(sha256_streams_agree_at_every_split)
{
	static uint8_t data[200000];
	memset(data, 'a', sizeof data);
	struct sha256 c;
	char hex[65], want[65];
	sha256_init(&c);
	for (int i = 0; i < 5; i++)
		sha256_update(&c, data, sizeof data);
	digest_hex(&c, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 131 + i / 977);
	const size_t lens[] = { 0, 1, 55, 63, 64, 65, 127, 128, 129, 1000, 65536, 199999 };
	for (size_t l = 0; l < ARRAY_LEN(lens); l++) {
		size_t len = lens[l];
		sha256_init(&c);
		for (size_t i = 0; i < len; i++)
			sha256_update(&c, data + i, 1);
		digest_hex(&c, want);
		const size_t splits[] = { 0, 1, 63, 64, 65, 100, len / 2, len - 1, len };
		for (size_t k = 0; k < ARRAY_LEN(splits); k++) {
			size_t at = splits[k];
			if (at > len)
				continue;
			sha256_init(&c);
			sha256_update(&c, data, at);
			sha256_update(&c, data + at, len - at);
			digest_hex(&c, hex);
			ck_assert_msg(strcmp(hex, want) == 0, "length %zu split at %zu", len, at);
		}
	}
}
END_TEST

/* The one calendar agrees with the C library's for every day from 1600 to
 * 2400, both ways, and with its weekday. */
/* The line diff: every line once, marked; a change in the middle; texts
 * without a last newline; one side empty. */
START_TEST(linediff_marks_every_line_once)
{
	int n = -1;
	char *d = linediff("a\nb\nc\nd\n", "a\nB\nc\nd\ne", &n);
	ck_assert_str_eq(d, " a\n-b\n+B\n c\n d\n+e\n");
	ck_assert_int_eq(n, 3);
	free(d);
	d = linediff("same\n", "same", &n);
	ck_assert_str_eq(d, " same\n");
	ck_assert_int_eq(n, 0);
	free(d);
	d = linediff("", "x\ny\n", &n);
	ck_assert_str_eq(d, "+x\n+y\n");
	ck_assert_int_eq(n, 2);
	free(d);
	d = linediff("x\ny\nz\n", "z\nx\n", &n);
	ck_assert_str_eq(d, "-x\n-y\n z\n+x\n");
	ck_assert_int_eq(n, 3);
	free(d);
}
END_TEST

START_TEST(calendar_agrees_with_gmtime)
{
	int64_t bad = INT64_MIN;
	for (int64_t day = -135140; day <= 157054 && bad == INT64_MIN; day++) {
		time_t secs = (time_t)day * 86400;
		struct tm tm;
		int64_t y;
		int m, d;
		cal_civil_from_days(day, &y, &m, &d);
		int pm = m == 1 ? 12 : m - 1;
		int64_t py = m == 1 ? y - 1 : y;
		if (!gmtime_r(&secs, &tm) || y != tm.tm_year + 1900 || m != tm.tm_mon + 1 ||
		    d != tm.tm_mday || cal_days_from_civil(y, m, d) != day ||
		    cal_weekday_of_days(day) != tm.tm_wday ||
		    (d == 1 && cal_days_in_month(py, pm) != day - cal_days_from_civil(py, pm, 1)))
			bad = day;
	}
	ck_assert_msg(bad == INT64_MIN, "day %lld", (long long)bad);
	ck_assert_int_eq(cal_floor_div(-1, 86400), -1);
	ck_assert_int_eq(cal_floor_div(86400, 86400), 1);
}
END_TEST

/* XDG base directories: absolute values are taken, relative ones are
 * invalid and ignored (the specification), HOME is the fallback. */
START_TEST(xdg_dirs_ignore_relative_values)
{
	setenv("HOME", "/home/u", 1);
	setenv("XDG_STATE_HOME", "/var/st", 1);
	setenv("XDG_DATA_HOME", "/var/da", 1);
	char *s = env_xdg_dir(ENV_XDG_STATE), *d = env_xdg_dir(ENV_XDG_DATA);
	ck_assert_str_eq(s, "/var/st/sluice");
	ck_assert_str_eq(d, "/var/da/sluice");
	free(s);
	free(d);
	setenv("XDG_STATE_HOME", "rel/st", 1);
	setenv("XDG_DATA_HOME", "", 1);
	s = env_xdg_dir(ENV_XDG_STATE);
	d = env_xdg_dir(ENV_XDG_DATA);
	ck_assert_str_eq(s, "/home/u/.local/state/sluice");
	ck_assert_str_eq(d, "/home/u/.local/share/sluice");
	free(s);
	free(d);
	unsetenv("HOME");
	ck_assert_ptr_null(env_xdg_dir(ENV_XDG_STATE));
	setenv("TZDIR", "", 1);
	ck_assert_str_eq(env_tzdir(), "/usr/share/zoneinfo");
	setenv("NO_COLOR", "", 1);
	ck_assert(!env_no_color());
	setenv("NO_COLOR", "1", 1);
	ck_assert(env_no_color());
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, err_carries_location_and_prefix);
	tcase_add_test(tc, buf_grows_and_detaches);
	tcase_add_test(tc, time_round_trip_and_relative);
	tcase_add_test(tc, durations_parse_like_people_write_them);
	tcase_add_test(tc, clock_can_be_replaced);
	tcase_add_test(tc, log_masks_secrets_before_sinks);
	tcase_add_test(tc, bug_on_aborts_and_says_where);
	tcase_add_test(tc, bug_runs_its_hook_first);
	tcase_add_test(tc, keyset_counts_repeats_at_any_size);
	tcase_add_test(tc, utf8_validation_finds_first_bad_byte);
	tcase_add_test(tc, atomic_write_replaces_whole_file);
	tcase_add_test(tc, sha256_matches_fips_vectors);
	tcase_add_test(tc, calendar_agrees_with_gmtime);
	tcase_add_test(tc, xdg_dirs_ignore_relative_values);
	tcase_add_test(tc, sha256_streams_agree_at_every_split);
	tcase_add_test(tc, linediff_marks_every_line_once);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(core_suite)
