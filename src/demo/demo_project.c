/*
 * demo_project.c - writing the demo project: databases, lake, SQL files
 * and sluice.json, from the template in data/demo.
 *
 * The template is a sluice.json whose connection URLs are placeholders
 * (@SOURCE_URL@, @WAREHOUSE_URL@, @PROJECT@) and the flows' queries in two
 * dialects (sql/sqlite, sql/postgresql); the warehouse's dialect decides
 * which are copied into the project's sql/.  The source is created and
 * filled by demo_source.c; the warehouse's star schema is written in that
 * dialect from demo_warehouse.c's one definition, run in the warehouse and
 * written as sql/warehouse_schema.sql, the file the warehouse flow runs as
 * its first step.
 *
 * Order matters for "no partial write": both databases are filled inside
 * open transactions that commit together at the end, and sluice.json is
 * written last, so an init that fails leaves no project that looks
 * finished.
 *
 * Nothing init did not create is ever dropped.  Every database is surveyed
 * (read-only) before anything is written: a table of one of the demo's
 * names that the demo did not make (demo_mark.c) refuses the init, with
 * --force or without; the demo's own are replaced only with --force, which
 * first says which.  With use_existing the source is never opened for
 * writing: its catalogue is checked for what the flows read, and the
 * project reads its tables as they are.
 */
#include "config.h"
#include "demo/demo_int.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SLUICE_SRCDATADIR
#define SLUICE_SRCDATADIR ""
#endif

#define DEFAULT_SOURCE "data/source.db"
#define DEFAULT_WAREHOUSE "data/warehouse.db"

/* ---- the template ------------------------------------------------------------ */

static char *template_in(const char *datadir)
{
	if (!datadir || !*datadir)
		return NULL;
	char *dir = path_join(datadir, "demo");
	char *probe = path_join(dir, "sluice.json");
	bool ok = file_exists(probe);
	free(probe);
	if (ok)
		return dir;
	free(dir);
	return NULL;
}

char *demo_template_dir(struct err *e)
{
	const char *env = getenv("SLUICE_DATADIR");
	char *dir = template_in(env);
	if (!dir && !(env && *env))
		dir = template_in(SLUICE_DATADIR);
	if (!dir && !(env && *env))
		dir = template_in(SLUICE_SRCDATADIR);
	if (!dir)
		err_set(e, ERR_NOTFOUND, "the demo template is not installed: no "
			"demo/sluice.json in %s (set SLUICE_DATADIR to the directory "
			"holding demo/)", env && *env ? env : SLUICE_DATADIR);
	return dir;
}

/* ---- connections ------------------------------------------------------------- */

struct demo_target {
	char *url;          /* what sluice.json says */
	char *open_url;     /* what we open from here (sqlite paths resolved) */
	char *file;         /* the SQLite file when it is the default one in dir */
	enum db_kind kind;
};

static void target_free(struct demo_target *t)
{
	free(t->url);
	free(t->open_url);
	free(t->file);
}

static char *absolute(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return xstrdup(path);
	return path_join(cwd, path);
}

static int target_init(struct demo_target *t, const char *dir, const char *given,
		       const char *fallback, const char *what, struct err *e)
{
	memset(t, 0, sizeof *t);
	if (!given) {
		t->url = xasprintf("sqlite:%s", fallback);
		t->file = path_join(dir, fallback);
		t->open_url = xasprintf("sqlite:%s", t->file);
		t->kind = DB_SQLITE;
		return 0;
	}
	if (!db_url_valid(given, &t->kind))
		return err_at(e, ERR_INVALID, what, "not a connection URL: expected "
			      "sqlite:PATH, postgresql://... or a libpq conninfo");
	/* exec_init refused a password in it (project_check_url_option). */
	if (t->kind == DB_SQLITE) {
		const char *path = given + strlen("sqlite:");
		if (strcmp(path, ":memory:") == 0)
			return err_at(e, ERR_INVALID, what, "an in-memory database would "
				      "vanish when init ends");
		char *abs = absolute(path);
		t->url = xasprintf("sqlite:%s", abs);
		t->open_url = xstrdup(t->url);
		free(abs);
		return 0;
	}
	t->url = xstrdup(given);
	t->open_url = xstrdup(given);
	return 0;
}

/* ---- removing an old demo (--force) ---------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int remove_tree(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return err_set(e, ERR_IO, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* The demo's own paths in dir: its lake prefixes and control store. */
static const char *const demo_paths[] = { "lake/totesys", "lake/orders", ".sluice" };

static int refuse_leftovers(const char *dir, struct err *e)
{
	for (size_t i = 0; i < ARRAY_LEN(demo_paths); i++) {
		char *p = path_join(dir, demo_paths[i]);
		bool there = file_exists(p);
		free(p);
		if (there)
			return err_set(e, ERR_CONFLICT, "%s already holds a demo's data (%s); "
				       "pass --force to replace it", dir, demo_paths[i]);
	}
	return 0;
}

static int remove_leftovers(const char *dir, struct err *e)
{
	for (size_t i = 0; i < ARRAY_LEN(demo_paths); i++) {
		char *p = path_join(dir, demo_paths[i]);
		int rc = remove_tree(p, e);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Tables the demo makes in the warehouse: the star schema (demo_warehouse.c),
 * and what its flows make later: the pipes' raw tables, the staging tables
 * and sluice's bookkeeping.  init marks them all as the demo's, so that
 * --force can drop an old demo's ledger and stream offsets with its tables
 * (a new demo's runs must never meet them) and nothing else. */
static const char *const warehouse_tables[] = {
	"dim_date", "dim_staff", "dim_location", "dim_currency", "dim_design",
	"dim_counterparty", "fact_sales_order", "fact_order_line", "daily_sales",
	"stg_dim_date", "stg_dim_staff", "stg_dim_location", "stg_dim_currency",
	"stg_dim_design", "stg_dim_counterparty", "stg_fact_sales_order",
	"stg_fact_sales_order_waiting", "stg_fact_sales_order_held",
	"stg_totesys_mark",
	"stg_order_items", "stg_order_lines",
	"raw_address", "raw_counterparty", "raw_currency", "raw_department",
	"raw_design", "raw_payment_type", "raw_sales_order", "raw_staff", "raw_orders",
	"_sluice_ledger", "_sluice_stream_offsets", "_sluice_stream_windows",
};

/* sluice's bookkeeping tables hold every project's records that writes to
 * the database: ones that were there before the demo belong to another
 * project sharing the warehouse, which the demo neither claims nor drops. */
static bool bookkeeping(const char *name)
{
	return str_starts_with(name, "_sluice_");
}

/* ---- files ------------------------------------------------------------------------ */

static void json_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char)c);
	}
}

/* The template with @NAME@ replaced by JSON-escaped values. */
static char *substitute(const char *text, const char *const *names,
			const char *const *values, size_t n)
{
	struct buf b = BUF_INIT;
	const char *p = text;
	while (*p) {
		bool done = false;
		if (*p == '@') {
			for (size_t i = 0; i < n && !done; i++) {
				size_t len = strlen(names[i]);
				if (strncmp(p, names[i], len) == 0) {
					json_escape(&b, values[i]);
					p += len;
					done = true;
				}
			}
		}
		if (!done)
			buf_putc(&b, *p++);
	}
	return buf_detach(&b);
}

static int copy_file(const char *from, const char *to, struct err *e)
{
	size_t len;
	char *text = file_read_all(from, &len, e);
	if (!text)
		return -1;
	int rc = file_write_atomic(to, text, len, e);
	free(text);
	return rc;
}

/* Every *.sql of the template's dialect directory into dir/sql. */
static int copy_sql(const char *tmpl, const char *dialect, const char *dir, struct err *e)
{
	char *from = xasprintf("%s/sql/%s", tmpl, dialect);
	char *to = path_join(dir, "sql");
	int rc = mkdir_p(to, 0755, e);
	DIR *d = rc == 0 ? opendir(from) : NULL;
	if (rc == 0 && !d)
		rc = err_set(e, ERR_IO, "cannot read %s: %s", from, strerror(errno));
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".sql"))
			continue;
		char *src = path_join(from, de->d_name);
		char *dst = path_join(to, de->d_name);
		rc = copy_file(src, dst, e);
		free(src);
		free(dst);
	}
	if (d)
		closedir(d);
	free(from);
	free(to);
	return rc;
}

static int write_schema_file(const char *dir, const struct buf *schema, struct err *e)
{
	char *path = path_join(dir, "sql/warehouse_schema.sql");
	int rc = file_write_atomic(path, schema->data, schema->len, e);
	free(path);
	return rc;
}

static int write_project_file(const char *tmpl, const char *dir,
			      const struct demo_target *src, const struct demo_target *wh,
			      struct err *e)
{
	char *tpath = path_join(tmpl, "sluice.json");
	size_t len;
	char *text = file_read_all(tpath, &len, e);
	free(tpath);
	if (!text)
		return -1;
	static const char *const names[] = { "@PROJECT@", "@SOURCE_URL@", "@WAREHOUSE_URL@" };
	const char *values[] = { "totesys-demo", src->url, wh->url };
	char *out = substitute(text, names, values, ARRAY_LEN(names));
	free(text);
	char *path = path_join(dir, "sluice.json");
	int rc = file_write_atomic(path, out, strlen(out), e);
	free(path);
	free(out);
	return rc;
}

/* The lake's directories exist from the start, so no pipe begins life
 * stopped for a missing path. */
static int make_lake(const char *dir, struct err *e)
{
	char *p = path_join(dir, "lake/orders");
	int rc = mkdir_p(p, 0755, e);
	free(p);
	for (size_t i = 0; rc == 0 && i < demo_nsource_tables; i++) {
		p = xasprintf("%s/lake/totesys/%s", dir, demo_source_tables[i]);
		rc = mkdir_p(p, 0755, e);
		free(p);
	}
	return rc;
}

/* ---- databases ------------------------------------------------------------------- */

static void say(const struct demo_options *o, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(const struct demo_options *o, const char *fmt, ...)
{
	if (!o->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(o->progress, fmt, ap);
	va_end(ap);
	fflush(o->progress);
}

static void progress_rows(int64_t done, int64_t total, void *arg)
{
	const struct demo_options *o = arg;
	say(o, "  sales_order: %lld of %lld rows\n", (long long)done, (long long)total);
}

static struct db *open_target(const struct demo_target *t, const char *label,
			      bool read_only, struct err *e)
{
	if (t->file) {
		char *parent = path_dirname(t->file);
		int rc = mkdir_p(parent, 0755, e);
		free(parent);
		if (rc < 0)
			return NULL;
	}
	struct db_options opt = { .read_only = read_only, .label = label };
	struct db *db = db_open(t->open_url, &opt, e);
	if (!db)
		err_prefix(e, "%s: ", label);
	return db;
}

static const char *role_word(enum demo_role role)
{
	return role == DEMO_ROLE_SOURCE ? "source" : "warehouse";
}

/* --use-existing: the source is opened read-only, so the database itself
 * refuses any write, and only its catalogue is read. */
static int check_existing_source(const struct demo_options *o, const struct demo_target *src,
				 struct err *e)
{
	struct db *db = open_target(src, "source", true, e);
	if (!db)
		return -1;
	struct buf missing = BUF_INIT;
	int rc = demo_source_check(db, &missing, e);
	db_close(db);
	char *shown = db_url_redacted(src->url);
	if (rc == 0 && missing.len)
		rc = err_set(e, ERR_NOTFOUND, "the source (%s) lacks what the demo's flows "
			     "read: %s", shown, buf_str(&missing));
	else if (rc == 0)
		say(o, "sluice: using the ToteSys tables in the source (%s) as they are: "
		    "read only, nothing generated\n", shown);
	free(shown);
	buf_free(&missing);
	return rc;
}

/* Every ToteSys table is there (the simulator's state need not be). */
static bool all_totesys(const struct demo_census *c)
{
	for (size_t i = 0; i < c->absent.len; i++)
		if (strcmp(c->absent.items[i], DEMO_STATE_TABLE) != 0)
			return false;
	return true;
}

static int refuse_foreign(enum demo_role role, const char *shown,
			  const struct demo_census *c, struct err *e)
{
	const char *way =
		role == DEMO_ROLE_WAREHOUSE ? "choose another database with --warehouse, or "
					      "move them out of the way yourself" :
		all_totesys(c) ? "to run the demo's flows on them as they are (read only, "
				 "nothing generated), add --use-existing" :
		"choose another database with --source, or move them out of the way yourself";
	char *list = demo_names_join(&c->foreign);
	err_set(e, ERR_CONFLICT, "the %s (%s) has tables that 'sluice init --demo' did "
		"not create: %s; init never replaces those, with --force or without; %s",
		role_word(role), shown, list, way);
	free(list);
	return -1;
}

/* What init would replace in one database: tables of the demo's names that
 * the demo did not make are refused, the demo's own need --force.  Fills
 * c (the caller frees it); c->ours is what is to be dropped. */
static int survey(const struct demo_options *o, struct db *db, enum demo_role role,
		  const char *url, struct demo_census *c, struct err *e)
{
	bool source = role == DEMO_ROLE_SOURCE;
	if (demo_census_take(db, role, source ? demo_source_made : warehouse_tables,
			     source ? demo_nsource_made : ARRAY_LEN(warehouse_tables), c, e) < 0)
		return -1;
	for (size_t i = c->foreign.len; i-- > 0;) {
		if (bookkeeping(c->foreign.items[i])) {
			free(c->foreign.items[i]);
			vec_remove(&c->foreign, i);
		}
	}
	char *shown = db_url_redacted(url);
	int rc = 0;
	if (c->foreign.len) {
		rc = refuse_foreign(role, shown, c, e);
	} else if (c->ours.len && !o->force) {
		char *list = demo_names_join(&c->ours);
		rc = err_set(e, ERR_CONFLICT, "the %s (%s) already has the demo's tables (%s); "
			     "pass --force to replace them", role_word(role), shown, list);
		free(list);
	}
	free(shown);
	return rc;
}

/* Surveyed first through a read-only connection, so that a refused init
 * changes not one byte of a database that is not the demo's (opening a
 * SQLite file for writing would turn on WAL in it).  A SQLite file that is
 * not there yet has nothing to refuse. */
static int preflight(const struct demo_options *o, const struct demo_target *t,
		     enum demo_role role, struct err *e)
{
	if (t->kind == DB_SQLITE && !file_exists(t->open_url + strlen("sqlite:")))
		return 0;
	struct db *db = open_target(t, role_word(role), true, e);
	if (!db)
		return -1;
	struct demo_census c;
	int rc = survey(o, db, role, t->url, &c, e);
	demo_census_free(&c);
	db_close(db);
	return rc;
}

/* --force: say what goes, then drop it. */
static int replace_ours(const struct demo_options *o, struct db *db, enum demo_role role,
			const char *url, const struct demo_census *c, struct err *e)
{
	if (!c->ours.len)
		return 0;
	char *shown = db_url_redacted(url);
	char *list = demo_names_join(&c->ours);
	say(o, "sluice: replacing the demo's tables in the %s (%s): %s\n", role_word(role),
	    shown, list);
	free(shown);
	free(list);
	return demo_drop_ours(db, &c->ours, e);
}

/* Every warehouse name is the demo's but bookkeeping that another project
 * made before it (its own was dropped by now). */
static int mark_warehouse(struct db *db, struct err *e)
{
	struct vec names = VEC_INIT;
	int rc = 0;
	for (size_t i = 0; i < ARRAY_LEN(warehouse_tables) && rc == 0; i++) {
		int there = bookkeeping(warehouse_tables[i]) ?
			    db_table_exists(db, warehouse_tables[i], e) : 0;
		if (there < 0)
			rc = -1;
		else if (!there)
			vec_push(&names, (void *)warehouse_tables[i]);
	}
	if (rc == 0)
		rc = demo_mark(db, DEMO_ROLE_WAREHOUSE, (const char *const *)names.items,
			       names.len, false, e);
	vec_free(&names);
	return rc;
}

struct demo_dbs {
	struct db *source;               /* NULL with use_existing: only checked */
	struct db *warehouse;            /* may be source */
	struct demo_census src, wh;
};

static void dbs_close(struct demo_dbs *d, bool rollback)
{
	if (d->warehouse && d->warehouse != d->source) {
		if (rollback)
			db_rollback(d->warehouse);
		db_close(d->warehouse);
	}
	if (d->source) {
		if (rollback)
			db_rollback(d->source);
		db_close(d->source);
	}
	demo_census_free(&d->src);
	demo_census_free(&d->wh);
	memset(d, 0, sizeof *d);
}

/* Open both databases, begin a transaction on each and survey them. */
static int dbs_open(const struct demo_options *o, const struct demo_target *src,
		    const struct demo_target *wh, struct demo_dbs *d, struct err *e)
{
	bool shared = !o->use_existing && strcmp(src->open_url, wh->open_url) == 0;
	if ((!o->use_existing && preflight(o, src, DEMO_ROLE_SOURCE, e) < 0) ||
	    preflight(o, wh, DEMO_ROLE_WAREHOUSE, e) < 0)
		return -1;
	if (!o->use_existing && !(d->source = open_target(src, "source", false, e)))
		return -1;
	d->warehouse = shared ? d->source : open_target(wh, "warehouse", false, e);
	if (!d->warehouse ||
	    (d->source && db_begin(d->source, e) < 0) ||
	    (!shared && db_begin(d->warehouse, e) < 0))
		return -1;
	if (d->source && survey(o, d->source, DEMO_ROLE_SOURCE, src->url, &d->src, e) < 0)
		return -1;
	return survey(o, d->warehouse, DEMO_ROLE_WAREHOUSE, wh->url, &d->wh, e);
}

static int dbs_fill(const struct demo_options *o, const char *schema,
		    const struct demo_target *src, const struct demo_target *wh,
		    struct demo_dbs *d, struct err *e)
{
	if (d->source) {
		if (replace_ours(o, d->source, DEMO_ROLE_SOURCE, src->url, &d->src, e) < 0)
			return -1;
		char *shown = db_url_redacted(src->url);
		say(o, "sluice: filling the source (%s) with %lld sales orders, seed %llu\n",
		    shown, (long long)o->rows, (unsigned long long)o->seed);
		free(shown);
		if (demo_source_create(d->source, o->seed, o->rows, progress_rows, (void *)o,
				       e) < 0 ||
		    demo_mark(d->source, DEMO_ROLE_SOURCE, demo_source_made, demo_nsource_made,
			      true, e) < 0) {
			err_prefix(e, "source: ");
			return -1;
		}
	}
	if (replace_ours(o, d->warehouse, DEMO_ROLE_WAREHOUSE, wh->url, &d->wh, e) < 0)
		return -1;
	char *shown = db_url_redacted(wh->url);
	say(o, "sluice: creating the star schema in the warehouse (%s)\n", shown);
	free(shown);
	if (db_exec_script(d->warehouse, schema, e) < 0) {
		err_prefix(e, "warehouse: warehouse_schema.sql: ");
		return -1;
	}
	if (mark_warehouse(d->warehouse, e) < 0) {
		err_prefix(e, "warehouse: ");
		return -1;
	}
	return 0;
}

/* --force, once every check has passed.  The old project file goes first:
 * from here until the new one is written, the directory is plainly not a
 * working project. */
static int remove_old_project(const char *dir, const char *project_file, struct err *e)
{
	if (unlink(project_file) < 0 && errno != ENOENT)
		return err_set(e, ERR_IO, "cannot remove %s: %s", project_file, strerror(errno));
	return remove_leftovers(dir, e);
}

/* Both databases change in transactions that commit together at the end,
 * after every check: a refused or failed init changes neither. */
static int build_databases(const struct demo_options *o, const char *schema,
			   const struct demo_target *src, const struct demo_target *wh,
			   const char *project_file, struct err *e)
{
	struct demo_dbs d;
	memset(&d, 0, sizeof d);
	int rc = dbs_open(o, src, wh, &d, e);
	if (rc == 0 && o->force)
		rc = remove_old_project(o->dir, project_file, e);
	if (rc == 0)
		rc = dbs_fill(o, schema, src, wh, &d, e);
	if (rc == 0 && d.warehouse != d.source)
		rc = db_commit(d.warehouse, e);
	if (rc == 0 && d.source)
		rc = db_commit(d.source, e);
	dbs_close(&d, rc < 0);
	return rc;
}

/* ---- the whole project --------------------------------------------------------------- */

int demo_create(const struct demo_options *o, struct err *e)
{
	struct demo_target src, wh;
	memset(&src, 0, sizeof src);
	memset(&wh, 0, sizeof wh);
	char *tmpl = NULL;
	struct buf schema = BUF_INIT;
	char *project_file = path_join(o->dir, "sluice.json");
	int rc = -1;

	if (file_exists(project_file) && !o->force) {
		err_set(e, ERR_CONFLICT, "%s exists; pass --force to replace it and the "
			"demo's data", project_file);
		goto out;
	}
	if (target_init(&src, o->dir, o->source_url, DEFAULT_SOURCE, "--source", e) < 0 ||
	    target_init(&wh, o->dir, o->warehouse_url, DEFAULT_WAREHOUSE, "--warehouse", e) < 0)
		goto out;
	if (!(tmpl = demo_template_dir(e)))
		goto out;
	if (!o->force && refuse_leftovers(o->dir, e) < 0)
		goto out;
	if (o->use_existing && strcmp(src.open_url, wh.open_url) == 0) {
		err_at(e, ERR_INVALID, "--warehouse", "with --use-existing the source is only "
		       "read: the warehouse must be another database");
		goto out;
	}
	if (o->use_existing && check_existing_source(o, &src, e) < 0)
		goto out;
	if (mkdir_p(o->dir, 0755, e) < 0)
		goto out;
	const char *dialect = wh.kind == DB_POSTGRES ? "postgresql" : "sqlite";
	if (demo_warehouse_schema(wh.kind, &schema, e) < 0 ||
	    build_databases(o, buf_str(&schema), &src, &wh, project_file, e) < 0 ||
	    make_lake(o->dir, e) < 0 ||
	    copy_sql(tmpl, dialect, o->dir, e) < 0 ||
	    write_schema_file(o->dir, &schema, e) < 0)
		goto out;
	char *readme_from = path_join(tmpl, "README.md");
	char *readme_to = path_join(o->dir, "README.md");
	rc = copy_file(readme_from, readme_to, e);
	free(readme_from);
	free(readme_to);
	if (rc == 0)
		rc = write_project_file(tmpl, o->dir, &src, &wh, e);
out:
	free(project_file);
	free(tmpl);
	buf_free(&schema);
	target_free(&src);
	target_free(&wh);
	return rc;
}
