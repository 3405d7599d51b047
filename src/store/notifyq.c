/*
 * notifyq.c - the notification queue: messages wait here until a sender
 * claims them, and come back with a growing delay when Slack answers 429
 * or 5xx, so sending never blocks the engine and nothing is lost to a
 * passing outage.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* A sender that claimed a message and vanished: after this the message
 * may be claimed again. */
#define CLAIM_LEASE (300 * USEC_PER_SEC)

static const char *const notify_names[NOTIFY_STATE_COUNT] = {
	[NOTIFY_PENDING] = "PENDING", [NOTIFY_SENDING] = "SENDING",
	[NOTIFY_SENT] = "SENT", [NOTIFY_FAILED] = "FAILED",
};

const char *notify_state_name(enum notify_state st)
{
	return (unsigned)st < NOTIFY_STATE_COUNT ? notify_names[st] : "?";
}

#define NOTIFY_COLS "id, channel, event, body, state, attempts, created_at, " \
	"next_attempt_at, sent_at, last_error, object, detail, occurrences, first_at"

static void *parse_notification(struct db_cursor *c)
{
	struct store_notification *n = xcalloc(1, sizeof(*n));
	n->id = st_col_i64(c, 0);
	n->channel = st_col_str(c, 1);
	n->event = st_col_str(c, 2);
	n->text = st_col_str(c, 3);
	int st = NOTIFY_FAILED;
	st_enum_parse(notify_names, NOTIFY_STATE_COUNT, db_cursor_text(c, 4), &st);
	n->state = (enum notify_state)st;
	n->attempts = (int)st_col_i64(c, 5);
	n->created = st_col_i64(c, 6);
	n->next_attempt = st_col_i64(c, 7);
	n->sent = st_col_i64(c, 8);
	n->last_error = st_col_str(c, 9);
	n->object = st_col_str(c, 10);
	n->detail = st_col_str(c, 11);
	n->occurrences = (int)st_col_i64(c, 12);
	if (n->occurrences < 1)
		n->occurrences = 1;
	n->first_at = st_col_i64(c, 13) ? st_col_i64(c, 13) : n->created;
	return n;
}

void store_notify_free(struct store_notification *n)
{
	if (!n)
		return;
	free(n->channel);
	free(n->event);
	free(n->text);
	free(n->last_error);
	free(n->object);
	free(n->detail);
	free(n);
}

static void free_notification_v(void *p)
{
	store_notify_free(p);
}

void store_notify_list_free(struct vec *v)
{
	vec_free_all(v, free_notification_v);
}

int store_notify_enqueue(struct store *s, const char *channel, const char *event,
			 const char *text, int64_t *id, struct err *e)
{
	if (!channel || !*channel || !event || !text)
		return err_set(e, ERR_INVALID, "a notification needs a channel, "
			       "an event and a text");
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, channel);
	st_sqlp_str(&p, event);
	st_sqlp_str(&p, text);
	st_sqlp_i64(&p, now);
	return st_insert_id(s, STORE_AREA_BIT(STORE_AREA_NOTIFY),
			    "INSERT INTO notifications (channel, event, body, state, "
			    "attempts, created_at, next_attempt_at) VALUES ($1, $2, $3, "
			    "'PENDING', 0, $4, $4) RETURNING id", &p, id, e);
}

int store_notify_get(struct store *s, int64_t id, struct store_notification **out,
		     struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " NOTIFY_COLS " FROM notifications "
				       "WHERE id = $1", &p, e),
			      parse_notification, free_notification_v, &rc, e);
	return rc;
}

/* Due: a PENDING attempt whose time came, or a SENDING one whose sender
 * died (its claim is older than CLAIM_LEASE). */
#define NOTIFY_DUE "(state = 'PENDING' AND next_attempt_at <= $1) OR " \
		   "(state = 'SENDING' AND claimed_at <= $2)"

int st_notify_due(struct store *s, int64_t *n, struct err *e)
{
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, now);
	st_sqlp_i64(&p, now - CLAIM_LEASE);
	return st_query_i64(s, "SELECT count(*) FROM notifications WHERE " NOTIFY_DUE,
			    &p, n, e) < 0 ? -1 : 0;
}

static int claim_locked(struct store *s, int64_t *id, struct err *e)
{
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, now);
	st_sqlp_i64(&p, now - CLAIM_LEASE);
	char sql[320];
	snprintf(sql, sizeof(sql), "SELECT id FROM notifications WHERE " NOTIFY_DUE
		 " ORDER BY next_attempt_at, id LIMIT 1%s", s->d->skip_locked);
	int rc = st_query_i64(s, sql, &p, id, e);
	if (rc != 1)
		return rc;
	struct sqlp u = SQLP_INIT;
	st_sqlp_i64(&u, now);
	st_sqlp_i64(&u, *id);
	if (st_exec(s, "UPDATE notifications SET state = 'SENDING', claimed_at = $1, "
		    "attempts = attempts + 1 WHERE id = $2", &u, NULL, e) < 0)
		return -1;
	return 1;
}

int store_notify_claim(struct store *s, struct store_notification **out,
		       struct err *e)
{
	*out = NULL;
	if (st_begin(s, e) < 0)
		return -1;
	int64_t id = 0;
	int rc = claim_locked(s, &id, e);
	if (rc <= 0) {
		st_rollback(s);
		return rc;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_NOTIFY), e) < 0)
		return -1;
	return store_notify_get(s, id, out, e) == 1 ? 1 : -1;
}

int store_notify_sent(struct store *s, int64_t id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_i64(&p, id);
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_NOTIFY),
		      "UPDATE notifications SET state = 'SENT', sent_at = $1, "
		      "last_error = NULL WHERE id = $2 AND state = 'SENDING'",
		      &p, &n, e) < 0)
		return -1;
	return n ? 0 : err_set(e, ERR_CONFLICT, "notification %lld is not being "
			       "sent (no such message, or not claimed)", (long long)id);
}

static usec_t backoff(int attempts)
{
	usec_t d = STORE_NOTIFY_BACKOFF;
	for (int i = 1; i < attempts && d < STORE_NOTIFY_BACKOFF_MAX; i++)
		d *= 2;
	return d < STORE_NOTIFY_BACKOFF_MAX ? d : STORE_NOTIFY_BACKOFF_MAX;
}

int store_notify_failed(struct store *s, int64_t id, const char *error,
			bool retryable, usec_t retry_after, struct err *e)
{
	if (st_begin(s, e) < 0)
		return -1;
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	int64_t attempts = 0;
	int rc = st_query_i64(s, "SELECT attempts FROM notifications WHERE id = $1 "
			      "AND state = 'SENDING'", &p, &attempts, e);
	if (rc == 0)
		rc = err_set(e, ERR_CONFLICT, "notification %lld is not being sent "
			     "(no such message, or not claimed)", (long long)id);
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	bool again = retryable && attempts < STORE_NOTIFY_MAX_ATTEMPTS;
	usec_t delay = backoff((int)attempts);
	if (retry_after > delay)
		delay = retry_after;
	struct sqlp u = SQLP_INIT;
	st_sqlp_str(&u, again ? "PENDING" : "FAILED");
	st_sqlp_i64(&u, clock_now_us() + (again ? delay : 0));
	st_sqlp_str(&u, error);
	st_sqlp_i64(&u, id);
	if (st_exec(s, "UPDATE notifications SET state = $1, next_attempt_at = $2, "
		    "last_error = $3, claimed_at = NULL WHERE id = $4", &u, NULL, e) < 0) {
		st_rollback(s);
		return -1;
	}
	return st_commit(s, STORE_AREA_BIT(STORE_AREA_NOTIFY), e);
}

int store_notify_list(struct store *s, unsigned state_mask, int limit,
		      struct vec *out, struct err *e)
{
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " NOTIFY_COLS " FROM notifications");
	if (state_mask & ((1u << NOTIFY_STATE_COUNT) - 1)) {
		const char *sep = " WHERE state IN (";
		for (int i = 0; i < NOTIFY_STATE_COUNT; i++) {
			if (state_mask & (1u << i)) {
				buf_printf(&sql, "%s'%s'", sep, notify_names[i]);
				sep = ", ";
			}
		}
		buf_putc(&sql, ')');
	}
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d", st_clamp_limit(limit, 100, 10000));
	int rc = st_collect(st_query(s, buf_str(&sql), NULL, e), parse_notification,
			    free_notification_v, out, e);
	buf_free(&sql);
	return rc;
}

/* The newest message on the same channel, event and object raised within
 * the window: 1 with its id, state and created time, 0 none, -1 error. */
static int find_recent(struct store *s, const struct store_notify_new *m, usec_t now,
		       int64_t *id, bool *pending, usec_t *created, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, m->channel);
	st_sqlp_str(&p, m->event);
	st_sqlp_str(&p, m->object);
	st_sqlp_i64(&p, now - m->window);
	struct db_cursor *c = st_query(s, "SELECT id, state, created_at FROM notifications "
				       "WHERE object = $3 AND channel = $1 AND event = $2 "
				       "AND created_at >= $4 ORDER BY id DESC LIMIT 1", &p, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		*id = st_col_i64(c, 0);
		const char *st = db_cursor_text(c, 1);
		*pending = st && strcmp(st, "PENDING") == 0;
		*created = st_col_i64(c, 2);
	}
	db_cursor_close(c);
	return rc;
}

static int insert_new(struct store *s, const struct store_notify_new *m, usec_t now,
		      usec_t due, int64_t *id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, m->channel);
	st_sqlp_str(&p, m->event);
	st_sqlp_str(&p, m->text);
	st_sqlp_i64(&p, now);
	st_sqlp_i64(&p, due);
	st_sqlp_str(&p, m->object);
	st_sqlp_str(&p, m->detail);
	int64_t newid = 0;
	if (st_query_i64(s, "INSERT INTO notifications (channel, event, body, state, "
			 "attempts, created_at, next_attempt_at, object, detail, occurrences, "
			 "first_at) VALUES ($1, $2, $3, 'PENDING', 0, $4, $5, $6, $7, 1, $4) "
			 "RETURNING id", &p, &newid, e) != 1)
		return -1;
	if (id)
		*id = newid;
	return 1;
}

/* 0 folded, 1 the message was claimed meanwhile (nothing changed), -1. */
static int fold(struct store *s, const struct store_notify_new *m, int64_t id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, m->text);
	st_sqlp_str(&p, m->detail);
	st_sqlp_i64(&p, id);
	int64_t n = 0;
	if (st_exec(s, "UPDATE notifications SET occurrences = occurrences + 1, "
		    "body = $1, detail = $2 WHERE id = $3 AND state = 'PENDING'",
		    &p, &n, e) < 0)
		return -1;
	return n ? 0 : 1;
}

int store_notify_raise(struct store *s, const struct store_notify_new *m, int64_t *id,
		       struct err *e)
{
	if (!m->channel || !*m->channel || !m->event || !m->text)
		return err_set(e, ERR_INVALID, "a notification needs a channel, "
			       "an event and a text");
	usec_t now = clock_now_us();
	if (st_begin(s, e) < 0)
		return -1;
	int64_t found = 0;
	bool pending = false;
	usec_t created = 0;
	int rc = 0;
	if (m->object && m->window > 0)
		rc = find_recent(s, m, now, &found, &pending, &created, e);
	bool folded = false;
	if (rc == 1 && pending) {
		/* 1 here: claimed by a sender meanwhile (PostgreSQL), so hold a
		 * new one as if it had gone. */
		rc = fold(s, m, found, e);
		folded = rc == 0;
		if (folded && id)
			*id = found;
	}
	if (rc == 1)
		rc = insert_new(s, m, now, created + m->window, id, e);
	else if (rc == 0 && !folded)
		rc = insert_new(s, m, now, now, id, e);
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_NOTIFY), e) < 0)
		return -1;
	return rc;
}

static void *parse_channel(struct db_cursor *c)
{
	return st_col_str(c, 0);
}

int store_notify_unrecovered(struct store *s, const char *object, struct vec *channels,
			     struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, object);
	if (st_collect(st_query(s, "SELECT n.channel FROM notifications n WHERE "
				"n.object = $1 AND n.event NOT IN ('recovered', 'test') AND "
				"n.id = (SELECT max(m.id) FROM notifications m WHERE "
				"m.object = n.object AND m.channel = n.channel) ORDER BY n.channel",
				&p, e), parse_channel, free, channels, e) < 0)
		return -1;
	if (!channels->len)
		return 0;
	struct sqlp u = SQLP_INIT;
	st_sqlp_i64(&u, clock_now_us());
	st_sqlp_str(&u, object);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_NOTIFY),
			 "UPDATE notifications SET next_attempt_at = $1 WHERE object = $2 "
			 "AND state = 'PENDING' AND next_attempt_at > $1", &u, NULL, e);
}

/* Change a FAILED message with `sql` ($1 the id, and $2 now if `now`). */
static int on_failed(struct store *s, int64_t id, const char *sql, bool now,
		     struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, id);
	if (now)
		st_sqlp_i64(&p, clock_now_us());
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_NOTIFY), sql, &p, &n, e) < 0)
		return -1;
	if (n)
		return 0;
	struct store_notification *cur = NULL;
	int rc = store_notify_get(s, id, &cur, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(e, ERR_NOTFOUND, "no notification %lld", (long long)id);
	err_set(e, ERR_CONFLICT, "notification %lld is %s, not FAILED", (long long)id,
		notify_state_name(cur->state));
	store_notify_free(cur);
	return -1;
}

int store_notify_retry(struct store *s, int64_t id, struct err *e)
{
	return on_failed(s, id, "UPDATE notifications SET state = 'PENDING', attempts = 0, "
			 "next_attempt_at = $2, claimed_at = NULL WHERE id = $1 AND "
			 "state = 'FAILED'", true, e);
}

int store_notify_drop(struct store *s, int64_t id, struct err *e)
{
	return on_failed(s, id, "DELETE FROM notifications WHERE id = $1 AND state = 'FAILED'",
			 false, e);
}
