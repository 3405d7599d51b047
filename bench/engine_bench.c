/*
 * engine_bench.c - the engine's own costs, built and run by bench/engine.
 *
 *   1. overhead: 1,000 queued runs of a one-step flow drain through one
 *      worker; overhead per run = (wall time - the steps' own time, as the
 *      engine recorded it) / runs: claiming, state changes, step records,
 *      events and logs, everything but the work.
 *   2. tick lateness: a task with a 1-second interval, fired by the
 *      scheduler thread on the real clock for DURATION seconds; lateness =
 *      the history row's start - its scheduled tick.
 *   3. memory: 10,000 more runs through two workers; RSS growth after a
 *      1,000-run warm-up.
 *
 * Usage: engine_bench DIR [TICK_SECONDS]
 */
#include "core/core.h"
#include "engine/engine.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct err E;

static void die(const char *what)
{
	fprintf(stderr, "engine_bench: %s: %s\n", what, err_text(&E));
	exit(1);
}

static double rss_mib(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (fp) {
		if (fscanf(fp, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(fp);
	}
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static void submit(struct store *s, const struct project *p, int n)
{
	struct engine_run_request req = { .flow = "trivial", .trigger = TRIGGER_MANUAL };
	for (int i = 0; i < n; i++)
		if (engine_submit(s, p, &req, NULL, &E) < 0)
			die("submit");
}

static void wait_completed(struct store *s, int64_t want)
{
	struct store_run_filter f = { .flow = "trivial",
				      .states = RUN_STATE_BIT(RUN_COMPLETED) };
	for (;;) {
		int64_t n = 0;
		if (store_run_count(s, &f, &n, &E) < 0)
			die("count");
		if (n >= want)
			return;
		usleep(20000);
	}
}

static struct engine *start(const struct project *p, const char *url, int workers,
			    bool scheduler)
{
	struct engine_options opt = { .store_url = url, .workers = workers,
				      .no_scheduler = !scheduler, .no_notifier = true,
				      .poll = 5 * USEC_PER_MSEC };
	struct engine *eng = engine_new(p, &opt, &E);
	if (!eng || engine_start(eng, &E) < 0)
		die("engine");
	return eng;
}

static int cmp_usec(const void *a, const void *b)
{
	usec_t x = *(const usec_t *)a, y = *(const usec_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: engine_bench DIR [TICK_SECONDS]\n");
		return 2;
	}
	const char *dir = argv[1];
	int tick_seconds = argc > 2 ? atoi(argv[2]) : 120;
	char *file = path_join(dir, "sluice.json");
	struct diags d;
	diags_init(&d);
	struct project *p = project_load(file, NULL, &d, &E);
	if (!p || d.errors)
		die("project");
	char *url = xasprintf("sqlite:%s/.sluice/control.db", dir);
	struct store *s = store_open(url, NULL, &E);
	if (!s)
		die("store");

	/* 1. overhead through one worker */
	const int runs = 1000;
	submit(s, p, runs);
	usec_t t0 = clock_monotonic_us();
	struct engine *eng = start(p, url, 1, false);
	wait_completed(s, runs);
	usec_t wall = clock_monotonic_us() - t0;
	engine_stop(eng, USEC_PER_SEC, NULL);
	engine_free(eng);
	struct store_run_filter all = { .flow = "trivial", .limit = 10000 };
	struct vec list = VEC_INIT;
	if (store_run_list(s, &all, &list, &E) < 0)
		die("list");
	usec_t steps_time = 0;
	for (size_t i = 0; i < list.len; i++) {
		struct vec st = VEC_INIT;
		store_step_list(s, ((struct store_run *)list.items[i])->id, &st, &E);
		for (size_t k = 0; k < st.len; k++) {
			struct store_step *x = st.items[k];
			steps_time += x->ended - x->started;
		}
		store_step_list_free(&st);
	}
	store_run_list_free(&list);
	double overhead_ms = (double)(wall - steps_time) / runs / 1000.0;

	/* 2. tick lateness on the real clock */
	eng = start(p, url, 2, true);
	if (engine_task_set(s, p, "tick", true, "bench", &E) < 0)
		die("task");
	sleep((unsigned)tick_seconds);
	engine_task_set(s, p, "tick", false, "bench", NULL);
	engine_stop(eng, USEC_PER_SEC, NULL);
	engine_free(eng);
	struct vec h = VEC_INIT;
	if (store_task_list(s, "tick", 10000, 0, &h, &E) < 0)
		die("history");
	usec_t *late = xcalloc(h.len + 1, sizeof *late);
	size_t nl = 0;
	for (size_t i = 0; i < h.len; i++) {
		struct store_task_entry *t = h.items[i];
		if (t->scheduled && t->started)
			late[nl++] = t->started - t->scheduled;
	}
	store_task_list_free(&h);
	qsort(late, nl, sizeof *late, cmp_usec);
	double p50 = nl ? late[nl / 2] / 1000.0 : -1;
	double p99 = nl ? late[(nl * 99) / 100 < nl ? (nl * 99) / 100 : nl - 1] / 1000.0 : -1;
	double lmax = nl ? late[nl - 1] / 1000.0 : -1;
	free(late);

	/* 3. memory over 10,000 runs */
	eng = start(p, url, 2, false);
	submit(s, p, 1000);
	wait_completed(s, runs + 1000);
	double rss_warm = rss_mib();
	double heap_warm = (double)mallinfo2().uordblks / (1024.0 * 1024.0);
	double lite_warm = (double)sqlite3_memory_used() / (1024.0 * 1024.0);
	submit(s, p, 10000);
	wait_completed(s, runs + 11000);
	double rss_end = rss_mib();
	double heap_end = (double)mallinfo2().uordblks / (1024.0 * 1024.0);
	double lite_end = (double)sqlite3_memory_used() / (1024.0 * 1024.0);
	engine_stop(eng, USEC_PER_SEC, NULL);
	engine_free(eng);

	printf("%-44s %12s\n", "measure", "value");
	printf("%-44s %12d\n", "queued runs drained (1 worker)", runs);
	printf("%-44s %12.1f\n", "wall time, ms", wall / 1000.0);
	printf("%-44s %12.1f\n", "steps' own time, ms", steps_time / 1000.0);
	printf("%-44s %12.3f\n", "engine overhead per run, ms (target < 2)", overhead_ms);
	printf("%-44s %12zu\n", "task ticks (1 s interval)", nl);
	printf("%-44s %12.1f\n", "tick lateness p50, ms", p50);
	printf("%-44s %12.1f\n", "tick lateness p99, ms (target < 100)", p99);
	printf("%-44s %12.1f\n", "tick lateness max, ms", lmax);
	printf("%-44s %12.1f\n", "RSS after 1,000-run warm-up, MiB", rss_warm);
	printf("%-44s %12.1f\n", "RSS after 10,000 more runs, MiB", rss_end);
	printf("%-44s %12.2f\n", "heap in use: growth, MiB", heap_end - heap_warm);
	printf("%-44s %12.2f\n", "  of which SQLite (page caches), MiB", lite_end - lite_warm);
	printf("BENCH engine overhead_ms_per_run=%.3f tick_late_ms_p99=%.1f rss_growth_mib=%.1f\n",
	       overhead_ms, p99, rss_end - rss_warm);
	store_close(s);
	project_free(p);
	diags_free(&d);
	free(url);
	free(file);
	return 0;
}
