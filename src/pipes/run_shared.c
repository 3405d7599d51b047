/*
 * run_shared.c - the state the steps of one run share: the stream windows
 * earlier steps fixed, which the consuming load step commits.  A small map
 * of text values under "stream-window:NAME", behind its own lock, since
 * steps of a run may go in parallel.  The text is stream.c's; this file
 * does not read it.
 */
#include "pipes/stream_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct run_shared {
	pthread_mutex_t lock;
	struct vec keys, values;   /* char *, parallel */
};

struct run_shared *run_shared_new(void)
{
	struct run_shared *rs = xcalloc(1, sizeof *rs);
	pthread_mutex_init(&rs->lock, NULL);
	return rs;
}

void run_shared_free(struct run_shared *rs)
{
	if (!rs)
		return;
	vec_free_all(&rs->keys, free);
	vec_free_all(&rs->values, free);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

static char *run_shared_get(struct run_shared *rs, const char *key)
{
	char *v = NULL;
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < rs->keys.len; i++)
		if (strcmp(rs->keys.items[i], key) == 0)
			v = xstrdup(rs->values.items[i]);
	pthread_mutex_unlock(&rs->lock);
	return v;
}

char *stream_shared_window_get(struct run_shared *rs, const char *stream)
{
	char *key = xasprintf("stream-window:%s", stream);
	char *v = run_shared_get(rs, key);
	free(key);
	return v;
}

char *stream_shared_window_set(struct run_shared *rs, const char *stream,
				   const char *window)
{
	char *key = xasprintf("stream-window:%s", stream);
	char *kept = NULL;
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < rs->keys.len && !kept; i++)
		if (strcmp(rs->keys.items[i], key) == 0)
			kept = xstrdup(rs->values.items[i]);
	if (!kept) {
		vec_push(&rs->keys, key);
		vec_push(&rs->values, xstrdup(window));
		kept = xstrdup(window);
		key = NULL;
	}
	pthread_mutex_unlock(&rs->lock);
	free(key);
	return kept;
}
