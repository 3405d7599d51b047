/*
 * link.c - losing the PostgreSQL server of the control store, and finding
 * it again (the rules are in store.h, "losing the server").
 *
 * The link is what the handles of one engine share: whether the store is
 * down and since when, when it was last found again, and the backoff of
 * the next attempt.  Each handle still connects for itself (a connection
 * belongs to one thread); the link only decides who tries while the store
 * is down and who says what, so that a restart shows as one warning and
 * one note however many threads found out.  A handle whose connection was
 * made before the last recovery was announced catches up silently.
 */
#include "store/store_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN (250 * USEC_PER_MSEC)
#define BACKOFF_MAX (2 * USEC_PER_SEC)

struct store_link {
	pthread_mutex_t lock;
	usec_t down_since;         /* monotonic; 0 = not known to be down */
	usec_t back_at;            /* monotonic: last announced recovery */
	usec_t next_try;           /* while down: the next attempt */
	usec_t backoff;
	char *why;                 /* while down: the last connect error */
};

struct store_link *store_link_new(void)
{
	struct store_link *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void store_link_free(struct store_link *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->why);
	free(l);
}

struct store_link *store_link_of(struct store *s)
{
	return s->link;
}

usec_t store_link_down_for(struct store_link *l)
{
	pthread_mutex_lock(&l->lock);
	usec_t since = l->down_since;
	pthread_mutex_unlock(&l->lock);
	return since ? clock_monotonic_us() - since : 0;
}

usec_t store_link_back_at(struct store_link *l)
{
	pthread_mutex_lock(&l->lock);
	usec_t at = l->back_at;
	pthread_mutex_unlock(&l->lock);
	return at;
}

bool store_lost(const struct store *s)
{
	return s->lost;
}

struct db *st_connect(const char *url, const struct store_options *opt,
		      struct err *e)
{
	/* Errors name the store and where it is ("control store
	 * /srv/etl/.sluice/control.db: database or disk is full", "control
	 * store 10.0.0.5:5432/etl: ..."); a server that cannot be reached is
	 * named with its redacted URL by the link (unreachable, lost). */
	enum db_kind kind = DB_SQLITE;
	db_url_valid(url, &kind);
	char *label = kind == DB_SQLITE ? xasprintf("control store %s", url + strlen("sqlite:"))
					: xstrdup("control store");
	struct db_options dopt = {
		.read_only = opt->read_only,
		.password = opt->password,
		.busy_timeout_ms = opt->busy_timeout_ms,
		.label = label,
		.label_names_server = kind != DB_SQLITE,
	};
	struct db *db = db_open(url, &dopt, e);
	free(label);
	return db;
}

/* The first line of a connect error, without db_open's own prefix: it is
 * said once, after the store's name. */
static char *connect_why(const struct err *e)
{
	static const char prefix[] = "cannot open control store: ";
	const char *m = e->msg;
	if (strncmp(m, prefix, sizeof prefix - 1) == 0)
		m += sizeof prefix - 1;
	return st_first_line(m);
}

/* (l->lock held) */
static int unreachable(struct store *s, struct store_link *l, usec_t now,
		       struct err *e)
{
	char since[40] = "";
	if (now - l->down_since >= USEC_PER_SEC) {
		strcpy(since, " for ");
		duration_format(now - l->down_since, since + 5, sizeof since - 5);
	}
	s->lost = true;
	return err_set(e, ERR_DB, "control store %s is unreachable%s: %s", s->url,
		       since, l->why ? l->why : "?");
}

/* (l->lock held) A connection attempt failed. */
static void note_down(struct store *s, struct store_link *l, usec_t now,
		      const struct err *oe)
{
	free(l->why);
	l->why = connect_why(oe);
	if (l->down_since)
		return;
	l->down_since = now;
	l->backoff = BACKOFF_MIN;
	l->next_try = now + BACKOFF_MIN;
	log_emit(LOG_WARN, 0, NULL, "store", NULL, 0, "control store %s lost: %s; "
		 "reconnecting", s->url, l->why);
}

/* (l->lock held) A connection attempt succeeded. */
static void note_up(struct store *s, struct store_link *l, usec_t now, usec_t old_conn)
{
	if (l->down_since) {
		char took[32];
		duration_format(now - l->down_since, took, sizeof took);
		log_emit(LOG_WARN, 0, NULL, "store", NULL, 0, "control store %s is back "
			 "(unreachable for %s)", s->url, took);
		l->down_since = 0;
		free(l->why);
		l->why = NULL;
		l->back_at = now;
	} else if (old_conn > l->back_at) {
		/* News: nobody reported this loss (the server was back before
		 * anyone tried). */
		log_emit(LOG_WARN, 0, NULL, "store", NULL, 0, "control store %s: the "
			 "connection was lost (server restarted?); reconnected", s->url);
		l->back_at = now;
	}
}

static int reconnect(struct store *s, struct err *e)
{
	struct store_link *l = s->link;
	usec_t now = clock_monotonic_us();
	pthread_mutex_lock(&l->lock);
	if (l->down_since) {
		/* One attempt per backoff step, whoever comes first. */
		if (now < l->next_try) {
			int rc = unreachable(s, l, now, e);
			pthread_mutex_unlock(&l->lock);
			return rc;
		}
		l->backoff = l->backoff * 2 < BACKOFF_MAX ? l->backoff * 2 : BACKOFF_MAX;
		l->next_try = now + l->backoff;
	}
	pthread_mutex_unlock(&l->lock);

	struct store_options opt = { .read_only = s->read_only, .password = s->password,
				     .busy_timeout_ms = s->busy_timeout_ms };
	struct err oe;
	err_clear(&oe);
	struct db *db = st_connect(s->conn_url, &opt, &oe);
	now = clock_monotonic_us();
	pthread_mutex_lock(&l->lock);
	int rc = 0;
	if (!db) {
		note_down(s, l, now, &oe);
		rc = unreachable(s, l, now, e);
	} else {
		note_up(s, l, now, s->opened);
		db_close(s->db);
		s->db = db;
		s->opened = now;
		s->lost = false;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int st_ready(struct store *s, struct err *e)
{
	if (db_alive(s->db, false)) {
		s->lost = false;
		return 0;
	}
	if (s->in_tx) {
		s->lost = true;
		return err_set(e, ERR_DB, "control store %s: connection lost in a "
			       "transaction (it was rolled back)", s->url);
	}
	return reconnect(s, e);
}

void st_failed(struct store *s, struct err *e)
{
	if (db_alive(s->db, false))
		return;
	s->lost = true;
	err_prefix(e, "control store %s: connection lost: ", s->url);
}
