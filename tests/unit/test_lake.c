/*
 * test_lake.c - the lake: keys, the file backend on a real directory, the
 * http backend and downloads against a real HTTP server, and the s3
 * backend against a small S3 look-alike that checks every signature.
 *
 * Both servers are forked from the test (127.0.0.1, a port the kernel
 * picks) and stop when the test does.  The S3 look-alike recomputes each
 * request's Signature V4 from what arrived on the wire; the signer itself
 * is held against AWS's published examples.  There is no real S3 here:
 * what AWS would say about these requests is not tested.
 */
#include "testutil.h"
#include "lake/lake.h"
#include "lake/lake_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- helpers ----------------------------------------------------------------- */

static char *read_key(struct lake *lake, const char *key, size_t chunk)
{
	struct err e;
	struct lake_reader *r = lake_read_open(lake, key, &e);
	ck_assert_msg(r != NULL, "open %s: %s", key, err_text(&e));
	struct buf b = BUF_INIT;
	char *tmp = xmalloc(chunk);
	ssize_t n;
	while ((n = lake_read(r, tmp, chunk, &e)) > 0)
		buf_append(&b, tmp, (size_t)n);
	ck_assert_msg(n == 0, "read %s: %s", key, err_text(&e));
	free(tmp);
	lake_read_close(r);
	if (!b.data)
		buf_puts(&b, "");
	return buf_detach(&b);
}

static int count_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static struct lake *open_file_lake(const char *dir)
{
	char *url = xasprintf("file:%s", dir);
	struct err e;
	struct lake *lake = lake_open(url, NULL, &e);
	ck_assert_msg(lake != NULL, "%s", err_text(&e));
	free(url);
	return lake;
}

/* ---- keys ------------------------------------------------------------------------ */

START_TEST(keys_that_would_escape_are_refused)
{
	static const struct {
		const char *key;
		size_t len;
		const char *msg;
	} bad[] = {
		{ "../etc/passwd", 13, "key \"../etc/passwd\" escapes the lake (\"..\")" },
		{ "orders/../../x", 14, "key \"orders/../../x\" escapes the lake (\"..\")" },
		{ "/etc/passwd", 11, "key \"/etc/passwd\" is absolute; keys are relative to the lake" },
		{ "a\0b", 3, "key \"a\\x00b\" contains a NUL byte" },
		{ "a\nb", 3, "key \"a\\x0ab\" contains a control character" },
		{ "a//b", 4, "key \"a//b\" has an empty segment (\"//\")" },
		{ "orders/", 7, "key \"orders/\" ends with '/'" },
		{ "orders/.x.tmp-1", 15,
		  "key \"orders/.x.tmp-1\" has a segment starting with '.' (reserved for temporary files)" },
		{ "", 0, "empty key" },
		{ "caf\xc3", 4, "key \"caf\xc3\" is not valid UTF-8" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct err e;
		err_clear(&e);
		ck_assert_int_eq(lake_key_check(bad[i].key, bad[i].len, &e), -1);
		ck_assert_int_eq(e.code, ERR_INVALID);
		ck_assert_str_eq(e.msg, bad[i].msg);
	}
	ck_assert_int_eq(lake_key_check("orders/2026/11/21/120000000000.json", 35, NULL), 0);
	ck_assert_int_eq(lake_key_check("a/b..c/d", 8, NULL), 0);

	/* Every operation checks, before touching the disk. */
	char *dir = test_mkdtemp();
	struct lake *lake = open_file_lake(dir);
	struct err e;
	ck_assert_ptr_null(lake_write_open(lake, "../outside", &e));
	ck_assert_str_eq(e.msg, "key \"../outside\" escapes the lake (\"..\")");
	ck_assert_int_eq(lake_delete(lake, "x/../../y", &e), -1);
	ck_assert_ptr_null(lake_read_open(lake, "/etc/passwd", &e));
	struct lake_listing l = { 0 };
	ck_assert_int_eq(lake_list(lake, "../", &l, &e), -1);
	ck_assert_str_eq(e.msg, "key \"../\" escapes the lake (\"..\")");
	ck_assert_int_eq(count_dir_entries(dir), 0);
	lake_close(lake);
	test_rmdir(dir);
}
END_TEST

START_TEST(key_make_sorts_by_time)
{
	usec_t t;
	ck_assert(time_parse_iso("2026-11-21T09:05:03.000042Z", &t));
	char *k = lake_key_make(NULL, "orders", t, "json");
	ck_assert_str_eq(k, "orders/2026/11/21/090503000042.json");
	free(k);
	k = lake_key_make("totesys/", "sales_order", t, ".ndjson");
	ck_assert_str_eq(k, "totesys/sales_order/2026/11/21/090503000042.ndjson");
	free(k);
	k = lake_key_make("totesys", "staff", t + 1, "csv");
	ck_assert_str_eq(k, "totesys/staff/2026/11/21/090503000043.csv");
	free(k);
	/* Before 1970 the fraction still counts up within the second. */
	k = lake_key_make("", "old", -1, "csv");
	ck_assert_str_eq(k, "old/1969/12/31/235959999999.csv");
	free(k);
}
END_TEST

START_TEST(open_refuses_unknown_urls)
{
	struct err e;
	ck_assert_ptr_null(lake_open("ftp://x/y", NULL, &e));
	ck_assert_str_eq(e.msg, "lake URL \"ftp://x/y\": expected file:DIR, s3://BUCKET/PREFIX "
			 "or http(s)://HOST/PATH");
	ck_assert_ptr_null(lake_open("s3://Bad_Bucket/x", NULL, &e));
	ck_assert_str_eq(e.msg, "lake URL \"s3://Bad_Bucket/x\": \"Bad_Bucket\" is not a bucket "
			 "name (3 to 63 characters: a-z, 0-9, '.', '-')");
	ck_assert_ptr_null(lake_open("file:", NULL, &e));
	ck_assert_str_eq(e.msg, "lake URL \"file:\": no directory after file:");
	struct lake_options o = { .endpoint = "localhost:9000" };
	ck_assert_ptr_null(lake_open("s3://bucket/p", &o, &e));
	ck_assert_str_eq(e.msg, "S3 endpoint \"localhost:9000\": expected http(s)://HOST[:PORT]");
}
END_TEST

/* ---- file backend ----------------------------------------------------------------- */

START_TEST(file_lake_lists_sorted_by_key_with_prefix)
{
	char *dir = test_mkdtemp();
	struct lake *lake = open_file_lake(dir);
	struct err e;
	const char *keys[] = {
		"orders/2026/11/21/120000000000.json",
		"orders/2026/11/20/235959999999.json",
		"orders/2026/11/21/090000000000.json",
		"orders_old/2025/01/01/000000000000.json",
		"staff/2026/11/21/120000000000.csv",
	};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		ck_assert_msg(lake_put(lake, keys[i], keys[i], strlen(keys[i]), &e) == 0, "%s",
			      err_text(&e));
	/* Things that are not keys stay invisible. */
	test_write_file(dir, "orders/2026/11/21/.120000000000.json.tmp-abc", "partial");
	char *fifo = path_join(dir, "orders/fifo");
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	free(fifo);

	struct lake_listing l = { 0 };
	ck_assert_int_eq(lake_list(lake, "orders/", &l, &e), 0);
	ck_assert_int_eq(l.len, 3);
	ck_assert_str_eq(l.entries[0].key, "orders/2026/11/20/235959999999.json");
	ck_assert_str_eq(l.entries[1].key, "orders/2026/11/21/090000000000.json");
	ck_assert_str_eq(l.entries[2].key, "orders/2026/11/21/120000000000.json");
	ck_assert_int_eq(l.entries[2].size, 35);
	ck_assert(l.entries[2].mtime > 1600000000 * USEC_PER_SEC);
	lake_listing_free(&l);

	/* A plain string prefix, as in S3. */
	ck_assert_int_eq(lake_list(lake, "orders", &l, &e), 0);
	ck_assert_int_eq(l.len, 4);
	ck_assert_str_eq(l.entries[3].key, "orders_old/2025/01/01/000000000000.json");
	lake_listing_free(&l);
	ck_assert_int_eq(lake_list(lake, "orders/2026/11/2", &l, &e), 0);
	ck_assert_int_eq(l.len, 3);
	lake_listing_free(&l);
	ck_assert_int_eq(lake_list(lake, "", &l, &e), 0);
	ck_assert_int_eq(l.len, 5);
	ck_assert_str_eq(l.entries[4].key, "staff/2026/11/21/120000000000.csv");
	lake_listing_free(&l);
	ck_assert_int_eq(lake_list(lake, "nothing/", &l, &e), 0);
	ck_assert_int_eq(l.len, 0);
	lake_listing_free(&l);

	/* Listing and reading leave everything where it was. */
	char *body = read_key(lake, keys[0], 7);
	ck_assert_str_eq(body, keys[0]);
	free(body);
	ck_assert_int_eq(lake_list(lake, "orders/", &l, &e), 0);
	ck_assert_int_eq(l.len, 3);
	lake_listing_free(&l);
	lake_close(lake);
	test_rmdir(dir);
}
END_TEST

START_TEST(file_lake_missing_root_is_not_found)
{
	char *dir = test_mkdtemp();
	char *missing = path_join(dir, "nope");
	struct lake *lake = open_file_lake(missing);
	struct lake_listing l = { 0 };
	struct err e;
	ck_assert_int_eq(lake_list(lake, "", &l, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_str_eq(e.where, missing);
	ck_assert_str_eq(e.msg, "lake directory does not exist");
	struct lake_entry ent;
	ck_assert_int_eq(lake_stat(lake, "a/b.json", &ent, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_ptr_null(lake_read_open(lake, "a/b.json", &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_int_eq(lake_delete(lake, "a/b.json", &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	/* The first write creates what it needs. */
	ck_assert_int_eq(lake_put(lake, "a/b.json", "{}", 2, &e), 0);
	ck_assert_int_eq(lake_stat(lake, "a/b.json", &ent, &e), 0);
	ck_assert_str_eq(ent.key, "a/b.json");
	ck_assert_int_eq(ent.size, 2);
	lake_entry_free(&ent);
	lake_close(lake);
	free(missing);
	test_rmdir(dir);
}
END_TEST

START_TEST(file_writes_are_all_or_nothing)
{
	char *dir = test_mkdtemp();
	struct lake *lake = open_file_lake(dir);
	struct err e;
	const char *key = "orders/2026/11/21/120000000000.json";
	ck_assert_int_eq(lake_put(lake, key, "old\n", 4, &e), 0);
	struct lake_reader *old = lake_read_open(lake, key, &e);
	ck_assert_ptr_nonnull(old);

	struct lake_writer *w = lake_write_open(lake, key, &e);
	ck_assert_ptr_nonnull(w);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(lake_write(w, "0123456789", 10, &e), 0);
	/* Mid-write, the key still holds the old content and nothing else shows. */
	struct lake_entry ent;
	ck_assert_int_eq(lake_stat(lake, key, &ent, &e), 0);
	ck_assert_int_eq(ent.size, 4);
	lake_entry_free(&ent);
	struct lake_listing l = { 0 };
	ck_assert_int_eq(lake_list(lake, "", &l, &e), 0);
	ck_assert_int_eq(l.len, 1);
	lake_listing_free(&l);
	ck_assert_int_eq(lake_write_commit(w, &e), 0);

	ck_assert_int_eq(lake_stat(lake, key, &ent, &e), 0);
	ck_assert_int_eq(ent.size, 10000);
	lake_entry_free(&ent);
	/* A reader that opened before keeps the old file whole. */
	char buf[16];
	ck_assert_int_eq(lake_read(old, buf, sizeof buf, &e), 4);
	ck_assert_int_eq(memcmp(buf, "old\n", 4), 0);
	lake_read_close(old);

	/* An aborted write leaves the key and the directory as they were. */
	w = lake_write_open(lake, key, &e);
	ck_assert_int_eq(lake_write(w, "half", 4, &e), 0);
	lake_write_abort(w);
	w = lake_write_open(lake, "orders/2026/11/21/130000000000.json", &e);
	lake_write_abort(w);
	char *day = path_join(dir, "orders/2026/11/21");
	ck_assert_int_eq(count_dir_entries(day), 1);
	free(day);
	ck_assert_int_eq(lake_stat(lake, key, &ent, &e), 0);
	ck_assert_int_eq(ent.size, 10000);
	lake_entry_free(&ent);

	char hex[65];
	int64_t bytes;
	ck_assert_int_eq(lake_checksum(lake, key, hex, &bytes, &e), 0);
	ck_assert_int_eq(bytes, 10000);
	struct buf all = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_puts(&all, "0123456789");
	char want[65];
	sha256_hex_of(all.data, all.len, want);
	ck_assert_str_eq(hex, want);
	buf_free(&all);

	ck_assert_int_eq(lake_delete(lake, key, &e), 0);
	ck_assert_int_eq(lake_stat(lake, key, &ent, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	lake_close(lake);
	test_rmdir(dir);
}
END_TEST

/* ---- a small HTTP server ---------------------------------------------------------- */

struct hreq {
	char method[16];
	char path[4096];          /* as sent, still encoded */
	char query[4096];
	int  nh;
	char hname[32][64];
	char hval[32][2048];
	char *body;
	size_t blen;
};

typedef void (*handler_fn)(int fd, struct hreq *r, void *state);

struct server {
	pid_t pid;
	int port;
};

static const char *hreq_header(const struct hreq *r, const char *name)
{
	for (int i = 0; i < r->nh; i++)
		if (!strcasecmp(r->hname[i], name))
			return r->hval[i];
	return NULL;
}

static int read_request(int fd, struct hreq *r)
{
	memset(r, 0, sizeof *r);
	static char buf[65536];
	size_t len = 0;
	char *end = NULL;
	while (!end) {
		if (len == sizeof buf - 1)
			return -1;
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	char *line = buf, *eol = strstr(line, "\r\n");
	*eol = '\0';
	char target[4096];
	if (sscanf(line, "%15s %4095s", r->method, target) != 2)
		return -1;
	char *q = strchr(target, '?');
	if (q) {
		*q = '\0';
		snprintf(r->query, sizeof r->query, "%s", q + 1);
	}
	snprintf(r->path, sizeof r->path, "%s", target);
	for (line = eol + 2; line < end && r->nh < 32; line = eol + 2) {
		eol = strstr(line, "\r\n");
		*eol = '\0';
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ')
			v++;
		snprintf(r->hname[r->nh], sizeof r->hname[0], "%s", line);
		snprintf(r->hval[r->nh], sizeof r->hval[0], "%s", v);
		r->nh++;
	}
	const char *cl = hreq_header(r, "Content-Length");
	r->blen = cl ? (size_t)atol(cl) : 0;
	r->body = xmalloc(r->blen + 1);
	size_t have = len - (size_t)(end + 4 - buf);
	if (have > r->blen)
		have = r->blen;
	memcpy(r->body, end + 4, have);
	while (have < r->blen) {
		ssize_t n = read(fd, r->body + have, r->blen - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	r->body[r->blen] = '\0';
	return 0;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, const struct hreq *r, int status, const char *headers,
		    const void *body, size_t len)
{
	char head[1024];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
			 status, len, headers ? headers : "");
	write_all(fd, head, (size_t)n);
	if (strcmp(r->method, "HEAD"))
		write_all(fd, body, len);
}

static void server_start(struct server *s, handler_fn fn, void *state)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	socklen_t alen = sizeof a;
	getsockname(lfd, (struct sockaddr *)&a, &alen);
	s->port = ntohs(a.sin_port);
	pid_t parent = getpid();
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			struct pollfd p = { lfd, POLLIN, 0 };
			int n = poll(&p, 1, 300);
			/* A failed test exits without stopping us: notice and go. */
			if (getppid() != parent)
				_exit(0);
			if (n <= 0)
				continue;
			int fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			struct hreq r;
			if (read_request(fd, &r) == 0)
				fn(fd, &r, state);
			free(r.body);
			close(fd);
		}
	}
	close(lfd);
}

static void server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + i / 251) & 0xff);
}

#define BIG_SIZE (8u * 1024 * 1024)

static void web_handler(int fd, struct hreq *r, void *state UNUSED)
{
	if (!strcmp(r->path, "/data/hello.txt")) {
		respond(fd, r, 200, "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
			"hello, lake\n", 12);
	} else if (!strcmp(r->path, "/data/dir/with%20space.csv")) {
		respond(fd, r, 200, NULL, "a,b\n", 4);
	} else if (!strcmp(r->path, "/data/big.bin")) {
		char head[256];
		int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
				 "Connection: close\r\n\r\n", BIG_SIZE);
		write_all(fd, head, (size_t)n);
		static unsigned char chunk[65536];
		for (size_t off = 0; off < BIG_SIZE; off += sizeof chunk) {
			for (size_t i = 0; i < sizeof chunk; i++)
				chunk[i] = pattern(off + i);
			write_all(fd, chunk, sizeof chunk);
		}
	} else if (!strcmp(r->path, "/data/redirect")) {
		respond(fd, r, 302, "Location: /data/hello.txt\r\n", "moved", 5);
	} else if (!strcmp(r->path, "/data/boom")) {
		respond(fd, r, 500, NULL, "oops", 4);
	} else if (!strcmp(r->path, "/data/slow")) {
		const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabcde";
		write_all(fd, head, strlen(head));
		sleep(5);
	} else if (!strcmp(r->path, "/data/short")) {
		const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
		write_all(fd, head, strlen(head));
	} else if (!strcmp(r->path, "/echo-auth")) {
		const char *auth = hreq_header(r, "Authorization");
		const char *x = hreq_header(r, "X-Extra");
		char body[4200];
		int n = snprintf(body, sizeof body, "%s|%s", auth ? auth : "-", x ? x : "-");
		respond(fd, r, 200, NULL, body, (size_t)n);
	} else {
		respond(fd, r, 404, NULL, "not here", 8);
	}
}

static struct lake *open_web_lake(const struct server *s, usec_t timeout)
{
	char *url = xasprintf("http://127.0.0.1:%d/data", s->port);
	struct lake_options o = { .timeout = timeout };
	struct err e;
	struct lake *lake = lake_open(url, &o, &e);
	ck_assert_msg(lake != NULL, "%s", err_text(&e));
	free(url);
	return lake;
}

START_TEST(http_lake_streams_and_reports_status)
{
	struct server s;
	server_start(&s, web_handler, NULL);
	struct lake *lake = open_web_lake(&s, 0);
	struct err e;
	ck_assert(!lake_writable(lake));

	char *body = read_key(lake, "hello.txt", 3);
	ck_assert_str_eq(body, "hello, lake\n");
	free(body);
	body = read_key(lake, "dir/with space.csv", 100);
	ck_assert_str_eq(body, "a,b\n");
	free(body);
	body = read_key(lake, "redirect", 100);
	ck_assert_str_eq(body, "hello, lake\n");
	free(body);

	struct lake_entry ent;
	ck_assert_int_eq(lake_stat(lake, "hello.txt", &ent, &e), 0);
	ck_assert_int_eq(ent.size, 12);
	ck_assert_int_eq(ent.mtime, 1445412480 * USEC_PER_SEC);
	lake_entry_free(&ent);

	char hex[65];
	ck_assert_int_eq(lake_checksum(lake, "hello.txt", hex, NULL, &e), 0);
	ck_assert_str_eq(hex, "0e652863532c89bc88f9199b16c3fa3d3723e80f0ff040e35449aab8d63418ed");

	char *want = xasprintf("GET http://127.0.0.1:%d/data/missing.json: HTTP 404", s.port);
	ck_assert_ptr_null(lake_read_open(lake, "missing.json", &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_str_eq(e.msg, want);
	free(want);
	want = xasprintf("HEAD http://127.0.0.1:%d/data/missing.json: HTTP 404", s.port);
	ck_assert_int_eq(lake_stat(lake, "missing.json", &ent, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_str_eq(e.msg, want);
	free(want);
	want = xasprintf("GET http://127.0.0.1:%d/data/boom: HTTP 500", s.port);
	ck_assert_ptr_null(lake_read_open(lake, "boom", &e));
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_str_eq(e.msg, want);
	free(want);

	struct lake_listing l = { 0 };
	ck_assert_int_eq(lake_list(lake, "", &l, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	want = xasprintf("cannot list http://127.0.0.1:%d/data: an http(s) lake has no listing; "
			 "name the files to read, or download them into a file or s3 lake", s.port);
	ck_assert_str_eq(e.msg, want);
	free(want);
	ck_assert_int_eq(lake_put(lake, "x.json", "{}", 2, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	want = xasprintf("http://127.0.0.1:%d/data is read-only: an http(s) lake cannot be "
			 "written", s.port);
	ck_assert_str_eq(e.msg, want);
	free(want);
	ck_assert_int_eq(lake_delete(lake, "hello.txt", &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);

	lake_close(lake);
	server_stop(&s);
}
END_TEST

START_TEST(http_reader_holds_bounded_memory)
{
	struct server s;
	server_start(&s, web_handler, NULL);
	struct lake *lake = open_web_lake(&s, 0);
	struct err e;
	struct lake_reader *r = lake_read_open(lake, "big.bin", &e);
	ck_assert_ptr_nonnull(r);
	unsigned char buf[1000];
	size_t total = 0;
	ssize_t n;
	bool same = true;
	while ((n = lake_read(r, buf, sizeof buf, &e)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			same = same && buf[i] == pattern(total + (size_t)i);
		total += (size_t)n;
	}
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(total, BIG_SIZE);
	ck_assert(same);
	/* The whole 8 MiB passed through a buffer of at most the high mark plus
	 * one chunk of libcurl's. */
	size_t peak = lake_http_reader_peak(r);
	ck_assert_msg(peak <= LK_STREAM_HIGH + CURL_MAX_WRITE_SIZE, "peak %zu", peak);
	ck_assert_uint_gt(peak, 0);
	lake_read_close(r);
	lake_close(lake);
	server_stop(&s);
}
END_TEST

START_TEST(http_cut_short_or_stalled_is_an_error)
{
	struct server s;
	server_start(&s, web_handler, NULL);
	struct lake *lake = open_web_lake(&s, 400 * USEC_PER_MSEC);
	struct err e;
	char buf[256];

	struct lake_reader *r = lake_read_open(lake, "short", &e);
	ck_assert_ptr_nonnull(r);
	ssize_t n, total = 0;
	while ((n = lake_read(r, buf, sizeof buf, &e)) > 0)
		total += n;
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(total, 10);
	ck_assert_int_eq(e.code, ERR_IO);
	char *prefix = xasprintf("GET http://127.0.0.1:%d/data/short: ", s.port);
	ck_assert_msg(str_starts_with(e.msg, prefix), "%s", e.msg);
	free(prefix);
	lake_read_close(r);

	r = lake_read_open(lake, "slow", &e);
	ck_assert_msg(r != NULL, "%s", err_text(&e));
	while ((n = lake_read(r, buf, sizeof buf, &e)) > 0)
		;
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(e.code, ERR_TIMEOUT);
	prefix = xasprintf("GET http://127.0.0.1:%d/data/slow: timed out (", s.port);
	ck_assert_msg(str_starts_with(e.msg, prefix), "%s", e.msg);
	free(prefix);
	lake_read_close(r);
	lake_close(lake);
	server_stop(&s);
}
END_TEST

START_TEST(download_lands_whole_or_not_at_all)
{
	struct server s;
	server_start(&s, web_handler, NULL);
	char *dir = test_mkdtemp();
	struct lake_options o = { .timeout = 400 * USEC_PER_MSEC };
	char *lurl = xasprintf("file:%s", dir);
	struct err e;
	struct lake *lake = lake_open(lurl, &o, &e);
	free(lurl);

	char *url = xasprintf("http://127.0.0.1:%d/data/big.bin", s.port);
	int64_t bytes = 0;
	ck_assert_msg(lake_download(lake, url, "web/big.bin", NULL, &bytes, &e) == 0, "%s",
		      err_text(&e));
	ck_assert_int_eq(bytes, BIG_SIZE);
	free(url);
	struct lake_entry ent;
	ck_assert_int_eq(lake_stat(lake, "web/big.bin", &ent, &e), 0);
	ck_assert_int_eq(ent.size, BIG_SIZE);
	lake_entry_free(&ent);

	/* Headers go along; they may hold secrets, which never show. */
	log_add_secret("s3cr3t-token-xyz");
	url = xasprintf("http://127.0.0.1:%d/echo-auth", s.port);
	const char *headers[] = { "Authorization: Bearer s3cr3t-token-xyz", "X-Extra: 1", NULL };
	ck_assert_int_eq(lake_download(lake, url, "web/echo.txt", headers, &bytes, &e), 0);
	char *body = read_key(lake, "web/echo.txt", 64);
	ck_assert_str_eq(body, "Bearer s3cr3t-token-xyz|1");
	free(body);
	free(url);

	/* Failures leave the key as it was and no temporary file behind. */
	url = xasprintf("http://127.0.0.1:%d/data/missing?token=s3cr3t-token-xyz", s.port);
	ck_assert_int_eq(lake_download(lake, url, "web/echo.txt", headers, &bytes, &e), -1);
	char *want = xasprintf("GET http://127.0.0.1:%d/data/missing?token=****: HTTP 404",
			       s.port);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	free(want);
	free(url);
	url = xasprintf("http://127.0.0.1:%d/data/short", s.port);
	ck_assert_int_eq(lake_download(lake, url, "web/echo.txt", NULL, &bytes, &e), -1);
	ck_assert_int_eq(e.code, ERR_IO);
	free(url);
	url = xasprintf("http://127.0.0.1:%d/data/slow", s.port);
	ck_assert_int_eq(lake_download(lake, url, "web/slow.txt", NULL, &bytes, &e), -1);
	ck_assert_int_eq(e.code, ERR_TIMEOUT);
	free(url);
	body = read_key(lake, "web/echo.txt", 64);
	ck_assert_str_eq(body, "Bearer s3cr3t-token-xyz|1");
	free(body);
	char *web = path_join(dir, "web");
	ck_assert_int_eq(count_dir_entries(web), 2);
	free(web);

	ck_assert_int_eq(lake_download(lake, "file:///etc/passwd", "x", NULL, &bytes, &e), -1);
	ck_assert_str_eq(e.msg, "cannot download \"file:///etc/passwd\": only http:// and "
			 "https:// URLs");
	log_clear_secrets();
	lake_close(lake);
	test_rmdir(dir);
	server_stop(&s);
}
END_TEST

/* ---- AWS Signature V4: the published examples -------------------------------------- */

#define EXAMPLE_AK "AKIAIOSFODNN7EXAMPLE"
#define EXAMPLE_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void check_example(const struct sigv4_request *r, const char *canonical,
			  const char *to_sign, const char *auth)
{
	struct buf a = BUF_INIT, c = BUF_INIT, s = BUF_INIT;
	lk_sigv4_sign(r, &a, &c, &s);
	ck_assert_str_eq(buf_str(&c), canonical);
	ck_assert_str_eq(buf_str(&s), to_sign);
	ck_assert_str_eq(buf_str(&a), auth);
	buf_free(&a);
	buf_free(&c);
	buf_free(&s);
}

START_TEST(sigv4_matches_aws_examples)
{
	/* GET Object: the first 10 bytes of examplebucket/test.txt. */
	struct sigv4_param get_h[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", EMPTY_HASH },
		{ "x-amz-date", "20130524T000000Z" },
	};
	struct sigv4_request get = {
		.method = "GET", .uri = "/test.txt", .headers = get_h, .nheaders = 4,
		.payload_hash = EMPTY_HASH, .amz_date = "20130524T000000Z",
		.region = "us-east-1", .service = "s3",
		.access_key = EXAMPLE_AK, .secret_key = EXAMPLE_SK,
	};
	check_example(&get,
		"GET\n/test.txt\n\n"
		"host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
		"x-amz-content-sha256:" EMPTY_HASH "\nx-amz-date:20130524T000000Z\n\n"
		"host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_HASH,
		"AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
		"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

	/* PUT Object "test$file.text": the '$' is encoded in the path. */
	struct buf uri = BUF_INIT;
	lk_sigv4_uri_encode(&uri, "/test$file.text", true);
	ck_assert_str_eq(buf_str(&uri), "/test%24file.text");
	const char *put_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
	char body_hash[65];
	sha256_hex_of("Welcome to Amazon S3.", 21, body_hash);
	ck_assert_str_eq(body_hash, put_hash);
	struct sigv4_param put_h[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", put_hash },
	};
	struct sigv4_request put = get;
	put.method = "PUT";
	put.uri = buf_str(&uri);
	put.headers = put_h;
	put.nheaders = 5;
	put.payload_hash = put_hash;
	check_example(&put,
		"PUT\n/test%24file.text\n\n"
		"date:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
		"x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
		"x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
		"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
		"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
		"AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
		"9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
		"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
		"Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	buf_free(&uri);

	/* GET Bucket lifecycle: a query parameter without a value. */
	struct sigv4_param life_h[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-content-sha256", EMPTY_HASH },
	};
	struct sigv4_param life_q[] = { { "lifecycle", "" } };
	struct sigv4_request life = get;
	life.uri = "/";
	life.query = life_q;
	life.nquery = 1;
	life.headers = life_h;
	life.nheaders = 3;
	check_example(&life,
		"GET\n/\nlifecycle=\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"x-amz-content-sha256:" EMPTY_HASH "\nx-amz-date:20130524T000000Z\n\n"
		"host;x-amz-content-sha256;x-amz-date\n" EMPTY_HASH,
		"AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
		"9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
		"SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
		"Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

	/* GET Bucket (list objects): parameters sorted by name. */
	struct sigv4_param list_q[] = { { "prefix", "J" }, { "max-keys", "2" } };
	struct sigv4_request list = life;
	list.query = list_q;
	list.nquery = 2;
	check_example(&list,
		"GET\n/\nmax-keys=2&prefix=J\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"x-amz-content-sha256:" EMPTY_HASH "\nx-amz-date:20130524T000000Z\n\n"
		"host;x-amz-content-sha256;x-amz-date\n" EMPTY_HASH,
		"AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
		"df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
		"SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
		"Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");

	char date[17];
	lk_sigv4_amz_date(1369353600 * USEC_PER_SEC, date);
	ck_assert_str_eq(date, "20130524T000000Z");
}
END_TEST

/* ---- an S3 look-alike ---------------------------------------------------------------- */

#define S3_AK "AKIDSLUICETEST000001"
#define S3_SK "sluice/test+secret/KEY0123456789abcdefghij"
#define S3_BUCKET "lakebkt"
#define S3_MTIME "2026-11-21T12:00:00.000Z"
#define S3_MTIME_HTTP "Sat, 21 Nov 2026 12:00:00 GMT"
#define S3_MTIME_SECS 1795262400

struct s3_object {
	char *key;
	char *data;
	size_t len;
};

struct s3_state {
	struct s3_object objects[64];
	int nobjects;
	int fail_lists;          /* answer this many listings with 503 first */
	int page_size;
};

static void s3_error(int fd, struct hreq *r, int status, const char *code, const char *msg)
{
	char body[1024];
	int n = snprintf(body, sizeof body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg);
	respond(fd, r, status, "Content-Type: application/xml\r\n", body, (size_t)n);
}

static void pct_decode(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (; *s && o + 1 < n; s++) {
		if (*s == '%' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static void xml_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else
			buf_putc(b, *s);
	}
}

/* Recompute the signature from the request as it arrived. */
static const char *check_signature(struct hreq *r)
{
	for (int i = 0; i < r->nh; i++)
		if (strstr(r->hval[i], S3_SK))
			return "the secret key was sent";
	if (strstr(r->path, S3_SK) || strstr(r->query, S3_SK))
		return "the secret key was sent";
	const char *auth = hreq_header(r, "Authorization");
	const char *date = hreq_header(r, "x-amz-date");
	const char *payload = hreq_header(r, "x-amz-content-sha256");
	if (!auth || !date || !payload)
		return "missing Authorization, x-amz-date or x-amz-content-sha256";
	char want_prefix[256];
	snprintf(want_prefix, sizeof want_prefix,
		 "AWS4-HMAC-SHA256 Credential=" S3_AK "/%.8s/eu-west-2/s3/aws4_request,"
		 "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=", date);
	if (!str_starts_with(auth, want_prefix))
		return "Authorization header has the wrong shape";
	const char *sig = auth + strlen(want_prefix);
	if (strlen(sig) != 64 || strspn(sig, "0123456789abcdef") != 64)
		return "signature is not 64 hex digits";
	char body_hash[65];
	sha256_hex_of(r->body, r->blen, body_hash);
	if (strcmp(body_hash, payload))
		return "x-amz-content-sha256 does not match the body";

	struct sigv4_param q[8];
	char names[8][256], values[8][1024];
	int nq = 0;
	char query[4096];
	snprintf(query, sizeof query, "%s", r->query);
	for (char *tok = strtok(query, "&"); tok && nq < 8; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		pct_decode(tok, names[nq], sizeof names[0]);
		pct_decode(eq ? eq + 1 : "", values[nq], sizeof values[0]);
		q[nq] = (struct sigv4_param){ names[nq], values[nq] };
		nq++;
	}
	struct sigv4_param h[] = {
		{ "host", hreq_header(r, "Host") },
		{ "x-amz-content-sha256", payload },
		{ "x-amz-date", date },
	};
	struct sigv4_request sr = {
		.method = r->method, .uri = r->path, .query = q, .nquery = (size_t)nq,
		.headers = h, .nheaders = 3, .payload_hash = payload, .amz_date = date,
		.region = "eu-west-2", .service = "s3", .access_key = S3_AK, .secret_key = S3_SK,
	};
	struct buf want = BUF_INIT;
	lk_sigv4_sign(&sr, &want, NULL, NULL);
	bool ok = !strcmp(buf_str(&want), auth);
	buf_free(&want);
	return ok ? NULL : "signature mismatch";
}

static const char *query_param(const struct hreq *r, const char *name, char *out, size_t n)
{
	char query[4096];
	snprintf(query, sizeof query, "%s", r->query);
	for (char *tok = strtok(query, "&"); tok; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(tok, name)) {
			pct_decode(eq + 1, out, n);
			return out;
		}
	}
	return NULL;
}

static void s3_list_objects(int fd, struct hreq *r, struct s3_state *st)
{
	if (st->fail_lists > 0) {
		st->fail_lists--;
		s3_error(fd, r, 503, "SlowDown", "Please reduce your request rate.");
		return;
	}
	char prefix[1024] = "", after[1024] = "", tmp[16];
	query_param(r, "prefix", prefix, sizeof prefix);
	query_param(r, "continuation-token", after, sizeof after);
	if (!query_param(r, "list-type", tmp, sizeof tmp) || strcmp(tmp, "2")) {
		s3_error(fd, r, 400, "InvalidArgument", "expected list-type=2");
		return;
	}
	/* objects are kept sorted by key */
	struct buf b = BUF_INIT;
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>");
	int shown = 0;
	const char *last = NULL;
	bool more = false;
	for (int i = 0; i < st->nobjects; i++) {
		const struct s3_object *o = &st->objects[i];
		if (!str_starts_with(o->key, prefix) || (*after && strcmp(o->key, after) <= 0))
			continue;
		if (shown == st->page_size) {
			more = true;
			break;
		}
		buf_puts(&b, "<Contents><Key>");
		xml_escape(&b, o->key);
		buf_printf(&b, "</Key><LastModified>" S3_MTIME "</LastModified>"
			   "<ETag>&quot;x&quot;</ETag><Size>%zu</Size></Contents>", o->len);
		last = o->key;
		shown++;
	}
	buf_printf(&b, "<IsTruncated>%s</IsTruncated>", more ? "true" : "false");
	if (more) {
		buf_puts(&b, "<NextContinuationToken>");
		xml_escape(&b, last);
		buf_puts(&b, "</NextContinuationToken>");
	}
	buf_puts(&b, "</ListBucketResult>");
	respond(fd, r, 200, NULL, b.data, b.len);
	buf_free(&b);
}

static int s3_find(struct s3_state *st, const char *key)
{
	for (int i = 0; i < st->nobjects; i++)
		if (!strcmp(st->objects[i].key, key))
			return i;
	return -1;
}

static void s3_put(struct s3_state *st, const char *key, const char *data, size_t len)
{
	int i = s3_find(st, key);
	if (i < 0) {
		i = st->nobjects++;
		while (i > 0 && strcmp(st->objects[i - 1].key, key) > 0) {
			st->objects[i] = st->objects[i - 1];
			i--;
		}
		st->objects[i].key = xstrdup(key);
	} else {
		free(st->objects[i].data);
	}
	st->objects[i].data = xmalloc(len + 1);
	memcpy(st->objects[i].data, data, len);
	st->objects[i].len = len;
}

static void s3_handler(int fd, struct hreq *r, void *arg)
{
	struct s3_state *st = arg;
	const char *why = check_signature(r);
	if (why) {
		s3_error(fd, r, 403, "SignatureDoesNotMatch", why);
		return;
	}
	char path[4096];
	pct_decode(r->path, path, sizeof path);
	if (!strcmp(path, "/" S3_BUCKET))
		strcat(path, "/");
	if (!str_starts_with(path, "/" S3_BUCKET "/")) {
		s3_error(fd, r, 404, "NoSuchBucket", "The specified bucket does not exist");
		return;
	}
	const char *key = path + strlen("/" S3_BUCKET "/");
	if (!*key) {
		if (!strcmp(r->method, "GET"))
			s3_list_objects(fd, r, st);
		else
			s3_error(fd, r, 405, "MethodNotAllowed", "not on a bucket");
		return;
	}
	int i = s3_find(st, key);
	const char *inm = hreq_header(r, "If-None-Match");
	if (!strcmp(r->method, "PUT") && i >= 0 && inm && !strcmp(inm, "*")) {
		s3_error(fd, r, 412, "PreconditionFailed",
			 "At least one of the pre-conditions you specified did not hold");
	} else if (!strcmp(r->method, "PUT")) {
		s3_put(st, key, r->body, r->blen);
		respond(fd, r, 200, "ETag: \"x\"\r\n", "", 0);
	} else if (!strcmp(r->method, "DELETE")) {
		if (i >= 0) {
			free(st->objects[i].key);
			free(st->objects[i].data);
			memmove(&st->objects[i], &st->objects[i + 1],
				(size_t)(st->nobjects - i - 1) * sizeof st->objects[0]);
			st->nobjects--;
		}
		respond(fd, r, 204, NULL, "", 0);
	} else if (i < 0) {
		s3_error(fd, r, 404, "NoSuchKey", "The specified key does not exist.");
	} else {
		respond(fd, r, 200, "Last-Modified: " S3_MTIME_HTTP "\r\n", st->objects[i].data,
			st->objects[i].len);
	}
}

static struct lake *open_s3_lake(const struct server *s, const char *url, const char *secret)
{
	char *endpoint = xasprintf("http://127.0.0.1:%d", s->port);
	struct lake_options o = {
		.endpoint = endpoint, .region = "eu-west-2",
		.access_key = S3_AK, .secret_key = secret,
	};
	struct err e;
	struct lake *lake = lake_open(url, &o, &e);
	ck_assert_msg(lake != NULL, "%s", err_text(&e));
	free(endpoint);
	return lake;
}

static void count_warnings(const struct log_record *rec UNUSED, void *arg)
{
	(*(int *)arg)++;
}

START_TEST(s3_round_trip_through_a_signing_server)
{
	int warnings = 0;
	int sink = log_add_sink(LOG_WARN, count_warnings, &warnings);
	static struct s3_state st = { .page_size = 2 };
	s3_put(&st, "elsewhere/x.json", "{}", 2);
	s3_put(&st, "totesys/sales_order/", "", 0);    /* a folder marker: not a file */
	struct server s;
	server_start(&s, s3_handler, &st);
	struct lake *lake = open_s3_lake(&s, "s3://" S3_BUCKET "/totesys/", S3_SK);
	struct err e;
	ck_assert(lake_writable(lake));

	const char *keys[] = {
		"sales_order/2026/11/21/120000000000.ndjson",
		"sales_order/2026/11/21/090000000000.ndjson",
		"staff/2026/11/21/120000000000.ndjson",
		"odd names/a b&c+d=e.json",
		"sales_order/2026/11/20/235959000000.ndjson",
	};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		ck_assert_msg(lake_put(lake, keys[i], keys[i], strlen(keys[i]), &e) == 0, "%s",
			      err_text(&e));
	/* An aborted write sends nothing. */
	struct lake_writer *w = lake_write_open(lake, "staff/never.json", &e);
	ck_assert_int_eq(lake_write(w, "x", 1, &e), 0);
	lake_write_abort(w);

	/* Pages of two, followed to the end; keys relative to the lake prefix. */
	struct lake_listing l = { 0 };
	ck_assert_msg(lake_list(lake, "", &l, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(l.len, 5);
	ck_assert_str_eq(l.entries[0].key, "odd names/a b&c+d=e.json");
	ck_assert_str_eq(l.entries[1].key, "sales_order/2026/11/20/235959000000.ndjson");
	ck_assert_str_eq(l.entries[3].key, "sales_order/2026/11/21/120000000000.ndjson");
	ck_assert_str_eq(l.entries[4].key, "staff/2026/11/21/120000000000.ndjson");
	ck_assert_int_eq(l.entries[4].size, strlen(keys[2]));
	ck_assert_int_eq(l.entries[4].mtime, S3_MTIME_SECS * USEC_PER_SEC);
	lake_listing_free(&l);
	ck_assert_int_eq(warnings, 0);
	log_remove_sink(sink);
	ck_assert_int_eq(lake_list(lake, "sales_order/", &l, &e), 0);
	ck_assert_int_eq(l.len, 3);
	lake_listing_free(&l);

	char *body = read_key(lake, keys[3], 5);
	ck_assert_str_eq(body, keys[3]);
	free(body);
	struct lake_entry ent;
	ck_assert_int_eq(lake_stat(lake, keys[0], &ent, &e), 0);
	ck_assert_int_eq(ent.size, strlen(keys[0]));
	ck_assert_int_eq(ent.mtime, S3_MTIME_SECS * USEC_PER_SEC);
	lake_entry_free(&ent);
	char hex[65], want[65];
	ck_assert_int_eq(lake_checksum(lake, keys[0], hex, NULL, &e), 0);
	sha256_hex_of(keys[0], strlen(keys[0]), want);
	ck_assert_str_eq(hex, want);

	ck_assert_ptr_null(lake_read_open(lake, "staff/never.json", &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_str_eq(e.msg, "GET s3://" S3_BUCKET "/totesys/staff/never.json: HTTP 404 "
			 "NoSuchKey: The specified key does not exist.");
	ck_assert_int_eq(lake_stat(lake, "staff/never.json", &ent, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_str_eq(e.msg, "HEAD s3://" S3_BUCKET "/totesys/staff/never.json: HTTP 404");

	/* Something bigger than one buffer of libcurl's, up and down. */
	size_t big = 3 * 1024 * 1024 + 7;
	struct lake_writer *bw = lake_write_open(lake, "big/blob.bin", &e);
	struct sha256 ctx;
	sha256_init(&ctx);
	unsigned char chunk[4096];
	for (size_t off = 0; off < big; off += sizeof chunk) {
		size_t n = big - off < sizeof chunk ? big - off : sizeof chunk;
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern(off + i);
		sha256_update(&ctx, chunk, n);
		ck_assert_int_eq(lake_write(bw, chunk, n, &e), 0);
	}
	ck_assert_msg(lake_write_commit(bw, &e) == 0, "%s", err_text(&e));
	uint8_t digest[32];
	sha256_final(&ctx, digest);
	sha256_hex(digest, want);
	int64_t got_bytes;
	ck_assert_int_eq(lake_checksum(lake, "big/blob.bin", hex, &got_bytes, &e), 0);
	ck_assert_int_eq(got_bytes, big);
	ck_assert_str_eq(hex, want);

	/* A download lands in the bucket the same way. */
	struct server web;
	server_start(&web, web_handler, NULL);
	char *url = xasprintf("http://127.0.0.1:%d/data/hello.txt", web.port);
	ck_assert_msg(lake_download(lake, url, "web/hello.txt", NULL, &got_bytes, &e) == 0, "%s",
		      err_text(&e));
	ck_assert_int_eq(got_bytes, 12);
	body = read_key(lake, "web/hello.txt", 64);
	ck_assert_str_eq(body, "hello, lake\n");
	free(body);
	free(url);
	server_stop(&web);

	ck_assert_int_eq(lake_delete(lake, keys[2], &e), 0);
	ck_assert_int_eq(lake_list(lake, "staff/", &l, &e), 0);
	ck_assert_int_eq(l.len, 0);
	lake_listing_free(&l);
	lake_close(lake);
	server_stop(&s);
}
END_TEST

/* lake_write_commit_new through `lake`: a new key is written, the same
 * bytes again are "there already", other bytes are refused and change
 * nothing. */
static void check_commit_new(struct lake *lake, const char *key)
{
	struct err e;
	struct lake_writer *w = lake_write_open(lake, key, &e);
	ck_assert_int_eq(lake_write(w, "{\"id\":1}\n", 9, &e), 0);
	ck_assert_msg(lake_write_commit_new(w, &e) == 0, "%s", err_text(&e));
	w = lake_write_open(lake, key, &e);
	ck_assert_int_eq(lake_write(w, "{\"id\":1}\n", 9, &e), 0);
	ck_assert_msg(lake_write_commit_new(w, &e) == 1, "%s", err_text(&e));
	w = lake_write_open(lake, key, &e);
	ck_assert_int_eq(lake_write(w, "{\"id\":2}\n", 9, &e), 0);
	ck_assert_int_eq(lake_write_commit_new(w, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFLICT);
	ck_assert_ptr_nonnull(strstr(e.msg, "exists already and holds other bytes; it is "
				 "not replaced"));
	/* A longer file that starts with the same bytes is other bytes too. */
	w = lake_write_open(lake, key, &e);
	ck_assert_int_eq(lake_write(w, "{\"id\":1}\n{\"id\":2}\n", 18, &e), 0);
	ck_assert_int_eq(lake_write_commit_new(w, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFLICT);
	char *got = read_key(lake, key, 4);
	ck_assert_str_eq(got, "{\"id\":1}\n");
	free(got);
}

START_TEST(commit_new_never_replaces_a_file)
{
	char *dir = test_mkdtemp();
	struct lake *lake = open_file_lake(dir);
	check_commit_new(lake, "t/2026/12/01/000000000000.ndjson");
	/* No temporary file is left beside it. */
	char *day = path_join(dir, "t/2026/12/01");
	ck_assert_int_eq(count_dir_entries(day), 1);
	free(day);
	lake_close(lake);
	free(dir);

	static struct s3_state st = { .page_size = 1000 };
	struct server s;
	server_start(&s, s3_handler, &st);
	lake = open_s3_lake(&s, "s3://" S3_BUCKET "/lake", S3_SK);
	check_commit_new(lake, "t/2026/12/01/000000000000.ndjson");
	lake_close(lake);
	server_stop(&s);
}
END_TEST

START_TEST(s3_errors_are_clear_and_keep_secrets)
{
	static struct s3_state st = { .page_size = 1000, .fail_lists = 1 };
	s3_put(&st, "totesys/a.json", "{}", 2);
	struct server s;
	server_start(&s, s3_handler, &st);
	struct err e;

	/* One 503 SlowDown is retried. */
	struct lake *lake = open_s3_lake(&s, "s3://" S3_BUCKET "/totesys", S3_SK);
	struct lake_listing l = { 0 };
	ck_assert_msg(lake_list(lake, "", &l, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(l.len, 1);
	ck_assert_str_eq(l.entries[0].key, "a.json");
	lake_listing_free(&l);
	lake_close(lake);

	/* A wrong secret: the server's verdict, and not a trace of either secret. */
	lake = open_s3_lake(&s, "s3://" S3_BUCKET "/totesys", "not-the-right-secret-at-all");
	ck_assert_int_eq(lake_list(lake, "", &l, &e), -1);
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_str_eq(e.msg, "listing: GET s3://" S3_BUCKET "/totesys/: HTTP 403 "
			 "SignatureDoesNotMatch: signature mismatch");
	ck_assert_ptr_null(strstr(err_text(&e), "not-the-right-secret"));
	ck_assert_int_eq(lake_put(lake, "b.json", "{}", 2, &e), -1);
	ck_assert_str_eq(e.msg, "PUT s3://" S3_BUCKET "/totesys/b.json: HTTP 403 "
			 "SignatureDoesNotMatch: signature mismatch");
	char *masked = log_mask("key=not-the-right-secret-at-all id=" S3_AK);
	ck_assert_str_eq(masked, "key=**** id=****");
	free(masked);
	lake_close(lake);

	/* A bucket that does not exist: not found, as a missing directory is. */
	lake = open_s3_lake(&s, "s3://nosuchbucket/x", S3_SK);
	ck_assert_int_eq(lake_list(lake, "", &l, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_str_eq(e.msg, "listing: GET s3://nosuchbucket/x/: HTTP 404 NoSuchBucket: "
			 "The specified bucket does not exist");
	lake_close(lake);
	log_clear_secrets();
	server_stop(&s);

	/* Nobody listening. */
	lake = open_s3_lake(&s, "s3://" S3_BUCKET "/totesys", S3_SK);
	ck_assert_int_eq(lake_list(lake, "", &l, &e), -1);
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_msg(str_starts_with(e.msg, "listing: GET s3://" S3_BUCKET "/totesys/: "),
		      "%s", e.msg);
	lake_close(lake);
	log_clear_secrets();
}
END_TEST

static Suite *lake_suite(void)
{
	Suite *s = suite_create("lake");
	TCase *tc = tcase_create("lake");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, keys_that_would_escape_are_refused);
	tcase_add_test(tc, key_make_sorts_by_time);
	tcase_add_test(tc, open_refuses_unknown_urls);
	tcase_add_test(tc, file_lake_lists_sorted_by_key_with_prefix);
	tcase_add_test(tc, file_lake_missing_root_is_not_found);
	tcase_add_test(tc, file_writes_are_all_or_nothing);
	tcase_add_test(tc, http_lake_streams_and_reports_status);
	tcase_add_test(tc, http_reader_holds_bounded_memory);
	tcase_add_test(tc, http_cut_short_or_stalled_is_an_error);
	tcase_add_test(tc, download_lands_whole_or_not_at_all);
	tcase_add_test(tc, sigv4_matches_aws_examples);
	tcase_add_test(tc, s3_round_trip_through_a_signing_server);
	tcase_add_test(tc, s3_errors_are_clear_and_keep_secrets);
	tcase_add_test(tc, commit_new_never_replaces_a_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* The servers are on loopback; no proxy may stand in between. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	SRunner *sr = srunner_create(lake_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
