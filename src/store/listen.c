/*
 * listen.c - a PostgreSQL connection that LISTENs for the store's change
 * notifications (st_commit sends them), so that engines and consoles wake
 * when something changed instead of asking the store on a short timer.
 */
#include "store/store_int.h"
#include "db/db.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct store_listener {
	struct db *db;            /* PostgreSQL */
	int fd;                   /* SQLite: subscribed to the event socket */
	unsigned areas;           /* gathered by read_one */
};

static struct store_listener *subscribe(const char *url, struct err *e)
{
	int fd = st_evsock_connect(url, 'S');
	if (fd < 0) {
		err_set(e, ERR_NOTFOUND, "no engine serves the control store's events");
		return NULL;
	}
	struct store_listener *l = xcalloc(1, sizeof *l);
	l->fd = fd;
	return l;
}

struct store_listener *store_listener_open(const char *url, const struct store_options *opt,
					   struct err *e)
{
	enum db_kind kind = DB_SQLITE;
	if (!db_url_valid(url, &kind)) {
		err_set(e, ERR_INVALID, "not a control store URL");
		return NULL;
	}
	if (kind == DB_SQLITE)
		return subscribe(url, e);
	struct db *db = st_connect(url, opt, e);
	if (!db)
		return NULL;
	if (db_exec(db, "LISTEN " STORE_EVENTS_CHANNEL, NULL, 0, NULL, e) < 0) {
		db_close(db);
		return NULL;
	}
	struct store_listener *l = xcalloc(1, sizeof *l);
	l->db = db;
	l->fd = -1;
	return l;
}

int store_listener_fd(const struct store_listener *l)
{
	return l->db ? db_socket(l->db) : l->fd;
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
	if (!l->db) {
		char buf[256];
		ssize_t n = recv(l->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != EINTR))
			return err_set(e, ERR_IO, "the engine serving the store's events went away");
		*areas = n > 0 ? ~0u : 0;
		return 0;
	}
	int n = db_notifications(l->db, read_one, l, e);
	*areas = n > 0 ? l->areas : 0;
	return n < 0 ? -1 : 0;
}

void store_listener_close(struct store_listener *l)
{
	if (!l)
		return;
	if (l->db)
		db_close(l->db);
	else
		close(l->fd);
	free(l);
}
