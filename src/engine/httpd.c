/*
 * httpd.c - the smallest HTTP/1.1 responder that Prometheus can scrape:
 * one thread, one connection at a time, GET or HEAD of one path, every
 * answer closes the connection.
 *
 * Bounds: a request's head may be 8 KiB; reading it and writing the
 * answer get 5 s each; a client that is slower is dropped.  A connection
 * is served to the end before the next is accepted, so a stuck client
 * delays other scrapers by at most those 10 s, and never the engine: the
 * thread shares nothing with it but what the render callback reads.
 */
#include "config.h"             /* accept4, pipe2 */
#include "engine/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX  8192
#define IO_TIMEOUT_MS 5000

struct httpd {
	int fd;                    /* listening */
	int stop[2];               /* a pipe: readable = stop */
	char *address;             /* "127.0.0.1:9100", "[::1]:9100" */
	const char *path;          /* "/metrics" */
	httpd_render_fn render;
	void *arg;
	pthread_t thread;
	bool started;
};

/* ---- the address ------------------------------------------------------------------------ */
/* PORT, HOST:PORT or [V6]:PORT.  HOST must be an IP address or
 * "localhost": a name could resolve to an interface reachable from
 * elsewhere, and what is served has no authentication, so anything but
 * loopback has to be asked for by its address. */
static int split_listen(const char *spec, char **host, char **port, struct err *e)
{
	const char *colon = strrchr(spec, ':');
	if (!colon) {
		*host = xstrdup("127.0.0.1");
		*port = xstrdup(spec);
	} else if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close + 1 != colon)
			return err_set(e, ERR_INVALID, "--metrics %s: expected [ADDRESS]:PORT",
				       spec);
		*host = xstrndup(spec + 1, (size_t)(close - spec - 1));
		*port = xstrdup(colon + 1);
	} else {
		*host = xstrndup(spec, (size_t)(colon - spec));
		*port = xstrdup(colon + 1);
	}
	int64_t n;
	if (!str_to_i64(*port, &n) || n < 0 || n > 65535)
		return err_set(e, ERR_INVALID, "--metrics %s: the port must be a number "
			       "from 0 to 65535", spec);
	if (str_eq(*host, "localhost")) {
		free(*host);
		*host = xstrdup("127.0.0.1");
	}
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static char *sockaddr_text(const struct sockaddr *sa, socklen_t len)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return xstrdup("?");
	return sa->sa_family == AF_INET6 ? xasprintf("[%s]:%s", host, port)
					 : xasprintf("%s:%s", host, port);
}

static int open_socket(const char *spec, struct httpd *h, struct err *e)
{
	char *host = NULL, *port = NULL;
	struct addrinfo *ai = NULL;
	int rc = split_listen(spec, &host, &port, e);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	int gai = rc < 0 ? 0 : getaddrinfo(host, port, &hints, &ai);
	if (rc == 0 && gai != 0)
		rc = err_set(e, ERR_INVALID, "--metrics %s: '%s' is not an IP address (a "
			     "name is refused: the metrics have no authentication, so "
			     "listen on loopback or give the address to expose)",
			     spec, host);
	if (rc == 0) {
		h->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		if (h->fd < 0 ||
		    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
		    bind(h->fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(h->fd, 16) < 0 ||
		    fcntl(h->fd, F_SETFL, O_NONBLOCK) < 0)
			rc = err_set(e, ERR_IO, "--metrics %s: %s", spec, strerror(errno));
	}
	if (rc == 0) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		getsockname(h->fd, (struct sockaddr *)&ss, &len);
		h->address = sockaddr_text((struct sockaddr *)&ss, len);
		if (!is_loopback((struct sockaddr *)&ss))
			log_warn("metrics on %s are reachable from other hosts and have no "
				 "authentication", h->address);
	}
	if (ai)
		freeaddrinfo(ai);
	free(host);
	free(port);
	return rc;
}

struct httpd *engine_httpd_bind(const char *spec, const char *path, struct err *e)
{
	struct httpd *h = xcalloc(1, sizeof *h);
	h->fd = h->stop[0] = h->stop[1] = -1;
	h->path = path;
	if (open_socket(spec, h, e) < 0 || pipe2(h->stop, O_CLOEXEC) < 0) {
		if (e->code == ERR_OK)
			err_set(e, ERR_IO, "metrics: pipe: %s", strerror(errno));
		engine_httpd_free(h);
		return NULL;
	}
	return h;
}

const char *engine_httpd_address(const struct httpd *h)
{
	return h->address;
}

/* ---- one connection ------------------------------------------------------------------------ */
/* Wait for `events` on fd until the deadline (monotonic); false on timeout. */
static bool wait_fd(int fd, short events, usec_t deadline)
{
	for (;;) {
		usec_t left = deadline - clock_monotonic_us();
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)(left / 1000) + 1);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* The request's head, up to the blank line: its length, 0 when the
 * client went away or was too slow, -1 when it is too long. */
static ssize_t read_head(int fd, char *head)
{
	usec_t deadline = clock_monotonic_us() + IO_TIMEOUT_MS * 1000;
	size_t len = 0;
	for (;;) {
		if (len == HEAD_MAX)
			return -1;
		if (!wait_fd(fd, POLLIN, deadline))
			return 0;
		ssize_t n = read(fd, head + len, HEAD_MAX - len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 0;
		len += (size_t)n;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n") || strstr(head, "\n\n"))
			return (ssize_t)len;
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	usec_t deadline = clock_monotonic_us() + IO_TIMEOUT_MS * 1000;
	while (len && wait_fd(fd, POLLOUT, deadline)) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void respond(int fd, const char *status, const char *type, const char *extra,
		    const struct buf *body, bool head_only)
{
	struct buf out = BUF_INIT;
	buf_printf(&out, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Connection: close\r\n%s\r\n", status, type, body->len, extra ? extra : "");
	if (!head_only)
		buf_append(&out, buf_str(body), body->len);
	write_all(fd, buf_str(&out), out.len);
	buf_free(&out);
}

static void respond_text(int fd, const char *status, const char *extra, bool head_only)
{
	struct buf body = BUF_INIT;
	buf_printf(&body, "%s\n", status);
	respond(fd, status, "text/plain; charset=utf-8", extra, &body, head_only);
	buf_free(&body);
}

static void serve(struct httpd *h, int fd)
{
	char *head = xmalloc(HEAD_MAX + 1);
	ssize_t len = read_head(fd, head);
	char method[16], target[HEAD_MAX], version[16];
	if (len < 0) {
		respond_text(fd, "431 Request Header Fields Too Large", NULL, false);
	} else if (len > 0 && sscanf(head, "%15s %8191s %15s", method, target, version) != 3) {
		respond_text(fd, "400 Bad Request", NULL, false);
	} else if (len > 0) {
		bool head_only = str_eq(method, "HEAD");
		char *query = strchr(target, '?');
		if (query)
			*query = '\0';
		if (!str_eq(method, "GET") && !head_only) {
			respond_text(fd, "405 Method Not Allowed", "Allow: GET, HEAD\r\n", false);
		} else if (!str_eq(target, h->path)) {
			respond_text(fd, "404 Not Found", NULL, head_only);
		} else {
			struct buf body = BUF_INIT;
			h->render(h->arg, &body);
			respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", NULL,
				&body, head_only);
			buf_free(&body);
		}
	}
	free(head);
}

static void *httpd_main(void *arg)
{
	struct httpd *h = arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = h->fd, .events = POLLIN },
				       { .fd = h->stop[0], .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(h, fd);
		close(fd);
	}
	return NULL;
}

int engine_httpd_start(struct httpd *h, httpd_render_fn render, void *arg, struct err *e)
{
	h->render = render;
	h->arg = arg;
	int rc = pthread_create(&h->thread, NULL, httpd_main, h);
	if (rc != 0)
		return err_set(e, ERR_INTERNAL, "metrics: cannot start a thread: %s",
			       strerror(rc));
	h->started = true;
	return 0;
}

void engine_httpd_free(struct httpd *h)
{
	if (!h)
		return;
	if (h->started) {
		ssize_t n = write(h->stop[1], "x", 1);
		(void)n;
		pthread_join(h->thread, NULL);
	}
	if (h->fd >= 0)
		close(h->fd);
	if (h->stop[0] >= 0)
		close(h->stop[0]);
	if (h->stop[1] >= 0)
		close(h->stop[1]);
	free(h->address);
	free(h);
}
