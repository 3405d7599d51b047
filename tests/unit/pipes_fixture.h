/*
 * pipes_fixture.h - what the pipe and stream tests share: a project on
 * disk (sluice.json written by the test and loaded by project_load), its
 * control store, lake and data connections, on SQLite or on the test
 * PostgreSQL server.  test_pipes.c and test_pipes_pg.c run the same test
 * bodies (pipes_cases.h) against each backend.
 */
#ifndef SLUICE_PIPES_FIXTURE_H
#define SLUICE_PIPES_FIXTURE_H

#include "testutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "db/db.h"
#include "lake/lake.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

/* The warehouse: SQLite file in the test directory, or a fresh database on
 * the test server. */
struct backend {
	const char *name;
	char *(*warehouse_url)(const char *dir);
};

static char *sqlite_warehouse(const char *dir)
{
	static int n;
	return xasprintf("sqlite:%s/wh%d.db", dir, ++n);
}

static char *pg_warehouse(const char *dir)
{
	(void)dir;
	static int n;
	char *name = xasprintf("pipes_%d_%d", (int)getpid(), ++n);
	struct err e = { 0 };
	char *url = test_pg_database(name, &e);
	ck_assert_msg(url != NULL, "%s", err_text(&e));
	free(name);
	return url;
}

static const struct backend SQLITE_BACKEND = { "sqlite", sqlite_warehouse };
static const struct backend PG_BACKEND = { "postgresql", pg_warehouse };

struct fx {
	char *dir;
	char *wh_url;
	struct project *p;
	struct store *store;
	struct step_conns *conns;
	struct lake *lake;
	atomic_bool cancel;
};

/* Replace every "@WH@" in the template with the warehouse URL (JSON-escaped
 * well enough: the URLs hold no quotes or backslashes). */
static char *fill_template(const char *tmpl, const char *wh)
{
	struct buf b = BUF_INIT;
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "@WH@", 4) == 0) {
			buf_puts(&b, wh);
			p += 4;
		} else {
			buf_putc(&b, *p++);
		}
	}
	return buf_detach(&b);
}

static void fx_load(struct fx *f, const char *json)
{
	char *text = fill_template(json, f->wh_url);
	test_write_file(f->dir, "sluice.json", text);
	free(text);
	char *file = path_join(f->dir, "sluice.json");
	struct diags d;
	diags_init(&d);
	struct err e = { 0 };
	f->p = project_load(file, NULL, &d, &e);
	ck_assert_msg(f->p != NULL, "project: %s", err_text(&e));
	if (d.errors == 0)
		steps_validate(f->p, &d);
	for (size_t i = 0; i < d.items.len; i++) {
		char *line = diag_format(d.items.items[i]);
		if (((struct diag *)d.items.items[i])->severity == DIAG_ERROR)
			fprintf(stderr, "%s\n", line);
		free(line);
	}
	ck_assert_msg(d.errors == 0, "the test project has %zu errors", d.errors);
	diags_free(&d);
	free(file);
}

static void fx_open(struct fx *f, const struct backend *b, const char *json)
{
	memset(f, 0, sizeof *f);
	f->dir = test_mkdtemp();
	f->wh_url = b->warehouse_url(f->dir);
	char *lake = path_join(f->dir, "lake");
	mkdir_p(lake, 0755, NULL);
	free(lake);
	fx_load(f, json);
	struct err e = { 0 };
	f->store = store_open(f->p->control_url, NULL, &e);
	ck_assert_msg(f->store != NULL, "store: %s", err_text(&e));
	f->conns = step_conns_new(f->p, false);
	f->lake = steps_open_lake(f->p, &e);
	ck_assert_msg(f->lake != NULL, "lake: %s", err_text(&e));
	atomic_init(&f->cancel, false);
}

static void fx_close(struct fx *f)
{
	step_conns_free(f->conns);
	lake_close(f->lake);
	store_close(f->store);
	project_free(f->p);
	free(f->wh_url);
	test_rmdir(f->dir);
}

/* Put a new control store in place of f's (a new .sluice/, or a switched
 * store).  With legacy_runs > 0 it is one from before store ids that had
 * run that many runs (schema version 4, migrated on open). */
static void fx_new_store(struct fx *f, int legacy_runs)
{
	static int n;
	struct err e = { 0 };
	store_close(f->store);
	char *url = xasprintf("sqlite:%s/control-%d.db", f->dir, ++n);
	if (legacy_runs > 0)
		test_store_before_ids(url, legacy_runs);
	f->store = store_open(url, NULL, &e);
	ck_assert_msg(f->store != NULL, "%s", err_text(&e));
	ck_assert(store_identity(f->store)->legacy == (legacy_runs > 0));
	free(url);
}

static struct db *fx_db(struct fx *f)
{
	struct err e = { 0 };
	struct db *db = step_conns_get(f->conns, "wh", &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	return db;
}

static void fx_put(struct fx *f, const char *key, const char *text)
{
	struct err e = { 0 };
	ck_assert_msg(lake_put(f->lake, key, text, strlen(text), &e) == 0, "%s", err_text(&e));
}

/* Copy a file from the source tree into the lake. */
static void fx_put_file(struct fx *f, const char *key, const char *path)
{
	struct err e = { 0 };
	size_t len = 0;
	char *text = file_read_all(path, &len, &e);
	ck_assert_msg(text != NULL, "%s", err_text(&e));
	ck_assert_msg(lake_put(f->lake, key, text, len, &e) == 0, "%s", err_text(&e));
	free(text);
}

static char *srcdir_path(const char *rel)
{
	const char *src = getenv("SLUICE_SRCDIR");
	return path_join(src && *src ? src : ".", rel);
}

static int64_t fx_int(struct fx *f, const char *sql)
{
	struct err e = { 0 };
	int64_t v = -1;
	ck_assert_msg(db_query_int(fx_db(f), sql, NULL, 0, &v, &e) == 1, "%s: %s", sql,
		      err_text(&e));
	return v;
}

static char *fx_text(struct fx *f, const char *sql)
{
	struct err e = { 0 };
	char *v = NULL;
	ck_assert_msg(db_query_value(fx_db(f), sql, NULL, 0, &v, &e) == 1, "%s: %s", sql,
		      err_text(&e));
	return v;
}

static void fx_exec(struct fx *f, const char *sql)
{
	struct err e = { 0 };
	ck_assert_msg(db_exec(fx_db(f), sql, NULL, 0, NULL, &e) == 0, "%s: %s", sql,
		      err_text(&e));
}

static int fx_refresh(struct fx *f, const char *pipe, bool force, const char *only,
		      struct pipe_result *res, struct err *e)
{
	const struct project_pipe *pp = project_pipe(f->p, pipe);
	ck_assert_msg(pp != NULL, "no pipe %s", pipe);
	struct pipe_request req = { .force = force, .only_key = only };
	struct pipe_env env = { f->p, f->store, f->conns, f->lake, &f->cancel };
	return pipe_refresh(&env, pp, &req, res, e);
}

/* Refresh, which must succeed; returns the result for checks. */
static struct pipe_result fx_refresh_ok(struct fx *f, const char *pipe)
{
	struct pipe_result res;
	struct err e = { 0 };
	ck_assert_msg(fx_refresh(f, pipe, false, NULL, &res, &e) == 0, "refresh %s: %s",
		      pipe, err_text(&e));
	return res;
}

static struct store_load *fx_load_of(struct fx *f, const char *pipe, const char *key)
{
	struct store_load *l = NULL;
	struct err e = { 0 };
	ck_assert_msg(store_load_get(f->store, pipe, key, &l, &e) == 1,
		      "no load history for %s %s: %s", pipe, key, err_text(&e));
	return l;
}

static int64_t fx_pending(struct fx *f, const char *pipe)
{
	int64_t n = -1;
	struct err e = { 0 };
	ck_assert_msg(pipe_pending(project_pipe(f->p, pipe), f->store, f->lake, &n, &e) == 0,
		      "%s", err_text(&e));
	return n;
}

static void fx_checksum(struct fx *f, const char *key, char out[65])
{
	struct err e = { 0 };
	ck_assert_msg(lake_checksum(f->lake, key, out, NULL, &e) == 0, "%s", err_text(&e));
}

/* Lines of a file (its NDJSON records). */
static int64_t count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	int64_t n = 0;
	int c, last = '\n';
	while ((c = fgetc(fp)) != EOF) {
		if (c == '\n')
			n++;
		last = c;
	}
	if (last != '\n')
		n++;
	fclose(fp);
	return n;
}

/* ---- running steps ----------------------------------------------------------- */

struct run {
	struct step_ctx ctx;
	atomic_bool cancel;
	bool own_shared;
};

static int64_t fx_new_run(struct fx *f, const char *flow)
{
	struct store_run_spec spec = { .flow = flow, .state = RUN_PENDING };
	int64_t id = 0;
	struct err e = { 0 };
	ck_assert_msg(store_run_create(f->store, &spec, &id, &e) == 0, "%s", err_text(&e));
	return id;
}

/* A context for steps of `flow` in run `run_id`; shared may be a run's
 * existing shared state (steps of one attempt) or NULL for a fresh one. */
static void run_init(struct run *r, struct fx *f, const char *flow, int64_t run_id,
		     struct run_shared *shared)
{
	memset(r, 0, sizeof *r);
	atomic_init(&r->cancel, false);
	r->ctx.project = f->p;
	r->ctx.flow = project_flow(f->p, flow);
	ck_assert_msg(r->ctx.flow != NULL, "no flow %s", flow);
	r->ctx.run_id = run_id;
	r->ctx.attempt = 1;
	r->ctx.run_start = clock_now_us();
	r->ctx.store = f->store;
	r->ctx.conns = f->conns;
	r->ctx.lake = f->lake;
	r->own_shared = !shared;
	r->ctx.shared = shared ? shared : run_shared_new();
	r->ctx.cancel = &r->cancel;
}

static int run_step(struct run *r, const char *step, struct err *e)
{
	r->ctx.step = project_step(r->ctx.flow, step);
	ck_assert_msg(r->ctx.step != NULL, "no step %s", step);
	free(r->ctx.summary);
	r->ctx.summary = NULL;
	return steps_run(&r->ctx, e);
}

static void run_step_ok(struct run *r, const char *step)
{
	struct err e = { 0 };
	ck_assert_msg(run_step(r, step, &e) == 0, "step %s: %s", step, err_text(&e));
}

static void run_free(struct run *r)
{
	free(r->ctx.summary);
	if (r->own_shared)
		run_shared_free(r->ctx.shared);
}

#endif
