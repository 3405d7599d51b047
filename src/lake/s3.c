/*
 * s3.c - the lake in an S3 bucket (`s3://bucket/prefix`), or in any store
 * that speaks the S3 API through an endpoint override (MinIO, Ceph, R2).
 *
 * Every request is signed with AWS Signature V4 (sigv4.c) when credentials
 * are given: ListObjectsV2 (followed page by page), GetObject (streamed
 * through curl.c), PutObject (one PUT of a spooled temporary file), HeadObject
 * and DeleteObject.  Requests that are safe to repeat are retried twice on
 * 500/502/503/504, which S3 answers when it wants a client to slow down.
 * Keys in the lake are relative to the URL's prefix.
 */
#include "config.h"

#include "lake/lake_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define LIST_BODY_MAX (16 * 1024 * 1024)
#define ATTEMPTS 3

struct s3_lake {
	char *bucket;
	char *prefix;       /* without trailing '/'; "" for the whole bucket */
	char *origin;       /* "https://bucket.s3.us-east-1.amazonaws.com", "http://127.0.0.1:9000" */
	char *host;         /* the Host header we sign and send */
	char *path_base;    /* "" (virtual-hosted) or "/bucket" (path-style), with endpoint path */
};

static struct s3_lake *s3_of(const struct lake *lake)
{
	return lake->priv;
}

static bool bucket_name_ok(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63)
		return false;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.'))
			return false;
	return true;
}

/* An S3-compatible store: path-style requests to ENDPOINT[/PATH]/BUCKET/KEY. */
static int use_endpoint(struct s3_lake *s, const char *ep, struct err *e)
{
	const char *auth = strstr(ep, "://");
	if (!auth || !(str_starts_with(ep, "http://") || str_starts_with(ep, "https://")))
		return err_set(e, ERR_INVALID, "S3 endpoint \"%s\": expected http(s)://HOST[:PORT]",
			       ep);
	auth += 3;
	const char *path = strchr(auth, '/');
	size_t hostlen = path ? (size_t)(path - auth) : strlen(auth);
	s->host = xstrndup(auth, hostlen);
	s->origin = xstrndup(ep, (size_t)(auth - ep) + hostlen);
	char *epath = xstrdup(path ? path : "");
	size_t m = strlen(epath);
	while (m && epath[m - 1] == '/')
		epath[--m] = '\0';
	s->path_base = xasprintf("%s/%s", epath, s->bucket);
	free(epath);
	return 0;
}

static int s3_open(struct lake *lake, const char *rest, struct err *e)
{
	const char *slash = strchr(rest, '/');
	char *bucket = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	if (!bucket_name_ok(bucket)) {
		err_set(e, ERR_INVALID, "lake URL \"%s\": \"%s\" is not a bucket name "
			"(3 to 63 characters: a-z, 0-9, '.', '-')", lake->url, bucket);
		free(bucket);
		return -1;
	}
	char *prefix = xstrdup(slash ? slash + 1 : "");
	size_t n = strlen(prefix);
	while (n && prefix[n - 1] == '/')
		prefix[--n] = '\0';
	if (n && lake_key_check(prefix, n, e) < 0) {
		err_prefix(e, "lake URL \"%s\": prefix: ", lake->url);
		free(bucket);
		free(prefix);
		return -1;
	}
	struct s3_lake *s = xcalloc(1, sizeof *s);
	s->bucket = bucket;
	s->prefix = prefix;
	lake->priv = s;     /* s3_close frees it from here on */
	if (lake->endpoint)
		return use_endpoint(s, lake->endpoint, e);
	s->host = xasprintf("%s.s3.%s.amazonaws.com", bucket, lake->region);
	s->origin = xasprintf("https://%s", s->host);
	s->path_base = xstrdup("");
	return 0;
}

static void s3_close(struct lake *lake)
{
	struct s3_lake *s = lake->priv;
	if (!s)
		return;
	free(s->bucket);
	free(s->prefix);
	free(s->origin);
	free(s->host);
	free(s->path_base);
	free(s);
}

static char *object_key(const struct s3_lake *s, const char *key)
{
	return *s->prefix ? xasprintf("%s/%s", s->prefix, key) : xstrdup(key);
}

/* "s3://bucket/objkey", for messages. */
static char *shown_key(const struct s3_lake *s, const char *objkey)
{
	return xasprintf("s3://%s/%s", s->bucket, objkey);
}

/* ---- requests ------------------------------------------------------------------ */

struct s3_request {
	const char *method;
	const char *objkey;                /* NULL: the bucket itself */
	struct sigv4_param query[4];
	size_t nquery;
	const char *payload_hash;          /* NULL: empty body */
	bool if_none_match;                /* PUT only where no object is */
};

/* A handle with URL and signed headers; *headers is the caller's to free. */
static CURL *s3_prepare(struct lake *lake, const struct s3_request *q,
			struct curl_slist **headers)
{
	const struct s3_lake *s = s3_of(lake);
	struct buf uri = BUF_INIT, query = BUF_INIT, url = BUF_INIT;
	buf_printf(&uri, "%s/", s->path_base);
	if (q->objkey)
		lk_sigv4_uri_encode(&uri, q->objkey, true);
	lk_sigv4_query_string(q->query, q->nquery, &query);
	buf_printf(&url, "%s%s%s%s", s->origin, buf_str(&uri), query.len ? "?" : "",
		   buf_str(&query));

	char amz_date[17];
	lk_sigv4_amz_date(clock_now_us(), amz_date);
	const char *payload = q->payload_hash ? q->payload_hash : EMPTY_SHA256;
	struct sigv4_param hs[] = {
		{ "host", s->host },
		{ "x-amz-content-sha256", payload },
		{ "x-amz-date", amz_date },
	};
	struct curl_slist *list = NULL;
	char *line;
	for (size_t i = 0; i < ARRAY_LEN(hs); i++) {
		line = xasprintf("%s: %s", hs[i].name, hs[i].value);
		list = curl_slist_append(list, line);
		free(line);
	}
	if (lake->access_key && lake->secret_key) {
		struct sigv4_request sr = {
			.method = q->method, .uri = buf_str(&uri),
			.query = q->query, .nquery = q->nquery,
			.headers = hs, .nheaders = ARRAY_LEN(hs),
			.payload_hash = payload, .amz_date = amz_date,
			.region = lake->region, .service = "s3",
			.access_key = lake->access_key, .secret_key = lake->secret_key,
		};
		struct buf auth = BUF_INIT;
		lk_sigv4_sign(&sr, &auth, NULL, NULL);
		line = xasprintf("Authorization: %s", buf_str(&auth));
		list = curl_slist_append(list, line);
		free(line);
		buf_free(&auth);
	}
	/* Our test server and some S3 clones do not do 100-continue. */
	list = curl_slist_append(list, "Expect:");
	if (q->if_none_match)
		list = curl_slist_append(list, "If-None-Match: *");
	CURL *h = lk_curl_new(lake, buf_str(&url));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	if (strcmp(q->method, "GET") && strcmp(q->method, "PUT") && strcmp(q->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
	if (!strcmp(q->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	*headers = list;
	buf_free(&uri);
	buf_free(&query);
	buf_free(&url);
	return h;
}

/* Content of the first <tag>…</tag> in [*p, end), entities decoded; moves *p
 * past it.  NULL when absent. */
static char *xml_take(const char **p, const char *end, const char *tag)
{
	char open[64], close[64];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = memmem(*p, (size_t)(end - *p), open, strlen(open));
	if (!a)
		return NULL;
	a += strlen(open);
	const char *b = memmem(a, (size_t)(end - a), close, strlen(close));
	if (!b)
		return NULL;
	*p = b + strlen(close);
	struct buf out = BUF_INIT;
	for (const char *c = a; c < b; c++) {
		if (*c != '&') {
			buf_putc(&out, *c);
			continue;
		}
		const char *semi = memchr(c, ';', (size_t)(b - c));
		if (!semi) {
			buf_putc(&out, *c);
			continue;
		}
		size_t n = (size_t)(semi - c - 1);
		const char *name = c + 1;
		unsigned long cp = 0;
		if (n == 3 && !memcmp(name, "amp", 3)) cp = '&';
		else if (n == 2 && !memcmp(name, "lt", 2)) cp = '<';
		else if (n == 2 && !memcmp(name, "gt", 2)) cp = '>';
		else if (n == 4 && !memcmp(name, "quot", 4)) cp = '"';
		else if (n == 4 && !memcmp(name, "apos", 4)) cp = '\'';
		else if (n > 1 && name[0] == '#')
			cp = name[1] == 'x' ? strtoul(name + 2, NULL, 16) : strtoul(name + 1, NULL, 10);
		if (cp == 0 || cp > 0x10ffff) {
			/* unknown entity or &#0;: keep as written, the key check rejects it */
			buf_append(&out, c, n + 2);
		} else if (cp < 0x80) {
			buf_putc(&out, (char)cp);
		} else if (cp < 0x800) {
			buf_putc(&out, (char)(0xc0 | (cp >> 6)));
			buf_putc(&out, (char)(0x80 | (cp & 0x3f)));
		} else if (cp < 0x10000) {
			buf_putc(&out, (char)(0xe0 | (cp >> 12)));
			buf_putc(&out, (char)(0x80 | ((cp >> 6) & 0x3f)));
			buf_putc(&out, (char)(0x80 | (cp & 0x3f)));
		} else {
			buf_putc(&out, (char)(0xf0 | (cp >> 18)));
			buf_putc(&out, (char)(0x80 | ((cp >> 12) & 0x3f)));
			buf_putc(&out, (char)(0x80 | ((cp >> 6) & 0x3f)));
			buf_putc(&out, (char)(0x80 | (cp & 0x3f)));
		}
		c = semi;
	}
	if (!out.data)
		buf_puts(&out, "");
	return buf_detach(&out);
}

/* "GET s3://b/k: HTTP 404 NoSuchKey: The specified key does not exist." */
static int s3_status_error(struct err *e, const char *method, const char *shown,
			   long status, const char *body, size_t len)
{
	const char *p = body ? body : "";
	const char *end = p + (body ? len : 0);
	char *code = xml_take(&p, end, "Code");
	p = body ? body : "";
	char *msg = xml_take(&p, end, "Message");
	enum err_code ec = status == 404 ? ERR_NOTFOUND : ERR_IO;
	char *masked_msg = log_mask(msg ? msg : "");
	err_set(e, ec, "%s %s: HTTP %ld%s%s%s%s", method, shown, status,
		code ? " " : "", code ? code : "", msg ? ": " : "", masked_msg);
	free(masked_msg);
	free(code);
	free(msg);
	return -1;
}

static bool retryable(long status)
{
	return status == 500 || status == 502 || status == 503 || status == 504;
}

static void backoff(int attempt)
{
	usleep((useconds_t)(200000u << (2 * attempt)));   /* 200 ms, 800 ms */
}

/* Run a request to completion, retrying server trouble.  On success the
 * response is in *r (status 2xx); otherwise the error is set. */
static int s3_perform(struct lake *lake, const struct s3_request *q, const char *shown,
		      CURL **keep, struct lk_response *r, struct err *e)
{
	for (int attempt = 0;; attempt++) {
		struct curl_slist *hdrs;
		CURL *h = s3_prepare(lake, q, &hdrs);
		CURLcode rc = lk_curl_perform(h, r);
		curl_slist_free_all(hdrs);
		if (rc != CURLE_OK) {
			curl_easy_cleanup(h);
			return lk_curl_fail(e, q->method, shown, rc, r->errbuf);
		}
		if (r->status >= 200 && r->status <= 299) {
			if (keep)
				*keep = h;
			else
				curl_easy_cleanup(h);
			return 0;
		}
		curl_easy_cleanup(h);
		if (!retryable(r->status) || attempt + 1 == ATTEMPTS)
			return s3_status_error(e, q->method, shown, r->status, r->body.data,
					       r->body.len);
		backoff(attempt);
	}
}

/* ---- list ------------------------------------------------------------------------ */

static int parse_page(const struct s3_lake *s, const char *xml, size_t len,
		      struct lake_listing *out, char **token)
{
	const char *end = xml + len, *p = xml;
	size_t strip = *s->prefix ? strlen(s->prefix) + 1 : 0;
	char *block;
	while ((block = xml_take(&p, end, "Contents")) != NULL) {
		const char *bp = block, *bend = block + strlen(block);
		char *key = xml_take(&bp, bend, "Key");
		bp = block;
		char *size = xml_take(&bp, bend, "Size");
		bp = block;
		char *modified = xml_take(&bp, bend, "LastModified");
		int64_t sz = -1;
		usec_t mtime = 0;
		if (size)
			str_to_i64(size, &sz);
		if (modified)
			time_parse_iso(modified, &mtime);
		/* "dir/" objects are folder markers some consoles create: not files. */
		if (key && strlen(key) > strip && !str_ends_with(key, "/")) {
			const char *rel = key + strip;
			if (lake_key_check(rel, strlen(rel), NULL) == 0)
				lake_entry_push(out, rel, sz, mtime);
			else
				log_warn("lake s3://%s: skipping object \"%s\": not a valid key",
					 s->bucket, key);
		}
		free(key);
		free(size);
		free(modified);
		free(block);
	}
	p = xml;
	char *truncated = xml_take(&p, end, "IsTruncated");
	p = xml;
	*token = NULL;
	if (truncated && !strcmp(truncated, "true"))
		*token = xml_take(&p, end, "NextContinuationToken");
	bool bad = truncated && !strcmp(truncated, "true") && !*token;
	free(truncated);
	return bad ? -1 : 0;
}

static int s3_list(struct lake *lake, const char *prefix, struct lake_listing *out,
		   struct err *e)
{
	const struct s3_lake *s = s3_of(lake);
	char *full = *s->prefix ? xasprintf("%s/%s", s->prefix, prefix) : xstrdup(prefix);
	char *shown = shown_key(s, full);
	char *token = NULL;
	int rc = 0;
	struct lk_response r = { .max = LIST_BODY_MAX };
	do {
		struct s3_request q = { .method = "GET" };
		q.query[q.nquery++] = (struct sigv4_param){ "list-type", "2" };
		q.query[q.nquery++] = (struct sigv4_param){ "prefix", full };
		if (token)
			q.query[q.nquery++] = (struct sigv4_param){ "continuation-token", token };
		if (s3_perform(lake, &q, shown, NULL, &r, e) < 0) {
			err_prefix(e, "listing: ");
			rc = -1;
			break;
		}
		if (r.truncated) {
			rc = err_set(e, ERR_IO, "listing %s: a page of the listing is larger than "
				     "16 MiB", shown);
			break;
		}
		free(token);
		if (parse_page(s, buf_str(&r.body), r.body.len, out, &token) < 0) {
			rc = err_set(e, ERR_IO, "listing %s: the server said the listing goes on "
				     "but gave no continuation token", shown);
			break;
		}
	} while (token);
	free(token);
	buf_free(&r.body);
	free(shown);
	free(full);
	return rc;
}

/* ---- stat, delete ----------------------------------------------------------------- */

static int s3_stat(struct lake *lake, const char *key, struct lake_entry *out,
		   struct err *e)
{
	const struct s3_lake *s = s3_of(lake);
	char *objkey = object_key(s, key);
	char *shown = shown_key(s, objkey);
	struct s3_request q = { .method = "HEAD", .objkey = objkey };
	struct lk_response r = { .max = 1024 };
	CURL *h = NULL;
	int rc = s3_perform(lake, &q, shown, &h, &r, e);
	if (rc == 0) {
		curl_off_t len = -1, when = -1;
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		curl_easy_getinfo(h, CURLINFO_FILETIME_T, &when);
		out->size = len >= 0 ? (int64_t)len : -1;
		out->mtime = when >= 0 ? (usec_t)when * USEC_PER_SEC : 0;
		curl_easy_cleanup(h);
	}
	buf_free(&r.body);
	free(shown);
	free(objkey);
	return rc;
}

static int s3_remove(struct lake *lake, const char *key, struct err *e)
{
	const struct s3_lake *s = s3_of(lake);
	char *objkey = object_key(s, key);
	char *shown = shown_key(s, objkey);
	struct s3_request q = { .method = "DELETE", .objkey = objkey };
	struct lk_response r = { .max = 16 * 1024 };
	int rc = s3_perform(lake, &q, shown, NULL, &r, e);
	buf_free(&r.body);
	free(shown);
	free(objkey);
	return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

struct s3_reader {
	struct lake_reader base;
	struct lk_stream s;
	struct curl_slist *headers;
	char *shown;
};

static ssize_t s3_read(struct lake_reader *base, void *buf, size_t n, struct err *e)
{
	struct s3_reader *r = (struct s3_reader *)base;
	return lk_stream_read(&r->s, buf, n, "GET", r->shown, e);
}

static void s3_read_close(struct lake_reader *base)
{
	struct s3_reader *r = (struct s3_reader *)base;
	lk_stream_cleanup(&r->s);
	curl_slist_free_all(r->headers);
	free(r->shown);
	free(r);
}

static struct lake_reader *s3_read_open(struct lake *lake, const char *key, struct err *e)
{
	const struct s3_lake *s = s3_of(lake);
	char *objkey = object_key(s, key);
	struct s3_reader *r = xcalloc(1, sizeof *r);
	r->base.read = s3_read;
	r->base.close = s3_read_close;
	r->shown = shown_key(s, objkey);
	struct s3_request q = { .method = "GET", .objkey = objkey };
	CURL *h = s3_prepare(lake, &q, &r->headers);
	free(objkey);
	int rc = lk_stream_start(&r->s, h, "GET", r->shown, e);
	if (rc == 0 && r->s.in_error)
		rc = s3_status_error(e, "GET", r->shown, r->s.status, r->s.errbody.data,
				     r->s.errbody.len);
	if (rc < 0) {
		s3_read_close(&r->base);
		return NULL;
	}
	return &r->base;
}

/* ---- writing ------------------------------------------------------------------------ */

struct s3_writer {
	struct lake_writer base;
	struct lake *lake;
	int fd;                 /* spool, already unlinked */
	off_t size, sent;
	struct sha256 hash;
	char *key, *objkey, *shown;
};

static void s3_writer_free(struct s3_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	sha256_free(&w->hash);
	free(w->key);
	free(w->objkey);
	free(w->shown);
	free(w);
}

static int s3_write(struct lake_writer *base, const void *data, size_t n, struct err *e)
{
	struct s3_writer *w = (struct s3_writer *)base;
	sha256_update(&w->hash, data, n);
	if (fd_write_all(w->fd, data, n) < 0)
		return err_set(e, ERR_IO, "spooling %s: %s", w->shown, strerror(errno));
	w->size += (off_t)n;
	return 0;
}

static size_t spool_read(char *buf, size_t size, size_t n, void *arg)
{
	struct s3_writer *w = arg;
	ssize_t got = pread(w->fd, buf, size * n, w->sent);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	w->sent += got;
	return (size_t)got;
}

static int s3_commit(struct lake_writer *base, struct err *e)
{
	struct s3_writer *w = (struct s3_writer *)base;
	uint8_t digest[32];
	char hex[65];
	sha256_final(&w->hash, digest);
	sha256_hex(digest, hex);
	struct s3_request q = { .method = "PUT", .objkey = w->objkey, .payload_hash = hex,
				.if_none_match = base->keep_existing };
	struct lk_response r = { .max = 16 * 1024 };
	int rc;
	for (int attempt = 0;; attempt++) {
		struct curl_slist *hdrs;
		CURL *h = s3_prepare(w->lake, &q, &hdrs);
		w->sent = 0;
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, spool_read);
		curl_easy_setopt(h, CURLOPT_READDATA, w);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)w->size);
		CURLcode cc = lk_curl_perform(h, &r);
		curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		if (cc != CURLE_OK) {
			rc = lk_curl_fail(e, "PUT", w->shown, cc, r.errbuf);
			break;
		}
		if (r.status >= 200 && r.status <= 299) {
			rc = 0;
			break;
		}
		/* 412: the object is there (409: a write of it is in flight). */
		if (base->keep_existing && (r.status == 412 || r.status == 409)) {
			rc = lk_existing_key(w->lake, w->key, w->shown, w->fd, w->size, e);
			break;
		}
		if (!retryable(r.status) || attempt + 1 == ATTEMPTS) {
			rc = s3_status_error(e, "PUT", w->shown, r.status, r.body.data, r.body.len);
			break;
		}
		backoff(attempt);
	}
	buf_free(&r.body);
	s3_writer_free(w);
	return rc;
}

static void s3_abort(struct lake_writer *base)
{
	s3_writer_free((struct s3_writer *)base);
}

static struct lake_writer *s3_write_open(struct lake *lake, const char *key, struct err *e)
{
	const char *tmpdir = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/sluice-s3-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		err_at(e, ERR_IO, tmpl, "cannot create a spool file: %s", strerror(errno));
		free(tmpl);
		return NULL;
	}
	unlink(tmpl);     /* gone when the writer is, whatever happens */
	free(tmpl);
	const struct s3_lake *s = s3_of(lake);
	struct s3_writer *w = xcalloc(1, sizeof *w);
	w->base.write = s3_write;
	w->base.commit = s3_commit;
	w->base.abort = s3_abort;
	w->lake = lake;
	w->fd = fd;
	w->key = xstrdup(key);
	w->objkey = object_key(s, key);
	w->shown = shown_key(s, w->objkey);
	sha256_init(&w->hash);
	return &w->base;
}

const struct lake_ops lake_s3_ops = {
	.name = "s3",
	.open = s3_open,
	.close = s3_close,
	.list = s3_list,
	.stat = s3_stat,
	.read_open = s3_read_open,
	.write_open = s3_write_open,
	.remove = s3_remove,
};
