/*
 * notify_int.h - what the sender's files share: one message on its way to
 * one channel, what came of it, the words every channel uses (render.c)
 * and the HTTP POST that Slack and webhooks both use (send.c).
 */
#ifndef SLUICE_NOTIFY_INT_H
#define SLUICE_NOTIFY_INT_H

#include "lake/lake.h"
#include "notify/notify.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#define SEND_TIMEOUT_S     15L
#define CONNECT_TIMEOUT_S  5L

struct outgoing {
	const struct project *p;
	const struct project_channel *ch;
	const struct store_notification *n;
	const cJSON *detail;       /* never NULL: built from the sender's view if absent */
	struct store *s;           /* for what a message shows beyond its detail */
};

/* What came of one attempt. */
struct delivery {
	bool   ok;
	bool   retryable;
	usec_t retry_after;        /* the server's wish; 0 = the store's backoff */
	char  *error;              /* owned; not yet masked */
};

/* A string member of the detail, or `dflt`. */
const char *notify_detail_str(const struct outgoing *o, const char *key, const char *dflt);
int64_t     notify_detail_run(const struct outgoing *o);

/* "task orders failed 12 times in the last 10 minutes" for a collapsed
 * message, "flow x is healthy again: ..." for a recovery, else the text. */
char *notify_render_summary(const struct outgoing *o);
/* "project P, environment E, host H". */
char *notify_render_context(const struct outgoing *o);
/* "[sluice prod] run 42 of totesys_warehouse FAILED at check_facts". */
char *notify_render_subject(const struct outgoing *o);
/* The whole plain-text account: summary, context, error, steps, command. */
char *notify_render_body(const struct outgoing *o);

/* The options every transfer shares: timeouts, no signals, errbuf. */
void notify_curl_bounded(CURL *c, char *errbuf);

/* HTTP POST of `body` with extra header lines (NULL-terminated, may be
 * NULL): ok on 2xx, retryable on 429 (Retry-After honoured), 5xx and
 * network errors. */
void notify_http_post(const char *url, const char *body, const char *const *headers,
		      struct delivery *d);

void notify_slack_send(const struct outgoing *o, const char *url, struct delivery *d);
void notify_webhook_send(const struct outgoing *o, const char *url, struct delivery *d);
void notify_email_send(const struct outgoing *o, const char *url, struct delivery *d);

#endif
