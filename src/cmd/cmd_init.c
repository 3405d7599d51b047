/*
 * cmd_init.c - `sluice init`: start a project in a directory.
 *
 * `init --demo DIR` writes the complete ToteSys demo (demo/): a
 * source filled by the deterministic generator, a warehouse with the star
 * schema, a lake, SQL files and sluice.json with pipes, streams, tasks and
 * flows that work as they are; with --use-existing the flows read a real
 * ToteSys source as it is instead.  Plain `init DIR` writes a small valid
 * sluice.json to grow from.  Neither replaces an existing project without
 * --force, and --force replaces only tables the demo made itself.
 *
 * The family also holds `demo simulate` (cmd_demo.c), the demo's other
 * command.
 *
 * init works without a project, so it is not flagged CMD_MUTATES (that
 * flag makes the dispatcher load one); it checks --read-only itself.
 */
#include "cmd/cmd_int.h"
#include "db/db.h"
#include "demo/demo.h"
#include "project/project.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ROWS 2000
#define MAX_ROWS INT64_C(100000000)
#define DEFAULT_SEED 1

static const char skeleton[] =
	"{\n"
	"  \"project\": \"%s\",\n"
	"  \"version\": 1,\n"
	"  \"connections\": {\n"
	"    \"warehouse\": { \"url\": \"%s\" }\n"
	"  },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"pipes\": [],\n"
	"  \"streams\": [],\n"
	"  \"tasks\": [],\n"
	"  \"flows\": [],\n"
	"  \"tables\": {}\n"
	"}\n";

static int parse_seed(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int init_plain(struct cmd_ctx *ctx, const char *dir, const char *warehouse,
		      bool force, struct err *e)
{
	char *file = path_join(dir, "sluice.json");
	int rc = EXIT_FAILED;
	if (file_exists(file) && !force) {
		err_set(e, ERR_CONFLICT, "%s exists; pass --force to replace it", file);
		goto out;
	}
	if (warehouse && !db_url_valid(warehouse, NULL)) {
		err_at(e, ERR_INVALID, "--warehouse", "not a connection URL: expected "
		       "sqlite:PATH, postgresql://... or a libpq conninfo");
		rc = EXIT_USAGE;
		goto out;
	}
	char *lake = path_join(dir, "lake");
	char *sql = path_join(dir, "sql");
	char *data = path_join(dir, "data");
	int ok = mkdir_p(lake, 0755, e) == 0 && mkdir_p(sql, 0755, e) == 0 &&
		 mkdir_p(data, 0755, e) == 0;
	free(lake);
	free(sql);
	free(data);
	if (!ok)
		goto out;
	char *base = strrchr(dir, '/');
	const char *name = base && base[1] ? base + 1 : dir;
	char *text = xasprintf(skeleton, name, warehouse ? warehouse : "sqlite:data/warehouse.db");
	if (file_write_atomic(file, text, strlen(text), e) == 0) {
		fprintf(ctx->out, "created %s\nnext: edit it (see doc/project-file.md), then "
			"'sluice check'\n", file);
		rc = EXIT_OK;
	}
	free(text);
out:
	free(file);
	return rc;
}

static void print_demo_summary(struct cmd_ctx *ctx, const struct demo_options *o,
			       usec_t took)
{
	char d[32];
	duration_format(took, d, sizeof d);
	char *shown_src = o->source_url ? db_url_redacted(o->source_url)
					: xstrdup("sqlite:data/source.db");
	char *shown_wh = o->warehouse_url ? db_url_redacted(o->warehouse_url)
					  : xstrdup("sqlite:data/warehouse.db");
	fprintf(ctx->out, "created the ToteSys demo in %s (%s)\n", o->dir, d);
	if (o->use_existing)
		fprintf(ctx->out, "  source     %s: your ToteSys tables, read as they are "
			"(nothing generated, nothing written)\n", shown_src);
	else
		fprintf(ctx->out, "  source     %s: %lld sales orders, seed %llu\n", shown_src,
			(long long)o->rows, (unsigned long long)o->seed);
	fprintf(ctx->out,
		"  warehouse  %s: the star schema, empty until the flows run\n"
		"  lake       file:lake\n"
		"  flows      totesys_ingest, totesys_warehouse, orders_etl\n"
		"next:\n"
		"  cd %s\n"
		"  sluice                  the console, with the engine running\n",
		shown_wh, o->dir);
	if (o->use_existing)
		fprintf(ctx->out, "  sluice run totesys_ingest --wait; sluice run "
			"totesys_warehouse --wait\n"
			"                          your orders into the warehouse now\n");
	else
		fprintf(ctx->out, "  sluice demo simulate    keep the shop busy (new orders, "
			"order files)\n");
	free(shown_src);
	free(shown_wh);
}

static int exec_init(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_USAGE;
	bool demo = cmd_opt_flag(args, "--demo");
	const char *rows = cmd_opt_value(args, "--rows");
	const char *seed = cmd_opt_value(args, "--seed");
	const char *source = cmd_opt_value(args, "--source");
	struct demo_options o = {
		.rows = DEFAULT_ROWS,
		.seed = DEFAULT_SEED,
		.source_url = source,
		.warehouse_url = cmd_opt_value(args, "--warehouse"),
		.force = cmd_opt_flag(args, "--force"),
		.use_existing = cmd_opt_flag(args, "--use-existing"),
		.progress = ctx->errout,
	};
	o.dir = args->positional.items[0];
	if ((source && project_check_url_option("--source", source, e) < 0) ||
	    (o.warehouse_url && project_check_url_option("--warehouse", o.warehouse_url, e) < 0))
		goto out;
	if (!demo && (rows || seed || source || o.use_existing)) {
		rc = cmd_usage_error(self, e, "--rows, --seed, --source and --use-existing go "
				     "with --demo");
		goto out;
	}
	if (o.use_existing && (!source || rows || seed)) {
		rc = cmd_usage_error(self, e, !source ? "--use-existing needs --source URL: "
				     "the database whose ToteSys tables the flows should read" :
				     "--use-existing generates nothing: --rows and --seed do "
				     "not go with it");
		goto out;
	}
	if (rows && (!str_to_i64(rows, &o.rows) || o.rows < 1 || o.rows > MAX_ROWS)) {
		rc = cmd_usage_error(self, e, "--rows: expected a whole number from 1 to %lld, "
				     "not '%s'", (long long)MAX_ROWS, rows);
		goto out;
	}
	if (seed && parse_seed(seed, &o.seed) < 0) {
		rc = cmd_usage_error(self, e, "--seed: expected a whole number from 0 to "
				     "18446744073709551615, not '%s'", seed);
		goto out;
	}
	if (ctx->read_only) {
		err_set(e, ERR_READONLY, "read-only mode: 'init' would write files and is refused");
		rc = EXIT_READONLY;
		goto out;
	}
	if (!demo) {
		rc = init_plain(ctx, o.dir, o.warehouse_url, o.force, e);
		goto out;
	}
	usec_t start = clock_monotonic_us();
	if (demo_create(&o, e) < 0) {
		rc = e->code == ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	print_demo_summary(ctx, &o, clock_monotonic_us() - start);
	rc = EXIT_OK;
out:
	return rc;
}

const struct cmd_entry cmd_init_entries[] = {
	{ .name = "init",
	  .usage = "[--demo] DIR [--rows N] [--seed S] [--use-existing] [--force] [...]",
	  .summary = "start a project in DIR; --demo writes the complete ToteSys demo",
	  .help = "Without --demo, writes a small valid sluice.json (and lake/, sql/, data/)\n"
	  "to grow from.\n"
	  "\n"
	  "With --demo, writes a complete working project: a source database with\n"
	  "the ToteSys schema filled by a deterministic generator, a lake, a warehouse\n"
	  "with the star schema, SQL files, and sluice.json with pipes, a stream,\n"
	  "tasks and the flows totesys_ingest, totesys_warehouse and orders_etl.\n"
	  "\n"
	  "  --rows N         sales orders to generate (default 2000; other tables\n"
	  "                   grow with it); up to 100000000\n"
	  "  --seed S         generator seed (default 1): the same seed and rows give\n"
	  "                   the same data\n"
	  "  --source URL     put the source there instead of DIR/data/source.db\n"
	  "  --use-existing   with --source: run the flows on the ToteSys tables already\n"
	  "                   there, as they are; nothing is generated and the source is\n"
	  "                   only read (init checks it has every column the flows read)\n"
	  "  --warehouse URL  put the warehouse there instead of DIR/data/warehouse.db;\n"
	  "                   a PostgreSQL warehouse gets the PostgreSQL SQL files\n"
	  "  --force, -f      replace an existing project and the demo's data\n"
	  "                   (its databases' demo tables, lake folders and control store)\n"
	  "\n"
	  "init never replaces a table it did not create: the demo marks its own in\n"
	  "a table _sluice_demo in each database.  Where a table of the demo's names is\n"
	  "not the demo's (a real ToteSys database, say), init refuses and names it,\n"
	  "--force or not; --force lists the demo tables it replaces before it does.\n"
	  "\n"
	  "URLs may not hold passwords: use PGPASSWORD, ~/.pgpass or a service file.",
	  .flags = CMD_CLI_ONLY,
	  .options = {
		{ "--demo", NULL },
		{ "--rows", NULL, CMD_KIND_NUMBER },
		{ "--seed", NULL, CMD_KIND_NUMBER },
		{ "--source", NULL, CMD_KIND_URL },
		{ "--warehouse", NULL, CMD_KIND_URL },
		{ "--use-existing", NULL },
		{ "--force", "-f" },
	  },
	  .args = { 1, 1, { CMD_KIND_DIR } },
	  .exec = exec_init },
	{ .name = "demo simulate", .usage = "[--once] [--rounds N] [--interval DURATION]",
	  .summary = "keep the demo's source changing and drop order files into its lake",
	  .help = "Each round, in one transaction on the `source` connection: a few new\n"
	  "sales orders, some amended ones, now and then new staff, a new address or\n"
	  "a changed customer contact, all stamped with the current time; then a\n"
	  "file of order documents dropped into the lake under orders/ (about one\n"
	  "in forty deliberately broken, for the pipe to reject).  What each round\n"
	  "does follows from the demo's seed and a round counter kept in the source.\n"
	  "\n"
	  "  --once              one round, then exit\n"
	  "  --rounds N          N rounds, then exit\n"
	  "  --interval DURATION between rounds (default 5s)\n"
	  "\n"
	  "Without --once or --rounds it runs until interrupted (Ctrl-C finishes the\n"
	  "round in progress).  `sluice --demo` runs it in the background while the\n"
	  "console is open.\n"
	  "\n"
	  "It writes only to a source that 'sluice init --demo' created, and refuses\n"
	  "any other (one used with --use-existing, a real ToteSys database).",
	  .flags = CMD_NEEDS_PROJECT | CMD_MUTATES,
	  .options = {
		{ "--once", NULL },
		{ "--rounds", NULL, CMD_KIND_NUMBER },
		{ "--interval", NULL, CMD_KIND_DURATION },
	  },
	  .exec = cmd_demo_simulate_exec },
	{ .name = NULL },
};
