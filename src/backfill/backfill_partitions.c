/*
 * backfill_partitions.c - a backfill over a range of a partitioned flow's
 * partitions: one run per partition, at most max_active at a time.
 *
 * The plan lists every partition of the range with what the backfill
 * will do with it (run or skip, and why: its latest run).  The record
 * keeps the list ("partitions") with each partition's run, state and
 * attempts, saved whenever something moved, so that any process can take
 * the rebuild over: a rebuild run again keeps the partitions that
 * completed, follows the runs still going, and runs the rest again.
 *
 * TABLE_backfill starts as a copy of TABLE (shape and rows): a range
 * rebuilds some partitions, and the rows of the others (outside the
 * range, or skipped) must still be there when the tables are swapped.
 *
 * Pause and cancel are the object state "backfill:ID" (PAUSED,
 * CANCELLED), which the rebuild reads before it submits each run, so the
 * command that asks needs no connection to the process that works.
 */
#include "backfill/backfill_int.h"
#include "db/db.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define POLL_USEC        (200 * USEC_PER_MSEC)
#define CRASH_ATTEMPTS   3       /* a partition whose run crashed is run again */

static const char *const reprocess_names[] = { "none", "failed", "all" };

const char *backfill_reprocess_name(enum backfill_reprocess r)
{
	return (unsigned)r < ARRAY_LEN(reprocess_names) ? reprocess_names[r] : "?";
}

bool backfill_reprocess_parse(const char *s, enum backfill_reprocess *out)
{
	for (size_t i = 0; s && i < ARRAY_LEN(reprocess_names); i++) {
		if (strcmp(s, reprocess_names[i]) == 0) {
			*out = (enum backfill_reprocess)i;
			return true;
		}
	}
	return false;
}

static bool run_done(const char *state)
{
	return str_eq(state, "COMPLETED") || str_eq(state, "CACHED");
}

static bool run_state_is_terminal_name(const char *state)
{
	enum run_state st;
	return run_state_parse(state, &st) && run_state_is_terminal(st);
}

/* ---- the plan ---------------------------------------------------------------------- */

/* Does run `r` count for its partition?  A backfill's runs wrote
 * TABLE_backfill, which became the table only if the backfill was
 * approved. */
static bool run_counts(struct store *s, const struct store_run *r)
{
	if (r->trigger != TRIGGER_BACKFILL)
		return true;
	int64_t id;
	if (!r->trigger_detail || !str_to_i64(r->trigger_detail, &id))
		return false;
	struct store_backfill *bf = store_backfill_get(s, id, NULL);
	bool approved = bf && bf->state == BACKFILL_COMPLETED;
	store_backfill_free(bf);
	return approved;
}

/* The partition's latest run that counts: 1 (*out, caller frees), 0 none. */
static int latest_run(struct store *s, const char *flow, const char *key,
		      struct store_run **out, struct err *e)
{
	struct store_run_filter f = { .flow = flow, .partition = key, .limit = 100 };
	struct vec runs = VEC_INIT;
	*out = NULL;
	if (store_run_list(s, &f, &runs, e) < 0)
		return -1;
	for (size_t i = 0; i < runs.len && !*out; i++) {
		if (run_counts(s, runs.items[i])) {
			*out = runs.items[i];
			runs.items[i] = NULL;
		}
	}
	store_run_list_free(&runs);
	return *out ? 1 : 0;
}

static const char *decide(enum backfill_reprocess rp, const struct store_run *last,
			  char *why, size_t n)
{
	if (!last) {
		snprintf(why, n, "never run");
		return rp == REPROCESS_FAILED ? "skip" : "run";
	}
	const char *st = run_state_name(last->state);
	snprintf(why, n, "run %lld %s", (long long)last->id, st);
	if (rp == REPROCESS_ALL)
		return "run";
	if (!run_state_is_terminal(last->state))
		return "skip";                  /* it is being done */
	if (rp == REPROCESS_FAILED)
		return last->state == RUN_FAILED || last->state == RUN_CRASHED ? "run" : "skip";
	return run_done(st) ? "skip" : "run";
}

static int range_bounds(const struct project_partition *pt, const struct backfill_range *r,
			usec_t *from, usec_t *to, struct err *e)
{
	if (!r->from || !partition_floor(pt, r->from, from))
		return err_set(e, ERR_INVALID, "--from \"%s\" is not a date or timestamp "
			       "(YYYY-MM-DD[ HH:MM], or a partition key)", r->from ? r->from : "");
	if (!r->to || !partition_floor(pt, r->to, to))
		return err_set(e, ERR_INVALID, "--to \"%s\" is not a date or timestamp "
			       "(YYYY-MM-DD[ HH:MM], or a partition key)", r->to ? r->to : "");
	char a[PARTITION_KEY_MAX], b[PARTITION_KEY_MAX];
	partition_key(pt, *from, a);
	partition_key(pt, *to, b);
	if (*to < *from)
		return err_set(e, ERR_INVALID, "--to %s is before --from %s", b, a);
	if (pt->has_start && *from < pt->start) {
		partition_key(pt, pt->start, b);
		return err_set(e, ERR_INVALID, "--from %s is before the partition's start, %s",
			       a, b);
	}
	return 0;
}

/* The partitions from..to in the order they will run. */
static cJSON *partition_list(const struct backfill_env *env, const struct project_flow *f,
			     const struct backfill_range *r, usec_t from, usec_t to,
			     struct err *e)
{
	const struct project_partition *pt = f->partition;
	cJSON *list = cJSON_CreateArray();
	for (usec_t t = from; t <= to; t = partition_next(pt, t)) {
		if (cJSON_GetArraySize(list) >= BACKFILL_MAX_PARTITIONS) {
			cJSON_Delete(list);
			err_set(e, ERR_INVALID, "the range holds more than %d partitions: "
				"backfill it in parts", BACKFILL_MAX_PARTITIONS);
			return NULL;
		}
		char key[PARTITION_KEY_MAX], value[PARTITION_KEY_MAX], why[96];
		partition_key(pt, t, key);
		partition_value(pt, t, value);
		struct store_run *last = NULL;
		if (latest_run(env->store, f->name, key, &last, e) < 0) {
			cJSON_Delete(list);
			return NULL;
		}
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "key", key);
		jset_str(o, "value", value);
		jset_str(o, "action", decide(r->reprocess, last, why, sizeof why));
		jset_str(o, "why", why);
		if (last) {
			jset_int(o, "last_run", last->id);
			jset_str(o, "last_state", run_state_name(last->state));
		}
		store_run_free(last);
		if (r->backwards)
			cJSON_InsertItemInArray(list, 0, o);
		else
			cJSON_AddItemToArray(list, o);
	}
	return list;
}

/* The given parameters with the partition's set to `value`. */
static struct project_kv *with_partition(const struct project_kv *given, size_t n,
					 const char *param, const char *value, size_t *out_n)
{
	struct project_kv *kv = xcalloc(n + 1, sizeof *kv);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!str_eq(given[i].key, param))
			kv[k++] = given[i];
	kv[k].key = (char *)param;
	kv[k].value = (char *)value;
	*out_n = k + 1;
	return kv;
}

cJSON *backfill_plan_range(const struct backfill_env *env, const char *flow,
			   const struct project_kv *params, size_t nparams,
			   const struct backfill_range *range, struct err *e)
{
	const struct project_flow *f = project_flow(env->project, flow);
	if (!f) {
		err_set(e, ERR_NOTFOUND, "no flow named \"%s\" in the project", flow);
		return NULL;
	}
	const struct project_partition *pt = f->partition;
	if (!pt) {
		err_set(e, ERR_INVALID, "flow %s has no partition: --from and --to need one "
			"(\"partition\": {\"param\", \"grain\"} in the flow)", flow);
		return NULL;
	}
	for (size_t i = 0; i < nparams; i++) {
		if (str_eq(params[i].key, pt->param)) {
			err_set(e, ERR_INVALID, "parameter \"%s\" is flow %s's partition: each "
				"partition's run sets it (give the range with --from and --to)",
				pt->param, flow);
			return NULL;
		}
	}
	usec_t from, to;
	if (range_bounds(pt, range, &from, &to, e) < 0)
		return NULL;
	cJSON *list = partition_list(env, f, range, from, to, e);
	if (!list)
		return NULL;
	/* Checked as the first partition's run would be; each sets its own. */
	char first[PARTITION_KEY_MAX];
	partition_value(pt, from, first);
	size_t n;
	struct project_kv *kv = with_partition(params, nparams, pt->param, first, &n);
	cJSON *plan = backfill_plan(env, flow, kv, n, e);
	free(kv);
	if (!plan) {
		cJSON_Delete(list);
		return NULL;
	}
	cJSON *parts = cJSON_AddObjectToObject(plan, "partitions");
	char key[PARTITION_KEY_MAX];
	jset_str(parts, "param", pt->param);
	jset_str(parts, "grain", partition_grain_name(pt->grain));
	partition_key(pt, from, key);
	jset_str(parts, "from", key);
	partition_key(pt, to, key);
	jset_str(parts, "to", key);
	jset_str(parts, "reprocess", backfill_reprocess_name(range->reprocess));
	jset_int(parts, "max_active", range->max_active > 0 ? range->max_active : 1);
	jset(parts, "backwards", cJSON_CreateBool(range->backwards));
	int runs = 0, skips = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, list)
		str_eq(steps_json_string(o, "action"), "run") ? runs++ : skips++;
	jset(parts, "list", list);
	jset_int(parts, "to_run", runs);
	jset_int(parts, "to_skip", skips);
	if (runs == 0) {
		char *why = xasprintf("no partition from %s to %s needs a run (--reprocess %s); "
				      "--reprocess all runs every one",
				      steps_json_string(parts, "from"),
				      steps_json_string(parts, "to"),
				      backfill_reprocess_name(range->reprocess));
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(plan, "problems"),
				     cJSON_CreateString(why));
		free(why);
	}
	return plan;
}

/* ---- the rebuild ------------------------------------------------------------------- */

/* The list the rebuild works through (the record's, made from the plan's
 * on first use). */
static cJSON *work_list(struct bf *b)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(b->rec, "partitions");
	if (cJSON_IsArray(list))
		return list;
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(b->rec, "plan"), "partitions");
	list = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(plan, "list"), true);
	if (!list)
		list = cJSON_CreateArray();
	jset(b->rec, "partitions", list);
	return list;
}

bool backfill_is_partitioned(const cJSON *rec)
{
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "partitions"));
}

/* PAUSED, CANCELLED or NULL (caller frees); `by` gets who, when set. */
static char *control_state(struct store *s, int64_t id, char **by)
{
	char object[48];
	snprintf(object, sizeof object, "backfill:%lld", (long long)id);
	struct store_object_state *o = NULL;
	char *st = NULL;
	if (store_object_get(s, object, &o, NULL) == 1 &&
	    (str_eq(o->state, "PAUSED") || str_eq(o->state, "CANCELLED"))) {
		st = xstrdup(o->state);
		if (by)
			*by = xstrdup(o->changed_by ? o->changed_by : "someone");
	}
	store_object_free(o);
	return st;
}

/* Rows its run's partition replacement deleted: null when not recorded
 * (a run of an older sluice, or an entry from before they were kept). */
static void set_deleted(cJSON *o, int64_t rows_deleted)
{
	if (rows_deleted >= 0)
		jset_int(o, "rows_deleted", rows_deleted);
	else
		jset(o, "rows_deleted", cJSON_CreateNull());
}

static int64_t deleted_of(const cJSON *p)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "rows_deleted");
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/* What a run of a partition ended with goes into its entry. */
static void note_run(cJSON *p, const struct store_run *r)
{
	jset_str(p, "state", run_state_name(r->state));
	jset_int(p, "rows_in", r->rows_in);
	jset_int(p, "rows_out", r->rows_out);
	set_deleted(p, r->rows_deleted);
	jset_str(p, "error", r->error);
	jset_time(p, "started", r->started);
	jset_time(p, "ended", r->ended);
}

/* A rebuild taken up again: keep what completed, follow what still runs,
 * and make the rest due again. */
static int settle_list(struct bf *b, cJSON *list, struct err *e)
{
	cJSON *p;
	cJSON_ArrayForEach(p, list) {
		if (!str_eq(steps_json_string(p, "action"), "run"))
			continue;
		int64_t run_id = jint(p, "run_id");
		if (!run_id) {
			if (!run_done(steps_json_string(p, "state")))
				jset_str(p, "state", NULL);
			continue;
		}
		int going = backfill_settle_orphan(b, run_id, e);
		if (going < 0 && e->code != ERR_NOTFOUND)
			return -1;
		if (going == 1)
			continue;
		struct store_run *r = going < 0 ? NULL : store_run_get(b->env->store, run_id, NULL);
		err_clear(e);
		if (r)
			note_run(p, r);
		if (!r || !run_done(run_state_name(r->state))) {
			jset_int(p, "run_id", 0);
			jset_str(p, "state", NULL);
			jset_int(p, "attempts", 0);
		}
		store_run_free(r);
	}
	return 0;
}

static const struct project_kv *plan_params(struct bf *b, const cJSON *p, size_t *n,
					    struct project_kv **own)
{
	size_t np;
	struct project_kv *given = backfill_params_of(b->rec, &np);
	*own = with_partition(given, np, b->flow->partition->param,
			      steps_json_string(p, "value"), n);
	free(given);
	return *own;
}

static int submit_one(struct bf *b, cJSON *p, const char *pool, struct err *e)
{
	const struct backfill_hooks *h = b->env->hooks;
	char what[64];
	snprintf(what, sizeof what, "partition %s", steps_json_string(p, "key"));
	size_t n;
	struct project_kv *own;
	const struct project_kv *kv = plan_params(b, p, &n, &own);
	struct backfill_submit req = { .flow = b->row->flow, .params = kv, .nparams = n,
				       .backfill_id = b->row->id, .what = what, .pool = pool };
	int64_t run_id = 0;
	int rc = h->submit(h->arg, &req, &run_id, e);
	free(own);
	jset_int(p, "attempts", jint(p, "attempts") + 1);
	if (run_id) {
		jset_int(p, "run_id", run_id);
		jset_str(p, "state", "PENDING");
		backfill_say(b, "partition %s: run %lld", steps_json_string(p, "key"),
			     (long long)run_id);
	}
	if (rc < 0 && run_id) {
		/* A bad parameter: the run exists and failed; the partition failed. */
		jset_str(p, "state", "FAILED");
		jset_str(p, "error", err_text(e));
		err_clear(e);
		return 0;
	}
	return rc;
}

/* The list as it stands, saved while the rebuild works: no history event
 * for each partition's run. */
static int save_progress(struct bf *b, struct err *e)
{
	char *rec = cJSON_PrintUnformatted(b->rec);
	struct store_backfill_move m = { .step = "rebuild", .state = BACKFILL_WORKING,
					  .plan_json = rec, .by = b->env->by, .quiet = true };
	int rc = store_backfill_update(b->env->store, b->row->id, &m, e);
	free(rec);
	return rc;
}

/* A run submitted by a process that served the backfill's own pool and
 * died, followed now through a live engine (or the other way round),
 * waits where nobody takes runs: it goes to the pool that serves this
 * rebuild (`pool`; NULL: the flow's, as a live engine takes it). */
static int repool_waiting(struct bf *b, const cJSON *p, const struct store_run *r,
			  const char *pool, struct err *e)
{
	const char *want = pool ? pool : b->flow->pool;
	if (str_eq(r->pool ? r->pool : "", want ? want : ""))
		return 0;
	int moved = 0;
	if (store_run_repool(b->env->store, r->id, want, &moved, e) < 0)
		return -1;
	if (moved)
		backfill_say(b, "partition %s: run %lld moved from %s to %s, which serves "
			     "this rebuild now", steps_json_string(p, "key"), (long long)r->id,
			     r->pool ? r->pool : "no pool", want ? want : "no pool");
	return 0;
}

/* Looks at the runs going: 1 something ended, 0 nothing did, -1 error;
 * *active counts those still going. */
static int poll_runs(struct bf *b, cJSON *list, const char *pool, int *active,
		     struct err *e)
{
	int changed = 0;
	*active = 0;
	cJSON *p;
	cJSON_ArrayForEach(p, list) {
		int64_t run_id = jint(p, "run_id");
		const char *st = steps_json_string(p, "state");
		if (!run_id || !st || run_state_is_terminal_name(st))
			continue;
		struct store_run *r = store_run_get(b->env->store, run_id, e);
		if (!r)
			return -1;
		if (!run_state_is_terminal(r->state)) {
			if (repool_waiting(b, p, r, pool, e) < 0) {
				store_run_free(r);
				return -1;
			}
			(*active)++;
			if (!str_eq(st, run_state_name(r->state))) {
				jset_str(p, "state", run_state_name(r->state));
				changed = 1;
			}
			store_run_free(r);
			continue;
		}
		note_run(p, r);
		changed = 1;
		backfill_say(b, "partition %s: run %lld %s%s%s", steps_json_string(p, "key"),
			     (long long)run_id, run_state_name(r->state), r->error ? ": " : "",
			     r->error ? r->error : "");
		/* A crash is the engine's, not the partition's: run it again. */
		if (r->state == RUN_CRASHED && jint(p, "attempts") < CRASH_ATTEMPTS) {
			jset_int(p, "run_id", 0);
			jset_str(p, "state", NULL);
		}
		store_run_free(r);
	}
	return changed;
}

static bool is_due(const cJSON *p)
{
	return str_eq(steps_json_string(p, "action"), "run") && !jint(p, "run_id") &&
	       !steps_json_string(p, "state");
}

static void sleep_poll(void)
{
	struct timespec ts = { 0, (long)(POLL_USEC * 1000) };
	nanosleep(&ts, NULL);
}

/* Through an engine: submit while below max_active, follow, until every
 * partition has ended (or a pause or cancel stops new runs). */
static int drive_engine(struct bf *b, cJSON *list, int most, const char *pool,
			char **stopped, char **by, struct err *e)
{
	/* max_active from the first submission: two first loads creating one
	 * TABLE_backfill take turns in db_create_table_once. */
	for (;;) {
		int active = 0;
		int changed = poll_runs(b, list, pool, &active, e);
		if (changed < 0)
			return -1;
		if (!*stopped)
			*stopped = control_state(b->env->store, b->row->id, by);
		cJSON *p;
		cJSON_ArrayForEach(p, list) {
			if (*stopped || active >= most)
				break;
			if (!is_due(p))
				continue;
			if (submit_one(b, p, pool, e) < 0)
				return -1;
			active += jint(p, "run_id") && str_eq(steps_json_string(p, "state"),
							      "PENDING");
			changed = 1;
		}
		if (changed && save_progress(b, e) < 0)
			return -1;
		bool due = false;
		cJSON_ArrayForEach(p, list)
			due |= is_due(p);
		if (active == 0 && (!due || *stopped))
			return 0;
		if (b->env->cancel && atomic_load(b->env->cancel))
			return err_set(e, ERR_CANCELLED, "interrupted");
		sleep_poll();
	}
}

/* Without an engine: each partition's run here, one after another. */
static bool want_any(enum step_kind k)
{
	(void)k;
	return true;
}

static int drive_here(struct bf *b, cJSON *list, char **stopped, char **by, struct err *e)
{
	cJSON *p;
	cJSON_ArrayForEach(p, list) {
		if (!is_due(p))
			continue;
		*stopped = control_state(b->env->store, b->row->id, by);
		if (*stopped)
			return 0;
		size_t n;
		struct project_kv *own;
		plan_params(b, p, &n, &own);
		cJSON *obj = cJSON_CreateObject();
		for (size_t i = 0; i < n; i++)
			jset_str(obj, own[i].key, own[i].value);
		char *params = cJSON_PrintUnformatted(obj);
		cJSON_Delete(obj);
		free(own);
		char what[64];
		snprintf(what, sizeof what, "partition %s", steps_json_string(p, "key"));
		b->run_params = params;
		b->run_partition = steps_json_string(p, "key");
		int64_t run_id = 0;
		int rc = backfill_create_run(b, what, &run_id, e);
		if (rc == 0) {
			jset_int(p, "run_id", run_id);
			jset_int(p, "attempts", jint(p, "attempts") + 1);
			jset_str(p, "state", "RUNNING");
			rc = save_progress(b, e);
		}
		if (rc == 0) {
			struct err re = { 0 };
			backfill_run_steps(b, run_id, want_any, &re);
		}
		b->run_params = NULL;
		b->run_partition = NULL;
		free(params);
		if (rc < 0)
			return -1;
		struct store_run *r = store_run_get(b->env->store, run_id, e);
		if (!r)
			return -1;
		note_run(p, r);
		backfill_say(b, "partition %s: run %lld %s", steps_json_string(p, "key"),
			     (long long)run_id, run_state_name(r->state));
		store_run_free(r);
		if (save_progress(b, e) < 0)
			return -1;
	}
	return 0;
}

/* The outcome: 0 every partition to run completed, else -1 saying which
 * did not and what comes next. */
static int outcome(struct bf *b, const cJSON *list, const char *stopped, const char *by,
		   struct err *e)
{
	int total = 0, done = 0, failed = 0;
	struct buf which = BUF_INIT;
	const cJSON *p;
	int64_t rows_in = 0, rows_out = 0, rows_deleted = 0;
	cJSON_ArrayForEach(p, list) {
		if (!str_eq(steps_json_string(p, "action"), "run"))
			continue;
		total++;
		rows_in += jint(p, "rows_in");
		rows_out += jint(p, "rows_out");
		int64_t deleted = deleted_of(p);
		rows_deleted += deleted > 0 ? deleted : 0;
		const char *st = steps_json_string(p, "state");
		if (run_done(st)) {
			done++;
		} else if (st) {
			if (failed++ < 5)
				buf_printf(&which, "%s%s (run %lld %s)", which.len ? ", " : "",
					   steps_json_string(p, "key"), (long long)jint(p, "run_id"),
					   st);
		}
	}
	cJSON *rb = jobj(b->rec, "rebuild");
	jset_int(rb, "rows_read", rows_in);
	jset_int(rb, "rows_written", rows_out);
	jset_int(rb, "rows_deleted", rows_deleted);
	jset_int(rb, "partitions_done", done);
	jset_int(rb, "partitions_total", total);
	int rc = 0;
	if (stopped && str_eq(stopped, "CANCELLED"))
		rc = err_set(e, ERR_CANCELLED, "cancelled by %s: %d of %d partitions done; "
			     "discard it with 'sluice backfill discard %s'", by, done, total,
			     b->row->flow);
	else if (stopped)
		rc = err_set(e, ERR_CANCELLED, "paused by %s: %d of %d partitions done; "
			     "'sluice backfill resume %s' goes on", by, done, total, b->row->flow);
	else if (failed)
		rc = err_set(e, ERR_INVALID, "%d of %d partitions failed: %s%s; 'sluice backfill "
			     "next %s' runs them again (alone)", failed, total, buf_str(&which),
			     failed > 5 ? ", ..." : "", b->row->flow);
	else if (done < total)
		rc = err_set(e, ERR_INVALID, "%d of %d partitions done", done, total);
	buf_free(&which);
	if (rc == 0)
		backfill_say(b, "rebuild done: %d partition%s, %lld rows read, %lld written, "
			     "%lld deleted first", total, total == 1 ? "" : "s",
			     (long long)rows_in, (long long)rows_out, (long long)rows_deleted);
	return rc;
}

/* The checks that failed the failed partitions' runs, for the status. */
static void note_failed_checks(struct bf *b, const cJSON *list)
{
	struct rebuild_run *runs = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof *runs);
	size_t n = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, list)
		if (jint(p, "run_id") && str_eq(steps_json_string(p, "state"), "FAILED"))
			runs[n++] = (struct rebuild_run){ jint(p, "run_id"),
							  steps_json_string(p, "key") };
	struct err ce = { 0 };
	if (backfill_rebuild_checks(b, runs, n, &ce) < 0)
		log_warn("backfill %lld: the partitions' checks: %s", (long long)b->row->id,
			 err_text(&ce));
	free(runs);
}

int backfill_rebuild_partitions(struct bf *b, struct err *e)
{
	cJSON *rb = jobj(b->rec, "rebuild");
	cJSON *list = work_list(b);
	if (!jint(rb, "prepared")) {
		if (backfill_drop_tables(b, NULL, e) < 0 || backfill_prepare_targets(b, true, e) < 0)
			return -1;
		jset_int(rb, "prepared", 1);
		jset_time(rb, "started", clock_now_us());
		if (backfill_move(b, "rebuild", BACKFILL_WORKING, NULL, NULL,
				  "tables copied; partitions follow", e) < 0)
			return -1;
	}
	if (settle_list(b, list, e) < 0)
		return -1;
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(b->rec, "plan"), "partitions");
	int max_active = (int)jint(cfg, "max_active");
	const struct backfill_hooks *h = b->env->hooks;
	char *stopped = NULL, *by = NULL;
	int rc;
	if (h && h->submit && h->serve) {
		const char *pool = NULL;
		rc = h->serve(h->arg, b->row->id, max_active > 0 ? max_active : 1, &pool, e);
		if (rc == 0) {
			rc = drive_engine(b, list, max_active > 0 ? max_active : 1, pool, &stopped,
					  &by, e);
			if (h->unserve)
				h->unserve(h->arg);
		}
	} else {
		rc = drive_here(b, list, &stopped, &by, e);
	}
	if (rc == 0) {
		jset_time(rb, "ended", clock_now_us());
		rc = outcome(b, list, stopped, by, e);
		jset_str(rb, "state", rc == 0 ? "COMPLETED" : "FAILED");
		if (rc < 0)
			note_failed_checks(b, list);
	}
	free(stopped);
	free(by);
	return rc;
}

/* ---- pause, resume, cancel ------------------------------------------------------ */

static bool held_by_cancel(struct store *s, int64_t id)
{
	char *st = control_state(s, id, NULL);
	bool cancelled = str_eq(st, "CANCELLED");
	free(st);
	return cancelled;
}

int backfill_control(const struct backfill_env *env, const char *flow,
		     enum backfill_control what,
		     int (*cancel_run)(void *arg, int64_t run_id, struct err *e),
		     void *arg, struct err *e)
{
	struct store_backfill *row = NULL;
	int rc = store_backfill_active(env->store, flow, &row, e);
	if (rc <= 0) {
		if (rc == 0)
			err_set(e, ERR_NOTFOUND, "flow %s has no backfill in progress", flow);
		return -1;
	}
	cJSON *rec = backfill_record_of(row);
	static const char *const early[] = { "plan", "suspend", "rebuild" };
	bool before = false;
	for (size_t i = 0; i < ARRAY_LEN(early); i++)
		before |= str_eq(row->step, early[i]);
	if (!backfill_is_partitioned(rec)) {
		rc = err_set(e, ERR_INVALID, "backfill %lld of flow %s is not partitioned: pause, "
			     "resume and cancel act on partition runs (discard ends any backfill)",
			     (long long)row->id, flow);
	} else if (!before) {
		rc = err_set(e, ERR_CONFLICT, "backfill %lld of flow %s is past its rebuild "
			     "(step %s): approve or discard it", (long long)row->id, flow,
			     row->step);
	} else if (what != BACKFILL_CANCEL && held_by_cancel(env->store, row->id)) {
		rc = err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was cancelled: discard it "
			     "with 'sluice backfill discard %s'", (long long)row->id, flow, flow);
	} else {
		static const char *const states[] = { "PAUSED", "STARTED", "CANCELLED" };
		static const char *const verbs[] = { "paused", "resumed", "cancelled" };
		char object[48], reason[96];
		snprintf(object, sizeof object, "backfill:%lld", (long long)row->id);
		snprintf(reason, sizeof reason, "%s by %s", verbs[what], env->by ? env->by : "?");
		rc = store_object_set(env->store, object, states[what], reason, env->by, e);
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rec, "partitions")) {
			int64_t run_id = jint(p, "run_id");
			const char *st = steps_json_string(p, "state");
			if (rc < 0 || what != BACKFILL_CANCEL || !cancel_run || !run_id || !st ||
			    run_state_is_terminal_name(st))
				continue;
			struct err ce = { 0 };
			if (cancel_run(arg, run_id, &ce) < 0 && ce.code != ERR_CONFLICT)
				log_warn("backfill %lld: cancelling run %lld: %s", (long long)row->id,
					 (long long)run_id, err_text(&ce));
		}
	}
	cJSON_Delete(rec);
	store_backfill_free(row);
	return rc;
}

/* Refuse `next` on a paused or cancelled backfill: NULL, or the reason. */
const char *backfill_held(struct bf *b, struct err *e)
{
	if (!backfill_is_partitioned(b->rec) || !str_eq(b->row->step, "rebuild"))
		return NULL;
	char *by = NULL;
	char *st = control_state(b->env->store, b->row->id, &by);
	const char *held = NULL;
	if (str_eq(st, "PAUSED")) {
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was paused by %s: resume it "
			"with 'sluice backfill resume %s'", (long long)b->row->id, b->row->flow, by,
			b->row->flow);
		held = "paused";
	} else if (str_eq(st, "CANCELLED")) {
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was cancelled by %s: discard "
			"it with 'sluice backfill discard %s'", (long long)b->row->id, b->row->flow,
			by, b->row->flow);
		held = "cancelled";
	}
	free(st);
	free(by);
	return held;
}

/* ---- status and compare ------------------------------------------------------- */

void backfill_partitions_json(struct bf *b, cJSON *out)
{
	if (!backfill_is_partitioned(b->rec))
		return;
	cJSON *parts = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(b->rec, "plan"), "partitions"), true);
	cJSON *list = cJSON_Duplicate(work_list(b), true);
	cJSON *counts = cJSON_CreateObject();
	cJSON *p;
	cJSON_ArrayForEach(p, list) {
		int64_t run_id = jint(p, "run_id");
		const char *st = steps_json_string(p, "state");
		if (run_id && st && !run_state_is_terminal_name(st)) {
			struct store_run *r = store_run_get(b->env->store, run_id, NULL);
			if (r)
				note_run(p, r);
			store_run_free(r);
		}
		const char *shown = steps_json_string(p, "state");
		if (!shown)
			shown = str_eq(steps_json_string(p, "action"), "skip") ? "SKIPPED" : "QUEUED";
		jset_str(p, "shown", shown);
		if (run_id && !cJSON_HasObjectItem(p, "rows_deleted"))
			set_deleted(p, -1);
		jset_int(counts, shown, jint(counts, shown) + 1);
	}
	jset(parts, "list", list);
	jset(parts, "counts", counts);
	char *by = NULL;
	char *st = control_state(b->env->store, b->row->id, &by);
	jset_str(parts, "control", st);
	jset_str(parts, "control_by", by);
	free(st);
	free(by);
	jset(out, "partitions", parts);
}

/* The column that holds a target's partition: the flow's `column`, else
 * the partition_column of the load that writes the target; NULL none. */
static const char *partition_column_of(const struct bf *b, const struct target *t)
{
	if (b->flow->partition->column)
		return b->flow->partition->column;
	for (size_t i = 0; i < b->flow->nsteps; i++) {
		const struct project_step *s = &b->flow->steps[i];
		if (s->kind == STEP_LOAD && str_eq(steps_json_string(s->spec, "table"), t->table))
			return steps_json_string(s->spec, "partition_column");
	}
	return NULL;
}

static int compare_partition(struct bf *b, const struct target *t, size_t nt,
			     const cJSON *p, cJSON *out, struct err *e)
{
	const struct project_partition *pt = b->flow->partition;
	usec_t start;
	char lo[PARTITION_KEY_MAX], hi[PARTITION_KEY_MAX];
	if (!partition_floor(pt, steps_json_string(p, "key"), &start))
		return 0;
	partition_value(pt, start, lo);
	partition_value(pt, partition_next(pt, start), hi);
	cJSON *tables = cJSON_AddArrayToObject(out, "tables");
	for (size_t i = 0; i < nt; i++) {
		struct db *db = step_conns_get(backfill_conns(b), t[i].connection, e);
		if (!db)
			return -1;
		const char *col = partition_column_of(b, &t[i]);
		struct err ce;
		if (!col || db_column_exists(db, t[i].backfill, col, &ce) != 1)
			continue;     /* no such column, or no rebuilt table: no counts */
		int64_t now = 0, rebuilt = 0;
		int ex = db_table_exists(db, t[i].table, e);
		if (ex < 0 || (ex == 1 && steps_partition_rows(db, t[i].table, col, lo, hi,
								&now, e) < 0) ||
		    steps_partition_rows(db, t[i].backfill, col, lo, hi, &rebuilt, e) < 0)
			return -1;
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "table", t[i].table);
		jset_int(o, "rows_current", now);
		jset_int(o, "rows_backfill", rebuilt);
		cJSON_AddItemToArray(tables, o);
	}
	return 0;
}

int backfill_compare_partitions(struct bf *b, cJSON *cmp, struct err *e)
{
	if (!backfill_is_partitioned(b->rec))
		return 0;
	struct target *t;
	size_t nt = backfill_targets(b->rec, &t);
	cJSON *arr = cJSON_AddArrayToObject(cmp, "partitions");
	int rc = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, work_list(b)) {
		if (!str_eq(steps_json_string(p, "action"), "run"))
			continue;
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "key", steps_json_string(p, "key"));
		jset_int(o, "run_id", jint(p, "run_id"));
		jset_str(o, "state", steps_json_string(p, "state"));
		jset_int(o, "rows_read", jint(p, "rows_in"));
		jset_int(o, "rows_written", jint(p, "rows_out"));
		set_deleted(o, deleted_of(p));
		cJSON_AddItemToArray(arr, o);
		if (b->flow->partition && rc == 0)
			rc = compare_partition(b, t, nt, p, o, e);
	}
	backfill_targets_free(t, nt);
	return rc;
}
