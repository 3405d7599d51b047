/*
 * listen.c - a PostgreSQL connection that LISTENs for the store's change
 * notifications (st_commit sends them), so that engines and consoles wake
 * when something changed instead of asking the store on a short timer.
 */
#include "store/store_int.h"
#include "db/db.h"

#include <stdlib.h>

struct store_listener {
	struct db *db;
	unsigned areas;           /* gathered by read_one */
};

struct store_listener *store_listener_open(const char *url, const struct store_options *opt,
					   struct err *e)
{
	enum db_kind kind = DB_SQLITE;
	if (!db_url_valid(url, &kind) || kind != DB_POSTGRES) {
		err_set(e, ERR_INVALID, "only a PostgreSQL control store sends notifications");
		return NULL;
	}
	struct db *db = st_connect(url, opt, e);
	if (!db)
		return NULL;
	if (db_exec(db, "LISTEN " STORE_EVENTS_CHANNEL, NULL, 0, NULL, e) < 0) {
		db_close(db);
		return NULL;
	}
	struct store_listener *l = xcalloc(1, sizeof *l);
	l->db = db;
	return l;
}

int store_listener_fd(const struct store_listener *l)
{
	return db_socket(l->db);
}

static void read_one(void *arg, const char *payload)
{
	struct store_listener *l = arg;
	char *end;
	unsigned long areas = strtoul(payload, &end, 10);
	/* Not ours (someone else's NOTIFY on the channel): look at all. */
	l->areas |= *payload && !*end ? (unsigned)areas : ~0u;
}

int store_listener_read(struct store_listener *l, unsigned *areas, struct err *e)
{
	l->areas = 0;
	int n = db_notifications(l->db, read_one, l, e);
	*areas = n > 0 ? l->areas : 0;
	return n < 0 ? -1 : 0;
}

void store_listener_close(struct store_listener *l)
{
	if (!l)
		return;
	db_close(l->db);
	free(l);
}
