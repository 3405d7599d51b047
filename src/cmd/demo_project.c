/*
 * demo_project.c - writing the demo project: databases, lake, SQL files
 * and sluice.json, from the template in data/demo.
 *
 * The template is a sluice.json whose connection URLs are placeholders
 * (@SOURCE_URL@, @WAREHOUSE_URL@, @PROJECT@) and SQL files in two
 * dialects (sql/sqlite, sql/postgresql); the warehouse's dialect decides
 * which are copied into the project's sql/.  The source is created and
 * filled by demo_source.c; the warehouse's star schema comes from the
 * template's warehouse_schema.sql, the same file the warehouse flow runs
 * as its first step.
 *
 * Order matters for "no partial write": both databases are filled inside
 * open transactions that commit together at the end, and sluice.json is
 * written last, so an init that fails leaves no project that looks
 * finished.
 */
#include "config.h"
#include "cmd/demo_int.h"

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

static int remove_sqlite(const char *file, struct err *e)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
		char *p = xasprintf("%s%s", file, suffixes[i]);
		int rc = unlink(p);
		int err = errno;
		free(p);
		if (rc < 0 && err != ENOENT)
			return err_set(e, ERR_IO, "cannot remove %s%s: %s", file, suffixes[i],
				       strerror(err));
	}
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

/* Tables the demo makes in the warehouse (its own, the pipes' raw tables
 * and sluice's bookkeeping), dropped by --force so that a new demo never
 * meets an old demo's ledger. */
static const char *const warehouse_tables[] = {
	"dim_date", "dim_staff", "dim_location", "dim_currency", "dim_design",
	"dim_counterparty", "fact_sales_order", "fact_order_line",
	"stg_dim_date", "stg_dim_staff", "stg_dim_location", "stg_dim_currency",
	"stg_dim_design", "stg_dim_counterparty", "stg_fact_sales_order",
	"stg_fact_sales_order_waiting",
	"stg_order_items", "stg_order_lines",
	"raw_address", "raw_counterparty", "raw_currency", "raw_department",
	"raw_design", "raw_payment_type", "raw_sales_order", "raw_staff", "raw_orders",
};

static int warehouse_existing(struct db *db, struct buf *out, struct err *e)
{
	for (size_t i = 0; i < ARRAY_LEN(warehouse_tables); i++) {
		int rc = db_table_exists(db, warehouse_tables[i], e);
		if (rc < 0)
			return -1;
		if (rc) {
			if (out->len)
				buf_puts(out, ", ");
			buf_puts(out, warehouse_tables[i]);
		}
	}
	return 0;
}

static int drop_sluice_tables(struct db *db, struct err *e)
{
	struct vec names = VEC_INIT;
	if (db_list_tables(db, &names, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < names.len && rc == 0; i++)
		if (str_starts_with(names.items[i], "_sluice_"))
			rc = db_drop_table(db, names.items[i], true, e);
	vec_free_all(&names, free);
	return rc;
}

static int warehouse_drop(struct db *db, struct err *e)
{
	for (size_t i = 0; i < ARRAY_LEN(warehouse_tables); i++)
		if (db_drop_table(db, warehouse_tables[i], true, e) < 0)
			return -1;
	return drop_sluice_tables(db, e);
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
			      struct err *e)
{
	if (t->file) {
		char *parent = path_dirname(t->file);
		int rc = mkdir_p(parent, 0755, e);
		free(parent);
		if (rc < 0)
			return NULL;
	}
	struct db_options opt = { .label = label };
	struct db *db = db_open(t->open_url, &opt, e);
	if (!db)
		err_prefix(e, "%s: ", label);
	return db;
}

/* Refuse an old demo's tables unless forced; drop them when forced. */
static int clear_target(const struct demo_options *o, const struct demo_target *t,
			struct db *db, bool is_source, struct err *e)
{
	struct buf found = BUF_INIT;
	int rc = is_source ? demo_source_existing(db, &found, e)
			   : warehouse_existing(db, &found, e);
	if (rc == 0 && found.len && !o->force) {
		char *shown = db_url_redacted(t->url);
		rc = err_set(e, ERR_CONFLICT, "the %s (%s) already has the demo's tables "
			     "(%s); pass --force to replace them",
			     is_source ? "source" : "warehouse", shown, found.data);
		free(shown);
	}
	if (rc == 0 && found.len)
		rc = is_source ? demo_source_drop(db, e) : warehouse_drop(db, e);
	buf_free(&found);
	return rc;
}

struct demo_dbs {
	struct db *source, *warehouse;   /* warehouse may be source */
};

static void dbs_close(struct demo_dbs *d)
{
	if (d->warehouse && d->warehouse != d->source)
		db_close(d->warehouse);
	db_close(d->source);
	d->source = d->warehouse = NULL;
}

static int fill_databases(const struct demo_options *o, const char *tmpl,
			  const char *dialect, const struct demo_target *src,
			  const struct demo_target *wh, struct err *e)
{
	struct demo_dbs d = { NULL, NULL };
	bool shared = strcmp(src->open_url, wh->open_url) == 0;
	char *schema_path = xasprintf("%s/sql/%s/warehouse_schema.sql", tmpl, dialect);
	char *schema = file_read_all(schema_path, NULL, e);
	free(schema_path);
	if (!schema)
		return -1;
	d.source = open_target(src, "source", e);
	if (d.source)
		d.warehouse = shared ? d.source : open_target(wh, "warehouse", e);
	if (!d.source || !d.warehouse)
		goto fail;
	if (db_begin(d.source, e) < 0 || (!shared && db_begin(d.warehouse, e) < 0))
		goto fail;
	if (clear_target(o, src, d.source, true, e) < 0 ||
	    clear_target(o, wh, d.warehouse, false, e) < 0)
		goto fail;
	char *shown = db_url_redacted(src->url);
	say(o, "sluice: filling the source (%s) with %lld sales orders, seed %llu\n",
	    shown, (long long)o->rows, (unsigned long long)o->seed);
	free(shown);
	if (demo_source_create(d.source, o->seed, o->rows, progress_rows, (void *)o, e) < 0) {
		err_prefix(e, "source: ");
		goto fail;
	}
	shown = db_url_redacted(wh->url);
	say(o, "sluice: creating the star schema in the warehouse (%s)\n", shown);
	free(shown);
	if (db_exec_script(d.warehouse, schema, e) < 0) {
		err_prefix(e, "warehouse: warehouse_schema.sql: ");
		goto fail;
	}
	if ((!shared && db_commit(d.warehouse, e) < 0) || db_commit(d.source, e) < 0)
		goto fail;
	free(schema);
	dbs_close(&d);
	return 0;
fail:
	if (d.warehouse && d.warehouse != d.source)
		db_rollback(d.warehouse);
	if (d.source)
		db_rollback(d.source);
	dbs_close(&d);
	free(schema);
	return -1;
}

/* ---- the whole project --------------------------------------------------------------- */

int demo_create(const struct demo_options *o, struct err *e)
{
	struct demo_target src, wh;
	memset(&src, 0, sizeof src);
	memset(&wh, 0, sizeof wh);
	char *tmpl = NULL;
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
	if (mkdir_p(o->dir, 0755, e) < 0)
		goto out;
	if (o->force) {
		/* The old project file goes first: from here until the new one
		 * is written, the directory is plainly not a working project. */
		if ((unlink(project_file) < 0 && errno != ENOENT) ||
		    remove_leftovers(o->dir, e) < 0 ||
		    (src.file && remove_sqlite(src.file, e) < 0) ||
		    (wh.file && remove_sqlite(wh.file, e) < 0)) {
			if (e->code == ERR_OK)
				err_set(e, ERR_IO, "cannot remove %s: %s", project_file,
					strerror(errno));
			goto out;
		}
	}
	const char *dialect = wh.kind == DB_POSTGRES ? "postgresql" : "sqlite";
	if (fill_databases(o, tmpl, dialect, &src, &wh, e) < 0 ||
	    make_lake(o->dir, e) < 0 ||
	    copy_sql(tmpl, dialect, o->dir, e) < 0)
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
	target_free(&src);
	target_free(&wh);
	return rc;
}
