/*
 * notify.h - notifications: Slack incoming webhooks, email over SMTP and
 * signed JSON webhooks, sent from the control store's notification queue.
 *
 * Raising is cheap and never blocks on the network: modules call
 * notify_raise with the store handle they have.  The project's routing
 * (project_route) picks the channels; the event is written with what it is
 * about (kind, project, environment, host, object, run, state, step,
 * error, time) as JSON beside its one-line text, and the same event on the
 * same object within the project's window folds into one message with a
 * count.  When the object is healthy again (notify_recovered), every
 * channel told of its trouble gets a recovery message.
 *
 * Sending happens on the notifier's own thread (notify_start), or in one
 * pass on the caller's thread (notify_send_due, for tests and tools).  A
 * delivery the server accepted is SENT; a passing failure (HTTP 429, 5xx,
 * an SMTP 4xx, a network error) is retried with backoff (the store's
 * schedule); anything else, a missing variable or an unknown channel
 * fails the message for good, where an operator can retry or drop it.
 *
 * Every secret (webhook URLs, SMTP URL and password, the webhook signing
 * key) comes from an environment variable, is registered with
 * log_add_secret before use, and never appears in a log record, an error,
 * the store or the process list.
 */
#ifndef SLUICE_NOTIFY_H
#define SLUICE_NOTIFY_H

#include "core/core.h"
#include "project/project.h"
#include "store/store.h"

/* The queue's event column: notify_event_name, or "recovered", "test". */
const char *notify_event_key(enum notify_event ev);

/* One event.  Only `event` and `text` are required. */
struct notify_msg {
	enum notify_event event;
	const char *object;        /* "flow:x", "task:y", "pipe:z", or NULL */
	int64_t run_id;            /* 0 = none */
	const char *state;         /* "FAILED", "CRASHED", "AUTO_SUSPENDED", ... */
	const char *step;          /* where it failed, or NULL */
	const char *error;
	const char *text;          /* one line for a human */
	char *const *also;         /* channels named by the object itself (a */
	size_t nalso;              /*  flow's `notify`), besides the routing */
};

/* Queue `m` for every channel it is routed to.  Returns the number of
 * channels told (0 when none wants it), or -1 with e set.  Safe from any
 * thread with that thread's store. */
int  notify_raise(struct store *s, const struct project *p, const struct notify_msg *m,
		  struct err *e);
/* notify_raise with only an event and a text. */
int  notify_event(struct store *s, const struct project *p, enum notify_event ev,
		  const char *text, struct err *e);
/* `object` is healthy again (`text` says how): a recovery message for each
 * channel whose last message about it was a problem.  Returns how many. */
int  notify_recovered(struct store *s, const struct project *p, const char *object,
		      int64_t run_id, const char *text, struct err *e);
/* Queue a test message for `channel` (ERR_NOTFOUND if the project has no
 * such channel); its id in *id. */
int  notify_test(struct store *s, const struct project *p, const char *channel,
		 int64_t *id, struct err *e);

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
/* Passes this far apart instead (whole seconds; 0 = every second): for an
 * engine woken by store events, which calls notify_wake when messages are
 * queued.  A retry after a failed send then waits for the next pass. */
void notify_set_interval(struct notifier *n, usec_t interval);
/* Finish the message in flight (bounded by the timeouts), stop, free.
 * NULL is ignored. */
void notify_stop(struct notifier *n);

/* Register every channel's secrets with log_add_secret (done by
 * notify_start and before each send; commands that print errors call it). */
void notify_mask_secrets(const struct project *p);

#endif
