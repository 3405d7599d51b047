/*
 * events.c - the engine's in-process event queue for an embedding console.
 *
 * A fixed ring of ENGINE_EVENT_QUEUE events and a wake-up descriptor
 * (eventfd, or a pipe where there is none).  Pushing never blocks and
 * never allocates: on overflow the ring is emptied and a single RESYNC is
 * queued, which tells the reader to re-read the store.  The log sink
 * registered by the engine copies log records here too.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

int engine_events_init(struct event_queue *q, struct err *e)
{
	memset(q, 0, sizeof *q);
	pthread_mutex_init(&q->lock, NULL);
	q->items = xcalloc(ENGINE_EVENT_QUEUE, sizeof *q->items);
	q->fd[0] = q->fd[1] = -1;
#ifdef __linux__
	q->fd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->fd[0] >= 0)
		return 0;
#endif
	if (pipe(q->fd) < 0)
		return err_set(e, ERR_IO, "engine events: cannot make a pipe: %s",
			       strerror(errno));
	for (int i = 0; i < 2; i++) {
		fcntl(q->fd[i], F_SETFL, fcntl(q->fd[i], F_GETFL) | O_NONBLOCK);
		fcntl(q->fd[i], F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

void engine_events_destroy(struct event_queue *q)
{
	for (int i = 0; i < 2; i++)
		if (q->fd[i] >= 0)
			close(q->fd[i]);
	free(q->items);
	q->items = NULL;
	pthread_mutex_destroy(&q->lock);
}

/* Make the descriptor readable (once until drained). */
static void signal_fd(struct event_queue *q)
{
	if (q->signalled)
		return;
	q->signalled = true;
	if (q->fd[1] < 0) {
		uint64_t one = 1;
		ssize_t n = write(q->fd[0], &one, sizeof one);
		(void)n;
	} else {
		ssize_t n = write(q->fd[1], "x", 1);
		(void)n;
	}
}

static void clear_fd(struct event_queue *q)
{
	if (!q->signalled)
		return;
	q->signalled = false;
	char buf[64];
	int fd = q->fd[0];
	while (read(fd, buf, q->fd[1] < 0 ? 8 : sizeof buf) > 0)
		;
}

void engine_events_push(struct engine *eng, const struct engine_event *ev)
{
	struct event_queue *q = &eng->events;
	if (!q->items)
		return;
	pthread_mutex_lock(&q->lock);
	if (q->overflowed) {
		/* A RESYNC is waiting: whatever came since is covered by it. */
	} else if (q->len == ENGINE_EVENT_QUEUE) {
		q->overflowed = true;
		q->head = 0;
		q->len = 1;
		memset(&q->items[0], 0, sizeof q->items[0]);
		q->items[0].kind = ENGINE_EV_RESYNC;
		q->items[0].at = clock_now_us();
	} else {
		q->items[(q->head + q->len) % ENGINE_EVENT_QUEUE] = *ev;
		q->len++;
	}
	signal_fd(q);
	pthread_mutex_unlock(&q->lock);
}

int engine_event_fd(const struct engine *eng)
{
	return eng->events.fd[0];
}

size_t engine_events_drain(struct engine *eng, struct engine_event *out, size_t max)
{
	struct event_queue *q = &eng->events;
	pthread_mutex_lock(&q->lock);
	size_t n = 0;
	while (n < max && q->len > 0) {
		out[n++] = q->items[q->head];
		q->head = (q->head + 1) % ENGINE_EVENT_QUEUE;
		q->len--;
	}
	if (q->len == 0) {
		q->overflowed = false;
		q->head = 0;
		clear_fd(q);
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void copy_text(char *dst, size_t n, const char *src)
{
	if (!src) {
		dst[0] = '\0';
		return;
	}
	size_t len = strlen(src);
	if (len >= n) {
		/* Cut on a UTF-8 boundary so the console never draws half a character. */
		len = utf8_valid_prefix(src, n - 1);
		while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void engine_event_simple(struct engine *eng, enum engine_event_kind kind,
		  const char *object, int state, int64_t run_id, const char *text)
{
	struct engine_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.at = clock_now_us();
	ev.run_id = run_id;
	ev.state = state;
	ev.level = LOG_INFO;
	copy_text(ev.object, sizeof ev.object, object);
	copy_text(ev.text, sizeof ev.text, text);
	engine_events_push(eng, &ev);
}

void engine_event_run(struct engine *eng, int64_t run_id, const char *flow,
	       enum run_state st, const char *text)
{
	engine_event_simple(eng, ENGINE_EV_RUN, flow, st, run_id, text);
}

void engine_event_step(struct engine *eng, int64_t run_id, const char *step,
		enum step_state st, const char *text)
{
	engine_event_simple(eng, ENGINE_EV_STEP, step, st, run_id, text);
}

void engine_events_log_sink(const struct log_record *rec, void *arg)
{
	struct engine *eng = arg;
	struct engine_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = ENGINE_EV_LOG;
	ev.at = rec->time;
	ev.run_id = rec->run_id;
	ev.level = rec->level;
	copy_text(ev.object, sizeof ev.object, rec->object ? rec->object : rec->step);
	copy_text(ev.text, sizeof ev.text, rec->message);
	engine_events_push(eng, &ev);
}
