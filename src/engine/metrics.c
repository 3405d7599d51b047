/*
 * metrics.c - `sluice worker --metrics`: the Prometheus text exposition
 * of what the control store knows, served by httpd.c on its own thread.
 *
 * Nearly everything is read from the store on a scrape (store_metrics_read:
 * history as a tail added to totals kept here, the rest as snapshots), so
 * every worker sharing a store reports the same numbers: aggregate them
 * with max(), not sum().  A rendering is kept for a second, so scrapers
 * arriving together cost one read.  Pending files need a lake listing and
 * one lookup per file, so they are counted at most every 15 s.  The thread
 * has its own read-only store handle and touches nothing of the engine's
 * but the project and the lake, which every thread shares.
 */
#include "engine/engine_int.h"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#define RENDER_EVERY  (1 * USEC_PER_SEC)
#define PENDING_EVERY (15 * USEC_PER_SEC)
#define METRICS_PATH  "/metrics"

struct engine_metrics {
	struct engine *eng;
	struct httpd *httpd;
	struct store *store;           /* the server thread's; opened on a scrape */
	struct store_metrics totals;   /* kept between scrapes: history is read
					  as a tail (store_metrics_read) */
	struct buf text;               /* the last rendering */
	usec_t rendered_at;            /* monotonic; 0 = never */
	int64_t *pending_files;        /* per project pipe; -1 unknown */
	usec_t pending_at;             /* monotonic; 0 = never */
};

/* ---- the exposition format ---------------------------------------------------------------- */
static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label_value(struct buf *b, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\')
			buf_puts(b, "\\\\");
		else if (*v == '"')
			buf_puts(b, "\\\"");
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

/* name{k1="v1",k2="v2",k3="v3"} with the pairs up to the first NULL key. */
static void series3(struct buf *b, const char *name, const char *k1, const char *v1,
		    const char *k2, const char *v2, const char *k3, const char *v3)
{
	buf_puts(b, name);
	const char *k[3] = { k1, k2, k3 }, *v[3] = { v1, v2, v3 };
	for (int i = 0; i < 3 && k[i]; i++) {
		buf_printf(b, "%s%s=\"", i ? "," : "{", k[i]);
		label_value(b, v[i]);
		buf_putc(b, '"');
	}
	if (k1)
		buf_putc(b, '}');
}

static void series(struct buf *b, const char *name, const char *k1, const char *v1,
		   const char *k2, const char *v2)
{
	series3(b, name, k1, v1, k2, v2, NULL, NULL);
}

static void sample(struct buf *b, const char *name, const char *k1, const char *v1,
		   const char *k2, const char *v2, int64_t value)
{
	series(b, name, k1, v1, k2, v2);
	buf_printf(b, " %lld\n", (long long)value);
}

static void samples(struct buf *b, const char *name, const char *k1, const char *k2,
		    const struct vec *v)
{
	for (size_t i = 0; i < v->len; i++) {
		const struct store_metric *m = v->items[i];
		sample(b, name, k1, m->label[0], k2, m->label[1], m->value);
	}
}

static void histograms(struct buf *b, const char *name, const char *k1, const char *k2,
		       const struct vec *v)
{
	char *bucket = xasprintf("%s_bucket", name);
	char *sum = xasprintf("%s_sum", name);
	char *count = xasprintf("%s_count", name);
	for (size_t i = 0; i < v->len; i++) {
		const struct store_metric *m = v->items[i];
		for (int j = 0; j <= STORE_DURATION_BUCKETS; j++) {
			char le[32] = "+Inf";
			if (j < STORE_DURATION_BUCKETS)
				snprintf(le, sizeof le, "%g", store_duration_buckets[j]);
			if (k2)
				series3(b, bucket, k1, m->label[0], k2, m->label[1], "le", le);
			else
				series(b, bucket, k1, m->label[0], "le", le);
			buf_printf(b, " %lld\n", (long long)(j < STORE_DURATION_BUCKETS
							     ? m->le[j] : m->value));
		}
		series(b, sum, k1, m->label[0], k2, m->label[1]);
		buf_printf(b, " %.6f\n", m->sum);
		sample(b, count, k1, m->label[0], k2, m->label[1], m->value);
	}
	free(bucket);
	free(sum);
	free(count);
}

/* So that a series exists, at 0, before its first event: rate() and
 * increase() need a sample from before the change. */
static void zero_fill(const struct project *p, struct store_metrics *m)
{
	static const char *const ended[] = { "COMPLETED", "CACHED", "FAILED", "CANCELLED",
					     "CRASHED" };
	for (size_t i = 0; i < p->nflows; i++) {
		for (size_t j = 0; j < sizeof ended / sizeof *ended; j++)
			store_metric_series(&m->runs_ended, p->flows[i].name, ended[j]);
		store_metric_series(&m->flow_rows, p->flows[i].name, NULL);
	}
	for (size_t i = 0; i < p->npipes; i++)
		store_metric_series(&m->pipe_rows, p->pipes[i].name, NULL);
	for (size_t i = 0; i < p->ntasks; i++)
		store_metric_series(&m->task_failures, p->tasks[i].name, NULL);
}

/* ---- what only a lake listing or the project says ------------------------------------------ */
static void count_pending(struct engine_metrics *em)
{
	const struct project *p = em->eng->project;
	usec_t now = clock_monotonic_us();
	if (em->pending_at && now - em->pending_at < PENDING_EVERY)
		return;
	em->pending_at = now;
	for (size_t i = 0; i < p->npipes; i++) {
		struct err e;
		err_clear(&e);
		if (pipe_pending(&p->pipes[i], em->store, em->eng->lake, &em->pending_files[i],
				 &e) < 0) {
			em->pending_files[i] = -1;
			log_emit(LOG_DEBUG, 0, NULL, "metrics", NULL, 0, "pending files: %s",
				 err_text(&e));
		}
	}
}

static void render_pipes_tasks(struct engine_metrics *em, struct buf *b)
{
	const struct project *p = em->eng->project;
	count_pending(em);
	family(b, "sluice_pipe_pending_files", "gauge",
	       "Files in the lake under the pipe's path that it has not loaded (counted "
	       "at most every 15 s; missing while the lake cannot be listed).");
	for (size_t i = 0; i < p->npipes; i++)
		if (em->pending_files[i] >= 0)
			sample(b, "sluice_pipe_pending_files", "pipe", p->pipes[i].name, NULL,
			       NULL, em->pending_files[i]);
	family(b, "sluice_task_suspended", "gauge",
	       "1 while the task is suspended (by an operator or after failures), else 0.");
	struct buf auto_b = BUF_INIT;
	family(&auto_b, "sluice_task_auto_suspended", "gauge",
	       "1 while the task is suspended because it failed too often, else 0.");
	for (size_t i = 0; i < p->ntasks; i++) {
		struct err e;
		err_clear(&e);
		char *st = engine_task_state(em->store, p, p->tasks[i].name, NULL, &e);
		if (!st)
			continue;
		bool automatic = str_eq(st, TASK_STATE_AUTO_SUSPENDED);
		sample(b, "sluice_task_suspended", "task", p->tasks[i].name, NULL, NULL,
		       automatic || str_eq(st, TASK_STATE_SUSPENDED));
		sample(&auto_b, "sluice_task_auto_suspended", "task", p->tasks[i].name, NULL,
		       NULL, automatic);
		free(st);
	}
	buf_append(b, buf_str(&auto_b), auto_b.len);
	buf_free(&auto_b);
}

/* ---- what the store says -------------------------------------------------------------------- */
static void render_runs(struct buf *b, const struct store_metrics *m)
{
	family(b, "sluice_runs_total", "counter",
	       "Runs that reached a final state (COMPLETED, CACHED, FAILED, CANCELLED, "
	       "CRASHED), by flow.");
	samples(b, "sluice_runs_total", "flow", "state", &m->runs_ended);
	family(b, "sluice_runs", "gauge", "Runs not finished, by their state now.");
	for (int st = 0; st < RUN_STATE_COUNT; st++)
		if (!run_state_is_terminal(st))
			sample(b, "sluice_runs", "state", run_state_name(st), NULL, NULL,
			       m->runs_now[st]);
	family(b, "sluice_run_duration_seconds", "histogram",
	       "Finished runs (not crashed), from start to end, by flow.");
	histograms(b, "sluice_run_duration_seconds", "flow", NULL, &m->run_seconds);
	family(b, "sluice_step_duration_seconds", "histogram",
	       "Steps that ran (their last attempt), from start to end, by flow and step.");
	histograms(b, "sluice_step_duration_seconds", "flow", "step", &m->step_seconds);
	family(b, "sluice_flow_rows_loaded_total", "counter",
	       "Rows the flow's runs wrote to their targets.");
	samples(b, "sluice_flow_rows_loaded_total", "flow", NULL, &m->flow_rows);
}

static void render_store(struct buf *b, const struct store_metrics *m)
{
	render_runs(b, m);
	family(b, "sluice_pipe_rows_loaded_total", "counter", "Rows the pipe loaded.");
	samples(b, "sluice_pipe_rows_loaded_total", "pipe", NULL, &m->pipe_rows);
	family(b, "sluice_pipe_files_total", "counter",
	       "Load attempts of the pipe's files, by outcome (LOADED, LOAD_FAILED, "
	       "PARTIALLY_LOADED).");
	samples(b, "sluice_pipe_files_total", "pipe", "status", &m->pipe_files);
	family(b, "sluice_stream_pending_rows", "gauge",
	       "Rows in the stream not yet consumed (copied by the scheduler every 5 s).");
	samples(b, "sluice_stream_pending_rows", "stream", NULL, &m->stream_pending);
	family(b, "sluice_task_failures_total", "counter", "Failed executions of the task.");
	samples(b, "sluice_task_failures_total", "task", NULL, &m->task_failures);
	family(b, "sluice_notifications", "gauge",
	       "Notifications in the queue by state (PENDING is the backlog).");
	for (int st = 0; st < NOTIFY_STATE_COUNT; st++)
		sample(b, "sluice_notifications", "state", notify_state_name(st), NULL, NULL,
		       m->notifications[st]);
	family(b, "sluice_store_size_bytes", "gauge",
	       "Size of the control store's tables (SQLite: its pages, without the WAL).");
	sample(b, "sluice_store_size_bytes", NULL, NULL, NULL, NULL, m->size_bytes);
	family(b, "sluice_worker_heartbeat_age_seconds", "gauge",
	       "Seconds since each registered worker's last heartbeat (every 10 s; a "
	       "worker is lost after 30 s).");
	usec_t now = clock_now_us();
	for (size_t i = 0; i < m->workers.len; i++) {
		const struct store_worker *w = m->workers.items[i];
		usec_t age = now > w->heartbeat ? now - w->heartbeat : 0;
		series(b, "sluice_worker_heartbeat_age_seconds", "worker", w->id, NULL, NULL);
		buf_printf(b, " %.3f\n", (double)age / USEC_PER_SEC);
	}
}

static int read_store(struct engine_metrics *em, struct err *e)
{
	if (!em->store) {
		struct store_options opt = em->eng->opt.store_opt;
		opt.read_only = true;
		em->store = store_open(em->eng->store_url, &opt, e);
		if (!em->store)
			return -1;
	}
	if (store_metrics_read(em->store, &em->totals, e) == 0)
		return 0;
	/* a connection that broke is opened again on the next scrape */
	store_close(em->store);
	em->store = NULL;
	return -1;
}

static void render(void *arg, struct buf *out)
{
	struct engine_metrics *em = arg;
	usec_t now = clock_monotonic_us();
	if (!em->rendered_at || now - em->rendered_at >= RENDER_EVERY) {
		struct buf *b = &em->text;
		buf_reset(b);
		struct err e;
		err_clear(&e);
		bool up = read_store(em, &e) == 0;
		if (up) {
			zero_fill(em->eng->project, &em->totals);
			render_store(b, &em->totals);
			render_pipes_tasks(em, b);
		} else {
			log_warn("metrics: %s", err_text(&e));
		}
		family(b, "sluice_store_up", "gauge",
		       "1 when this scrape could read the control store; without it only "
		       "this and sluice_build_info are reported.");
		sample(b, "sluice_store_up", NULL, NULL, NULL, NULL, up);
		family(b, "sluice_build_info", "gauge", "The running sluice's version.");
		sample(b, "sluice_build_info", "version", PACKAGE_VERSION, NULL, NULL, 1);
		em->rendered_at = clock_monotonic_us();
	}
	buf_append(out, buf_str(&em->text), em->text.len);
}

/* ---- the interface -------------------------------------------------------------------------- */
struct engine_metrics *engine_metrics_bind(const char *listen, struct err *e)
{
	struct httpd *h = engine_httpd_bind(listen, METRICS_PATH, e);
	if (!h)
		return NULL;
	struct engine_metrics *em = xcalloc(1, sizeof *em);
	em->httpd = h;
	return em;
}

const char *engine_metrics_address(const struct engine_metrics *em)
{
	return engine_httpd_address(em->httpd);
}

int engine_metrics_start(struct engine_metrics *em, struct engine *eng, struct err *e)
{
	em->eng = eng;
	em->pending_files = xcalloc(eng->project->npipes + 1, sizeof *em->pending_files);
	return engine_httpd_start(em->httpd, render, em, e);
}

void engine_metrics_free(struct engine_metrics *em)
{
	if (!em)
		return;
	engine_httpd_free(em->httpd);     /* joins the thread first */
	if (em->store)
		store_close(em->store);
	store_metrics_free(&em->totals);
	buf_free(&em->text);
	free(em->pending_files);
	free(em);
}
