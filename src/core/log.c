/*
 * log.c - structured log records, fanned out to sinks, secrets masked.
 *
 * Sinks are the extension point: main() adds a text sink for stderr or a
 * file, the store adds one that persists records, the engine one that
 * wakes the console.  Masking happens here, once, before any sink runs,
 * so no sink can leak a registered secret.  A failed BUG_ON reports
 * through the text sinks here too, masked the same way.
 */
#include "core.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <execinfo.h>
#endif

#define MAX_SINKS 8
#define MAX_SECRETS 32

struct sink {
	bool used;
	enum log_level min;
	log_sink_fn fn;
	void *arg;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sink sinks[MAX_SINKS];
static char *secrets[MAX_SECRETS];
static _Thread_local bool inside_sink;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

const char *log_level_name(enum log_level l)
{
	return (unsigned)l < ARRAY_LEN(level_names) ? level_names[l] : "INFO";
}

bool log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return true;
	}
	return false;
}

int log_add_sink(enum log_level min, log_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	int id = -1;
	for (int i = 0; i < MAX_SINKS; i++) {
		if (!sinks[i].used) {
			sinks[i] = (struct sink){ true, min, fn, arg };
			id = i;
			break;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return id;
}

void log_remove_sink(int id)
{
	if (id < 0 || id >= MAX_SINKS)
		return;
	pthread_mutex_lock(&log_lock);
	sinks[id].used = false;
	pthread_mutex_unlock(&log_lock);
}

void log_add_secret(const char *secret)
{
	/* Very short strings would mask ordinary words and hide nothing. */
	if (!secret || strlen(secret) < 4)
		return;
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < MAX_SECRETS; i++) {
		if (secrets[i] && strcmp(secrets[i], secret) == 0)
			break;
		if (!secrets[i]) {
			secrets[i] = xstrdup(secret);
			break;
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void log_clear_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < MAX_SECRETS; i++) {
		free(secrets[i]);
		secrets[i] = NULL;
	}
	pthread_mutex_unlock(&log_lock);
}

/* Caller holds log_lock. */
static char *mask_locked(const char *s)
{
	struct buf out = BUF_INIT;
	buf_puts(&out, s ? s : "");
	for (int i = 0; i < MAX_SECRETS && secrets[i]; i++) {
		size_t slen = strlen(secrets[i]);
		char *hit;
		size_t from = 0;
		while ((hit = strstr(out.data + from, secrets[i])) != NULL) {
			size_t at = (size_t)(hit - out.data);
			struct buf next = BUF_INIT;
			buf_append(&next, out.data, at);
			buf_puts(&next, "****");
			buf_puts(&next, out.data + at + slen);
			buf_free(&out);
			out = next;
			from = at + 4;
		}
	}
	return buf_detach(&out);
}

char *log_mask(const char *s)
{
	pthread_mutex_lock(&log_lock);
	char *m = mask_locked(s);
	pthread_mutex_unlock(&log_lock);
	return m;
}

void log_emit(enum log_level level, int64_t run_id, const char *step,
	      const char *object, const struct log_field *fields, size_t nfields,
	      const char *fmt, ...)
{
	/* A sink that logs (the store reporting its own failure) must not
	 * recurse into the sinks or deadlock on the lock. */
	if (inside_sink)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	char *message = mask_locked(raw);
	struct log_field masked[16];
	char *values[16];
	size_t n = nfields < 16 ? nfields : 16;
	for (size_t i = 0; i < n; i++) {
		values[i] = mask_locked(fields[i].value);
		masked[i].key = fields[i].key;
		masked[i].value = values[i];
	}
	struct log_record rec = {
		.time = clock_now_us(), .level = level, .run_id = run_id,
		.step = step, .object = object, .message = message,
		.fields = masked, .nfields = n,
	};
	inside_sink = true;
	for (int i = 0; i < MAX_SINKS; i++)
		if (sinks[i].used && level >= sinks[i].min)
			sinks[i].fn(&rec, sinks[i].arg);
	inside_sink = false;
	pthread_mutex_unlock(&log_lock);

	for (size_t i = 0; i < n; i++)
		free(values[i]);
	free(message);
	free(raw);
}

static void text_sink(const struct log_record *rec, void *arg)
{
	FILE *fp = arg ? arg : stderr;
	char when[32];
	time_format_iso(rec->time, when);
	fprintf(fp, "%s %-5s", when, log_level_name(rec->level));
	if (rec->run_id)
		fprintf(fp, " [run %lld%s%s]", (long long)rec->run_id,
			rec->step ? " " : "", rec->step ? rec->step : "");
	if (rec->object)
		fprintf(fp, " %s:", rec->object);
	fprintf(fp, " %s", rec->message);
	for (size_t i = 0; i < rec->nfields; i++)
		fprintf(fp, " %s=%s", rec->fields[i].key, rec->fields[i].value);
	fputc('\n', fp);
	fflush(fp);
}

log_sink_fn log_text_sink(void)
{
	return text_sink;
}

/* Newlines would make one record several journal entries. */
static void put_one_line(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", fp);
		else if (*s != '\r')
			fputc(*s, fp);
	}
}

static void journal_sink(const struct log_record *rec, void *arg)
{
	static const int prefix[] = { 7, 6, 4, 3 };   /* DEBUG INFO WARN ERROR */
	FILE *fp = arg ? arg : stderr;
	int level = (unsigned)rec->level < ARRAY_LEN(prefix) ? prefix[rec->level] : 6;
	fprintf(fp, "<%d>", level);
	if (rec->run_id)
		fprintf(fp, "[run %lld%s%s] ", (long long)rec->run_id,
			rec->step ? " " : "", rec->step ? rec->step : "");
	if (rec->object)
		fprintf(fp, "%s: ", rec->object);
	put_one_line(fp, rec->message);
	for (size_t i = 0; i < rec->nfields; i++) {
		fprintf(fp, " %s=", rec->fields[i].key);
		put_one_line(fp, rec->fields[i].value);
	}
	fputc('\n', fp);
	fflush(fp);
}

log_sink_fn log_journal_sink(void)
{
	return journal_sink;
}

void log_stderr_moved(void)
{
	bool journal = env_journal_stderr();
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < MAX_SINKS; i++)
		if (sinks[i].used && sinks[i].arg == stderr &&
		    (sinks[i].fn == text_sink || sinks[i].fn == journal_sink))
			sinks[i].fn = journal ? journal_sink : text_sink;
	pthread_mutex_unlock(&log_lock);
}

/* ---- BUG_ON ------------------------------------------------------------------ */

/* The lock, if it can be had within a second: the failing thread may hold
 * a lock a sink of another thread is waiting for, and a BUG must abort, not
 * hang.  Inside a sink this thread holds it already.  Without it, masking
 * still reads the secrets, which are registered at start-up. */
static bool bug_lock(void)
{
	if (inside_sink)
		return false;
	for (int i = 0; i < 100; i++) {
		if (pthread_mutex_trylock(&log_lock) == 0)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return false;
}

/* The path from the top of the source tree, whether the compiler saw it
 * as "../src/engine/sched.c" or "/home/me/sluice/src/engine/sched.c". */
static const char *bug_path(const char *file)
{
	static const char *const tops[] = { "src/", "tests/" };
	const char *best = NULL;
	for (size_t i = 0; i < ARRAY_LEN(tops); i++)
		for (const char *p = strstr(file, tops[i]); p; p = strstr(p + 1, tops[i]))
			if ((p == file || p[-1] == '/') && (!best || p > best))
				best = p;
	return best ? best : file;
}

/* A short backtrace: addresses and, where the binary has them, symbols. */
static void bug_backtrace(FILE *fp)
{
#if defined(__GLIBC__)
	void *frames[24];
	int n = backtrace(frames, (int)ARRAY_LEN(frames));
	fflush(fp);
	backtrace_symbols_fd(frames, n, fileno(fp));
#else
	(void)fp;
#endif
}

/* Only the text sinks hear of it: the store's and the engine's sinks take
 * locks the failing code may hold, and their state is what is in doubt. */
static void (*_Atomic bug_hook)(void);

void bug_set_hook(void (*fn)(void))
{
	bug_hook = fn;
}

void bug_fail(const char *file, int line, const char *func, const char *what)
{
	void (*hook)(void) = atomic_exchange(&bug_hook, NULL);
	if (hook)
		hook();
	char text[1024];
	snprintf(text, sizeof text, "BUG at %s:%d in %s(): %s", bug_path(file), line,
		 func, what);
	bool locked = bug_lock();
	char *message = mask_locked(text);
	struct log_record rec = {
		.time = clock_now_us(), .level = LOG_ERROR, .message = message,
	};
	bool on_stderr = false;
	for (int i = 0; i < MAX_SINKS; i++) {
		if (!sinks[i].used || (sinks[i].fn != text_sink && sinks[i].fn != journal_sink))
			continue;
		FILE *fp = sinks[i].arg ? sinks[i].arg : stderr;
		text_sink(&rec, fp);
		bug_backtrace(fp);
		on_stderr |= fp == stderr;
	}
	if (!on_stderr) {
		fprintf(stderr, "sluice: %s\n", message);
		bug_backtrace(stderr);
	}
	fflush(NULL);
	if (locked)
		pthread_mutex_unlock(&log_lock);
	abort();
}
