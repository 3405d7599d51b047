/*
 * ledger.c - a step's entries in a data database's ledger: the record,
 * committed with the step's rows, that this run's step is done, so that a
 * retried or recovered attempt of the run does not do it twice.
 *
 * An entry is the control store's own: its key names the store
 * ("store:ID:run:N:step:NAME"), so a run of another store with the same
 * number (a new .sluice/, a switched control store, another project on
 * the same warehouse) never finds it.  It also records the step's rows,
 * so that an attempt which finds its step done still counts them.
 *
 * Entries written before stores had ids are keyed "run:N:step:NAME".
 * Such an entry can only be this store's if the store is that old and run
 * N began before it got its id; and then only if this store is the one
 * that may take the database's entries without an id
 * (db_ledger_claim_legacy).  Otherwise it is another store's (a store
 * made with an id never wrote one) and this run does its step; when
 * sluice cannot tell, the step fails and says how to settle it.
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static char *run_key(const struct step_ctx *ctx, const char *suffix)
{
	return xasprintf("run:%lld:step:%s%s%s", (long long)ctx->run_id, ctx->step->name,
			 suffix ? ":" : "", suffix ? suffix : "");
}

char *step_ledger_key(const struct step_ctx *ctx, const char *suffix)
{
	char *run = run_key(ctx, suffix);
	char *key = xasprintf("store:%s:%s", store_id(ctx->store), run);
	free(run);
	return key;
}

static int64_t info_number(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* The rows an entry recorded (none in entries of older sluices). */
static void count_rows(struct step_ctx *ctx, const char *info)
{
	cJSON *o = info ? cJSON_Parse(info) : NULL;
	if (cJSON_IsObject(o)) {
		ctx->rows_in += info_number(o, "rows_in");
		ctx->rows_out += info_number(o, "rows_out");
		ctx->rows_deleted += info_number(o, "rows_deleted");
	}
	cJSON_Delete(o);
}

/* The entry an older sluice wrote for run N of whichever store it was. */
static int legacy_entry(struct step_ctx *ctx, struct db *db, const char *suffix,
			char **key, struct db_ledger_entry *en, struct err *e)
{
	*key = run_key(ctx, suffix);
	int rc = db_ledger_get(db, *key, en, e);
	if (rc == 1 && en->store_id) {
		db_ledger_entry_free(en);    /* an id under an old key: not one of those */
		rc = 0;
	}
	return rc;
}

static int cannot_tell(struct step_ctx *ctx, struct db *db, const char *key,
		       const char *other, struct err *e)
{
	char *own = step_ledger_key(ctx, NULL);
	err_set(e, ERR_CONFLICT, "step %s: the ledger of %s has an entry %s without a "
		"control store id, and records of another control store (%s): sluice "
		"cannot tell whether run %lld, begun before this store (%s) had an id, "
		"already did this step, so it neither does it again nor skips it.  If the "
		"step's work is in its target, claim the entry for this store: UPDATE "
		"_sluice_ledger SET key = '%s', store_id = '%s' WHERE key = '%s'; if it is "
		"not, delete the entry (DELETE FROM _sluice_ledger WHERE key = '%s') and "
		"retry the run", ctx->step->name, db_label(db), key, other,
		(long long)ctx->run_id, store_id(ctx->store), own, store_id(ctx->store), key,
		key);
	free(own);
	return -1;
}

/* Is an entry from before store ids this run's?  1 yes (*en filled), 0 no,
 * -1 error (including "cannot tell"). */
static int legacy_done(struct step_ctx *ctx, struct db *db, const char *suffix,
		       struct db_ledger_entry *en, struct err *e)
{
	char *key = NULL;
	int rc = legacy_entry(ctx, db, suffix, &key, en, e);
	if (rc != 1) {
		free(key);
		return rc;
	}
	const struct store_identity *id = store_identity(ctx->store);
	if (!id->legacy || ctx->run_id > id->legacy_runs_upto) {
		step_log(ctx, LOG_INFO, NULL, "the ledger of %s has an entry %s without a "
			 "control store id: an older sluice wrote it for another store's run "
			 "%lld, not this one; this run does the step", db_label(db), key,
			 (long long)ctx->run_id);
		db_ledger_entry_free(en);
		free(key);
		return 0;
	}
	char *other = NULL;
	rc = db_ledger_claim_legacy(db, id->id, &other, e);
	if (rc == 0)
		rc = cannot_tell(ctx, db, key, other, e);
	else if (rc == 1)
		step_log(ctx, LOG_INFO, NULL, "already committed by an earlier attempt of run "
			 "%lld, before this control store had an id (ledger %s in %s); not "
			 "doing it again", (long long)ctx->run_id, key, db_label(db));
	if (rc != 1)
		db_ledger_entry_free(en);
	free(other);
	free(key);
	return rc;
}

int step_ledger_done(struct step_ctx *ctx, struct db *db, const char *suffix,
		     struct err *e)
{
	if (db_is_read_only(db))
		return 0;
	if (!ctx->store || !store_id(ctx->store))
		return err_set(e, ERR_INTERNAL, "step %s: no control store identity for "
			       "its ledger entries", ctx->step->name);
	/* Steps running side by side may all find the ledger missing; on
	 * PostgreSQL the losers of that race get a unique violation from the
	 * catalogue.  The table is there all the same. */
	if (db_ledger_ensure(db, e) < 0 && db_table_exists(db, "_sluice_ledger", NULL) != 1)
		return -1;
	char *key = step_ledger_key(ctx, suffix);
	struct db_ledger_entry en;
	int rc = db_ledger_get(db, key, &en, e);
	if (rc == 1)
		step_log(ctx, LOG_INFO, NULL, "already committed by an earlier attempt of "
			 "run %lld (ledger %s in %s); not doing it again",
			 (long long)ctx->run_id, key, db_label(db));
	else if (rc == 0)
		rc = legacy_done(ctx, db, suffix, &en, e);
	if (rc == 1)
		count_rows(ctx, en.info);
	db_ledger_entry_free(&en);
	free(key);
	return rc;
}

int step_ledger_put(struct step_ctx *ctx, struct db *db, const char *suffix,
		    int64_t rows_in, int64_t rows_out, const char *what, struct err *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "rows_in", (double)rows_in);
	cJSON_AddNumberToObject(o, "rows_out", (double)rows_out);
	if (ctx->rows_deleted > 0)
		cJSON_AddNumberToObject(o, "rows_deleted", (double)ctx->rows_deleted);
	if (what)
		cJSON_AddStringToObject(o, "what", what);
	char *info = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *key = step_ledger_key(ctx, suffix);
	int rc = db_ledger_put(db, key, store_id(ctx->store), ctx->run_id, info, e);
	free(key);
	cJSON_free(info);
	return rc;
}
