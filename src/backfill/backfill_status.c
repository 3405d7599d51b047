/*
 * backfill_status.c - where a backfill stands, as JSON for views and the
 * command line: its steps with who moved them and when, what to do next,
 * the process working on it, the plan, the rebuild's progress (rows read
 * against rows planned, steps done), validation, the compare preview and
 * the history.  Read from the store alone, so it works read-only and from
 * any host.
 */
#include "backfill/backfill_int.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* A new {"step": ..., "state": ...} at the end of arr, for the caller to
 * add to: an entry of the rebuild's steps or of the history. */
static cJSON *add_step_entry(cJSON *arr, const char *step, const char *state)
{
	cJSON *o = cJSON_CreateObject();
	jset_str(o, "step", step);
	jset_str(o, "state", state);
	cJSON_AddItemToArray(arr, o);
	return o;
}

/* The rows a reading step of the rebuild has read: what it reports, or,
 * for a step that reports none (a SQL transform reads its inputs inside
 * the database and counts nothing; an ingest step is skipped in a
 * rebuild) once it is past, the rows the plan counted in its sources, so
 * that a rebuild that read everything says so rather than "0 of N". */
static int64_t rows_read_by(const cJSON *plan, const struct store_step *st)
{
	if (st->rows_in > 0 || (st->state != STEP_COMPLETED && st->state != STEP_SKIPPED))
		return st->rows_in;
	int64_t rows = 0;
	const cJSON *src;
	cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(plan, "sources"))
		if (str_eq(steps_json_string(src, "step"), st->step))
			rows += jint(src, "rows");
	return rows;
}

void backfill_rebuild_progress(struct bf *b, int64_t run_id, cJSON *out)
{
	struct store *s = b->env->store;
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(b->rec, "plan");
	const cJSON *reading = cJSON_GetObjectItemCaseSensitive(plan, "reading_steps");
	int64_t planned = jint(plan, "rows_planned");
	int total = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(plan, "steps"));
	struct store_run *r = store_run_get(s, run_id, NULL);
	struct vec steps = VEC_INIT;
	store_step_list(s, run_id, &steps, NULL);
	int64_t read = 0, written = 0;
	int done = 0;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < steps.len; i++) {
		const struct store_step *st = steps.items[i];
		if (json_has(reading, st->step))
			read += rows_read_by(plan, st);
		written = st->rows_out > 0 && st->state == STEP_COMPLETED ? written + st->rows_out
									  : written;
		done += st->state != STEP_RUNNING && st->state != STEP_PENDING;
		cJSON *o = add_step_entry(arr, st->step, step_state_name(st->state));
		jset_int(o, "rows_in", st->rows_in);
		jset_int(o, "rows_out", st->rows_out);
		jset_str(o, "error", st->error);
	}
	store_step_list_free(&steps);
	bool finished = r && (r->state == RUN_COMPLETED || r->state == RUN_CACHED);
	double fs = total > 0 ? (double)done / total : 0;
	/* Rows read count only where the reading steps report them (loads and
	 * normalize do; a SQL transform does not): else steps tell. */
	double fr = planned > 0 && read > 0 ? (double)read / (double)planned : fs;
	double f = finished ? 1.0 : (fr < fs ? fr : fs);
	jset_int(out, "run_id", run_id);
	jset_str(out, "run_state", r ? run_state_name(r->state) : NULL);
	jset_int(out, "rows_planned", planned);
	jset_int(out, "rows_read", read);
	jset_int(out, "rows_written", written);
	jset_int(out, "steps_total", total);
	jset_int(out, "steps_done", done);
	jset(out, "fraction", cJSON_CreateNumber(f > 1 ? 1 : f));
	jset(out, "steps", arr);
	jset_str(out, "error", r ? r->error : NULL);
	store_run_free(r);
}

static const char *const VIEW_STEPS[] = { "plan", "suspend", "rebuild", "validate",
					  "compare", "approve", "resume" };

static size_t step_index(const char *step)
{
	if (strcmp(step, "discard") == 0)
		return 5;
	for (size_t i = 0; i < ARRAY_LEN(VIEW_STEPS); i++)
		if (strcmp(VIEW_STEPS[i], step) == 0)
			return i;
	return 0;
}

/* The holder named in the newest "started by process HOST:PID" note. */
static void working_json(const struct store_backfill *row, const struct vec *hist,
			 cJSON *out)
{
	if (row->state != BACKFILL_WORKING) {
		jset(out, "working", cJSON_CreateNull());
		return;
	}
	const char *holder = NULL;
	usec_t since = 0;
	for (size_t i = hist->len; i-- > 0 && !holder;) {
		const struct store_backfill_event *ev = hist->items[i];
		if (ev->note && str_starts_with(ev->note, "started by process ")) {
			holder = ev->note + strlen("started by process ");
			since = ev->at;
		}
	}
	cJSON *w = cJSON_CreateObject();
	jset_str(w, "process", holder);
	jset_time(w, "since", since);
	/* Known only on the process's own host; elsewhere its lease decides. */
	jset(w, "alive", holder && backfill_holder_dead_here(holder) ? cJSON_CreateFalse()
		: cJSON_CreateNull());
	jset(out, "working", w);
}

static void next_json(const struct store_backfill *row, const cJSON *rec, cJSON *out)
{
	cJSON *n = cJSON_CreateObject();
	cJSON *actions = cJSON_AddArrayToObject(n, "actions");
	const char *step = row->step, *decision = steps_json_string(rec, "decision");
	char text[256];
	if (!backfill_state_is_active(row->state)) {
		snprintf(text, sizeof text, "finished: %s",
			 row->state == BACKFILL_COMPLETED ? "approved, tables swapped, tasks resumed"
							  : "discarded, tasks resumed");
	} else if (row->state == BACKFILL_WORKING) {
		snprintf(text, sizeof text, "step %s is running", step);
	} else if (row->state == BACKFILL_FAILED) {
		snprintf(text, sizeof text, "step %s failed: 'next' runs it again", step);
		cJSON_AddItemToArray(actions, cJSON_CreateString("next"));
	} else if (strcmp(step, "compare") == 0) {
		snprintf(text, sizeof text, "waiting for approval: approve swaps the tables, "
			 "discard drops the backfill tables");
		cJSON_AddItemToArray(actions, cJSON_CreateString("approve"));
	} else {
		static const char *const what[] = {
			"suspend the flow's tasks", "rebuild the tables as TABLE_backfill",
			"validate the backfill tables", "compare them with the current tables",
		};
		size_t i = step_index(step);
		snprintf(text, sizeof text, "next: %s", i < 4 ? what[i] : "resume the tasks");
		cJSON_AddItemToArray(actions, cJSON_CreateString("next"));
	}
	bool can_discard = backfill_state_is_active(row->state) && !str_eq(decision, "approve")
			   && strcmp(step, "resume") != 0 && row->state != BACKFILL_WORKING;
	if (can_discard)
		cJSON_AddItemToArray(actions, cJSON_CreateString("discard"));
	jset_str(n, "text", text);
	jset(out, "next", n);
}

static void steps_json(const struct store_backfill *row, const cJSON *rec,
		       const struct vec *hist, cJSON *out)
{
	cJSON *arr = cJSON_CreateArray();
	size_t cur = step_index(row->step);
	const char *decision = steps_json_string(rec, "decision");
	for (size_t i = 0; i < ARRAY_LEN(VIEW_STEPS); i++) {
		const char *name = VIEW_STEPS[i];
		if (i == 5 && str_eq(decision, "discard"))
			name = "discard";
		const char *status = i < cur ? "done" : i > cur ? "pending"
			: row->state == BACKFILL_WAITING || !backfill_state_is_active(row->state)
			? "done" : row->state == BACKFILL_WORKING ? "working" : "failed";
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "step", name);
		jset_str(o, "status", status);
		for (size_t h = hist->len; h-- > 0;) {
			const struct store_backfill_event *ev = hist->items[h];
			if (strcmp(ev->step, name) == 0) {
				jset_str(o, "by", ev->by);
				jset_time(o, "at", ev->at);
				break;
			}
		}
		cJSON_AddItemToArray(arr, o);
	}
	jset(out, "steps", arr);
}

static cJSON *history_json(const struct vec *hist)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < hist->len; i++) {
		const struct store_backfill_event *ev = hist->items[i];
		cJSON *o = add_step_entry(arr, ev->step, backfill_state_name(ev->state));
		jset_str(o, "by", ev->by);
		jset_str(o, "note", ev->note);
		jset_time(o, "at", ev->at);
	}
	return arr;
}

static void copy_member(cJSON *out, const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
	jset(out, key, v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
}

/* The members a backfill's status and its line in the list begin with. */
static cJSON *backfill_head_json(const struct store_backfill *row, const cJSON *rec)
{
	cJSON *o = cJSON_CreateObject();
	jset_int(o, "id", row->id);
	jset_str(o, "flow", row->flow);
	jset_str(o, "step", row->step);
	jset_str(o, "state", backfill_state_name(row->state));
	jset(o, "active", cJSON_CreateBool(backfill_state_is_active(row->state)));
	jset_str(o, "decision", steps_json_string(rec, "decision"));
	return o;
}

static cJSON *status_of(const struct backfill_env *env, struct store_backfill *row,
			struct err *e)
{
	struct vec hist = VEC_INIT;
	if (store_backfill_history(env->store, row->id, &hist, e) < 0)
		return NULL;
	struct bf b = { .env = env, .row = row, .rec = backfill_record_of(row) };
	cJSON *o = backfill_head_json(row, b.rec);
	jset_str(o, "error", row->error);
	jset_str(o, "created_by", row->created_by);
	jset_time(o, "created", row->created);
	jset_time(o, "updated", row->updated);
	jset_time(o, "ended", row->ended);
	next_json(row, b.rec, o);
	working_json(row, &hist, o);
	steps_json(row, b.rec, &hist, o);
	copy_member(o, b.rec, "plan");
	copy_member(o, b.rec, "suspended");
	cJSON *rb = cJSON_Duplicate(jobj(b.rec, "rebuild"), true);
	if (jint(rb, "run_id"))
		backfill_rebuild_progress(&b, jint(rb, "run_id"), rb);
	jset(o, "rebuild", rb);
	backfill_partitions_json(&b, o);
	copy_member(o, b.rec, "validation");
	cJSON *cmp = row->compare ? cJSON_Parse(row->compare) : NULL;
	jset(o, "compare", cmp ? cmp : cJSON_CreateNull());
	copy_member(o, b.rec, "swap");
	copy_member(o, b.rec, "discard");
	copy_member(o, b.rec, "resumed");
	copy_member(o, b.rec, "left_alone");
	jset(o, "history", history_json(&hist));
	cJSON_Delete(b.rec);
	store_backfill_history_free(&hist);
	return o;
}

cJSON *backfill_status(const struct backfill_env *env, const char *flow, struct err *e)
{
	struct store_backfill *row = NULL;
	int rc = store_backfill_active(env->store, flow, &row, e);
	if (rc < 0)
		return NULL;
	if (rc == 0) {
		struct vec v = VEC_INIT;
		if (store_backfill_list(env->store, flow, 1, &v, e) < 0)
			return NULL;
		row = v.len ? v.items[0] : NULL;
		vec_free(&v);
	}
	if (!row) {
		err_set(e, ERR_NOTFOUND, "flow %s has never had a backfill", flow);
		return NULL;
	}
	cJSON *o = status_of(env, row, e);
	store_backfill_free(row);
	return o;
}

cJSON *backfill_status_list(const struct backfill_env *env, int limit, struct err *e)
{
	struct vec v = VEC_INIT;
	if (store_backfill_list(env->store, NULL, limit, &v, e) < 0)
		return NULL;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < v.len; i++) {
		const struct store_backfill *row = v.items[i];
		cJSON *rec = backfill_record_of(row);
		cJSON *o = backfill_head_json(row, rec);
		jset_str(o, "created_by", row->created_by);
		jset_time(o, "created", row->created);
		jset_time(o, "updated", row->updated);
		jset_str(o, "error", row->error);
		cJSON_AddItemToArray(arr, o);
		cJSON_Delete(rec);
	}
	store_backfill_list_free(&v);
	return arr;
}
