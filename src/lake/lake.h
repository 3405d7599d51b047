/*
 * lake.h - where extracted and dropped files live.
 *
 * A lake is a flat space of keys ("orders/2026/11/21/120000000000.json")
 * over a directory (`file:DIR`), an S3 bucket (`s3://bucket/prefix`, also
 * S3-compatible stores through an endpoint override) or a web server
 * (`http(s)://base`, read-only).  Every backend offers the same operations:
 * list by prefix, stat, read as a stream, write atomically, delete.
 *
 * Keys are relative, '/'-separated, valid UTF-8, at most 1024 bytes; no
 * segment is empty or starts with '.' (so ".." can never escape the lake,
 * and names starting with '.' stay free for the temporary files of writes
 * in flight), no byte is a control character.  Every function that takes a
 * key checks it and fails with ERR_INVALID before touching anything.
 *
 * Listing and reading never move, change or delete anything; lake_delete()
 * is the only way to remove a file.
 *
 * Threads: a struct lake holds only configuration after lake_open() and may
 * be shared by threads; each reader and writer belongs to one thread at a
 * time.  Network operations block the calling thread (bounded by the
 * timeouts in lake_options).
 *
 * Errors: ERR_INVALID (bad key, bad URL, operation the backend cannot do),
 * ERR_NOTFOUND (no such key; lake root or bucket missing), ERR_TIMEOUT,
 * ERR_IO (everything else, with the HTTP status or system error in the
 * message).  Messages never contain credentials.
 */
#ifndef SLUICE_LAKE_H
#define SLUICE_LAKE_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "core/core.h"

struct lake;
struct lake_reader;
struct lake_writer;

/* Everything but the URL; all fields optional (zero/NULL = default).
 * Strings are copied by lake_open(). */
struct lake_options {
	const char *endpoint;    /* s3: "http://127.0.0.1:9000"; path-style requests
				    to ENDPOINT/BUCKET/KEY.  NULL: AWS, virtual-hosted
				    https://BUCKET.s3.REGION.amazonaws.com/KEY */
	const char *region;      /* s3: default "us-east-1" */
	const char *access_key;  /* s3: NULL = anonymous (unsigned) requests */
	const char *secret_key;  /* registered with log_add_secret(), never shown */
	usec_t connect_timeout;  /* default 10 s */
	usec_t idle_timeout;     /* abort a transfer that receives nothing for this
				    long; whole seconds, default 60 s */
	usec_t timeout;          /* whole request; default 0 = no limit */
};

/* Open "file:DIR" (DIR as given, relative to the current directory; also
 * "file:///abs"), "s3://bucket[/prefix]" or "http(s)://host[/base]".
 * Opening touches nothing: a missing directory or bucket shows at the first
 * operation.  Returns NULL with ERR_INVALID on a URL it cannot use. */
struct lake *lake_open(const char *url, const struct lake_options *opt, struct err *e);
void lake_close(struct lake *lake);
/* The URL as given to lake_open ("s3://acme-lake/totesys"); for display. */
const char *lake_url(const struct lake *lake);
/* false for http(s) lakes: writes and deletes fail with ERR_INVALID. */
bool lake_writable(const struct lake *lake);

/* ---- keys --------------------------------------------------------------- */
/* Check a key of `len` bytes (len, not strlen, so an embedded NUL from a
 * binary source is caught instead of silently shortening the key). */
int  lake_key_check(const char *key, size_t len, struct err *e);
/* "PREFIX/TABLE/YYYY/MM/DD/HHMMSSffffff.EXT" in UTC, so a listing sorts by
 * time.  prefix may be NULL or "" and may end in '/'; ext is given without
 * the dot ("ndjson").  Caller frees.  The result is not checked: the
 * operation that uses it does that. */
char *lake_key_make(const char *prefix, const char *table, usec_t time, const char *ext);

/* ---- listing and metadata ------------------------------------------------- */
struct lake_entry {
	char   *key;
	int64_t size;     /* bytes; -1 when the server does not say (http stat) */
	usec_t  mtime;    /* last modification, 0 when unknown */
};

struct lake_listing {
	struct lake_entry *entries;   /* sorted by key, bytewise */
	size_t len, cap;
};

/* Every key that starts with `prefix` (a plain string prefix, as in S3:
 * "orders/" lists everything below orders/, "orders" also matches
 * "orders_old/x"; "" lists the whole lake).  Appends to `out`, which the
 * caller initialises to zero and frees with lake_listing_free, and sorts it.
 * A prefix that matches nothing is an empty listing; a lake whose directory
 * or bucket does not exist is ERR_NOTFOUND.  http lakes: ERR_INVALID. */
int  lake_list(struct lake *lake, const char *prefix, struct lake_listing *out,
	       struct err *e);
void lake_listing_free(struct lake_listing *l);

/* Size and modification time of one key; ERR_NOTFOUND if absent.
 * out->key is set to a copy of key; free it with lake_entry_free. */
int  lake_stat(struct lake *lake, const char *key, struct lake_entry *out, struct err *e);
void lake_entry_free(struct lake_entry *ent);

/* SHA-256 of the content as 64 lowercase hex digits, streamed (bounded
 * memory); *bytes (may be NULL) receives the size read. */
int  lake_checksum(struct lake *lake, const char *key, char hex[65], int64_t *bytes,
		   struct err *e);

/* ---- reading ---------------------------------------------------------------
 * A reader streams one key in whatever chunks the caller asks for, holding
 * a bounded buffer whatever the file size.  lake_read_open fails with
 * ERR_NOTFOUND when the key does not exist.  lake_read returns the number
 * of bytes placed in buf (> 0), 0 at the end, -1 on error; a transfer cut
 * short is an error, never a silent end. */
struct lake_reader *lake_read_open(struct lake *lake, const char *key, struct err *e);
ssize_t lake_read(struct lake_reader *r, void *buf, size_t n, struct err *e);
void lake_read_close(struct lake_reader *r);

/* ---- writing ---------------------------------------------------------------
 * A write becomes visible whole or not at all: nobody can see a partial
 * file under the key.  file: a temporary file in the key's own directory,
 * fsync, rename over the key, fsync the directory.  s3: the data is spooled
 * to a temporary file (hashing it as it goes) and sent in one PutObject on
 * commit (so one object is at most 5 GiB on AWS).  An existing key is
 * replaced.  lake_write_commit and lake_write_abort free the writer, also on
 * failure; a writer dropped by abort leaves nothing behind. */
struct lake_writer *lake_write_open(struct lake *lake, const char *key, struct err *e);
int  lake_write(struct lake_writer *w, const void *data, size_t n, struct err *e);
int  lake_write_commit(struct lake_writer *w, struct err *e);
/* Commit only where `key` does not exist yet.  0 written; 1 the key held
 * these very bytes already (nothing written: a retried write is
 * idempotent); -1 with ERR_CONFLICT when it holds other bytes (nothing
 * changed), or another error.  file: link(2) of the temporary file, which
 * cannot replace; s3: PutObject with If-None-Match: *.  Extracts write so:
 * two writers of one lake (two environments, two projects) must never
 * replace each other's files. */
int  lake_write_commit_new(struct lake_writer *w, struct err *e);
void lake_write_abort(struct lake_writer *w);
/* Open, write, commit: a small whole object in one call. */
int  lake_put(struct lake *lake, const char *key, const void *data, size_t n, struct err *e);

/* Remove one key; ERR_NOTFOUND if it does not exist (s3 cannot tell and
 * succeeds).  The only call that ever removes anything from a lake. */
int  lake_delete(struct lake *lake, const char *key, struct err *e);

/* ---- downloads -------------------------------------------------------------
 * GET an http(s) URL into `key` of a writable lake, atomically (an error at
 * any point leaves the key as it was).  headers: NULL-terminated array of
 * "Name: value" lines, or NULL; they may carry secrets, which the caller
 * registers with log_add_secret() (URLs and headers in error messages pass
 * through log_mask).  Redirects are followed (at most 5, http and https
 * only).  Any status other than 2xx fails: "GET https://x/y: HTTP 404".
 * Timeouts come from the lake's options.
 *
 * lake_fetch goes further (download.c says how): with spool_dir, a transfer
 * cut short is resumed with Range (also by a later call for the same URL
 * and key), and when the key exists the request is conditional
 * (If-None-Match, If-Modified-Since; a 304 writes nothing and sets
 * not_modified); 429/503 with a Retry-After up to max_wait are waited out
 * and tried again.  lake_download is one plain transfer. */
struct lake_fetch_opts {
	const char *const *headers;
	const char *spool_dir;    /* local directory for partials and validators; NULL:
				     a temporary file, nothing kept between calls */
	int    attempts;          /* transfers at most, resumes and waits included;
				     default 5 */
	usec_t max_wait;          /* longest Retry-After waited out; default 10 min */
	atomic_bool *cancel;      /* stops a transfer or a wait when set; may be NULL */
};

struct lake_fetch_result {
	int64_t bytes;            /* size of the file written */
	bool    not_modified;     /* 304: the key is unchanged, nothing written */
	bool    restarted;        /* a partial was dropped: the server sent it whole */
	int64_t resumed_from;     /* bytes of an earlier call's partial, resumed */
	int     resumes;          /* transfers of this call that resumed a partial */
	int     transfers;
	usec_t  waited;           /* waiting out Retry-After */
	char    etag[256];        /* of the file written, "" when none */
};

int lake_fetch(struct lake *lake, const char *url, const char *key,
	       const struct lake_fetch_opts *o, struct lake_fetch_result *out, struct err *e);
/* One plain transfer; *bytes (may be NULL) receives the size written. */
int lake_download(struct lake *lake, const char *url, const char *key,
		  const char *const *headers, int64_t *bytes, struct err *e);

/* ---- libcurl ---------------------------------------------------------------
 * Every libcurl handle in sluice starts here (the lake's transfers and
 * notify's Slack, webhook and SMTP sends): libcurl initialised once, no
 * signals, sluice's User-Agent, and only `protocols` ("http,https",
 * "smtp,smtps": libcurl's CURLOPT_PROTOCOLS_STR list) allowed, for the
 * request and for any redirect, so a URL from the environment can never
 * reach file:// or another scheme.  Aborts when out of memory. */
CURL *lake_curl_handle(const char *url, const char *protocols);

#endif
