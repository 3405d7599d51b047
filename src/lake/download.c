/*
 * download.c - GET a URL into a lake key: resumed with Range after a
 * dropped connection, conditional when the key is there already, patient
 * with a server that says when to come back.
 *
 * The body goes to a spool file first and into the lake only when it is
 * whole, so the key changes atomically or not at all, on every backend.
 * With a spool directory (the http step gives .sluice/downloads) the
 * spool outlives the call: a transfer cut short is resumed from where it
 * stopped, by the next transfer of this call or by a later attempt of the
 * step, with `Range: bytes=N-` and `If-Range` (the partial's ETag, else
 * its Last-Modified), so that bytes of two versions are never spliced: a
 * server that answers 200 instead of 206 has no ranges or has a new
 * version, and the download starts over from byte 0 (416 likewise).
 * Without a validator a partial is not resumed either.
 *
 * The directory also keeps, per key, the validators of the last complete
 * download.  When the key is in the lake with the size recorded, the
 * request carries If-None-Match and If-Modified-Since; a 304 writes
 * nothing.  Without a record (another host downloaded it, or an older
 * sluice) an existing key still gets If-Modified-Since from its time in
 * the lake.
 *
 * A partial that no download has touched for PARTIAL_MAX_AGE (a URL or
 * a key that changed, a month never asked for again) is pruned when a
 * download starts.  A download holds an exclusive lock on its partial while
 * it has it open, and the pruner takes the partial only with an exclusive
 * lock it gets without waiting, so a partial another process is writing (or
 * waiting on: Retry-After can keep it quiet for minutes) is never taken.
 * A second download of the same URL and key waits for that lock (cancellably)
 * before it reads or truncates the partial, so two processes never write
 * one partial; once the first is done the second usually gets a 304.
 *
 * 429 and 503 with Retry-After (seconds or an HTTP date) are waited out,
 * up to max_wait each, and tried again; longer or without it, they fail
 * like any other status, with the wait the server asked for in the error.
 */
#include "lake/lake_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ATTEMPTS 5
#define DEFAULT_MAX_WAIT (10 * 60 * USEC_PER_SEC)
#define VALIDATOR_MAX 256
/* Long enough for any retry policy or outage to come back to a partial;
 * short enough that abandoned ones do not pile up for ever. */
#define PARTIAL_MAX_AGE (7 * 24 * 3600)     /* seconds since its last write */

struct validators {
	char etag[VALIDATOR_MAX];
	char last_modified[VALIDATOR_MAX];
};

/* An error of the local file system, with errno's words. */
static int sys_fail(struct err *e, const char *what)
{
	return err_set(e, ERR_IO, "%s: %s", what, strerror(errno));
}

struct transfer {
	CURL *h;
	FILE *spool;
	int64_t offset;           /* bytes in the spool before this transfer */
	int64_t got;              /* body bytes of this transfer written */
	long status;
	bool body_seen, write_failed, bad_range, restarted;
	int64_t range_start;      /* from Content-Range; -1 when absent */
	usec_t retry_after;       /* 0 when absent */
	struct validators v;      /* of this response */
	const char *meta_path;    /* where the partial's URL and validators go */
	const char *url_id;       /* the URL's digest: the URL may hold a secret */
};

/* ---- small helpers -------------------------------------------------------------- */

static void sleep_us(usec_t us)
{
	struct timespec ts = { (time_t)(us / USEC_PER_SEC), (long)(us % USEC_PER_SEC) * 1000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait, in slices, unless cancelled: false when cancelled. */
static bool wait_for(usec_t us, atomic_bool *cancel)
{
	while (us > 0) {
		if (cancel && atomic_load(cancel))
			return false;
		usec_t slice = us < 100 * USEC_PER_MSEC ? us : 100 * USEC_PER_MSEC;
		sleep_us(slice);
		us -= slice;
	}
	return !(cancel && atomic_load(cancel));
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110's IMF-fixdate). */
static void http_date(usec_t t, char out[40])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t s = (time_t)(t / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void trim_copy(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n >= cap)
		n = 0;     /* a validator too long to keep is not kept at all */
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* Retry-After: delay-seconds or an HTTP date. */
static usec_t parse_retry_after(const char *v)
{
	char *end;
	long long secs = strtoll(v, &end, 10);
	if (end != v && *end == '\0')
		return secs > 0 ? (usec_t)secs * USEC_PER_SEC : 1;
	time_t when = curl_getdate(v, NULL);
	if (when < 0)
		return 0;
	usec_t now = clock_now_us();
	usec_t at = (usec_t)when * USEC_PER_SEC;
	return at > now ? at - now : 1;
}

/* ---- the transfer ------------------------------------------------------------------ */

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {      /* a new response (redirect) */
		memset(&t->v, 0, sizeof t->v);
		t->range_start = -1;
		t->retry_after = 0;
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return len;
	size_t nlen = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
	char value[VALIDATOR_MAX];
	trim_copy(value, sizeof value, v, vlen);
	if (nlen == 4 && !strncasecmp(p, "ETag", 4))
		snprintf(t->v.etag, sizeof t->v.etag, "%s", value);
	else if (nlen == 13 && !strncasecmp(p, "Last-Modified", 13))
		snprintf(t->v.last_modified, sizeof t->v.last_modified, "%s", value);
	else if (nlen == 11 && !strncasecmp(p, "Retry-After", 11))
		t->retry_after = parse_retry_after(value);
	else if (nlen == 13 && !strncasecmp(p, "Content-Range", 13)) {
		long long start;
		if (sscanf(value, "bytes %lld-", &start) == 1)
			t->range_start = start;
	}
	return len;
}

static int save_meta(const struct transfer *t)
{
	if (!t->meta_path)
		return 0;
	char *text = xasprintf("%s\n%s\n%s\n", t->url_id, t->v.etag, t->v.last_modified);
	int rc = file_write_atomic(t->meta_path, text, strlen(text), NULL);
	free(text);
	return rc;
}

static bool restart_spool(struct transfer *t)
{
	t->offset = 0;
	t->restarted = true;
	return fflush(t->spool) == 0 && ftruncate(fileno(t->spool), 0) == 0 &&
	       fseek(t->spool, 0, SEEK_SET) == 0;
}

/* The first body bytes: is this the rest of the partial, all of it anew,
 * or not a body to keep? */
static bool first_body(struct transfer *t)
{
	t->body_seen = true;
	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &t->status);
	if (t->status == 206) {
		if (t->offset == 0 || t->range_start != t->offset) {
			t->bad_range = true;
			return false;
		}
	} else if (t->status >= 200 && t->status <= 299) {
		if (t->offset > 0 && !restart_spool(t)) {
			t->write_failed = true;
			return false;
		}
	} else {
		return false;     /* the status says it all */
	}
	save_meta(t);
	return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;
	if (!t->body_seen && !first_body(t))
		return 0;
	if (t->status < 200 || t->status > 299 || t->bad_range)
		return 0;
	if (fwrite(p, 1, len, t->spool) != len) {
		t->write_failed = true;
		return 0;
	}
	t->got += (int64_t)len;
	return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt; (void)dn; (void)ut; (void)un;
	atomic_bool *cancel = arg;
	return cancel && atomic_load(cancel) ? 1 : 0;
}

/* ---- spool files -------------------------------------------------------------------- */

struct spool {
	FILE *f;
	char *part, *meta, *done;  /* NULL without a directory */
};

static char *spool_name(const char *dir, const char *a, const char *b, const char *ext)
{
	struct buf s = BUF_INIT;
	buf_printf(&s, "%s\n%s", a, b ? b : "");
	char hex[65];
	sha256_hex_of(s.data, s.len, hex);
	buf_free(&s);
	hex[32] = '\0';
	char *name = xasprintf("%s.%s", hex, ext);
	char *path = path_join(dir, name);
	free(name);
	return path;
}

/* The lines of a small file we wrote: the URL's digest, ETag, Last-Modified[,
 * size]. */
static int read_lines(const char *path, char **lines, int max)
{
	size_t len;
	char *text = file_read_all(path, &len, NULL);
	if (!text)
		return 0;
	int n = 0;
	for (char *p = text, *nl; n < max && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		lines[n++] = xstrdup(p);
	}
	free(text);
	return n;
}

static void free_lines(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
}

/* The partial at `part` (and its .meta) gone if no one has written it for
 * PARTIAL_MAX_AGE and no one has it open (see the top of the file). */
static void prune_if_stale(const char *part, time_t now)
{
	int fd = open(part, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	struct stat st;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && now - st.st_mtime > PARTIAL_MAX_AGE) {
		char *meta = xasprintf("%.*s.meta", (int)(strlen(part) - strlen(".part")), part);
		unlink(part);
		unlink(meta);
		free(meta);
	}
	close(fd);
}

static void prune_partials(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".part") || str_eq(de->d_name, ".part"))
			continue;
		char *part = path_join(dir, de->d_name);
		prune_if_stale(part, now);
		free(part);
	}
	closedir(d);
}

/* The partial at `part`, open and locked exclusively: a second download
 * of the same key waits here until the first is done with it, rather than
 * truncating or appending to the bytes the first is writing.  The lock is
 * taken before anything is read or truncated, and on the file the path
 * still names (the download before us may have deleted it, holding the
 * lock, when it finished). */
static FILE *partial_lock(const char *part, atomic_bool *cancel, struct err *e)
{
	for (;;) {
		int fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			sys_fail(e, part);
			return NULL;
		}
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				sys_fail(e, part);
				close(fd);
				return NULL;
			}
			if (!wait_for(50 * USEC_PER_MSEC, cancel)) {
				close(fd);
				err_set(e, ERR_CANCELLED, "download cancelled");
				return NULL;
			}
		}
		struct stat held, named;
		if (fstat(fd, &held) == 0 && stat(part, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
			FILE *f = fdopen(fd, "a+b");
			if (!f) {
				sys_fail(e, part);
				close(fd);
			}
			return f;
		}
		close(fd);        /* deleted or replaced while we waited: again */
	}
}

/* Open the spool: the partial of this URL and key when there is one to
 * resume (*offset its size, *v its validators), else empty. */
static int spool_open(struct spool *s, const char *dir, const char *url, const char *url_id,
		      const char *key, atomic_bool *cancel, int64_t *offset,
		      struct validators *v, struct err *e)
{
	*offset = 0;
	memset(v, 0, sizeof *v);
	if (!dir) {
		s->f = tmpfile();
		if (!s->f)
			return sys_fail(e, "a temporary file for the download");
		return 0;
	}
	if (mkdir_p(dir, 0700, e) < 0)
		return -1;
	prune_partials(dir);
	s->part = spool_name(dir, key, url, "part");
	s->meta = spool_name(dir, key, url, "meta");
	s->done = spool_name(dir, key, NULL, "done");
	/* Ours while open, exclusively: a pruner skips it (its own exclusive
	 * lock lasts an instant), another download of the key waits. */
	s->f = partial_lock(s->part, cancel, e);
	if (!s->f)
		return -1;
	char *lines[3];
	int n = read_lines(s->meta, lines, 3);
	bool same = n == 3 && !strcmp(lines[0], url_id) && (lines[1][0] || lines[2][0]);
	if (same) {
		snprintf(v->etag, sizeof v->etag, "%s", lines[1]);
		snprintf(v->last_modified, sizeof v->last_modified, "%s", lines[2]);
	}
	free_lines(lines, n);
	if (!same && ftruncate(fileno(s->f), 0) < 0)
		return sys_fail(e, s->part);
	fseek(s->f, 0, SEEK_END);
	long at = ftell(s->f);
	*offset = same && at > 0 ? at : 0;
	if (!same && !*offset)
		unlink(s->meta);
	return 0;
}

static void spool_close(struct spool *s, bool keep)
{
	/* Deleted before the lock goes with the close: a download waiting
	 * for it then finds the name gone and starts a partial of its own. */
	if (!keep && s->part) {
		unlink(s->part);
		unlink(s->meta);
	}
	if (s->f)
		fclose(s->f);
	free(s->part);
	free(s->meta);
	free(s->done);
	memset(s, 0, sizeof *s);
}

/* The spool, whole, into the key. */
static int spool_commit(struct spool *s, struct lake *lake, const char *key, int64_t *bytes,
			struct err *e)
{
	if (fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
		return sys_fail(e, "the download's spool file");
	struct lake_writer *w = lake_write_open(lake, key, e);
	if (!w)
		return -1;
	char chunk[65536];
	size_t n;
	*bytes = 0;
	while ((n = fread(chunk, 1, sizeof chunk, s->f)) > 0) {
		if (lake_write(w, chunk, n, e) < 0) {
			lake_write_abort(w);
			return -1;
		}
		*bytes += (int64_t)n;
	}
	if (ferror(s->f)) {
		lake_write_abort(w);
		return sys_fail(e, "reading the download's spool file");
	}
	return lake_write_commit(w, e);
}

/* What to ask on the condition of: the record of the last download of
 * this key when the key is still what it wrote, else the key's time. */
static void conditions(struct lake *lake, const struct spool *s, const char *url_id,
		       const char *key, struct validators *c)
{
	memset(c, 0, sizeof *c);
	struct lake_entry ent;
	struct err e;
	if (lake_stat(lake, key, &ent, &e) < 0)
		return;
	char *lines[4];
	int n = s->done ? read_lines(s->done, lines, 4) : 0;
	bool recorded = n == 4 && ent.size >= 0 && strtoll(lines[3], NULL, 10) == ent.size;
	if (recorded && strcmp(lines[0], url_id)) {
		/* Another URL wrote the key: its validators say nothing of this
		 * one, and a date could pass a different file as unchanged. */
	} else if (recorded) {
		snprintf(c->etag, sizeof c->etag, "%s", lines[1]);
		snprintf(c->last_modified, sizeof c->last_modified, "%s", lines[2]);
	} else if (ent.mtime > 0) {
		http_date(ent.mtime, c->last_modified);
	}
	free_lines(lines, n);
	lake_entry_free(&ent);
}

static void record_done(const struct spool *s, const char *url_id, const struct validators *v,
			int64_t bytes)
{
	if (!s->done)
		return;
	char *text = xasprintf("%s\n%s\n%s\n%lld\n", url_id, v->etag, v->last_modified,
			       (long long)bytes);
	file_write_atomic(s->done, text, strlen(text), NULL);
	free(text);
}

/* ---- one download -------------------------------------------------------------------- */

static struct curl_slist *request_headers(const struct lake_fetch_opts *o, int64_t offset,
					  const struct validators *partial,
					  const struct validators *cond)
{
	struct curl_slist *list = NULL;
	for (size_t i = 0; o->headers && o->headers[i]; i++)
		list = curl_slist_append(list, o->headers[i]);
	char line[VALIDATOR_MAX + 40];
	if (offset > 0) {
		snprintf(line, sizeof line, "Range: bytes=%lld-", (long long)offset);
		list = curl_slist_append(list, line);
		bool strong = partial->etag[0] && strncmp(partial->etag, "W/", 2);
		snprintf(line, sizeof line, "If-Range: %s",
			 strong ? partial->etag : partial->last_modified);
		list = curl_slist_append(list, line);
	} else {
		if (cond->etag[0]) {
			snprintf(line, sizeof line, "If-None-Match: %s", cond->etag);
			list = curl_slist_append(list, line);
		}
		if (cond->last_modified[0]) {
			snprintf(line, sizeof line, "If-Modified-Since: %s", cond->last_modified);
			list = curl_slist_append(list, line);
		}
	}
	return list;
}

static CURLcode transfer_once(struct lake *lake, const char *url, const struct lake_fetch_opts *o,
			      struct transfer *t, struct curl_slist *list, char *errbuf)
{
	t->h = lk_curl_new(lake, url);
	curl_easy_setopt(t->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(t->h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, errbuf);
	if (o->cancel) {
		curl_easy_setopt(t->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(t->h, CURLOPT_XFERINFODATA, o->cancel);
		curl_easy_setopt(t->h, CURLOPT_NOPROGRESS, 0L);
	}
	CURLcode rc = curl_easy_perform(t->h);
	long status = 0;
	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
	t->status = status;
	curl_easy_cleanup(t->h);
	t->h = NULL;
	return rc;
}

static int status_fail(struct err *e, const char *url, long status, usec_t wait)
{
	char *shown = log_mask(url);
	enum err_code code = status == 404 || status == 410 ? ERR_NOTFOUND : ERR_IO;
	if (wait)
		err_set(e, code, "GET %s: HTTP %ld (the server asks to retry after %lld s)", shown,
			status, (long long)(wait / USEC_PER_SEC));
	else
		err_set(e, code, "GET %s: HTTP %ld", shown, status);
	free(shown);
	return -1;
}

static bool interrupted(CURLcode rc)
{
	return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_OPERATION_TIMEDOUT ||
	       rc == CURLE_HTTP2_STREAM || rc == CURLE_COULDNT_CONNECT;
}

int lake_fetch(struct lake *lake, const char *url, const char *key,
	       const struct lake_fetch_opts *o, struct lake_fetch_result *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (!url || !(str_starts_with(url, "http://") || str_starts_with(url, "https://"))) {
		char *shown = log_mask(url ? url : "");
		err_set(e, ERR_INVALID, "cannot download \"%s\": only http:// and https:// URLs",
			shown);
		free(shown);
		return -1;
	}
	if (lake_key_check(key, strlen(key), e) < 0)
		return -1;
	if (!lake_writable(lake))
		return err_set(e, ERR_INVALID, "the lake %s cannot be written", lake_url(lake));
	int attempts = o->attempts > 0 ? o->attempts : DEFAULT_ATTEMPTS;
	usec_t max_wait = o->max_wait > 0 ? o->max_wait : DEFAULT_MAX_WAIT;
	struct spool s = { 0 };
	struct transfer t = { 0 };
	struct validators partial, cond;
	char url_id[65];
	sha256_hex_of(url, strlen(url), url_id);
	if (spool_open(&s, o->spool_dir, url, url_id, key, o->cancel, &t.offset,
		       &partial, e) < 0) {
		spool_close(&s, false);
		return -1;
	}
	if (t.offset > 0 && !partial.etag[0] && !partial.last_modified[0])
		t.offset = 0;
	conditions(lake, &s, url_id, key, &cond);
	out->resumed_from = t.offset;
	int rc = -1;
	bool keep = false;
	for (int attempt = 1;; attempt++) {
		t.spool = s.f;
		t.url_id = url_id;
		t.meta_path = s.meta;
		t.got = 0;
		t.status = 0;
		t.body_seen = t.write_failed = t.bad_range = false;
		t.range_start = -1;
		t.retry_after = 0;
		if (t.offset == 0 && !restart_spool(&t)) {
			sys_fail(e, "the download's spool file");
			break;
		}
		t.restarted = false;
		struct curl_slist *list = request_headers(o, t.offset, &partial, &cond);
		char errbuf[CURL_ERROR_SIZE] = "";
		CURLcode cc = transfer_once(lake, url, o, &t, list, errbuf);
		curl_slist_free_all(list);
		out->transfers = attempt;
		fflush(s.f);
		if (t.write_failed) {
			sys_fail(e, "writing the download's spool file");
			break;
		}
		if (cc == CURLE_ABORTED_BY_CALLBACK) {
			keep = true;
			err_set(e, ERR_CANCELLED, "download cancelled");
			break;
		}
		bool left = attempt < attempts;
		if (t.status == 304 && (cond.etag[0] || cond.last_modified[0]) && t.offset == 0) {
			out->not_modified = true;
			rc = 0;
			break;
		}
		if ((t.status == 416 || t.bad_range) && t.offset > 0 && left) {
			t.offset = 0;        /* the partial is no good: from the start */
			out->restarted = true;
			continue;
		}
		if (t.status == 429 || t.status == 503) {
			if (t.retry_after && t.retry_after <= max_wait && left) {
				out->waited += t.retry_after;
				if (!wait_for(t.retry_after, o->cancel)) {
					keep = t.offset > 0;
					err_set(e, ERR_CANCELLED, "download cancelled");
					break;
				}
				continue;
			}
			keep = t.offset > 0;
			status_fail(e, url, t.status, t.retry_after);
			break;
		}
		if (t.status && (t.status < 200 || t.status > 299)) {
			status_fail(e, url, t.status, 0);
			break;
		}
		if (t.restarted)
			out->restarted = true;
		if (cc == CURLE_OK) {
			rc = spool_commit(&s, lake, key, &out->bytes, e);
			if (rc == 0) {
				record_done(&s, url_id, &t.v, out->bytes);
				if (out->restarted)
					out->resumed_from = 0;
				snprintf(out->etag, sizeof out->etag, "%s", t.v.etag);
			}
			break;
		}
		/* Cut short: keep what came, ask for the rest. */
		t.offset = ftell(s.f);
		if (t.offset > 0 && t.body_seen) {
			partial = t.v;
			if (!partial.etag[0] && !partial.last_modified[0])
				t.offset = 0;     /* nothing to tell its version by */
		}
		keep = t.offset > 0 && s.part != NULL;
		if (!interrupted(cc) || !left) {
			lk_curl_fail(e, "GET", url, cc, errbuf);
			if (keep)
				err_prefix(e, "after %lld bytes (kept to resume): ",
					   (long long)t.offset);
			break;
		}
		out->resumes += t.offset > 0;
		usec_t backoff = (usec_t)(200 * USEC_PER_MSEC) << (attempt < 5 ? attempt - 1 : 4);
		if (!wait_for(backoff, o->cancel)) {
			err_set(e, ERR_CANCELLED, "download cancelled");
			break;
		}
	}
	spool_close(&s, rc < 0 && keep);
	return rc;
}

int lake_download(struct lake *lake, const char *url, const char *key,
		  const char *const *headers, int64_t *bytes, struct err *e)
{
	struct lake_fetch_opts o = { .headers = headers, .attempts = 1 };
	struct lake_fetch_result r;
	int rc = lake_fetch(lake, url, key, &o, &r, e);
	if (bytes)
		*bytes = rc == 0 ? r.bytes : 0;
	return rc;
}
