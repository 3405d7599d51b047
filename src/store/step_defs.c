/*
 * step_defs.c - the definition each step of a run used: its SQL file's
 * text or its spec, so that after a failure an operator can see what ran
 * and how the file on disk differs from it now.
 *
 * Texts are stored once each, keyed by their SHA-256 (step_defs); a run
 * names its steps' hashes (run_step_defs).  Retention deletes a run's
 * rows with the run, and a text no run names any more (prune.c).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

void store_step_def_clear(struct store_step_def *d)
{
	free(d->step);
	free(d->file);
	free(d->hash);
	free(d->text);
	memset(d, 0, sizeof *d);
}

static int put_one(struct store *s, int64_t run_id, const struct store_step_def *d,
		   struct err *e)
{
	char hash[65];
	sha256_hex_of(d->text, strlen(d->text), hash);
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, hash);
	st_sqlp_str(&p, d->text);
	if (st_exec(s, "INSERT INTO step_defs (hash, text) VALUES ($1, $2) "
		    "ON CONFLICT (hash) DO NOTHING", &p, NULL, e) < 0)
		return -1;
	struct sqlp q = SQLP_INIT;
	st_sqlp_i64(&q, run_id);
	st_sqlp_str(&q, d->step);
	st_sqlp_str(&q, d->file);
	st_sqlp_str(&q, hash);
	return st_exec(s, "INSERT INTO run_step_defs (run_id, step, file, hash) "
		       "VALUES ($1, $2, $3, $4)", &q, NULL, e);
}

int store_run_defs_put(struct store *s, int64_t run_id,
		       const struct store_step_def *defs, size_t n, struct err *e)
{
	if (st_begin(s, e) < 0)
		return -1;
	/* A later attempt of the run replaces what the earlier one used:
	 * the definition shown is the one that ran last. */
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	int rc = st_exec(s, "DELETE FROM run_step_defs WHERE run_id = $1", &p, NULL, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = put_one(s, run_id, &defs[i], e);
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	return st_commit_quietly(s, STORE_AREA_BIT(STORE_AREA_RUNS), e);
}

static void *parse_def(struct db_cursor *c)
{
	struct store_step_def *d = xcalloc(1, sizeof *d);
	d->step = st_col_str(c, 0);
	d->file = st_col_str(c, 1);
	d->hash = st_col_str(c, 2);
	d->text = st_col_str(c, 3);
	if (!d->text)
		d->text = xstrdup("");
	return d;
}

static void free_def(void *p)
{
	store_step_def_clear(p);
	free(p);
}

int store_run_def_get(struct store *s, int64_t run_id, const char *step,
		      struct store_step_def *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	st_sqlp_str(&p, step);
	int rc;
	struct store_step_def *d = st_collect_one(
		st_query(s, "SELECT r.step, r.file, r.hash, d.text FROM run_step_defs r "
			 "JOIN step_defs d ON d.hash = r.hash "
			 "WHERE r.run_id = $1 AND r.step = $2", &p, e),
		parse_def, free_def, &rc, e);
	if (d) {
		*out = *d;
		free(d);
	}
	return rc;
}
