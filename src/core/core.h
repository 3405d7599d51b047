/*
 * core.h - the ground every other module stands on.
 *
 * Memory helpers that never return NULL, the one error type every fallible
 * function fills in, growable buffers and vectors, time (with a clock that
 * tests can replace), structured logging with secret masking, and a JSON
 * position index that lets error messages point at FILE:LINE:COL.
 *
 * Nothing here knows about projects, databases or the console; the
 * dependency arrow only points into core.  Thread safety: everything is
 * safe to call from any thread unless a comment says otherwise.
 */
#ifndef SLUICE_CORE_H
#define SLUICE_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

#define UNUSED __attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory ------------------------------------------------------------
 * Allocation failure aborts with a message: there is no sensible recovery
 * for a console or an engine that cannot allocate a few bytes. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);          /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);

/* ---- errors ------------------------------------------------------------
 * One error type for the whole program.  A fallible function takes a
 * `struct err *` (which may be NULL when the caller does not care), fills
 * it in and returns -1 (or NULL).  `where` says where in the *input* the
 * problem is (FILE:LINE:COL, a key path, a table.column); `msg` says what.
 * Errors are values: nothing below main() prints them. */
enum err_code {
	ERR_OK = 0,
	ERR_IO,          /* file system, network, terminal */
	ERR_PARSE,       /* malformed input: JSON, CSV, cron, command */
	ERR_INVALID,     /* well-formed but not allowed (bad parameter, ...) */
	ERR_NOTFOUND,    /* no such flow, run, table, file */
	ERR_CONFLICT,    /* already running, already exists, state forbids it */
	ERR_READONLY,    /* refused: read-only mode */
	ERR_DB,          /* a database said no */
	ERR_CANCELLED,   /* the operator or a signal stopped it */
	ERR_TIMEOUT,
	ERR_VERSION,     /* a store or file from a newer sluice */
	ERR_INTERNAL,
};

struct err {
	enum err_code code;
	char where[256];
	char msg[1024];
};

/* Set code and message; clears `where`.  Returns -1 for `return err_set()`. */
int  err_set(struct err *e, enum err_code code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Set code, location and message.  Returns -1. */
int  err_at(struct err *e, enum err_code code, const char *where,
	    const char *fmt, ...) PRINTF_LIKE(4, 5);
/* Put context in front of the message: "loading pipe orders: " + msg. */
void err_prefix(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
void err_clear(struct err *e);
/* "where: msg" or "msg"; the pointer lives in a thread-local buffer that
 * the next call overwrites. */
const char *err_text(const struct err *e);
const char *err_code_name(enum err_code code);

/* ---- invariants ---------------------------------------------------------
 * BUG_ON is for what cannot happen: a value of an enum that no code
 * produces, a NULL after a call that promised an object, an index the
 * caller guarantees.  A broken invariant means the program's own state is
 * wrong and carrying on could write wrong data, so BUG_ON logs where
 * (file:line, function, the condition) and a short backtrace, flushes the
 * log and aborts.  Whatever bad input, a server, a file or a user can cause
 * is an error (struct err), never BUG_ON (doc/architecture.md, "Errors"). */
void bug_fail(const char *file, int line, const char *func, const char *what)
	__attribute__((noreturn));
#define BUG_ON(cond) \
	do { \
		if (__builtin_expect(!!(cond), 0)) \
			bug_fail(__FILE__, __LINE__, __func__, #cond); \
	} while (0)
/* For a branch that cannot be reached: BUG("no such step kind"). */
#define BUG(msg) bug_fail(__FILE__, __LINE__, __func__, (msg))
/* Runs `fn` once, first, when a BUG fires, so the message lands where it
 * can be read: the console gives the terminal back (endwin) this way.
 * NULL removes it. */
void bug_set_hook(void (*fn)(void));

/* ---- growable byte buffer, always NUL-terminated -------------------------- */
struct buf {
	char  *data;   /* NULL until the first append */
	size_t len;
	size_t cap;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
void buf_reserve(struct buf *b, size_t extra);
void buf_reset(struct buf *b);          /* len = 0, keeps memory */
void buf_free(struct buf *b);
char *buf_detach(struct buf *b);        /* caller owns the string; b is reset */
const char *buf_str(const struct buf *b); /* "" when empty */

/* ---- vector of pointers ---------------------------------------------------
 * The vector owns its array, not the items, unless vec_free_all is used. */
struct vec {
	void  **items;
	size_t  len;
	size_t  cap;
};
#define VEC_INIT { NULL, 0, 0 }
void  vec_push(struct vec *v, void *item);
void *vec_pop(struct vec *v);
void  vec_remove(struct vec *v, size_t i);   /* keeps order */
void  vec_clear(struct vec *v);
void  vec_free(struct vec *v);
void  vec_free_all(struct vec *v, void (*free_item)(void *));
void  vec_sort(struct vec *v, int (*cmp)(const void *a, const void *b));

/* ---- sets of strings --------------------------------------------------------
 * Which keys have been seen and how often, in constant time per key however
 * many there are (duplicate checks over objects of any size).  Keys are
 * borrowed: they must outlive the set. */
struct keyset_slot {
	const char *key;
	size_t count;
};
struct keyset {
	struct keyset_slot *slots;
	size_t cap, n;
	struct keyset_slot few[16];
};
#define KEYSET_INIT { 0 }
/* How many times `key` was added before: 0 the first time. */
size_t keyset_add(struct keyset *ks, const char *key);
void  keyset_free(struct keyset *ks);                   /* the set is empty after */

/* ---- strings --------------------------------------------------------------- */
bool  str_starts_with(const char *s, const char *prefix);
bool  str_ends_with(const char *s, const char *suffix);
bool  str_eq(const char *a, const char *b);       /* NULL-safe */
char *str_trim(char *s);                           /* in place */
/* Split on any of `seps`, skipping empty fields; items are owned by the vec. */
void  str_split(const char *s, const char *seps, struct vec *out);
/* Length of the UTF-8 sequence at p (1..4; 1 for ASCII), or 0 when it is
 * ill-formed (overlong, a surrogate, above U+10FFFF, cut short). */
size_t utf8_seq_len(const unsigned char *p, size_t avail);
/* Append code point cp (at most U+10FFFF) as UTF-8. */
void  utf8_put(struct buf *b, uint32_t cp);
/* Length of the valid UTF-8 prefix of s[0..n); == n when all valid. */
size_t utf8_valid_prefix(const char *s, size_t n);
/* Display width of a UTF-8 string (one column per code point, two for wide). */
int   utf8_width(const char *s);
bool  str_is_identifier(const char *s);            /* [A-Za-z_][A-Za-z0-9_]* */
/* Parse a whole decimal integer; false on junk, overflow or empty. */
bool  str_to_i64(const char *s, int64_t *out);
bool  str_to_double(const char *s, double *out);
/* The same read as C reads it, whatever LC_NUMERIC says ("0.25", never "0,25"). */
bool  str_to_double_c(const char *s, double *out);
/* Line and column (1-based, column in characters) of byte offset `off`. */
void  str_line_col(const char *text, size_t off, int *line, int *col);

/* ---- time -------------------------------------------------------------------
 * All times are microseconds since the Unix epoch, UTC.  clock_now_us() reads
 * the replaceable clock so schedule tests need no sleeps. */
typedef int64_t usec_t;
#define USEC_PER_SEC  INT64_C(1000000)
#define USEC_PER_MSEC INT64_C(1000)
usec_t clock_now_us(void);
usec_t clock_monotonic_us(void);                 /* never replaced */
void   clock_set_source(usec_t (*now)(void));    /* NULL restores the real clock */
/* t as UTC calendar fields, and in *frac the microseconds into its second
 * (0 to 999999, also before 1970). */
struct tm;
void   time_split_utc(usec_t t, struct tm *tm, long *frac);
/* "2026-11-21T13:05:09.123456Z"; out needs 32 bytes. */
void   time_format_iso(usec_t t, char out[32]);
/* "2026-11-21 13:05:09" in UTC; out needs 24 bytes. */
void   time_format_short(usec_t t, char out[24]);
/* Accepts "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|+HH:MM]". */
bool   time_parse_iso(const char *s, usec_t *out);
/* "just now", "42s ago", "3m ago", "5h ago", "2d ago", or "in 3m". */
void   time_format_relative(usec_t now, usec_t t, char *out, size_t n);
/* "850ms", "12.3s", "4m05s", "2h10m". */
void   duration_format(usec_t d, char *out, size_t n);
/* "5s", "10 minutes", "every 2h", "1.5s" -> microseconds.  False for a
 * number that is not finite or a duration beyond usec_t (292,000 years). */
bool   duration_parse(const char *s, usec_t *out);

/* ---- calendar (calendar.c) ---------------------------------------------------
 * Proleptic Gregorian civil dates as day numbers, day 0 = 1970-01-01: the
 * one copy that cron, time zones, value parsing and the demo use. */
int64_t cal_days_from_civil(int64_t y, int m, int d);
void    cal_civil_from_days(int64_t z, int64_t *y, int *m, int *d);
bool    cal_is_leap_year(int64_t y);
int     cal_days_in_month(int64_t y, int m);
int     cal_weekday_of_days(int64_t z);      /* 0 = Sunday */
/* Division rounding toward minus infinity (b > 0 or b < 0). */
int64_t cal_floor_div(int64_t a, int64_t b);

/* ---- structured logging -----------------------------------------------------
 * A record carries level, time, run, step, object, message and key=value
 * fields.  Sinks receive every record at or above their level; the store
 * and the engine's event queue attach themselves as sinks from above, so
 * core does not depend on them.  Every registered secret is replaced by
 * "****" in messages and fields before any sink sees them. */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct log_field {
	const char *key;
	const char *value;
};

struct log_record {
	usec_t       time;
	enum log_level level;
	int64_t      run_id;     /* 0 when none */
	const char  *step;       /* NULL when none */
	const char  *object;     /* "pipe:orders", "task:hourly", NULL */
	const char  *message;
	const struct log_field *fields;
	size_t       nfields;
};

typedef void (*log_sink_fn)(const struct log_record *rec, void *arg);

const char *log_level_name(enum log_level l);     /* "INFO" */
bool  log_level_parse(const char *s, enum log_level *out);
/* Sinks are registered at start-up, before threads exist. */
int   log_add_sink(enum log_level min, log_sink_fn fn, void *arg);
void  log_remove_sink(int id);
/* A stderr/file sink that prints "TIME LEVEL [run N step] object: msg k=v". */
log_sink_fn log_text_sink(void);                  /* arg is a FILE * */
/* For journald: "<6>[run N step] object: msg k=v", one record a line (a
 * newline in a message is written as "\\n"), the level as sd-daemon's
 * prefix <3> error, <4> warning, <6> info, <7> debug; no time (the
 * journal keeps its own). */
log_sink_fn log_journal_sink(void);               /* arg is a FILE * */
/* Stderr now points elsewhere (a daemon's log file): the sinks writing to
 * it take journald's form only if it is still the journal's stream
 * (env_journal_stderr), the text form otherwise.  Before threads exist. */
void  log_stderr_moved(void);
void  log_add_secret(const char *secret);         /* copied; ignored if < 4 chars */
void  log_clear_secrets(void);
/* Replace every registered secret in s; returns a new string. */
char *log_mask(const char *s);

void  log_emit(enum log_level level, int64_t run_id, const char *step,
	       const char *object, const struct log_field *fields, size_t nfields,
	       const char *fmt, ...) PRINTF_LIKE(7, 8);
#define log_debug(...) log_emit(LOG_DEBUG, 0, NULL, NULL, NULL, 0, __VA_ARGS__)
#define log_info(...)  log_emit(LOG_INFO,  0, NULL, NULL, NULL, 0, __VA_ARGS__)
#define log_warn(...)  log_emit(LOG_WARN,  0, NULL, NULL, NULL, 0, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERROR, 0, NULL, NULL, NULL, 0, __VA_ARGS__)

/* ---- hashing ----------------------------------------------------------------
 * SHA-256 and HMAC-SHA256 from libcrypto (digest.c): file checksums in load
 * history, step cache keys, and AWS SigV4 request signing.  A context
 * holds libcrypto state from sha256_init until sha256_final, which frees
 * it; one abandoned before its final goes through sha256_free (which
 * takes a finished or zeroed context too). */
struct sha256 {
	struct evp_md_ctx_st *md;
};
void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, uint8_t digest[32]);
void sha256_free(struct sha256 *c);
void sha256_hex(const uint8_t digest[32], char out[65]);
/* One-shot helpers: hex digest of a buffer; HMAC of a message. */
void sha256_hex_of(const void *data, size_t n, char out[65]);
void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
		 uint8_t out[32]);

/* ---- the environment (env.c) -------------------------------------------------- */
enum env_xdg { ENV_XDG_DATA, ENV_XDG_STATE };
/* sluice's own directory under $XDG_DATA_HOME or $XDG_STATE_HOME when that
 * is an absolute path (a relative one is ignored, as the XDG base directory
 * specification says), else under ~/.local/share or ~/.local/state; NULL
 * when neither it nor HOME is set.  Not created.  Caller frees. */
char *env_xdg_dir(enum env_xdg which);
/* NO_COLOR is set and not empty (no-color.org). */
bool  env_no_color(void);
/* Whether stderr is the journal stream systemd set up (JOURNAL_STREAM). */
bool  env_journal_stderr(void);
/* Where TZif zone files are read: $TZDIR, else /usr/share/zoneinfo. */
const char *env_tzdir(void);

/* ---- files ------------------------------------------------------------------ */
/* Read a whole (small) file; NUL-terminated.  For project and SQL files only. */
char *file_read_all(const char *path, size_t *len, struct err *e);
/* Write via temp file + fsync + rename, so readers see old or new, never half. */
int   file_write_atomic(const char *path, const void *data, size_t len, struct err *e);
/* All n bytes to fd, again after a signal; -1 with errno on failure. */
int   fd_write_all(int fd, const void *data, size_t n);
int   mkdir_p(const char *path, int mode, struct err *e);
bool  file_exists(const char *path);
/* Create `path` empty with mode 0600 (less by the umask) unless it exists,
 * whatever its mode then; for files that hold what other users must not
 * read (the control store, logs). */
int   file_create_private(const char *path, struct err *e);
/* fopen(path, "a") for a log, created 0600 when new. */
FILE *file_open_log(const char *path);
/* Join dir and name unless name is absolute; caller frees. */
char *path_join(const char *dir, const char *name);
char *path_dirname(const char *path);

/* ---- line diff (linediff.c) ---------------------------------------------------- */
/* old_text against new_text, every line of both once, each marked in its
 * first column: ' ' in both, '-' only in old, '+' only in new; newline
 * ended.  *changes counts the marked lines.  Caller frees. */
char *linediff(const char *old_text, const char *new_text, int *changes);

#endif
