/*
 * lake.c - the lake API in front of the backends.
 *
 * Picks the backend from the URL, checks every key and prefix before a
 * backend sees it (so no backend can be talked into leaving the lake), and
 * builds the operations that every backend shares out of the small table
 * in lake_int.h: checksums, whole-object puts, time-sorted key names.
 */
#include "lake/lake_int.h"

#include <errno.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_MAX 1024

static const struct {
	const char *scheme;
	const struct lake_ops *ops;
} backends[] = {
	{ "file:", &lake_file_ops },
	{ "s3://", &lake_s3_ops },
	{ "http://", &lake_http_ops },
	{ "https://", &lake_http_ops },
};

/* A key as it may appear in a message: printable bytes kept, others as \xNN,
 * cut at 200 bytes. */
static void quote_key(struct buf *out, const char *key, size_t len)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < len && i < 200; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			buf_printf(out, "\\x%02x", c);
		else
			buf_putc(out, (char)c);
	}
	if (len > 200)
		buf_puts(out, "...");
	buf_putc(out, '"');
}

static int key_error(struct err *e, const char *key, size_t len, const char *what)
{
	struct buf q = BUF_INIT;
	quote_key(&q, key, len);
	err_set(e, ERR_INVALID, "key %s %s", buf_str(&q), what);
	buf_free(&q);
	return -1;
}

/* Shared by keys and prefixes: a prefix may be empty and may end in '/'. */
static int check_path(const char *key, size_t len, bool prefix, struct err *e)
{
	if (!key)
		return err_set(e, ERR_INVALID, "no key given");
	if (len == 0)
		return prefix ? 0 : err_set(e, ERR_INVALID, "empty key");
	if (len > KEY_MAX)
		return key_error(e, key, len, "is longer than 1024 bytes");
	if (memchr(key, '\0', len))
		return key_error(e, key, len, "contains a NUL byte");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c < 0x20 || c == 0x7f)
			return key_error(e, key, len, "contains a control character");
	}
	if (utf8_valid_prefix(key, len) != len)
		return key_error(e, key, len, "is not valid UTF-8");
	if (key[0] == '/')
		return key_error(e, key, len, "is absolute; keys are relative to the lake");
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && key[i] != '/')
			continue;
		size_t seg = i - start;
		if (seg == 0 && !(prefix && i == len))
			return key_error(e, key, len, i == len ? "ends with '/'"
					 : "has an empty segment (\"//\")");
		if (seg == 2 && key[start] == '.' && key[start + 1] == '.')
			return key_error(e, key, len, "escapes the lake (\"..\")");
		if (seg >= 1 && key[start] == '.')
			return key_error(e, key, len,
					 "has a segment starting with '.' (reserved for temporary files)");
		start = i + 1;
	}
	return 0;
}

int lake_key_check(const char *key, size_t len, struct err *e)
{
	return check_path(key, len, false, e);
}

static int check_key(const char *key, struct err *e)
{
	return check_path(key, key ? strlen(key) : 0, false, e);
}

char *lake_key_make(const char *prefix, const char *table, usec_t t, const char *ext)
{
	struct tm tm;
	long us;
	time_split_utc(t, &tm, &us);
	if (ext && *ext == '.')
		ext++;
	const char *sep = prefix && *prefix && !str_ends_with(prefix, "/") ? "/" : "";
	return xasprintf("%s%s%s/%04d/%02d/%02d/%02d%02d%02d%06ld%s%s",
			 prefix ? prefix : "", sep, table,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, us,
			 ext && *ext ? "." : "", ext ? ext : "");
}

struct lake *lake_open(const char *url, const struct lake_options *opt, struct err *e)
{
	static const struct lake_options none;
	if (!opt)
		opt = &none;
	if (!url || !*url)
		return err_set(e, ERR_INVALID, "no lake URL given"), NULL;
	const struct lake_ops *ops = NULL;
	const char *rest = NULL;
	for (size_t i = 0; i < ARRAY_LEN(backends); i++) {
		if (str_starts_with(url, backends[i].scheme)) {
			ops = backends[i].ops;
			rest = url + strlen(backends[i].scheme);
			break;
		}
	}
	if (!ops) {
		char *shown = log_mask(url);
		err_set(e, ERR_INVALID, "lake URL \"%s\": expected file:DIR, s3://BUCKET/PREFIX "
			"or http(s)://HOST/PATH", shown);
		free(shown);
		return NULL;
	}
	struct lake *lake = xcalloc(1, sizeof *lake);
	lake->ops = ops;
	lake->url = xstrdup(url);
	lake->endpoint = opt->endpoint && *opt->endpoint ? xstrdup(opt->endpoint) : NULL;
	lake->region = xstrdup(opt->region && *opt->region ? opt->region : "us-east-1");
	lake->access_key = opt->access_key && *opt->access_key ? xstrdup(opt->access_key) : NULL;
	lake->secret_key = opt->secret_key && *opt->secret_key ? xstrdup(opt->secret_key) : NULL;
	/* Both halves of a credential stay off screens and out of logs. */
	if (lake->access_key)
		log_add_secret(lake->access_key);
	if (lake->secret_key)
		log_add_secret(lake->secret_key);
	lake->connect_timeout = opt->connect_timeout > 0 ? opt->connect_timeout
		: 10 * USEC_PER_SEC;
	lake->idle_timeout = opt->idle_timeout > 0 ? opt->idle_timeout : 60 * USEC_PER_SEC;
	lake->timeout = opt->timeout > 0 ? opt->timeout : 0;
	/* A backend that fails to open leaves in lake->priv what close frees. */
	if (ops->open(lake, rest, e) < 0) {
		lake_close(lake);
		return NULL;
	}
	return lake;
}

void lake_close(struct lake *lake)
{
	if (!lake)
		return;
	if (lake->ops && lake->ops->close)
		lake->ops->close(lake);
	free(lake->url);
	free(lake->endpoint);
	free(lake->region);
	free(lake->access_key);
	free(lake->secret_key);
	free(lake);
}

const char *lake_url(const struct lake *lake)
{
	return lake->url;
}

bool lake_writable(const struct lake *lake)
{
	return lake->ops->write_open != NULL;
}

void lake_entry_push(struct lake_listing *l, const char *key, int64_t size, usec_t mtime)
{
	if (l->len == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->entries = xrealloc(l->entries, l->cap * sizeof *l->entries);
	}
	l->entries[l->len++] = (struct lake_entry){ xstrdup(key), size, mtime };
}

static int entry_cmp(const void *a, const void *b)
{
	const struct lake_entry *x = a, *y = b;
	return strcmp(x->key, y->key);
}

int lake_list(struct lake *lake, const char *prefix, struct lake_listing *out,
	      struct err *e)
{
	if (!prefix)
		prefix = "";
	if (check_path(prefix, strlen(prefix), true, e) < 0)
		return -1;
	if (!lake->ops->list)
		return err_set(e, ERR_INVALID, "cannot list %s: an http(s) lake has no listing; "
			       "name the files to read, or download them into a file or s3 lake",
			       lake->url);
	size_t before = out->len;
	if (lake->ops->list(lake, prefix, out, e) < 0)
		return -1;
	if (out->len > before)
		qsort(out->entries + before, out->len - before, sizeof *out->entries, entry_cmp);
	return 0;
}

void lake_entry_free(struct lake_entry *ent)
{
	if (!ent)
		return;
	free(ent->key);
	ent->key = NULL;
}

void lake_listing_free(struct lake_listing *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->entries[i].key);
	free(l->entries);
	memset(l, 0, sizeof *l);
}

int lake_stat(struct lake *lake, const char *key, struct lake_entry *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (check_key(key, e) < 0)
		return -1;
	if (lake->ops->stat(lake, key, out, e) < 0)
		return -1;
	out->key = xstrdup(key);
	return 0;
}

struct lake_reader *lake_read_open(struct lake *lake, const char *key, struct err *e)
{
	if (check_key(key, e) < 0)
		return NULL;
	return lake->ops->read_open(lake, key, e);
}

ssize_t lake_read(struct lake_reader *r, void *buf, size_t n, struct err *e)
{
	if (n == 0)
		return 0;
	return r->read(r, buf, n, e);
}

void lake_read_close(struct lake_reader *r)
{
	if (r)
		r->close(r);
}

static int read_only(const struct lake *lake, struct err *e)
{
	return err_set(e, ERR_INVALID, "%s is read-only: an http(s) lake cannot be written",
		       lake->url);
}

struct lake_writer *lake_write_open(struct lake *lake, const char *key, struct err *e)
{
	if (check_key(key, e) < 0)
		return NULL;
	if (!lake->ops->write_open)
		return read_only(lake, e), NULL;
	return lake->ops->write_open(lake, key, e);
}

int lake_write(struct lake_writer *w, const void *data, size_t n, struct err *e)
{
	if (n == 0)
		return 0;
	return w->write(w, data, n, e);
}

int lake_write_commit(struct lake_writer *w, struct err *e)
{
	return w->commit(w, e);
}

int lake_write_commit_new(struct lake_writer *w, struct err *e)
{
	w->keep_existing = true;
	return w->commit(w, e);
}

/* 1 same bytes, 0 not, -1 error reading one of them. */
static int same_bytes(struct lake_reader *r, int fd, off_t size, struct err *e)
{
	enum { CHUNK = 64 * 1024 };
	char *theirs = xmalloc(CHUNK), *ours = xmalloc(CHUNK);
	off_t at = 0;
	int rc = 1;
	for (;;) {
		ssize_t n = lake_read(r, theirs, CHUNK, e);
		if (n <= 0) {
			rc = n < 0 ? -1 : at == size;
			break;
		}
		if (at + n > size) {
			rc = 0;
			break;
		}
		ssize_t got = pread(fd, ours, (size_t)n, at);
		if (got != n) {
			rc = err_set(e, ERR_IO, "cannot read back what was written: %s",
				     got < 0 ? strerror(errno) : "short read");
			break;
		}
		if (memcmp(theirs, ours, (size_t)n) != 0) {
			rc = 0;
			break;
		}
		at += n;
	}
	free(theirs);
	free(ours);
	return rc;
}

int lk_existing_key(struct lake *lake, const char *key, const char *shown, int fd,
		    off_t size, struct err *e)
{
	struct lake_reader *r = lake_read_open(lake, key, e);
	if (!r)
		return -1;
	int rc = same_bytes(r, fd, size, e);
	lake_read_close(r);
	if (rc == 0)
		rc = err_set(e, ERR_CONFLICT, "%s exists already and holds other bytes; "
			     "it is not replaced", shown);
	return rc;
}

void lake_write_abort(struct lake_writer *w)
{
	if (w)
		w->abort(w);
}

int lake_put(struct lake *lake, const char *key, const void *data, size_t n, struct err *e)
{
	struct lake_writer *w = lake_write_open(lake, key, e);
	if (!w)
		return -1;
	if (lake_write(w, data, n, e) < 0) {
		lake_write_abort(w);
		return -1;
	}
	return lake_write_commit(w, e);
}

int lake_delete(struct lake *lake, const char *key, struct err *e)
{
	if (check_key(key, e) < 0)
		return -1;
	if (!lake->ops->remove)
		return read_only(lake, e);
	return lake->ops->remove(lake, key, e);
}

int lake_checksum(struct lake *lake, const char *key, char hex[65], int64_t *bytes,
		  struct err *e)
{
	struct lake_reader *r = lake_read_open(lake, key, e);
	if (!r)
		return -1;
	struct sha256 ctx;
	sha256_init(&ctx);
	char *chunk = xmalloc(65536);
	int64_t total = 0;
	ssize_t n;
	while ((n = lake_read(r, chunk, 65536, e)) > 0) {
		sha256_update(&ctx, chunk, (size_t)n);
		total += n;
	}
	free(chunk);
	lake_read_close(r);
	if (n < 0) {
		sha256_free(&ctx);
		return -1;
	}
	uint8_t digest[32];
	sha256_final(&ctx, digest);
	sha256_hex(digest, hex);
	if (bytes)
		*bytes = total;
	return 0;
}
