/*
 * project.h - the project file (sluice.json) as a typed model.
 *
 * project_load() reads the file, applies the selected environment's
 * overrides, and checks everything that does not need a live database:
 * structure and types, unique names, references between objects,
 * schedules, cron expressions, `when` conditions, SQL files on disk and
 * secrets.  Every problem becomes a diagnostic with FILE:LINE:COL and the
 * key path; loading goes on after a problem so that all are reported.
 *
 * Step kinds own their own settings: the model keeps each step's common
 * fields (name, kind, needs, retries, timeout, cache) and its JSON object,
 * which steps/ parses and validates through the diag helpers below.  That
 * way a new step kind touches only its own file in steps/.
 *
 * Ownership: a struct project owns everything reachable from it, including
 * the cJSON tree the step specs point into.  It is immutable after load
 * and may be shared read-only between threads.
 */
#ifndef SLUICE_PROJECT_H
#define SLUICE_PROJECT_H

#include <cjson/cJSON.h>

#include "core/core.h"

/* ---- diagnostics ---------------------------------------------------------- */
enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_severity severity;
	char *file;       /* the project file, as given */
	int   line, col;  /* 0 when unknown */
	char *path;       /* "flows[1].steps[0].kind"; "" for the whole file */
	char *message;
};

struct diags {
	struct vec items;     /* struct diag * */
	size_t errors, warnings;
};

void diags_init(struct diags *d);
void diags_free(struct diags *d);
/* "sluice.json:14:17: flows[1].steps[0].kind: unknown kind ..." plus
 * "warning: " for warnings.  Caller frees. */
char *diag_format(const struct diag *d);
/* Sort by line and column, for output in file order. */
void diags_sort(struct diags *d);

/* ---- the model ------------------------------------------------------------- */
struct project_connection {
	char *name;
	char *url;             /* after environment overrides; never holds a password */
	char *password_env;    /* name of the variable holding the password, or NULL */
	bool  read_only;
	char *path;            /* "connections.warehouse", for diagnostics */
};

struct project_lake {
	char *url;             /* "file:DIR" (DIR resolved against the project dir),
				  "s3://bucket/prefix", "http(s)://..." */
	char *endpoint;        /* S3-compatible endpoint override, or NULL */
	char *region;
	char *access_key_env;
	char *secret_key_env;
};

enum pipe_format { FORMAT_NDJSON, FORMAT_JSON, FORMAT_CSV };
enum on_error { ON_ERROR_SKIP_FILE, ON_ERROR_CONTINUE, ON_ERROR_ABORT };

/* A declared column of a raw table: name, SQL type, and the JSON key or CSV
 * header it comes from (defaults to the name). */
struct project_column {
	char *name;
	char *type;            /* "integer", "numeric(10,2)", "text", ... */
	char *source;
};

struct project_pipe {
	char *name;
	char *path;            /* lake prefix, "orders/" */
	char *pattern;         /* glob on the key's last part; default "*" */
	enum pipe_format format;
	char *connection;
	char *table;
	enum on_error on_error;
	usec_t poll;           /* default 30s */
	struct project_column *columns;   /* optional; inferred when absent */
	size_t ncolumns;
	char  csv_delimiter;   /* default ',' */
	char *path_in_file;    /* "pipes[0]" */
};

enum stream_mode { STREAM_APPEND_ONLY, STREAM_DEFAULT };

struct project_stream {
	char *name;
	char *connection;
	char *table;
	enum stream_mode mode;
	char *offset_column;    /* append_only: monotonically increasing column
				   (default "_sluice_id", which pipes create) */
	char *watermark_column; /* default mode: "last_updated" */
	char *path_in_file;
};

enum schedule_kind { SCHEDULE_NONE, SCHEDULE_INTERVAL, SCHEDULE_CRON };

/* Five-field cron: minute hour day-of-month month day-of-week. */
struct cron {
	uint64_t minutes;      /* bit i = minute i */
	uint32_t hours;
	uint32_t days;         /* bit d = day d (1..31) */
	uint16_t months;       /* bit m = month m (1..12) */
	uint8_t  weekdays;     /* bit w = weekday w (0 = Sunday) */
	bool     any_day, any_weekday;  /* "*" in those fields (cron's OR rule) */
};

struct schedule {
	enum schedule_kind kind;
	usec_t interval;       /* SCHEDULE_INTERVAL */
	struct cron cron;      /* SCHEDULE_CRON */
	char  *timezone;       /* IANA name; NULL = UTC */
	char  *text;           /* as written, for display */
};

/* A `when` condition, parsed: stream_has_data(S), stream_rows(S) > N,
 * comparisons, and/or/not, parentheses. */
enum cond_op {
	COND_NUMBER, COND_CALL, COND_NOT, COND_AND, COND_OR,
	COND_LT, COND_LE, COND_GT, COND_GE, COND_EQ, COND_NE,
};
struct cond {
	enum cond_op op;
	double number;         /* COND_NUMBER */
	char  *func, *arg;     /* COND_CALL: "stream_rows", "orders_stream" */
	struct cond *left, *right;
};

struct project_kv {
	char *key;
	char *value;           /* NULL = JSON null */
};

struct project_task {
	char *name;
	struct schedule schedule;
	struct cond *when;     /* NULL = always */
	char *when_text;
	char **after;          /* names of tasks this one follows */
	size_t nafter;
	char *flow;            /* action: run a flow ... */
	struct project_kv *params;
	size_t nparams;
	char *sql_file;        /* ... or run a SQL file (resolved path) */
	char *connection;      /* for sql_file */
	int   max_failures;    /* auto-suspend after this many in a row; default 10 */
	bool  allow_overlap;   /* default false: a tick during a run is SKIPPED */
	bool  start_suspended;
	char *path_in_file;
};

enum param_type {
	PARAM_TEXT, PARAM_INT, PARAM_NUMERIC, PARAM_BOOL, PARAM_DATE, PARAM_TIMESTAMP,
};

struct project_param {
	char *name;
	enum param_type type;
	char *default_value;   /* NULL = required */
	bool  has_default;
	char *description;
};

struct retry_policy {
	int    count;          /* retries after the first attempt; default 0 */
	usec_t delay;          /* default 10s */
	bool   exponential;    /* delay * 2^(attempt-1) */
	usec_t max_delay;      /* cap for exponential; default 1h */
	double jitter;         /* 0..1: +/- this fraction at random */
};

enum step_kind {
	STEP_EXTRACT, STEP_INGEST, STEP_NORMALIZE, STEP_SQL, STEP_VALIDATE,
	STEP_LOAD, STEP_HTTP, STEP_NOTIFY,
	STEP_KIND_COUNT
};

struct project_step {
	char *name;
	enum step_kind kind;
	char **needs;
	size_t nneeds;
	usec_t timeout;        /* 0 = none */
	bool   has_retries;    /* else the flow's policy applies */
	struct retry_policy retries;
	usec_t cache_expire;   /* 0 = not cached */
	const cJSON *spec;     /* the step's JSON object; kind-specific keys */
	char *path_in_file;    /* "flows[1].steps[0]" */
};

enum concurrency_policy { CONCURRENCY_WAIT, CONCURRENCY_REFUSE };

struct project_flow {
	char *name;
	char *description;
	struct project_param *params;
	size_t nparams;
	struct project_step *steps;
	size_t nsteps;
	struct retry_policy retries;
	usec_t timeout;               /* whole run; 0 = none */
	int    concurrency;           /* default 1 */
	enum concurrency_policy on_limit;
	char **notify;                /* notification channels for this flow */
	size_t nnotify;
	char *path_in_file;
};

enum notify_event {
	NOTIFY_RUN_FAILED = 1 << 0,
	NOTIFY_TASK_SUSPENDED = 1 << 1,
	NOTIFY_BACKFILL_WAITING = 1 << 2,
	NOTIFY_PIPE_FILE_FAILED = 1 << 3,
};

struct project_channel {
	char *name;
	char *webhook_env;     /* variable holding the Slack webhook URL (a secret) */
	unsigned events;       /* enum notify_event bits */
	char *path_in_file;
};

enum table_kind {
	TABLE_RAW, TABLE_STAGING, TABLE_TEMP, TABLE_DIMENSION, TABLE_FACT,
	TABLE_BACKFILL, TABLE_OLD, TABLE_OTHER,
};

struct project_table {
	char *name;
	char *connection;
	enum table_kind kind;
	char *description;
	char **key;            /* primary/business key columns */
	size_t nkey;
	struct project_kv *column_notes;  /* column -> description */
	size_t ncolumn_notes;
};

struct project_env {
	char *name;
	bool  read_only;
	bool  production;
};

struct project {
	char *file;            /* path as given */
	char *dir;             /* directory of the file; relative paths resolve here */
	char *name;            /* "project" key, default: the directory's name */
	char *control_url;     /* control store URL; default sqlite:DIR/.sluice/control.db */
	struct project_env env;        /* the selected environment ("default" if none) */
	char **env_names;              /* every declared environment */
	size_t nenv_names;
	struct project_connection *connections; size_t nconnections;
	struct project_lake lake;
	struct project_pipe *pipes;     size_t npipes;
	struct project_stream *streams; size_t nstreams;
	struct project_task *tasks;     size_t ntasks;
	struct project_flow *flows;     size_t nflows;
	struct project_channel *channels; size_t nchannels;
	struct project_table *tables;   size_t ntables;

	/* private to project/: the parsed text and its position index */
	cJSON *root;
	struct jpos *positions;
};

/* Load and check `file` for environment `env` (NULL = none).  Problems go
 * to `diags`.  Returns NULL (and ERR_IO) only when the file cannot be read
 * or is not JSON at all; with a readable file it returns a project even
 * when diags holds errors, so every problem can be shown.  Callers that
 * need a valid project check diags->errors. */
struct project *project_load(const char *file, const char *env,
			     struct diags *diags, struct err *e);
void project_free(struct project *p);

/* Add a diagnostic at a key path of this project's file. */
void project_diag(const struct project *p, struct diags *d, enum diag_severity s,
		  const char *path, const char *fmt, ...) PRINTF_LIKE(5, 6);

/* Typed access to step specs, reporting wrong types as diagnostics at
 * "<step path>.<key>".  They return NULL / the fallback when absent or
 * wrong.  `required` adds a "missing" error when absent. */
const char *spec_string(const struct project *p, const struct project_step *s,
			const char *key, bool required, struct diags *d);
bool spec_bool(const struct project *p, const struct project_step *s,
	       const char *key, bool fallback, struct diags *d);
int64_t spec_int(const struct project *p, const struct project_step *s,
		 const char *key, int64_t fallback, struct diags *d);
/* An array of strings (a lone string counts as one); caller frees the vec's
 * items with free(). */
void spec_strings(const struct project *p, const struct project_step *s,
		  const char *key, bool required, struct vec *out, struct diags *d);
/* Complain about keys of the step other than the common ones and `known`
 * (NULL-terminated). */
void spec_unknown_keys(const struct project *p, const struct project_step *s,
		       const char *const *known, struct diags *d);

/* Lookups by name; NULL when absent. */
const struct project_connection *project_connection(const struct project *p, const char *name);
const struct project_pipe *project_pipe(const struct project *p, const char *name);
const struct project_stream *project_stream(const struct project *p, const char *name);
const struct project_task *project_task(const struct project *p, const char *name);
const struct project_flow *project_flow(const struct project *p, const char *name);
const struct project_step *project_step(const struct project_flow *f, const char *name);
const struct project_table *project_table(const struct project *p, const char *name);
const struct project_channel *project_channel(const struct project *p, const char *name);
/* Resolve a path relative to the project directory; caller frees. */
char *project_path(const struct project *p, const char *relative);

const char *step_kind_name(enum step_kind k);
bool step_kind_parse(const char *s, enum step_kind *out);
const char *param_type_name(enum param_type t);
const char *table_kind_name(enum table_kind k);
const char *pipe_format_name(enum pipe_format f);
const char *on_error_name(enum on_error o);

/* Check a parameter value against its declared type; the message names the
 * parameter.  Returns -1 with ERR_INVALID on a bad value. */
int  param_check(const struct project_param *param, const char *value, struct err *e);

/* ---- schedules -------------------------------------------------------------- */
int  cron_parse(const char *text, struct cron *out, struct err *e);
/* The first tick strictly after `after`, evaluated in `tz` (NULL = UTC). */
usec_t schedule_next(const struct schedule *s, usec_t after);
/* Offset from UTC (seconds) of zone `tz` at instant t; false if unknown. */
bool tz_offset(const char *tz, usec_t t, long *offset);
bool tz_valid(const char *tz);

/* ---- conditions ----------------------------------------------------------------- */
struct cond *cond_parse(const char *text, struct err *e);
void  cond_free(struct cond *c);
/* Evaluate with `call` answering function calls (stream_rows and friends). */
typedef int (*cond_call_fn)(const char *func, const char *arg, double *out,
			    void *ctx, struct err *e);
int   cond_eval(const struct cond *c, cond_call_fn call, void *ctx, double *out,
		struct err *e);

#endif
