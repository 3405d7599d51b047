/*
 * listen.c - the engine wakes on the store's events instead of asking it
 * on a short timer.  A thread of its own listens: on a PostgreSQL control
 * store a connection that LISTENs for the store's change notifications
 * (store_listener_open); on a SQLite store it serves the store's event
 * socket (store_event_serve), or subscribes to the engine that does.  An
 * event wakes the engine's threads: the workers claim, the scheduler takes
 * requests when they changed, the notifier sends when its queue did.
 * While it listens the engine's timers fall back to a slow safety pass
 * (ENGINE_SAFETY_POLL); while its connection is down events are lost, so
 * the engine polls as before, and after listening again it makes one
 * full pass.
 */
#include "engine/engine_int.h"
#include "db/db.h"
#include "notify/notify.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

/* How long the listener waits before trying its connection again, and
 * at most between looks at whether the engine stops. */
#define LISTEN_RETRY  (2 * USEC_PER_SEC)
#define LISTEN_TICK   (200 * USEC_PER_MSEC)

usec_t engine_idle_wait(struct engine *eng, usec_t fast)
{
	return atomic_load(&eng->listening) ? ENGINE_SAFETY_POLL : fast;
}

void engine_events_raise(struct engine *eng, unsigned areas)
{
	atomic_fetch_or(&eng->event_areas, areas);
	if (areas & STORE_AREA_BIT(STORE_AREA_NOTIFY))
		notify_wake(eng->notifier);
	engine_wake(eng);
}

/* Wait on the listener until it has news, the engine stops or the
 * connection goes; false when it went. */
static bool listen_round(struct engine *eng, struct store_listener *l)
{
	struct pollfd pfd = { .fd = store_listener_fd(l), .events = POLLIN };
	if (pfd.fd < 0)
		return false;
	int rc = poll(&pfd, 1, (int)(LISTEN_TICK / USEC_PER_MSEC));
	if (rc < 0)
		return errno == EINTR;
	if (rc == 0)
		return true;
	unsigned areas = 0;
	struct err e;
	if (store_listener_read(l, &areas, &e) < 0) {
		/* The store's link says once that the server went and once that
		 * it is back; this is only why the engine polls meanwhile. */
		log_emit(LOG_DEBUG, 0, NULL, "engine", NULL, 0, "worker %s: store events "
			 "lost (%s); polling the store until they are back",
			 eng->worker_id, err_text(&e));
		return false;
	}
	if (areas)
		engine_events_raise(eng, areas);
	return true;
}

static void set_listening(struct engine *eng, bool on)
{
	atomic_store(&eng->listening, on);
	notify_set_interval(eng->notifier, on ? ENGINE_SAFETY_POLL : 0);
	/* Listening: what happened while nobody listened, in one full pass.
	 * Not: back to polling at once. */
	if (on)
		engine_events_raise(eng, ~0u);
	else
		engine_wake(eng);
}

/* SQLite: serve the store's event socket until the engine stops; false
 * when another process serves it. */
static bool serve(struct engine *eng, bool *said)
{
	struct err e;
	struct store_event_server *srv = store_event_serve(eng->store_url, &e);
	if (!srv) {
		if (e.code != ERR_CONFLICT && !*said) {
			*said = true;
			log_emit(LOG_WARN, 0, NULL, "engine", NULL, 0, "worker %s: no store "
				 "events (%s); polling the store", eng->worker_id, err_text(&e));
		}
		return false;
	}
	set_listening(eng, true);
	while (!atomic_load(&eng->stopping)) {
		bool poked = false;
		if (store_event_server_wait(srv, (int)(LISTEN_TICK / USEC_PER_MSEC), &poked) < 0)
			break;
		if (poked)
			engine_events_raise(eng, ~0u);
	}
	set_listening(eng, false);
	store_event_server_close(srv);
	return true;
}

void *engine_listener_main(void *arg)
{
	struct engine *eng = arg;
	enum db_kind kind = DB_SQLITE;
	db_url_valid(eng->store_url, &kind);
	bool said = false;
	while (!atomic_load(&eng->stopping)) {
		if (kind == DB_SQLITE && serve(eng, &said))
			continue;
		/* PostgreSQL, or another engine serves the SQLite socket. */
		struct err e;
		struct store_listener *l = store_listener_open(eng->store_url,
							       &eng->opt.store_opt, &e);
		if (!l) {
			engine_sleep(eng, kind == DB_SQLITE ? LISTEN_RETRY / 8 : LISTEN_RETRY);
			continue;
		}
		set_listening(eng, true);
		while (!atomic_load(&eng->stopping) && listen_round(eng, l))
			;
		set_listening(eng, false);
		store_listener_close(l);
	}
	return NULL;
}

int engine_listener_start(struct engine *eng, struct err *e)
{
	if (pthread_create(&eng->listener, NULL, engine_listener_main, eng) != 0)
		return err_set(e, ERR_INTERNAL, "cannot start the store listener thread");
	eng->listener_started = true;
	return 0;
}

unsigned engine_events_take(struct engine *eng, unsigned areas)
{
	return atomic_fetch_and(&eng->event_areas, ~areas) & areas;
}
