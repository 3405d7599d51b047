/*
 * backfill_int.h - shared by the backfill files of backfill/ (backfill.c, the
 * procedure; backfill_plan.c; backfill_run.c, the working process and its
 * own runs; backfill_swap.c; backfill_status.c), and by nothing else.
 */
#ifndef SLUICE_BACKFILL_INT_H
#define SLUICE_BACKFILL_INT_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <string.h>

#include "backfill/backfill.h"
#include "steps/steps.h"
#include "project/project.h"
#include "store/store.h"

struct bf {
	const struct backfill_env *env;
	struct store_backfill *row;
	cJSON *rec;                   /* the record: {"plan": ..., ...} */
	const struct project_flow *flow;
	struct step_conns *conns;
	char holder[300];
	char worker[320];
	/* the heartbeat */
	pthread_t hb;
	bool hb_running;
	pthread_mutex_t hb_lock;
	pthread_cond_t hb_cond;
	bool hb_stop;
	struct err hb_err;
	/* a partition's run made and run here (backfill_create_run,
	 * backfill_run_steps): its parameters (JSON text) and key; NULL: the
	 * plan's, none */
	const char *run_params;
	const char *run_partition;
};

struct target {
	const char *table, *connection;
	char *backfill, *old;
	const char **key;
	size_t nkey;
};

/* ---- JSON and names ---------------------------------------------------------- */
static inline int64_t jint(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static inline void jset(cJSON *o, const char *key, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
	else
		cJSON_AddItemToObject(o, key, v);
}

static inline void jset_int(cJSON *o, const char *key, int64_t v)
{
	jset(o, key, cJSON_CreateNumber((double)v));
}

static inline void jset_str(cJSON *o, const char *key, const char *v)
{
	jset(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static inline void jset_time(cJSON *o, const char *key, usec_t t)
{
	char iso[32];
	if (!t) {
		jset(o, key, cJSON_CreateNull());
		return;
	}
	time_format_iso(t, iso);
	jset_str(o, key, iso);
}

static inline cJSON *jobj(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsObject(v)) {
		v = cJSON_CreateObject();
		jset(o, key, v);
	}
	return v;
}

static inline char *target_name(const char *table, const char *suffix)
{
	return xasprintf("%s%s", table, suffix);
}

static inline bool kind_skipped(enum step_kind k)
{
	return k == STEP_EXTRACT || k == STEP_INGEST || k == STEP_HTTP || k == STEP_NOTIFY;
}

static inline bool json_has(const cJSON *arr, const char *s)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, arr)
		if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
			return true;
	return false;
}

/* ---- backfill.c ---------------------------------------------------------------- */
/* A progress line to the caller and the log. */
void  backfill_say(const struct bf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The backfill's JSON record (its plan column); never NULL. */
cJSON *backfill_record_of(const struct store_backfill *row);
/* Move to (step, state), saving the record; error NULL clears it. */
int   backfill_move(struct bf *b, const char *step, enum backfill_state state,
	      const char *compare_json, const char *error, const char *note,
	      struct err *e);
/* This process's connections (read-write), opened on first use. */
struct step_conns *backfill_conns(struct bf *b);
/* The plan's targets; free with backfill_targets_free. */
size_t backfill_targets(const cJSON *rec, struct target **out);
void  backfill_targets_free(struct target *t, size_t n);

/* A failed rebuild's checks of severity error that failed, as the
 * validation the status shows (the record's "validation", "from":
 * "rebuild"); a partition's run contributes only its failed checks.
 * Nothing is recorded when no such check failed. */
struct rebuild_run {
	int64_t run_id;
	const char *partition;        /* NULL: the whole flow's rebuild */
};
int   backfill_rebuild_checks(struct bf *b, const struct rebuild_run *runs, size_t n,
			      struct err *e);

/* ---- backfill_plan.c ---------------------------------------------------------- */
/* 1 exists (rows in *rows when not NULL), 0 not, -1 error. */
int   backfill_table_rows(struct db *db, const char *table, int64_t *rows, struct err *e);
/* The task's state word (STARTED unless set, or declared suspended), when
 * it was set, by whom and why (each may be NULL).  Caller frees. */
char *backfill_task_state(struct store *s, const struct project_task *t, usec_t *since,
		    char **by, char **reason, struct err *e);

/* ---- backfill_run.c --------------------------------------------------------------- */
const char *backfill_hostname(char *buf, size_t n);
/* Is the process "HOST:PID" gone?  Only answerable on its own host. */
bool  backfill_holder_dead_here(const char *holder);
/* Take the backfill for this process (the lease, the heartbeat) and read
 * it again; ERR_CONFLICT naming a live holder. */
int   backfill_take(struct bf *b, struct err *e);
void  backfill_release(struct bf *b);
/* The plan's parameters; the strings belong to the record. */
struct project_kv *backfill_params_of(const cJSON *rec, size_t *n);
/* A run of the flow with trigger backfill, claimed by this process. */
int   backfill_create_run(struct bf *b, const char *what, int64_t *run_id, struct err *e);
/* Run the flow's steps that `want` selects, in dependency order, as run
 * `run_id`, and settle the run; -1 with e set when a step failed. */
int   backfill_run_steps(struct bf *b, int64_t run_id, bool (*want)(enum step_kind),
		   struct err *e);

/* Is run `run_id` still going?  1 yes (an engine or a live process has
 * it, or it waits to be claimed), 0 it is over, or it was RUNNING for a
 * process this host knows is dead (it is marked CRASHED now). */
int   backfill_settle_orphan(struct bf *b, int64_t run_id, struct err *e);

/* ---- backfill_swap.c ------------------------------------------------------------- */
/* Drop every TABLE_backfill (names appended to `dropped` when not NULL). */
int   backfill_drop_tables(struct bf *b, cJSON *dropped, struct err *e);
/* Copy each existing target's shape (and its rows, for a partitioned
 * backfill that rebuilds only some partitions) to TABLE_backfill. */
int   backfill_prepare_targets(struct bf *b, bool with_rows, struct err *e);
/* Runs of the flow in the way of a swap (see backfill_approve). */
int   backfill_runs_in_the_way(struct bf *b, bool force, struct err *e);
int   backfill_step_approve(struct bf *b, struct err *e);
int   backfill_step_discard(struct bf *b, struct err *e);

/* ---- backfill_status.c ---------------------------------------------------------------- */
/* The rebuild run's progress into `out`. */
void  backfill_rebuild_progress(struct bf *b, int64_t run_id, cJSON *out);

/* ---- backfill_partitions.c ------------------------------------------------------ */
/* Was the backfill planned over a range of partitions? */
bool  backfill_is_partitioned(const cJSON *rec);
/* The rebuild of a partitioned backfill: one run per partition. */
int   backfill_rebuild_partitions(struct bf *b, struct err *e);
/* Per partition: its run and, with the partition's column, rows in both tables. */
int   backfill_compare_partitions(struct bf *b, cJSON *cmp, struct err *e);
/* "partitions" for the status: the list with live states, counts by state. */
void  backfill_partitions_json(struct bf *b, cJSON *out);
/* Non-NULL (and e set) when a pause or cancel holds the rebuild. */
const char *backfill_held(struct bf *b, struct err *e);

#endif
