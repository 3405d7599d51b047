/*
 * identity.c - the control store's id: made once, in the migration that
 * introduced it, and read at every open.
 *
 * The id is random rather than derived from the URL: the same URL may
 * name a fresh store tomorrow (a deleted .sluice/), and one store may be
 * reached by two URLs.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static int random_uuid(char out[37], struct err *e)
{
	uint8_t b[16];
	size_t got = 0;
	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, ERR_IO, "no random bytes for the store's id: %s",
				       strerror(errno));
		got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);      /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);      /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6],
		 b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* Did the store do any work before this migration?  Then data databases
 * may hold its records without an id. */
static int held_work(struct store *s, bool *held, int64_t *runs_upto, struct err *e)
{
	static const char *const probes[] = {
		"SELECT count(*) FROM (SELECT 1 FROM load_history LIMIT 1) x",
		"SELECT count(*) FROM (SELECT 1 FROM watermarks LIMIT 1) x",
		"SELECT count(*) FROM (SELECT 1 FROM stream_offsets LIMIT 1) x",
		"SELECT count(*) FROM (SELECT 1 FROM backfills LIMIT 1) x",
	};
	if (st_query_i64(s, "SELECT COALESCE(max(id), 0) FROM runs", NULL, runs_upto, e) < 0)
		return -1;
	*held = *runs_upto > 0;
	for (size_t i = 0; i < ARRAY_LEN(probes) && !*held; i++) {
		int64_t n = 0;
		if (st_query_i64(s, probes[i], NULL, &n, e) < 0)
			return -1;
		*held = n > 0;
	}
	return 0;
}

int store_identity_create(struct store *s, struct err *e)
{
	char id[37];
	bool legacy = false;
	int64_t upto = 0;
	if (random_uuid(id, e) < 0 || held_work(s, &legacy, &upto, e) < 0)
		return -1;
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, id);
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_i64(&p, legacy ? 1 : 0);
	st_sqlp_i64(&p, upto);
	return st_exec(s, "INSERT INTO store_identity (id, created_at, legacy, "
		       "legacy_runs_upto) VALUES ($1, $2, $3, $4)", &p, NULL, e);
}

int store_identity_load(struct store *s, struct err *e)
{
	store_identity_clear(&s->id);
	int exists = db_table_exists(s->db, "store_identity", e);
	if (exists <= 0)
		return exists;      /* a store migrated only part of the way */
	struct db_cursor *c = st_query(s, "SELECT id, created_at, legacy, legacy_runs_upto "
				       "FROM store_identity", NULL, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		s->id.id = st_col_str(c, 0);
		s->id.created = st_col_i64(c, 1);
		s->id.legacy = st_col_bool(c, 2);
		s->id.legacy_runs_upto = st_col_i64(c, 3);
	}
	db_cursor_close(c);
	if (rc == 0)
		return err_set(e, ERR_DB, "control store %s has no identity row "
			       "(store_identity is empty)", s->url);
	return rc < 0 ? -1 : 0;
}

void store_identity_clear(struct store_identity *id)
{
	free(id->id);
	memset(id, 0, sizeof *id);
}

const struct store_identity *store_identity(const struct store *s)
{
	return &s->id;
}

const char *store_id(const struct store *s)
{
	return s->id.id;
}
