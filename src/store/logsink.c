/*
 * logsink.c - the sink that persists core's log records in the control
 * store.
 *
 * core calls every sink on the logging thread while holding its global
 * log lock.  Writing to the database there would make every thread that
 * logs wait for disk, and could deadlock: a thread holding SQLite's write
 * lock that then logs would wait for the log lock, while the sink, holding
 * the log lock, waited for the write lock.  So the sink function only
 * copies the record into a bounded queue, and a writer thread with its
 * own connection commits batches.  When the queue is full new records
 * are counted and dropped (the engine must never block on logging), and
 * the writer later records how many were lost.  While the store is out of
 * reach (store.h, "losing the server") the writer keeps its batch and
 * tries again, so the records of an outage (its own warning first) reach
 * the store when it is back; only a full queue loses any.
 */
#include "store/store_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_CAP 10000
#define BATCH_MAX 500
#define LOST_PAUSE (250 * USEC_PER_MSEC)

struct store_log_sink {
	pthread_mutex_t mu;
	pthread_cond_t wake;       /* the writer: records or stop */
	pthread_cond_t progress;   /* flushers: `written` moved */
	struct store_log *ring;    /* QUEUE_CAP slots */
	size_t head, len;
	uint64_t queued, written;  /* records accepted / handled so far */
	uint64_t dropped, dropped_reported;
	bool stop;
	struct err last_err;
	struct store *s;           /* used by the writer thread only */
	pthread_t thread;
};

/* Set on the writer thread: records it emits are not queued, so a failing
 * write cannot feed itself. */
static _Thread_local bool on_writer_thread;

static void free_fields(struct store_log *l)
{
	free(l->step);
	free(l->object);
	free(l->message);
	free(l->fields);
	memset(l, 0, sizeof(*l));
}

static void sink_fn(const struct log_record *rec, void *arg)
{
	struct store_log_sink *ls = arg;
	if (on_writer_thread || !ls)
		return;
	pthread_mutex_lock(&ls->mu);
	if (ls->len == QUEUE_CAP || ls->stop) {
		ls->dropped++;
	} else {
		struct store_log *l = &ls->ring[(ls->head + ls->len) % QUEUE_CAP];
		l->time = rec->time;
		l->level = rec->level;
		l->run_id = rec->run_id;
		l->step = xstrdup(rec->step);
		l->object = xstrdup(rec->object);
		l->message = xstrdup(rec->message ? rec->message : "");
		l->fields = st_log_fields_json(rec->fields, rec->nfields);
		ls->len++;
		ls->queued++;
		pthread_cond_signal(&ls->wake);
	}
	pthread_mutex_unlock(&ls->mu);
}

log_sink_fn store_log_sink_fn(void)
{
	return sink_fn;
}

static int write_batch(struct store *s, struct store_log *batch, size_t n,
		       uint64_t lost, struct err *e)
{
	if (st_begin(s, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (st_log_insert(s, &batch[i], NULL, e) < 0) {
			st_rollback(s);
			return -1;
		}
	}
	if (lost) {
		char *msg = xasprintf("%llu log records were dropped: the control "
				      "store could not keep up", (unsigned long long)lost);
		struct store_log warn = { .time = clock_now_us(), .level = LOG_WARN,
					  .message = msg };
		int rc = st_log_insert(s, &warn, NULL, e);
		free(msg);
		if (rc < 0) {
			st_rollback(s);
			return -1;
		}
	}
	return st_commit(s, STORE_AREA_BIT(STORE_AREA_LOGS), e);
}

/* The store is out of reach: wait a little, or until told to stop.
 * True to try again. */
static bool pause_while_lost(struct store_log_sink *ls)
{
	pthread_mutex_lock(&ls->mu);
	if (!ls->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		usec_t ns = (usec_t)ts.tv_nsec + LOST_PAUSE * 1000;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&ls->wake, &ls->mu, &ts);
	}
	bool again = !ls->stop;
	pthread_mutex_unlock(&ls->mu);
	return again;
}

static void *writer_main(void *arg)
{
	struct store_log_sink *ls = arg;
	struct store_log *batch = xcalloc(BATCH_MAX, sizeof(*batch));
	on_writer_thread = true;
	pthread_mutex_lock(&ls->mu);
	for (;;) {
		while (ls->len == 0 && !ls->stop && ls->dropped == ls->dropped_reported)
			pthread_cond_wait(&ls->wake, &ls->mu);
		if (ls->len == 0 && ls->dropped == ls->dropped_reported && ls->stop)
			break;
		size_t n = 0;
		while (n < BATCH_MAX && ls->len > 0) {
			batch[n++] = ls->ring[ls->head];
			memset(&ls->ring[ls->head], 0, sizeof(ls->ring[ls->head]));
			ls->head = (ls->head + 1) % QUEUE_CAP;
			ls->len--;
		}
		uint64_t lost = ls->dropped - ls->dropped_reported;
		ls->dropped_reported = ls->dropped;
		pthread_mutex_unlock(&ls->mu);

		struct err e = { 0 };
		int rc;
		while ((rc = write_batch(ls->s, batch, n, lost, &e)) < 0 &&
		       store_lost(ls->s) && pause_while_lost(ls))
			;
		for (size_t i = 0; i < n; i++)
			free_fields(&batch[i]);

		pthread_mutex_lock(&ls->mu);
		if (rc < 0)
			ls->last_err = e;
		ls->written += n;
		pthread_cond_broadcast(&ls->progress);
	}
	pthread_mutex_unlock(&ls->mu);
	free(batch);
	return NULL;
}

struct store_log_sink *store_log_sink_open(const char *url,
					   const struct store_options *opt,
					   struct err *e)
{
	if (opt && opt->read_only) {
		err_set(e, ERR_READONLY, "a read-only control store keeps no logs");
		return NULL;
	}
	struct store *s = store_open(url, opt, e);
	if (!s)
		return NULL;
	struct store_log_sink *ls = xcalloc(1, sizeof(*ls));
	ls->s = s;
	ls->ring = xcalloc(QUEUE_CAP, sizeof(*ls->ring));
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->wake, NULL);
	pthread_cond_init(&ls->progress, NULL);
	/* The handle moves to the writer thread here and stays there. */
	if (pthread_create(&ls->thread, NULL, writer_main, ls) != 0) {
		err_set(e, ERR_INTERNAL, "cannot start the log writer thread");
		pthread_mutex_destroy(&ls->mu);
		pthread_cond_destroy(&ls->wake);
		pthread_cond_destroy(&ls->progress);
		free(ls->ring);
		store_close(s);
		free(ls);
		return NULL;
	}
	return ls;
}

void store_log_sink_flush(struct store_log_sink *ls)
{
	pthread_mutex_lock(&ls->mu);
	uint64_t target = ls->queued;
	pthread_cond_signal(&ls->wake);
	while (ls->written < target)
		pthread_cond_wait(&ls->progress, &ls->mu);
	pthread_mutex_unlock(&ls->mu);
}

uint64_t store_log_sink_dropped(struct store_log_sink *ls)
{
	pthread_mutex_lock(&ls->mu);
	uint64_t n = ls->dropped;
	pthread_mutex_unlock(&ls->mu);
	return n;
}

void store_log_sink_error(struct store_log_sink *ls, struct err *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&ls->mu);
	*e = ls->last_err;
	pthread_mutex_unlock(&ls->mu);
}

void store_log_sink_close(struct store_log_sink *ls)
{
	if (!ls)
		return;
	pthread_mutex_lock(&ls->mu);
	ls->stop = true;
	pthread_cond_signal(&ls->wake);
	pthread_mutex_unlock(&ls->mu);
	pthread_join(ls->thread, NULL);
	for (size_t i = 0; i < QUEUE_CAP; i++)
		free_fields(&ls->ring[i]);
	free(ls->ring);
	store_close(ls->s);
	pthread_cond_destroy(&ls->wake);
	pthread_cond_destroy(&ls->progress);
	pthread_mutex_destroy(&ls->mu);
	free(ls);
}
