/*
 * backfill.c - the guided rebuild of a flow's tables (DESIGN.md "Backfill").
 *
 * A backfill walks through seven steps, each started by an operator and
 * each leaving the backfill WAITING for the next word:
 *
 *   plan      (start)   the dry run: tables to rebuild, rows to read from
 *                       raw history, tasks to suspend; recorded as is
 *   suspend   (next)    the flow's STARTED tasks become SUSPENDED; which
 *                       ones is recorded first, so resume restores exactly
 *                       those
 *   rebuild   (next)    the flow runs in backfill mode (trigger backfill):
 *                       loads write TABLE_backfill, streams are read from
 *                       the start without moving, extract/ingest/http/
 *                       notify are skipped
 *   validate  (next)    the flow's validate steps, on the backfill tables
 *   compare   (next)    each target against its backfill (compare.c); the
 *                       channels that want backfill_waiting are told
 *   approve | discard   one transaction per connection: TABLE -> TABLE_old
 *                       (the previous TABLE_old dropped) and TABLE_backfill
 *                       -> TABLE; or the backfill tables dropped
 *   resume    (next)    the suspended tasks start again; the backfill ends
 *                       COMPLETED (approved) or DISCARDED
 *
 * Where it stands lives in the store (store_backfill_*): `step` is the
 * step taken last and `state` says whether it is done (WAITING), running
 * (WORKING) or failed (FAILED, retried by `next`).  What the steps learn
 * (the plan, the tasks suspended, the runs, the validation, the swap) is
 * kept in the backfill's JSON record (the store's plan column), so any
 * process on any host can continue.
 *
 * A process working on a step holds the store lease "backfill:ID" (renewed
 * by a heartbeat thread, which also keeps the process registered as a
 * worker so an engine's crash recovery leaves its runs alone).  A step
 * found WORKING whose holder is gone (its pid is dead on this host, or its
 * lease lapsed) was interrupted: it is recorded FAILED and run again.
 * Every step can be run again: suspend reuses the recorded task list,
 * rebuild adopts its run when that run is still going and otherwise starts
 * afresh, the swap records itself in the target database's ledger in its
 * own transaction, discard and resume are idempotent.
 */
#include "backfill/backfill_int.h"
#include "db/db.h"
#include "notify/notify.h"
#include "store/store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void backfill_say(const struct bf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	if (b->env->progress)
		b->env->progress(b->env->progress_arg, line);
	log_emit(LOG_INFO, 0, NULL, b->row ? b->row->flow : NULL, NULL, 0,
		 "backfill %lld: %s", b->row ? (long long)b->row->id : 0LL, line);
	free(line);
}

cJSON *backfill_record_of(const struct store_backfill *row)
{
	cJSON *rec = row->plan ? cJSON_Parse(row->plan) : NULL;
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		rec = cJSON_CreateObject();
	}
	return rec;
}

/* Move to (step, state), saving the record; error NULL clears it. */
int backfill_move(struct bf *b, const char *step, enum backfill_state state,
	    const char *compare_json, const char *error, const char *note,
	    struct err *e)
{
	char *rec = cJSON_PrintUnformatted(b->rec);
	struct store_backfill_move m = { .step = step, .state = state, .plan_json = rec,
					  .compare_json = compare_json, .error = error,
					  .by = b->env->by, .note = note };
	int rc = store_backfill_update(b->env->store, b->row->id, &m, e);
	free(rec);
	if (rc < 0)
		return -1;
	char *copy = xstrdup(step);     /* `step` may be the row's own string */
	free(b->row->step);
	b->row->step = copy;
	b->row->state = state;
	return 0;
}

static int load_active(struct bf *b, const char *flow, struct err *e)
{
	b->flow = project_flow(b->env->project, flow);
	if (!b->flow)
		return err_set(e, ERR_NOTFOUND, "no flow named \"%s\" in the project", flow);
	int rc = store_backfill_active(b->env->store, flow, &b->row, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(e, ERR_NOTFOUND, "flow %s has no backfill in progress "
			       "(start one with 'sluice backfill start %s')", flow, flow);
	b->rec = backfill_record_of(b->row);
	return 0;
}

static void bf_free(struct bf *b)
{
	store_backfill_free(b->row);
	cJSON_Delete(b->rec);
	step_conns_free(b->conns);
}

struct step_conns *backfill_conns(struct bf *b)
{
	if (!b->conns)
		b->conns = step_conns_new(b->env->project, false);
	return b->conns;
}

/* A step left WORKING by a process that is gone (we hold the lease now,
 * so it is gone) was interrupted: record that, then it runs again. */
static int settle_interrupted(struct bf *b, struct err *e)
{
	if (b->row->state != BACKFILL_WORKING)
		return 0;
	char *msg = xasprintf("interrupted: the process running step %s is gone",
			      b->row->step);
	backfill_say(b, "%s; running it again", msg);
	int rc = backfill_move(b, b->row->step, BACKFILL_FAILED, NULL, msg, "interrupted", e);
	free(msg);
	return rc;
}

static int begin_step(struct bf *b, const char *step, struct err *e)
{
	char note[400];
	snprintf(note, sizeof note, "started by process %s", b->holder);
	backfill_say(b, "step %s", step);
	return backfill_move(b, step, BACKFILL_WORKING, NULL, NULL, note, e);
}

static int fail_step(struct bf *b, const char *step, const struct err *why, struct err *e)
{
	char *msg = xasprintf("%s", err_text(why));
	struct err me = { 0 };
	int rc = backfill_move(b, step, BACKFILL_FAILED, NULL, msg, "failed", &me);
	free(msg);
	*e = *why;
	err_prefix(e, "backfill %lld: step %s failed: ", (long long)b->row->id, step);
	if (rc < 0)
		err_prefix(e, "(and recording that failed: %s) ", err_text(&me));
	return -1;
}

size_t backfill_targets(const cJSON *rec, struct target **out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "targets");
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	struct target *t = xcalloc(n ? n : 1, sizeof *t);
	const cJSON *o;
	cJSON_ArrayForEach(o, arr) {
		t[i].table = steps_json_string(o, "table");
		t[i].connection = steps_json_string(o, "connection");
		t[i].backfill = target_name(t[i].table, BACKFILL_SUFFIX);
		t[i].old = target_name(t[i].table, BACKFILL_OLD_SUFFIX);
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
		t[i].nkey = (size_t)cJSON_GetArraySize(key);
		t[i].key = xcalloc(t[i].nkey ? t[i].nkey : 1, sizeof(char *));
		size_t k = 0;
		const cJSON *kv;
		cJSON_ArrayForEach(kv, key)
			t[i].key[k++] = kv->valuestring;
		i++;
	}
	*out = t;
	return n;
}

void backfill_targets_free(struct target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].backfill);
		free(t[i].old);
		free(t[i].key);
	}
	free(t);
}

static int step_suspend(struct bf *b, struct err *e)
{
	const struct project *p = b->env->project;
	/* Record the list before touching a task: a rerun after a crash then
	 * knows which SUSPENDED tasks are ours. */
	cJSON *ours = cJSON_GetObjectItemCaseSensitive(b->rec, "suspended");
	if (!cJSON_IsArray(ours)) {
		ours = cJSON_CreateArray();
		jset(b->rec, "suspended", ours);
	}
	for (size_t i = 0; i < p->ntasks; i++) {
		const struct project_task *t = &p->tasks[i];
		if (!str_eq(t->flow, b->row->flow))
			continue;
		char *st = backfill_task_state(b->env->store, t, NULL, NULL, NULL, e);
		if (!st)
			return -1;
		if (strcmp(st, "STARTED") == 0 && !json_has(ours, t->name))
			cJSON_AddItemToArray(ours, cJSON_CreateString(t->name));
		free(st);
	}
	if (backfill_move(b, "suspend", BACKFILL_WORKING, NULL, NULL, "tasks to suspend recorded",
			  e) < 0)
		return -1;
	char reason[128];
	snprintf(reason, sizeof reason, "suspended by backfill %lld of flow %s",
		 (long long)b->row->id, b->row->flow);
	const cJSON *v;
	cJSON_ArrayForEach(v, ours) {
		char *object = xasprintf("task:%s", v->valuestring);
		int rc = store_object_set(b->env->store, object, "SUSPENDED", reason,
					  b->env->by, e);
		free(object);
		if (rc < 0)
			return -1;
		backfill_say(b, "task %s suspended", v->valuestring);
	}
	if (cJSON_GetArraySize(ours) == 0)
		backfill_say(b, "no started task triggers flow %s", b->row->flow);
	return backfill_move(b, "suspend", BACKFILL_WAITING, NULL, NULL, NULL, e);
}

static int step_resume(struct bf *b, struct err *e)
{
	bool approved = str_eq(steps_json_string(b->rec, "decision"), "approve");
	cJSON *ours = cJSON_GetObjectItemCaseSensitive(b->rec, "suspended");
	cJSON *resumed = cJSON_CreateArray(), *left = cJSON_CreateArray();
	char mark[64];
	snprintf(mark, sizeof mark, "backfill %lld ", (long long)b->row->id);
	const cJSON *v;
	cJSON_ArrayForEach(v, ours) {
		const struct project_task *t = project_task(b->env->project, v->valuestring);
		if (!t)
			continue;
		char *by = NULL, *reason = NULL;
		char *st = backfill_task_state(b->env->store, t, NULL, &by, &reason, e);
		if (!st) {
			cJSON_Delete(resumed);
			cJSON_Delete(left);
			return -1;
		}
		/* Only what we suspended, and only if nobody changed it since. */
		bool mine = strcmp(st, "SUSPENDED") == 0 && reason && strstr(reason, mark);
		int rc = 0;
		if (mine) {
			char *object = xasprintf("task:%s", t->name);
			char why[160];
			snprintf(why, sizeof why, "resumed by backfill %lld (%s)",
				 (long long)b->row->id, approved ? "approved" : "discarded");
			rc = store_object_set(b->env->store, object, "STARTED", why,
					      b->env->by, e);
			free(object);
			cJSON_AddItemToArray(resumed, cJSON_CreateString(t->name));
			backfill_say(b, "task %s started again", t->name);
		} else if (strcmp(st, "STARTED") != 0) {
			cJSON *o = cJSON_CreateObject();
			jset_str(o, "task", t->name);
			jset_str(o, "state", st);
			jset_str(o, "changed_by", by);
			cJSON_AddItemToArray(left, o);
			backfill_say(b, "task %s left %s: %s changed it during the backfill", t->name,
			    st, by ? by : "someone");
		}
		free(st);
		free(by);
		free(reason);
		if (rc < 0) {
			cJSON_Delete(resumed);
			cJSON_Delete(left);
			return -1;
		}
	}
	jset(b->rec, "resumed", resumed);
	jset(b->rec, "left_alone", left);
	return backfill_move(b, "resume", approved ? BACKFILL_COMPLETED : BACKFILL_DISCARDED,
		    NULL, NULL, approved ? "completed" : "discarded", e);
}

static bool want_all(enum step_kind k)
{
	(void)k;
	return true;
}

static bool want_validate(enum step_kind k)
{
	return k == STEP_VALIDATE;
}

/* The recorded rebuild run, if it is still going, is adopted. */
static int rebuild_adopt(struct bf *b, int64_t *run_id, bool *adopt, struct err *e)
{
	*adopt = false;
	*run_id = jint(jobj(b->rec, "rebuild"), "run_id");
	if (!*run_id)
		return 0;
	int rc = backfill_settle_orphan(b, *run_id, e);
	if (rc < 0)
		return e->code == ERR_NOTFOUND ? (err_clear(e), 0) : -1;
	*adopt = rc == 1;
	return 0;
}

static int rebuild_submit(struct bf *b, int64_t *run_id, struct err *e)
{
	cJSON *dropped = cJSON_CreateArray();
	int rc = backfill_drop_tables(b, dropped, e);
	if (rc == 0 && cJSON_GetArraySize(dropped) > 0)
		backfill_say(b, "dropped tables left by an earlier rebuild");
	cJSON_Delete(dropped);
	if (rc < 0 || backfill_prepare_targets(b, false, e) < 0)
		return -1;
	const struct backfill_hooks *h = b->env->hooks;
	if (h && h->submit) {
		size_t np;
		struct project_kv *params = backfill_params_of(b->rec, &np);
		struct backfill_submit req = { .flow = b->row->flow, .params = params,
					       .nparams = np, .backfill_id = b->row->id,
					       .what = "rebuild" };
		rc = h->submit(h->arg, &req, run_id, e);
		free(params);
		return rc;
	}
	return backfill_create_run(b, "rebuild", run_id, e);
}

static int step_rebuild(struct bf *b, struct err *e)
{
	/* checks a failed rebuild recorded belong to that rebuild */
	cJSON_DeleteItemFromObjectCaseSensitive(b->rec, "validation");
	if (backfill_is_partitioned(b->rec)) {
		if (backfill_rebuild_partitions(b, e) < 0)
			return -1;
		return backfill_move(b, "rebuild", BACKFILL_WAITING, NULL, NULL, NULL, e);
	}
	int64_t run_id = 0;
	bool adopt = false;
	if (rebuild_adopt(b, &run_id, &adopt, e) < 0)
		return -1;
	cJSON *rb = jobj(b->rec, "rebuild");
	if (!adopt) {
		if (rebuild_submit(b, &run_id, e) < 0)
			return -1;
		jset_time(rb, "started", clock_now_us());
	}
	jset_int(rb, "run_id", run_id);
	if (backfill_move(b, "rebuild", BACKFILL_WORKING, NULL, NULL, adopt ? "following run"
		 : "run created", e) < 0)
		return -1;
	backfill_say(b, "%s run %lld of flow %s in backfill mode", adopt ? "following" : "started",
	    (long long)run_id, b->row->flow);
	const struct backfill_hooks *h = b->env->hooks;
	int rc;
	if (h && h->finish)
		rc = h->finish(h->arg, run_id, e);
	else
		rc = backfill_run_steps(b, run_id, want_all, e);
	struct store_run *r = store_run_get(b->env->store, run_id, rc < 0 ? NULL : e);
	if (!r)
		return -1;
	backfill_rebuild_progress(b, run_id, rb);
	jset_time(rb, "ended", r->ended);
	jset_str(rb, "state", run_state_name(r->state));
	if (r->state != RUN_COMPLETED && r->state != RUN_CACHED) {
		struct err ce = { 0 };
		struct rebuild_run one = { run_id, NULL };
		if (backfill_rebuild_checks(b, &one, 1, &ce) < 0)
			log_warn("backfill %lld: the rebuild's checks: %s", (long long)b->row->id,
				 err_text(&ce));
		if (rc == 0 || e->code == ERR_OK)
			err_set(e, ERR_INVALID, "run %lld %s%s%s", (long long)run_id,
				run_state_name(r->state), r->error ? ": " : "",
				r->error ? r->error : "");
		store_run_free(r);
		return -1;
	}
	store_run_free(r);
	backfill_say(b, "rebuild done: run %lld, %lld rows read, %lld written", (long long)run_id,
	    (long long)jint(rb, "rows_read"), (long long)jint(rb, "rows_written"));
	return backfill_move(b, "rebuild", BACKFILL_WAITING, NULL, NULL, NULL, e);
}

/* Run `run_id`'s checks (only those that did not pass, when `failed_only`)
 * appended to out's "checks", out's counts of failures raised. */
static int validation_add(struct bf *b, int64_t run_id, bool failed_only,
			  const char *partition, cJSON *out, struct err *e)
{
	struct vec v = VEC_INIT;
	if (store_validation_list(b->env->store, run_id, NULL, &v, e) < 0)
		return -1;
	cJSON *checks = cJSON_GetObjectItemCaseSensitive(out, "checks");
	if (!cJSON_IsArray(checks)) {
		checks = cJSON_CreateArray();
		jset(out, "checks", checks);
	}
	int64_t failed_err = jint(out, "failed_errors"), failed_warn = jint(out, "failed_warnings");
	for (size_t i = 0; i < v.len; i++) {
		const struct store_validation *sv = v.items[i];
		if (failed_only && sv->passed)
			continue;
		cJSON *c = steps_check_json(sv);
		if (partition)
			jset_str(c, "partition", partition);
		cJSON_AddItemToArray(checks, c);
		if (!sv->passed && sv->severity == SEVERITY_ERROR)
			failed_err++;
		else if (!sv->passed)
			failed_warn++;
	}
	store_validation_list_free(&v);
	jset_int(out, "failed_errors", failed_err);
	jset_int(out, "failed_warnings", failed_warn);
	return 0;
}

static int validation_json(struct bf *b, int64_t run_id, cJSON *out, int *errors,
			   struct err *e)
{
	jset(out, "checks", cJSON_CreateArray());
	jset_int(out, "failed_errors", 0);
	jset_int(out, "failed_warnings", 0);
	if (validation_add(b, run_id, false, NULL, out, e) < 0)
		return -1;
	*errors = (int)jint(out, "failed_errors");
	return 0;
}

int backfill_rebuild_checks(struct bf *b, const struct rebuild_run *runs, size_t n,
			    struct err *e)
{
	cJSON *val = cJSON_CreateObject();
	jset_str(val, "from", "rebuild");
	for (size_t i = 0; i < n; i++)
		if (validation_add(b, runs[i].run_id, runs[i].partition != NULL,
				   runs[i].partition, val, e) < 0) {
			cJSON_Delete(val);
			return -1;
		}
	if (jint(val, "failed_errors") == 0) {
		cJSON_Delete(val);
		return 0;
	}
	if (n == 1)
		jset_int(val, "run_id", runs[0].run_id);
	jset(val, "passed", cJSON_CreateFalse());
	jset(b->rec, "validation", val);
	return 0;
}

/* Every target must have been built; its rows are recorded. */
static int check_built(struct bf *b, cJSON *out, struct err *e)
{
	struct target *t;
	size_t n = backfill_targets(b->rec, &t);
	cJSON *tables = cJSON_CreateArray();
	jset(out, "tables", tables);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct db *db = step_conns_get(backfill_conns(b), t[i].connection, e);
		int64_t rows = 0;
		int ex = db ? backfill_table_rows(db, t[i].backfill, &rows, e) : -1;
		if (ex < 0) {
			rc = -1;
		} else if (ex == 0) {
			rc = err_set(e, ERR_INVALID, "%s was not built by the rebuild (on %s); "
				     "run 'backfill next' to rebuild again, or discard",
				     t[i].backfill, t[i].connection);
		} else {
			cJSON *o = cJSON_CreateObject();
			jset_str(o, "table", t[i].backfill);
			jset_str(o, "connection", t[i].connection);
			jset_int(o, "rows", rows);
			cJSON_AddItemToArray(tables, o);
		}
	}
	backfill_targets_free(t, n);
	return rc;
}

/* The flow's validate steps on the backfill tables, as a run of their own;
 * a validate run left by a process that died is settled first. */
static int validate_into(struct bf *b, cJSON *val, const cJSON *val_prev, struct err *e)
{
	if (check_built(b, val, e) < 0)
		return -1;
	bool any = false;
	for (size_t i = 0; i < b->flow->nsteps; i++)
		any |= b->flow->steps[i].kind == STEP_VALIDATE;
	int errors = 0;
	if (any) {
		int64_t run_id = jint(val_prev, "run_id");
		if (run_id && backfill_settle_orphan(b, run_id, e) < 0 && e->code != ERR_NOTFOUND)
			return -1;
		if (backfill_create_run(b, "validate", &run_id, e) < 0)
			return -1;
		jset_int(val, "run_id", run_id);
		if (backfill_move(b, "validate", BACKFILL_WORKING, NULL, NULL, "run created", e) < 0)
			return -1;
		struct err re = { 0 };
		int rc = backfill_run_steps(b, run_id, want_validate, &re);
		if (validation_json(b, run_id, val, &errors, e) < 0)
			return -1;
		if (rc < 0 && errors == 0) {
			*e = re;
			return -1;
		}
	} else {
		jset(val, "checks", cJSON_CreateArray());
		backfill_say(b, "flow %s has no validate step: only checked that every table was "
		    "built", b->row->flow);
	}
	jset(val, "passed", cJSON_CreateBool(errors == 0));
	if (errors > 0)
		return err_set(e, ERR_INVALID, "%d check%s of severity error failed on the "
			       "backfill tables (see 'backfill status %s'); discard, fix the "
			       "flow and start again", errors, errors == 1 ? "" : "s",
			       b->row->flow);
	backfill_say(b, "validation passed (%d check%s)",
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(val, "checks")),
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(val, "checks")) == 1 ? "" : "s");
	return backfill_move(b, "validate", BACKFILL_WAITING, NULL, NULL, NULL, e);
}

static int step_validate(struct bf *b, struct err *e)
{
	cJSON *val_prev = cJSON_Duplicate(jobj(b->rec, "validation"), true);
	cJSON *val = cJSON_CreateObject();
	jset(b->rec, "validation", val);
	int rc = validate_into(b, val, val_prev, e);
	cJSON_Delete(val_prev);
	return rc;
}

static void tell_waiting(struct bf *b, const cJSON *cmp)
{
	struct buf text = BUF_INIT;
	buf_printf(&text, "Backfill %lld of flow %s waits for approval:",
		   (long long)b->row->id, b->row->flow);
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cmp, "tables"))
		buf_printf(&text, " %s: %lld changed, %lld only in current, %lld only in the "
			   "backfill (score %.4f);", steps_json_string(t, "table"),
			   (long long)jint(t, "changed"), (long long)jint(t, "only_current"),
			   (long long)jint(t, "only_backfill"),
			   cJSON_GetObjectItemCaseSensitive(t, "score")->valuedouble);
	buf_printf(&text, " approve with 'sluice backfill approve %s' or discard.",
		   b->row->flow);
	struct err e = { 0 };
	const struct backfill_hooks *h = b->env->hooks;
	int rc = 0;
	if (h && h->notify) {
		rc = h->notify(h->arg, buf_str(&text), &e);
	} else {
		rc = notify_event(b->env->store, b->env->project, NOTIFY_BACKFILL_WAITING,
				  buf_str(&text), &e);
	}
	if (rc < 0)
		log_warn("backfill %lld: notification not queued: %s", (long long)b->row->id,
			 err_text(&e));
	buf_free(&text);
}

static int step_compare(struct bf *b, int samples, struct err *e)
{
	struct target *t;
	size_t n = backfill_targets(b->rec, &t);
	cJSON *cmp = cJSON_CreateObject();
	cJSON *tables = cJSON_AddArrayToObject(cmp, "tables");
	double worst = 0;
	bool identical = true;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (t[i].nkey == 0) {
			rc = err_set(e, ERR_INVALID, "table %s has no key: compare needs one "
				     "(set \"key\" on its load step or tables.%s.key)",
				     t[i].table, t[i].table);
			break;
		}
		struct db *db = step_conns_get(backfill_conns(b), t[i].connection, e);
		if (!db) {
			rc = -1;
			break;
		}
		if (db_table_exists(db, t[i].table, e) == 0)
			backfill_say(b, "%s does not exist yet: every row of %s is new", t[i].table,
			    t[i].backfill);
		struct compare_request req = { t[i].table, t[i].backfill, t[i].key, t[i].nkey,
					       samples, true };
		struct compare_result r;
		rc = compare_tables(db, &req, &r, e);
		if (rc < 0)
			break;
		cJSON *j = compare_result_json(&r);
		jset_str(j, "connection", t[i].connection);
		cJSON_AddItemToArray(tables, j);
		worst = r.score > worst ? r.score : worst;
		identical &= compare_result_identical(&r);
		backfill_say(b, "%s: %lld rows now, %lld rebuilt; %lld only now, %lld only rebuilt, "
		    "%lld changed, %lld unchanged; score %.4f", t[i].table,
		    (long long)r.rows_current, (long long)r.rows_backfill,
		    (long long)r.only_current, (long long)r.only_backfill,
		    (long long)r.changed, (long long)r.unchanged, r.score);
		compare_result_free(&r);
	}
	backfill_targets_free(t, n);
	if (rc < 0) {
		cJSON_Delete(cmp);
		return -1;
	}
	if (backfill_compare_partitions(b, cmp, e) < 0) {
		cJSON_Delete(cmp);
		return -1;
	}
	cJSON_AddNumberToObject(cmp, "score", worst);
	cJSON_AddBoolToObject(cmp, "identical", identical);
	jset_time(cmp, "at", clock_now_us());
	char *text = cJSON_PrintUnformatted(cmp);
	rc = backfill_move(b, "compare", BACKFILL_WAITING, text, NULL, "waiting for approval", e);
	free(text);
	if (rc == 0)
		tell_waiting(b, cmp);
	cJSON_Delete(cmp);
	return rc;
}

static const char *const ORDER[] = { "plan", "suspend", "rebuild", "validate", "compare" };

static const char *step_after(const struct store_backfill *row)
{
	if (row->state == BACKFILL_FAILED || row->state == BACKFILL_WORKING)
		return row->step;           /* run it again */
	for (size_t i = 0; i + 1 < ARRAY_LEN(ORDER); i++)
		if (strcmp(row->step, ORDER[i]) == 0)
			return ORDER[i + 1];
	if (strcmp(row->step, "approve") == 0 || strcmp(row->step, "discard") == 0)
		return "resume";
	return NULL;
}

static int run_named(struct bf *b, const char *step, int samples, bool force,
		     struct err *e)
{
	if (begin_step(b, step, e) < 0)
		return -1;
	int rc;
	if (strcmp(step, "suspend") == 0)
		rc = step_suspend(b, e);
	else if (strcmp(step, "rebuild") == 0)
		rc = step_rebuild(b, e);
	else if (strcmp(step, "validate") == 0)
		rc = step_validate(b, e);
	else if (strcmp(step, "compare") == 0)
		rc = step_compare(b, samples, e);
	else if (strcmp(step, "approve") == 0)
		rc = backfill_runs_in_the_way(b, force, e) < 0 ? -1 : backfill_step_approve(b, e);
	else if (strcmp(step, "discard") == 0)
		rc = backfill_step_discard(b, e);
	else if (strcmp(step, "resume") == 0)
		rc = step_resume(b, e);
	else
		rc = err_set(e, ERR_INTERNAL, "no backfill step named %s", step);
	if (rc < 0) {
		struct err why = *e;
		return fail_step(b, step, &why, e);
	}
	return 0;
}

/* Load, take, settle an interrupted step; then `pick` says what to run. */
static int with_backfill(const struct backfill_env *env, const char *flow,
			 const char *(*pick)(struct bf *b, struct err *e),
			 int samples, bool force, int64_t *id, struct err *e)
{
	struct bf b = { .env = env };
	int rc = load_active(&b, flow, e);
	if (rc == 0)
		rc = backfill_take(&b, e);
	if (rc == 0) {
		if (id)
			*id = b.row->id;
		rc = settle_interrupted(&b, e);
		const char *picked = rc == 0 ? pick(&b, e) : NULL;
		/* A copy: moving the backfill replaces the row's strings. */
		char *step = xstrdup(picked);
		rc = step ? run_named(&b, step, samples, force, e) : -1;
		free(step);
		backfill_release(&b);
	}
	bf_free(&b);
	return rc;
}

static const char *pick_next(struct bf *b, struct err *e)
{
	if (backfill_held(b, e))
		return NULL;
	const char *next = step_after(b->row);
	if (next && strcmp(next, "approve") != 0 && strcmp(next, "discard") != 0 &&
	    !(strcmp(b->row->step, "compare") == 0 && b->row->state == BACKFILL_WAITING))
		return next;
	if (next && b->row->state == BACKFILL_FAILED)
		return next;        /* a confirmed approve or discard that failed */
	err_set(e, ERR_CONFLICT, "backfill %lld of flow %s waits for approval: run "
		"'sluice backfill approve %s' or 'sluice backfill discard %s'",
		(long long)b->row->id, b->row->flow, b->row->flow, b->row->flow);
	return NULL;
}

static const char *pick_approve(struct bf *b, struct err *e)
{
	bool at_compare = strcmp(b->row->step, "compare") == 0 &&
			  b->row->state == BACKFILL_WAITING;
	bool retry = strcmp(b->row->step, "approve") == 0 &&
		     b->row->state == BACKFILL_FAILED;
	if (at_compare || retry) {
		jset_str(b->rec, "decision", "approve");
		return "approve";
	}
	if (steps_json_string(b->rec, "decision"))
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was %s already: run "
			"'sluice backfill next %s' to resume its tasks", (long long)b->row->id,
			b->row->flow, str_eq(steps_json_string(b->rec, "decision"), "approve")
			? "approved" : "discarded", b->row->flow);
	else
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s is at step %s (%s): "
			"approving comes after compare; run 'sluice backfill next %s'",
			(long long)b->row->id, b->row->flow, b->row->step,
			backfill_state_name(b->row->state), b->row->flow);
	return NULL;
}

static const char *pick_discard(struct bf *b, struct err *e)
{
	if (str_eq(steps_json_string(b->rec, "decision"), "approve")) {
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was approved%s: it can no "
			"longer be discarded; run 'sluice backfill next %s' to finish",
			(long long)b->row->id, b->row->flow,
			strcmp(b->row->step, "approve") != 0 ? ""
			: b->row->state == BACKFILL_WAITING ? " and its tables swapped"
			: " and its swap has begun",
			b->row->flow);
		return NULL;
	}
	if (strcmp(b->row->step, "resume") == 0) {
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s is resuming its tasks: run "
			"'sluice backfill next %s'", (long long)b->row->id, b->row->flow,
			b->row->flow);
		return NULL;
	}
	jset_str(b->rec, "decision", "discard");
	return "discard";
}

int backfill_next(const struct backfill_env *env, const char *flow, int samples,
		  struct err *e)
{
	return with_backfill(env, flow, pick_next, samples, false, NULL, e);
}

int backfill_approve(const struct backfill_env *env, const char *flow, bool force,
		     struct err *e)
{
	return with_backfill(env, flow, pick_approve, 0, force, NULL, e);
}

int backfill_discard(const struct backfill_env *env, const char *flow, struct err *e)
{
	return with_backfill(env, flow, pick_discard, 0, false, NULL, e);
}

int backfill_start(const struct backfill_env *env, const char *flow,
		   const struct project_kv *params, size_t nparams, int64_t *id,
		   struct err *e)
{
	return backfill_start_range(env, flow, params, nparams, NULL, id, e);
}

int backfill_start_range(const struct backfill_env *env, const char *flow,
			 const struct project_kv *params, size_t nparams,
			 const struct backfill_range *range, int64_t *id, struct err *e)
{
	struct store_backfill *cur = NULL;
	int rc = store_backfill_active(env->store, flow, &cur, e);
	if (rc != 0) {
		if (rc == 1)
			err_set(e, ERR_CONFLICT, "flow %s already has backfill %lld (step %s, "
				"%s): continue it with 'sluice backfill next %s' or discard it",
				flow, (long long)cur->id, cur->step,
				backfill_state_name(cur->state), flow);
		store_backfill_free(cur);
		return -1;
	}
	cJSON *plan = range ? backfill_plan_range(env, flow, params, nparams, range, e)
			    : backfill_plan(env, flow, params, nparams, e);
	if (!plan)
		return -1;
	const cJSON *problems = cJSON_GetObjectItemCaseSensitive(plan, "problems");
	if (cJSON_GetArraySize(problems) > 0) {
		struct buf why = BUF_INIT;
		const cJSON *p;
		cJSON_ArrayForEach(p, problems)
			buf_printf(&why, "%s%s", why.len ? "; " : "", p->valuestring);
		err_set(e, ERR_INVALID, "cannot backfill flow %s: %s", flow, buf_str(&why));
		buf_free(&why);
		cJSON_Delete(plan);
		return -1;
	}
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddItemToObject(rec, "plan", plan);
	char *text = cJSON_PrintUnformatted(rec);
	rc = store_backfill_create(env->store, flow, "plan", text, env->by, id, e);
	free(text);
	cJSON_Delete(rec);
	return rc;
}
