/*
 * notify.h - notifications: Slack incoming webhooks, sent from the control
 * store's notification queue.
 *
 * Enqueueing is cheap and never blocks on the network: modules call
 * notify_event (or notify_flow_failed) with the store handle they have,
 * which writes one queue row per channel that wants the event.  Sending
 * happens on the notifier's own thread (notify_start), or in one pass on
 * the caller's thread (notify_send_due, for tests and tools): each due
 * message is POSTed as {"text": ...} to the URL in the channel's
 * `webhook_env` variable.  2xx is SENT; 429 (honouring Retry-After) and
 * 5xx and network errors are retried with backoff (the store's schedule);
 * any other 4xx, a missing variable or an unknown channel fails the
 * message for good.
 *
 * The webhook URL is a secret: it is registered with log_add_secret before
 * use and never appears in a log record, an error or the process list.
 */
#ifndef SLUICE_NOTIFY_H
#define SLUICE_NOTIFY_H

#include "core/core.h"
#include "project/project.h"
#include "store/store.h"

/* "run_failed", "task_suspended", "backfill_waiting", "pipe_file_failed"
 * (the queue's event column); "?" for anything else. */
const char *notify_event_key(enum notify_event ev);

/* Queue `text` for every channel subscribed to `ev` (a single bit).
 * Returns the number of messages queued (0 when no channel wants it), or
 * -1 with e set.  Safe from any thread with that thread's store. */
int  notify_event(struct store *s, const struct project *p, enum notify_event ev,
		  const char *text, struct err *e);
/* A run of `flow` failed: the channels named in the flow's `notify` plus
 * every channel subscribed to run failures, each once. */
int  notify_flow_failed(struct store *s, const struct project *p, const char *flow,
			const char *text, struct err *e);

struct notify_stats {
	int sent;        /* delivered */
	int retrying;    /* failed for now; due again later */
	int failed;      /* given up */
};
/* Claim and send every message due now, at most `max` (0 = 100), on the
 * calling thread.  Returns 0 (stats filled when not NULL) or -1 when the
 * store failed. */
int  notify_send_due(struct store *s, const struct project *p, int max,
		     struct notify_stats *stats, struct err *e);

/* The sender thread: its own store handle, a pass every second (or
 * sooner after notify_wake).  NULL with e set when the store cannot be
 * opened.  The project is borrowed and must outlive the notifier. */
struct notifier;
struct notifier *notify_start(const char *store_url, const struct store_options *opt,
			      const struct project *p, struct err *e);
void notify_wake(struct notifier *n);
/* Finish the message in flight (bounded by the HTTP timeout), stop, free.
 * NULL is ignored. */
void notify_stop(struct notifier *n);

#endif
