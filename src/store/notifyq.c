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
	"next_attempt_at, sent_at, last_error"

static void *parse_notification(struct db_cursor *c)
{
	struct store_notification *n = xcalloc(1, sizeof(*n));
	n->id = col_i64(c, 0);
	n->channel = col_str(c, 1);
	n->event = col_str(c, 2);
	n->text = col_str(c, 3);
	int st = NOTIFY_FAILED;
	enum_parse(notify_names, NOTIFY_STATE_COUNT, db_cursor_text(c, 4), &st);
	n->state = (enum notify_state)st;
	n->attempts = (int)col_i64(c, 5);
	n->created = col_i64(c, 6);
	n->next_attempt = col_i64(c, 7);
	n->sent = col_i64(c, 8);
	n->last_error = col_str(c, 9);
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
	sqlp_str(&p, channel);
	sqlp_str(&p, event);
	sqlp_str(&p, text);
	sqlp_i64(&p, now);
	return st_insert_id(s, STORE_AREA_BIT(STORE_AREA_NOTIFY),
			    "INSERT INTO notifications (channel, event, body, state, "
			    "attempts, created_at, next_attempt_at) VALUES ($1, $2, $3, "
			    "'PENDING', 0, $4, $4) RETURNING id", &p, id, e);
}

int store_notify_get(struct store *s, int64_t id, struct store_notification **out,
		     struct err *e)
{
	struct sqlp p = SQLP_INIT;
	sqlp_i64(&p, id);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " NOTIFY_COLS " FROM notifications "
				       "WHERE id = $1", &p, e),
			      parse_notification, free_notification_v, &rc, e);
	return rc;
}

static int claim_locked(struct store *s, int64_t *id, struct err *e)
{
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	sqlp_i64(&p, now);
	sqlp_i64(&p, now - CLAIM_LEASE);
	char sql[320];
	snprintf(sql, sizeof(sql), "SELECT id FROM notifications WHERE "
		 "(state = 'PENDING' AND next_attempt_at <= $1) OR "
		 "(state = 'SENDING' AND claimed_at <= $2) "
		 "ORDER BY next_attempt_at, id LIMIT 1%s", s->d->skip_locked);
	int rc = st_query_i64(s, sql, &p, id, e);
	if (rc != 1)
		return rc;
	struct sqlp u = SQLP_INIT;
	sqlp_i64(&u, now);
	sqlp_i64(&u, *id);
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
	sqlp_i64(&p, clock_now_us());
	sqlp_i64(&p, id);
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
	sqlp_i64(&p, id);
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
	sqlp_str(&u, again ? "PENDING" : "FAILED");
	sqlp_i64(&u, clock_now_us() + (again ? delay : 0));
	sqlp_str(&u, error);
	sqlp_i64(&u, id);
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
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d", clamp_limit(limit, 100, 10000));
	int rc = st_collect(st_query(s, buf_str(&sql), NULL, e), parse_notification,
			    free_notification_v, out, e);
	buf_free(&sql);
	return rc;
}
