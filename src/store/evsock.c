/*
 * evsock.c - store events on a SQLite control store: a Unix socket beside
 * the store file (PATH-events.sock, mode 0600) that one engine serves.
 *
 * SQLite has no NOTIFY, and a file changes without telling anyone.  So the
 * engine that holds the socket's lock serves it; every process that writes
 * the store keeps a connection to it and sends one byte after each commit
 * (a "poke", never waiting: a full buffer already holds a poke); the
 * server wakes its engine and passes one byte on to every subscriber
 * (consoles, other engines of the project).  The first byte a client sends
 * says what it is: 'P' pokes, 'S' subscribes.  Without a server pokes go
 * nowhere and readers fall back to asking the store on a timer.
 */
#include "config.h"            /* accept4 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ROLE_POKE      'P'
#define ROLE_SUBSCRIBE 'S'
/* After a failed connect a writer tries again no sooner than this. */
#define POKE_RETRY (USEC_PER_SEC)
#define MAX_CLIENTS 256

/* The socket's address for a "sqlite:PATH" URL; false when too long. */
static bool sock_addr(const char *url, struct sockaddr_un *a)
{
	const char *path = url + strlen("sqlite:");
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path, sizeof a->sun_path, "%s-events.sock", path);
	return n > 0 && (size_t)n < sizeof a->sun_path;
}

/* A connected client that has said its role, or -1. */
int st_evsock_connect(const char *url, char role)
{
	struct sockaddr_un a;
	if (!str_starts_with(url, "sqlite:") || !sock_addr(url, &a))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    send(fd, &role, 1, MSG_NOSIGNAL) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

void st_poke(struct store *s)
{
	if (!s->path)
		return;
	if (s->poke_fd < 0) {
		usec_t now = clock_monotonic_us();
		if (now < s->poke_retry_at)
			return;
		s->poke_fd = st_evsock_connect(s->conn_url, ROLE_POKE);
		if (s->poke_fd < 0) {
			s->poke_retry_at = now + POKE_RETRY;
			return;
		}
	}
	char b = '!';
	if (send(s->poke_fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK) {
		close(s->poke_fd);    /* the server went: connect again next time */
		s->poke_fd = -1;
	}
}

void st_poke_close(struct store *s)
{
	if (s->poke_fd >= 0)
		close(s->poke_fd);
	s->poke_fd = -1;
}

/* ---- the server ---------------------------------------------------------------- */
struct client {
	int fd;
	char role;                /* 0 until its first byte */
};

struct store_event_server {
	int lock_fd, listen_fd;
	char *path;
	struct client clients[MAX_CLIENTS];
	int nclients;
};

struct store_event_server *store_event_serve(const char *url, struct err *e)
{
	struct sockaddr_un a;
	if (!str_starts_with(url, "sqlite:")) {
		err_set(e, ERR_INVALID, "only a SQLite control store has an event socket");
		return NULL;
	}
	if (!sock_addr(url, &a)) {
		err_set(e, ERR_INVALID, "the control store's path is too long for a socket");
		return NULL;
	}
	/* One server: whoever holds the lock may replace a stale socket. */
	char *lock = xasprintf("%s.lock", a.sun_path);
	int lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	if (lock_fd < 0) {
		err_set(e, ERR_IO, "%s.lock: %s", a.sun_path, strerror(errno));
		return NULL;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		close(lock_fd);
		err_set(e, ERR_CONFLICT, "another engine serves %s", a.sun_path);
		return NULL;
	}
	unlink(a.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    chmod(a.sun_path, 0600) < 0 || listen(fd, 64) < 0) {
		err_set(e, ERR_IO, "%s: %s", a.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		close(lock_fd);
		return NULL;
	}
	struct store_event_server *srv = xcalloc(1, sizeof *srv);
	srv->lock_fd = lock_fd;
	srv->listen_fd = fd;
	srv->path = xstrdup(a.sun_path);
	return srv;
}

static void drop_client(struct store_event_server *srv, int i)
{
	close(srv->clients[i].fd);
	srv->clients[i] = srv->clients[--srv->nclients];
}

static void accept_clients(struct store_event_server *srv)
{
	int fd;
	while ((fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (srv->nclients == MAX_CLIENTS) {
			close(fd);
			continue;
		}
		srv->clients[srv->nclients++] = (struct client){ .fd = fd };
	}
}

/* Read what client i sent: true if it poked. */
static bool read_client(struct store_event_server *srv, int i, bool *gone)
{
	char buf[256];
	bool poked = false;
	*gone = false;
	for (;;) {
		ssize_t n = recv(srv->clients[i].fd, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != EINTR)) {
			*gone = true;
			return poked;
		}
		if (n < 0)
			return poked;
		ssize_t k = 0;
		if (!srv->clients[i].role)
			srv->clients[i].role = buf[k++];
		poked = poked || (srv->clients[i].role == ROLE_POKE && n > k);
	}
}

static void tell_subscribers(struct store_event_server *srv)
{
	char b = '!';
	for (int i = 0; i < srv->nclients; i++)
		if (srv->clients[i].role == ROLE_SUBSCRIBE)
			send(srv->clients[i].fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int store_event_server_wait(struct store_event_server *srv, int timeout_ms, bool *poked)
{
	struct pollfd fds[MAX_CLIENTS + 1];
	*poked = false;
	fds[0] = (struct pollfd){ .fd = srv->listen_fd, .events = POLLIN };
	for (int i = 0; i < srv->nclients; i++)
		fds[i + 1] = (struct pollfd){ .fd = srv->clients[i].fd, .events = POLLIN };
	int n = srv->nclients;
	int rc = poll(fds, (nfds_t)n + 1, timeout_ms);
	if (rc <= 0)
		return rc < 0 && errno != EINTR ? -1 : 0;
	/* From the last, so that dropping one moves only those seen. */
	for (int i = n - 1; i >= 0; i--) {
		if (!fds[i + 1].revents)
			continue;
		bool gone;
		*poked = read_client(srv, i, &gone) || *poked;
		if (gone)
			drop_client(srv, i);
	}
	if (fds[0].revents & POLLIN)
		accept_clients(srv);
	if (*poked)
		tell_subscribers(srv);
	return 0;
}

void store_event_server_close(struct store_event_server *srv)
{
	if (!srv)
		return;
	while (srv->nclients)
		drop_client(srv, srv->nclients - 1);
	unlink(srv->path);
	close(srv->listen_fd);
	close(srv->lock_fd);   /* the lock goes with it */
	free(srv->path);
	free(srv);
}
