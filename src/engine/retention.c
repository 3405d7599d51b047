/*
 * retention.c - applying the project's retention to the control store.
 *
 * A pass prunes the store's own kinds (store_prune_some) and then each
 * pipe's load history, which may only lose records of files the lake no
 * longer holds (pipe_prune_history), so that no file is ever loaded twice
 * because its history was pruned.  The scheduler-lease holder runs a pass
 * every `retention.every`, a few batches per scheduler tick, so that tasks
 * and pipes keep their times and no transaction holds the store's write
 * lock for long; `sluice store prune` runs one to the end (or counts, with
 * --dry-run).
 */
#include "engine/engine_int.h"
#include "lake/lake.h"

#include <string.h>

/* Transactions a scheduler tick may spend on a pass. */
#define TICK_BUDGET 4

static void retention_from_project(const struct project_retention *pr,
				   struct store_retention *r)
{
	memset(r, 0, sizeof *r);
	r->log_age = pr->logs;
	r->log_max = pr->log_rows;
	r->run_age = pr->runs;
	r->transition_age = pr->transitions;
	r->task_age = pr->task_history;
	r->notify_age = pr->notifications;
	r->request_age = pr->requests;
}

void engine_prune_pass_start(struct prune_pass *pp, const struct project *p, bool dry_run)
{
	memset(pp, 0, sizeof *pp);
	retention_from_project(&p->retention, &pp->r);
	pp->load_age = p->retention.load_history;
	pp->dry_run = dry_run;
	pp->active = true;
}

void engine_prune_pass_end(struct prune_pass *pp)
{
	if (pp->pipe_begun)
		pipe_prune_end(&pp->pp);
	pp->pipe_begun = false;
	pp->active = false;
}

/* The store's own kinds: 1 more, 0 done, -1 error. */
static int store_stage(struct prune_pass *pp, struct store *s, int *budget, struct err *e)
{
	if (!pp->dry_run)
		return store_prune_some(s, &pp->r, &pp->stage, budget, &pp->stats, e);
	return store_prune_count(s, &pp->r, &pp->stats, e);
}

/* Pipe pp->pipe's history: 1 more, 0 done (or skipped: a lake that cannot
 * be listed keeps the history, and says so), -1 a store error. */
static int pipe_stage(struct prune_pass *pp, const struct project *p, struct store *s,
		      struct lake *lake, int *budget, struct err *e)
{
	const struct project_pipe *pipe = &p->pipes[pp->pipe];
	if (!pp->pipe_begun) {
		struct err le;
		err_clear(&le);
		pp->pipe_begun = true;
		if (!lake || pipe_prune_begin(&pp->pp, pipe, lake, &le) < 0) {
			log_emit(LOG_WARN, 0, NULL, "retention", NULL, 0, "pipe %s: its load "
				 "history is kept this time: %s", pipe->name,
				 lake ? err_text(&le) : "the lake could not be opened");
			return 0;
		}
	}
	int64_t n = 0;
	int rc = pipe_prune_history(&pp->pp, s, clock_now_us() - pp->load_age, pp->dry_run,
				    budget, &n, e);
	pp->stats.loads += n;
	return rc;
}

int engine_prune_pass_step(struct prune_pass *pp, const struct project *p, struct store *s,
		    struct lake *lake, int *budget, struct err *e)
{
	if (!pp->store_done) {
		int rc = store_stage(pp, s, budget, e);
		if (rc != 0)
			return rc;
		pp->store_done = true;
	}
	while (pp->load_age > 0 && pp->pipe < p->npipes) {
		int rc = pipe_stage(pp, p, s, lake, budget, e);
		if (rc != 0)
			return rc;
		pipe_prune_end(&pp->pp);
		pp->pipe_begun = false;
		pp->pipe++;
	}
	return 0;
}

void engine_prune_stats_text(const struct store_prune_stats *st, struct buf *out)
{
	const struct { const char *what; int64_t n; } kinds[] = {
		{ "log records", st->logs }, { "runs", st->runs },
		{ "run transitions", st->transitions }, { "task history entries", st->tasks },
		{ "load history entries", st->loads }, { "notifications", st->notifications },
		{ "requests", st->requests }, { "cache entries", st->cache },
	};
	const char *sep = "";
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
		if (!kinds[i].n)
			continue;
		buf_printf(out, "%s%s %lld", sep, kinds[i].what, (long long)kinds[i].n);
		sep = ", ";
	}
}

/* The scheduler-lease holder's share: start a pass when one is due, take
 * it a few batches further, and say what it deleted when it ends. */
void engine_retention_tick(struct engine *eng, struct prune_pass *pp, struct store *s,
		    usec_t *next_due, usec_t now)
{
	const struct project *p = eng->project;
	if (!pp->active) {
		if (p->retention.every <= 0 || now < *next_due)
			return;
		engine_prune_pass_start(pp, p, false);
	}
	int budget = TICK_BUDGET;
	struct err e;
	err_clear(&e);
	int rc = engine_prune_pass_step(pp, p, s, eng->lake, &budget, &e);
	if (rc == 1)
		return;
	if (rc < 0 && store_lost(s)) {
		/* The outage was said once, by the link; the pass starts again
		 * when the store is back, not an interval later. */
		engine_prune_pass_end(pp);
		return;
	}
	if (rc < 0)
		log_emit(LOG_WARN, 0, NULL, "retention", NULL, 0, "pruning the control "
			 "store stopped: %s; it is tried again in %lld s", err_text(&e),
			 (long long)(p->retention.every / USEC_PER_SEC));
	struct buf text = BUF_INIT;
	engine_prune_stats_text(&pp->stats, &text);
	if (text.len)
		log_emit(LOG_INFO, 0, NULL, "retention", NULL, 0, "pruned %s",
			 buf_str(&text));
	buf_free(&text);
	engine_prune_pass_end(pp);
	*next_due = now + p->retention.every;
}

int engine_prune(const struct project *p, struct store *s, bool dry_run,
		 struct store_prune_stats *stats, struct err *e)
{
	struct err le;
	err_clear(&le);
	struct lake *lake = p->npipes && p->retention.load_history > 0
		? steps_open_lake(p, &le) : NULL;
	if (p->npipes && p->retention.load_history > 0 && !lake)
		log_emit(LOG_WARN, 0, NULL, "retention", NULL, 0, "load history is kept: "
			 "%s", err_text(&le));
	struct prune_pass pp;
	engine_prune_pass_start(&pp, p, dry_run);
	int rc;
	do {
		int budget = 1000;
		rc = engine_prune_pass_step(&pp, p, s, lake, &budget, e);
	} while (rc == 1);
	*stats = pp.stats;
	engine_prune_pass_end(&pp);
	lake_close(lake);
	return rc;
}
