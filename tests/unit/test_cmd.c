/*
 * test_cmd.c - the command language: splitting lines, finding commands,
 * the read-only rule, the declarations each command makes and the one
 * parser that enforces them, usage errors, Tab completion and CSV.
 */
#include "testutil.h"

#include "cmd/cmd.h"
#include "cmd/cmd_int.h"

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


/* The usage line a user reads is the one the parser enforces: every option
 * it shows is declared, every declared option is shown in it or explained
 * in the help, and the arguments it shows without brackets are the
 * declared minimum. */
START_TEST(every_usage_line_matches_its_declarations)
{
	int checked = 0;
	for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
		struct vec words = VEC_INIT;
		str_split(ce->usage ? ce->usage : "", " ", &words);
		int required = 0, depth = 0;
		for (size_t i = 0; i < words.len; i++) {
			const char *w = words.items[i];
			const char *opt = w[0] == '[' ? w + 1 : w;
			bool optional = depth > 0 || w[0] == '[';
			for (const char *c = w; *c; c++)
				depth += *c == '[' ? 1 : *c == ']' ? -1 : 0;
			if (opt[0] == '-') {
				size_t len = strcspn(opt, "]");
				bool format = ce->formats && (strncmp(opt, "--json", len) == 0 ||
							      strncmp(opt, "--format", len) == 0);
				const struct cmd_option *o = cmd_option_find(ce, opt, len);
				ck_assert_msg(o || format, "%s: usage shows %.*s, not declared",
					      ce->name, (int)len, opt);
				if (o && o->value != CMD_KIND_NONE && !strchr(opt, ']'))
					i++;                  /* its value's placeholder */
			} else if (!optional && strcmp(w, "...") != 0) {
				required++;
			}
		}
		ck_assert_msg(required == ce->args.min, "%s: usage shows %d arguments, "
			      "declares at least %d", ce->name, required, ce->args.min);
		ck_assert_msg(ce->args.max == CMD_ARGS_MANY || ce->args.max >= ce->args.min,
			      "%s: max below min", ce->name);
		for (int k = 0; k < CMD_MAX_OPTIONS && ce->options[k].name; k++) {
			const char *n = ce->options[k].name, *al = ce->options[k].alias;
			ck_assert_msg((ce->usage && strstr(ce->usage, n)) ||
				      (ce->help && strstr(ce->help, n)) ||
				      (al && ce->usage && strstr(ce->usage, al)),
				      "%s: %s is declared but neither usage nor help shows it",
				      ce->name, n);
		}
		if (ce->args.min > 0)
			ck_assert_msg(cmd_arg_kind(ce, 0) != CMD_KIND_NONE,
				      "%s: its first argument has no kind", ce->name);
		vec_free_all(&words, free);
		checked++;
	}
	ck_assert_int_ge(checked, 40);
}
END_TEST

static int run_line(const char *line, struct err *e)
{
	struct cmd_ctx ctx;
	cmd_ctx_init(&ctx, SURFACE_SHELL);
	ctx.project_file = project_file;
	ctx.out = ctx.errout = fopen("/dev/null", "w");
	err_clear(e);
	int rc = cmd_run_line(&ctx, line, e);
	fclose(ctx.out);
	cmd_ctx_close(&ctx);
	return rc;
}

static void usage_error(const char *line, const char *msg)
{
	struct err e;
	ck_assert_int_eq(run_line(line, &e), EXIT_USAGE);
	ck_assert_msg(strcmp(e.msg, msg) == 0, "%s:\n  got  %s\n  want %s", line, e.msg, msg);
}

/* One parser for every command: the same words give the same message,
 * naming the command and what is wrong, before anything is opened. */
START_TEST(the_one_parser_names_command_and_option)
{
	usage_error("show runs --frobnicate",
		    "unknown option '--frobnicate' (usage: show runs [--flow F] [--state S] [--partition P] [-n N])");
	usage_error("show runs --flow",
		    "option '--flow' needs a value (usage: show runs [--flow F] [--state S] [--partition P] [-n N])");
	usage_error("show runs --flow a --flow b",
		    "option '--flow' given twice (usage: show runs [--flow F] [--state S] [--partition P] [-n N])");
	usage_error("store prune --dry-run=yes",
		    "option '--dry-run' takes no value (usage: store prune [--dry-run])");
	usage_error("show runs extra",
		    "unexpected argument 'extra' (usage: show runs [--flow F] [--state S] [--partition P] [-n N])");
	usage_error("show task-history",
		    "give a task name (usage: show task-history TASK [--limit N] [--json])");
	usage_error("show task-history a b",
		    "unexpected argument 'b' (usage: show task-history TASK [--limit N] [--json])");
	usage_error("backfill compare wh",
		    "give a table (usage: backfill compare CONN TABLE [OTHER] --key COLS [--json])");
	usage_error("show run",
		    "give a run id (usage: show run RUN [--json])");
	usage_error("show run 1 --format csv",
		    "'show run' has no csv output (usage: show run RUN [--json])");
	usage_error("show flows --format yaml",
		    "--format: expected table, json or csv, not 'yaml' (usage: show flows [--json])");
	usage_error("check --json", "unknown option '--json' (usage: check)");
	/* options after "--" are arguments */
	usage_error("show runs -- --flow",
		    "unexpected argument '--flow' (usage: show runs [--flow F] [--state S] [--partition P] [-n N])");
	/* a usage error opens no store */
	char *store = path_join(dir, ".sluice/control.db");
	ck_assert_msg(!file_exists(store), "a usage error created %s", store);
	free(store);
	usage_error("show run x",
		    "'x' is not a run id (usage: show run RUN [--json])");
}
END_TEST

static const struct cmd_entry *entry(const char *name)
{
	struct vec w = VEC_INIT;
	str_split(name, " ", &w);
	int used = 0;
	const struct cmd_entry *ce = cmd_find((int)w.len, (char **)w.items, &used);
	vec_free_all(&w, free);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, name);
	return ce;
}

/* What the exec function is handed: options by their declared names
 * (aliases and --x=v folded in), arguments in order, and the format. */
START_TEST(parsed_words_reach_the_command)
{
	struct cmd_args a;
	struct err e;
	char *runs[] = { "-n", "5", "--flow=load_orders", "--json" };
	ck_assert_int_eq(cmd_args_parse(entry("show runs"), CMD_FORMAT_TABLE, 4, runs, &a, &e), 0);
	ck_assert_str_eq(cmd_opt_value(&a, "--limit"), "5");
	ck_assert_str_eq(cmd_opt_value(&a, "--flow"), "load_orders");
	ck_assert_int_eq(a.format, CMD_FORMAT_JSON);
	ck_assert_int_eq((int)a.positional.len, 0);
	cmd_args_free(&a);

	/* the global format where the command prints it; its own wins */
	char *csv[] = { "--format", "csv" };
	ck_assert_int_eq(cmd_args_parse(entry("show tasks"), CMD_FORMAT_JSON, 2, csv, &a, &e), 0);
	ck_assert_int_eq(a.format, CMD_FORMAT_CSV);
	cmd_args_free(&a);
	ck_assert_int_eq(cmd_args_parse(entry("show tasks"), CMD_FORMAT_CSV, 0, NULL, &a, &e), 0);
	ck_assert_int_eq(a.format, CMD_FORMAT_CSV);
	cmd_args_free(&a);

	/* a command that prints no formats ignores the global one */
	char *run[] = { "load_orders", "n=1", "-p", "m=2", "--param", "k=3" };
	ck_assert_int_eq(cmd_args_parse(entry("run"), CMD_FORMAT_CSV, 6, run, &a, &e), 0);
	ck_assert_int_eq(a.format, CMD_FORMAT_TABLE);
	ck_assert_int_eq((int)a.positional.len, 2);
	ck_assert_str_eq(a.positional.items[1], "n=1");
	ck_assert_int_eq((int)a.names.len, 2);          /* --param is repeatable */
	ck_assert_str_eq(a.values.items[0], "m=2");
	ck_assert_str_eq(cmd_opt_value(&a, "--param"), "k=3");
	cmd_args_free(&a);
}
END_TEST

/* Completion reads the same declarations: option names, option values
 * (object names or choices) and the kind of each argument. */
START_TEST(completion_reads_the_declarations)
{
	struct vec v = VEC_INIT;
	complete("show runs --flow load_", &v);
	ck_assert_int_eq((int)v.len, 2);
	ck_assert(has(&v, "load_items") && has(&v, "load_orders"));
	vec_free_all(&v, free);

	complete("show runs --", &v);
	ck_assert(has(&v, "--flow") && has(&v, "--state") && has(&v, "--limit") &&
		  has(&v, "--format"));
	vec_free_all(&v, free);

	complete("logs --level w", &v);
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "warn");
	vec_free_all(&v, free);

	complete("show run 1 --format ", &v);        /* show run has no CSV */
	ck_assert_int_eq((int)v.len, 2);
	ck_assert(has(&v, "json") && has(&v, "table"));
	vec_free_all(&v, free);

	complete("show runs --flow load_orders --state f", &v);
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "failed");
	vec_free_all(&v, free);

	complete("backfill compare w", &v);           /* a connection, then tables */
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "warehouse");
	vec_free_all(&v, free);

	complete("backfill compare --key=id w", &v);  /* --key=id is no argument */
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "warehouse");
	vec_free_all(&v, free);

	complete("show task-history hourly ", &v);    /* one argument only */
	ck_assert_int_eq((int)v.len, 0);
	vec_free_all(&v, free);
}
END_TEST

/* Run ids come from the store, where a run id is declared (an argument or
 * --run), for a word of digits; nowhere else. */
START_TEST(completion_offers_run_ids_where_declared)
{
	struct err e;
	for (int i = 0; i < 2; i++)
		ck_assert_msg(run_line("run load_orders", &e) == EXIT_OK, "%s", err_text(&e));
	struct vec v = VEC_INIT;
	complete("cancel 1", &v);
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "1");
	vec_free_all(&v, free);
	complete("logs --run 2", &v);
	ck_assert_int_eq((int)v.len, 1);
	ck_assert_str_eq(v.items[0], "2");
	vec_free_all(&v, free);
	complete("cancel ", &v);                     /* not 200 ids at once */
	ck_assert_int_eq((int)v.len, 0);
	complete("show runs --limit 1", &v);         /* a number, not a run */
	ck_assert_int_eq((int)v.len, 0);
	complete("show task-history 1", &v);         /* a task name */
	ck_assert_int_eq((int)v.len, 0);
}
END_TEST

/* RFC 4180 from the one table printer: a header row, CRLF line ends, a
 * field with a comma, a quote, CR or LF quoted (quotes doubled), and an
 * absent value an empty field. */
START_TEST(csv_quotes_what_needs_quoting)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct cmd_table t = { .ncols = 3, .format = CMD_FORMAT_CSV };
	cmd_table_add(&t, "A", "B", "C");
	cmd_table_add(&t, "plain", "a,b", "say \"hi\"");
	cmd_table_add(&t, "two\nlines", NULL, "cr\r");
	cmd_table_print(fp, &t);
	fclose(fp);
	ck_assert_str_eq(text, "A,B,C\r\n"
			 "plain,\"a,b\",\"say \"\"hi\"\"\"\r\n"
			 "\"two\nlines\",,\"cr\r\"\r\n");
	free(text);
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
	tcase_add_test(tc, every_usage_line_matches_its_declarations);
	tcase_add_test(tc, the_one_parser_names_command_and_option);
	tcase_add_test(tc, parsed_words_reach_the_command);
	tcase_add_test(tc, completion_reads_the_declarations);
	tcase_add_test(tc, csv_quotes_what_needs_quoting);
	tcase_add_test(tc, completion_offers_run_ids_where_declared);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cmd_suite)
