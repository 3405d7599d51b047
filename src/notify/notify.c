/*
 * notify.c - putting notifications on the store's queue: which channels
 * want which event.  The sending is in slack.c.
 */
#include "notify/notify.h"

#include <string.h>

const char *notify_event_key(enum notify_event ev)
{
	switch (ev) {
	case NOTIFY_RUN_FAILED: return "run_failed";
	case NOTIFY_TASK_SUSPENDED: return "task_suspended";
	case NOTIFY_BACKFILL_WAITING: return "backfill_waiting";
	case NOTIFY_PIPE_FILE_FAILED: return "pipe_file_failed";
	}
	return "?";
}

static int enqueue(struct store *s, const char *channel, enum notify_event ev,
		   const char *text, struct err *e)
{
	if (store_notify_enqueue(s, channel, notify_event_key(ev), text, NULL, e) < 0) {
		err_prefix(e, "notification for channel %s: ", channel);
		return -1;
	}
	return 0;
}

int notify_event(struct store *s, const struct project *p, enum notify_event ev,
		 const char *text, struct err *e)
{
	int n = 0;
	for (size_t i = 0; i < p->nchannels; i++) {
		const struct project_channel *c = &p->channels[i];
		if (!(c->events & (unsigned)ev))
			continue;
		if (enqueue(s, c->name, ev, text, e) < 0)
			return -1;
		n++;
	}
	return n;
}

int notify_flow_failed(struct store *s, const struct project *p, const char *flow,
		       const char *text, struct err *e)
{
	const struct project_flow *f = project_flow(p, flow);
	int n = 0;
	for (size_t i = 0; i < p->nchannels; i++) {
		const struct project_channel *c = &p->channels[i];
		bool named = false;
		for (size_t k = 0; f && k < f->nnotify && !named; k++)
			named = str_eq(f->notify[k], c->name);
		if (!named && !(c->events & NOTIFY_RUN_FAILED))
			continue;
		if (enqueue(s, c->name, NOTIFY_RUN_FAILED, text, e) < 0)
			return -1;
		n++;
	}
	return n;
}
