/*
 * test_cmd.c - the command language: splitting lines, finding commands,
 * the read-only rule, usage errors and Tab completion.
 */
#include "testutil.h"

#include "cmd/cmd.h"

static char *dir;
static char *project_file;

static const char *project_json =
	"{ \"project\": \"t\",\n"
	"  \"connections\": { \"warehouse\": { \"url\": \"sqlite:wh.db\" } },\n"
	"  \"tasks\": [ { \"name\": \"hourly\", \"schedule\": \"every 1 hour\", \"flow\": \"load_orders\" },\n"
	"             { \"name\": \"half_hourly\", \"schedule\": \"every 30 minutes\", \"flow\": \"load_orders\" } ],\n"
	"  \"flows\": [ { \"name\": \"load_orders\", \"steps\": [\n"
	"      { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"warehouse\", \"sql\": \"SELECT 1\" } ] },\n"
	"    { \"name\": \"load_items\", \"steps\": [\n"
	"      { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"warehouse\", \"sql\": \"SELECT 1\" } ] } ] }\n";

static void setup(void)
{
	dir = test_mkdtemp();
	test_write_file(dir, "sluice.json", project_json);
	project_file = path_join(dir, "sluice.json");
}

static void teardown(void)
{
	free(project_file);
	test_rmdir(dir);
}

static void split_ok(const char *line, int n, const char *const *want)
{
	struct vec words = VEC_INIT;
	struct err e;
	ck_assert_int_eq(cmd_split(line, &words, &e), 0);
	ck_assert_int_eq((int)words.len, n);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(words.items[i], want[i]);
	vec_free_all(&words, free);
}

START_TEST(split_honours_quotes_and_escapes)
{
	split_ok("  run  load_orders  ", 2, (const char *[]){ "run", "load_orders" });
	split_ok("run f note='two words' x=\"a \\\"b\\\"\"", 4,
		 (const char *[]){ "run", "f", "note=two words", "x=a \"b\"" });
	split_ok("pipe refresh a\\ b", 3, (const char *[]){ "pipe", "refresh", "a b" });
	split_ok("", 0, NULL);
	struct vec words = VEC_INIT;
	struct err e;
	ck_assert_int_eq(cmd_split("run f note='open", &words, &e), -1);
	ck_assert_int_eq(e.code, ERR_PARSE);
	ck_assert_str_eq(e.where, "column 12");
	ck_assert_str_eq(e.msg, "unterminated single quote");
	vec_free_all(&words, free);
}
END_TEST

START_TEST(find_takes_the_longest_name)
{
	int used = 0;
	const struct cmd_entry *ce = cmd_find(3, (char *[]){ "pipe", "refresh", "x" }, &used);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, "pipe refresh");
	ck_assert_int_eq(used, 2);
	ce = cmd_find(2, (char *[]){ "show", "runs" }, &used);
	ck_assert_str_eq(ce->name, "show runs");
	ck_assert_ptr_null(cmd_find(1, (char *[]){ "frobnicate" }, &used));
}
END_TEST

/* Every mutating command is refused in read-only mode before it runs,
 * with exit 4 and a message naming it; nothing is created. */
START_TEST(read_only_refuses_every_mutating_command)
{
	int refused = 0;
	for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
		if (!(ce->flags & CMD_MUTATES))
			continue;
		struct cmd_ctx ctx;
		cmd_ctx_init(&ctx, SURFACE_CLI);
		ctx.project_file = project_file;
		ctx.read_only = true;
		ctx.out = ctx.errout = fopen("/dev/null", "w");
		struct vec words = VEC_INIT;
		str_split(ce->name, " ", &words);
		vec_push(&words, xstrdup("load_orders"));
		struct err e;
		err_clear(&e);
		int rc = cmd_run(&ctx, (int)words.len, (char **)words.items, &e);
		ck_assert_msg(rc == EXIT_READONLY, "%s: exit %d (%s)", ce->name, rc,
			      err_text(&e));
		ck_assert_int_eq(e.code, ERR_READONLY);
		ck_assert_msg(strstr(e.msg, ce->name) != NULL, "%s: %s", ce->name, e.msg);
		refused++;
		vec_free_all(&words, free);
		fclose(ctx.out);
		cmd_ctx_close(&ctx);
	}
	ck_assert_int_ge(refused, 10);
	/* nothing reached the store: no control store was even created */
	char *store = path_join(dir, ".sluice/control.db");
	ck_assert_msg(!file_exists(store), "a read-only command created %s", store);
	free(store);
}
END_TEST

START_TEST(unknown_commands_and_families_say_what_exists)
{
	struct cmd_ctx ctx;
	cmd_ctx_init(&ctx, SURFACE_CLI);
	ctx.project_file = project_file;
	struct err e;
	ck_assert_int_eq(cmd_run_line(&ctx, "frobnicate now", &e), EXIT_USAGE);
	ck_assert_str_eq(e.msg, "unknown command 'frobnicate' (try 'help')");
	ck_assert_int_eq(cmd_run_line(&ctx, "pipe", &e), EXIT_USAGE);
	ck_assert_msg(strstr(e.msg, "'pipe' needs a subcommand: pipe refresh, pipe pause, pipe resume"),
		      "%s", e.msg);
	/* the console does not offer command-line-only commands */
	ctx.surface = SURFACE_CONSOLE;
	ck_assert_int_eq(cmd_run_line(&ctx, "worker", &e), EXIT_USAGE);
	cmd_ctx_close(&ctx);
}
END_TEST

static bool has(const struct vec *v, const char *s)
{
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(v->items[i], s) == 0)
			return true;
	return false;
}

static void complete(const char *line, struct vec *out)
{
	struct cmd_ctx ctx;
	cmd_ctx_init(&ctx, SURFACE_SHELL);
	ctx.project_file = project_file;
	cmd_complete(&ctx, line, strlen(line), out);
	cmd_ctx_close(&ctx);
}

START_TEST(completion_offers_commands_then_object_names)
{
	struct vec v = VEC_INIT;
	complete("ta", &v);
	ck_assert(has(&v, "task"));
	ck_assert(!has(&v, "tables"));
	vec_free_all(&v, free);

	complete("task ", &v);
	ck_assert(has(&v, "execute") && has(&v, "suspend") && has(&v, "resume"));
	vec_free_all(&v, free);

	complete("task suspend h", &v);
	ck_assert_int_eq((int)v.len, 2);
	ck_assert(has(&v, "half_hourly") && has(&v, "hourly"));
	vec_free_all(&v, free);

	complete("run load_i", &v);
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "load_items");
	vec_free_all(&v, free);

	complete("show task-history ", &v);
	ck_assert(has(&v, "hourly"));
	ck_assert(!has(&v, "load_orders"));
	vec_free_all(&v, free);
}
END_TEST

static Suite *cmd_suite(void)
{
	Suite *s = suite_create("cmd");
	TCase *tc = tcase_create("cmd");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, split_honours_quotes_and_escapes);
	tcase_add_test(tc, find_takes_the_longest_name);
	tcase_add_test(tc, read_only_refuses_every_mutating_command);
	tcase_add_test(tc, unknown_commands_and_families_say_what_exists);
	tcase_add_test(tc, completion_offers_commands_then_object_names);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cmd_suite)
