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
 *
 * Diagnostics read like a compiler's, one a line, in file order after
 * diags_sort():
 *
 *   sluice.json:14:17: flows[1].steps[0].kind: unknown kind "lod" (expected ...)
 *   sluice.json:3:5: warning: connections.wh.url: names a password file, ...
 *
 * LINE:COL is where the value starts (for an unknown key: where the key
 * starts; for a missing key: where the object holding it starts; inside a
 * `when` condition: the offending character).  A diagnostic about the
 * whole file has no path ("sluice.json:1:1: message").  Messages never
 * repeat a secret: a URL or a secret-looking value is named by its key
 * path, never quoted.
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
/* Add one diagnostic; line/col 0 = unknown, path NULL = "". */
void diags_add(struct diags *d, enum diag_severity s, const char *file,
	       int line, int col, const char *path, const char *fmt, ...)
	PRINTF_LIKE(7, 8);
/* "FILE:LINE:COL: PATH: message" for errors, "FILE:LINE:COL: warning: PATH:
 * message" for warnings; ":LINE:COL" is left out when unknown and "PATH: "
 * when the path is empty.  Caller frees. */
char *diag_format(const struct diag *d);
/* Sort by line and column (stable: equal positions keep their order), for
 * output in file order.  Position-less diagnostics come first. */
void diags_sort(struct diags *d);

/* ---- the model ------------------------------------------------------------- */
enum connection_kind { CONN_SQLITE, CONN_POSTGRES };

struct project_connection {
	char *name;
	enum connection_kind kind;  /* from the URL's form */
	char *url;             /* after environment overrides; never holds a password;
				  "sqlite:PATH" with PATH resolved against the project
				  dir (":memory:" kept as is); postgres URLs and
				  conninfo strings as written */
	char *password_env;    /* name of the variable holding the password, or NULL */
	bool  read_only;
	usec_t lock_wait;      /* SQLite: how long a writer waits for the file's
				  write lock ("lock_wait"); 0 = the default */
	char *path;            /* "connections.warehouse", for diagnostics */
	char *postgres_env;    /* another environment in which it is PostgreSQL
				  ("default": the file's own settings), or NULL */
};

struct project_lake {
	char *url;             /* "file:DIR" (DIR resolved against the project dir),
				  "s3://bucket/prefix", "http(s)://..." */
	char *endpoint;        /* S3-compatible endpoint override, or NULL */
	char *region;
	char *access_key_env;
	char *secret_key_env;
};

enum pipe_format { FORMAT_NDJSON, FORMAT_JSON, FORMAT_CSV, FORMAT_PARQUET };
/* As Snowflake's COPY: skip_file, continue, abort, and skip_file_N,
 * skip_file_N% (N in on_error_limit) and abort_statement. */
enum on_error {
	ON_ERROR_SKIP_FILE, ON_ERROR_CONTINUE, ON_ERROR_ABORT,
	ON_ERROR_SKIP_FILE_N,          /* skip a file with at least N bad records */
	ON_ERROR_SKIP_FILE_PERCENT,    /* ... with at least N percent of its records bad */
	ON_ERROR_ABORT_STATEMENT,      /* one transaction for the whole refresh */
};

/* A declared column of a raw table: name, SQL type, and the JSON key or CSV
 * header it comes from (defaults to the name). */
struct project_column {
	char *name;
	char *type;            /* "integer", "numeric(10,2)", "text", ... */
	char *source;
};

enum pipe_encoding { PIPE_UTF8, PIPE_LATIN1 };

struct project_pipe {
	char *name;
	char *path;            /* lake prefix, "orders/" */
	char *pattern;         /* glob on the key's last part; default "*" */
	enum pipe_format format;
	char *connection;
	char *table;
	char *document;        /* column holding each whole record as JSON, or NULL */
	enum on_error on_error;
	int   on_error_limit;  /* N of skip_file_N and skip_file_N%; else 0 */
	usec_t poll;           /* default 30s */
	struct project_column *columns;   /* optional; inferred when absent
					     (type defaults to "text") */
	size_t ncolumns;
	char  csv_delimiter;   /* default ',' */
	/* CSV options (issue 14, Snowflake's COPY file format options) */
	int   skip_header;     /* lines skipped before the header (or data) */
	bool  csv_no_header;   /* "header": false; needs `columns` */
	char **null_if;        /* values read as NULL */
	size_t nnull_if;
	char  csv_quote;       /* default '"'; 0 with csv_no_quote */
	bool  csv_no_quote;    /* "quote": "" */
	char  csv_escape;      /* 0: none */
	enum pipe_encoding encoding;
	bool  trim_space;
	bool  empty_field_as_text;     /* "empty_field_as_null": false */
	char *pattern_regex;   /* POSIX extended regex on the whole key under
				  `path`, or NULL (then `pattern` applies) */
	bool  purge;           /* delete a file once loaded */
	char *archive;         /* or move it under this lake prefix; NULL: keep */
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
	char  *timezone;       /* IANA name; NULL = UTC (owned) */
	char  *text;           /* as written, for display (owned) */
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
	size_t pos;            /* COND_CALL: byte offset of `arg` in the text */
	struct cond *left, *right;
};

struct project_kv {
	char *key;
	char *value;           /* NULL = JSON null */
};

/* What a task does with the ticks that passed while no scheduler ran:
 * fire none of them, the latest one (the default, as before the key
 * existed), or every one, oldest first (at most PROJECT_CATCHUP_MAX).
 * The ticks not fired are recorded MISSED in its history. */
enum task_catchup { CATCHUP_LATEST, CATCHUP_NONE, CATCHUP_ALL };
#define PROJECT_CATCHUP_MAX 50

struct project_task {
	char *name;
	struct schedule schedule;
	struct cond *when;     /* NULL = always */
	char *when_text;
	char **after;          /* names of tasks this one follows */
	size_t nafter;
	char *flow;            /* action: run a flow ... */
	struct project_kv *params;  /* JSON numbers and booleans as text
				       ("5", "0.25", "true"); null as NULL */
	size_t nparams;
	char *sql_file;        /* ... or run a SQL file (resolved, absolute path) */
	char *connection;      /* for sql_file */
	int   max_failures;    /* auto-suspend after this many in a row; default 10;
				  0 = never */
	bool  allow_overlap;   /* default false: a tick during a run is SKIPPED */
	bool  start_suspended;
	char *pool;            /* its runs' pool, over the flow's; NULL */
	enum task_catchup catchup;   /* ticks missed while no scheduler ran */
	char *tick_param;      /* the flow parameter given each run's tick time
				  (date, timestamp or text); NULL = none */
	char *path_in_file;
};

enum param_type {
	PARAM_TEXT, PARAM_INT, PARAM_NUMERIC, PARAM_BOOL, PARAM_DATE, PARAM_TIMESTAMP,
};

struct project_param {
	char *name;
	enum param_type type;  /* default PARAM_TEXT when "type" is absent */
	char *default_value;   /* NULL when absent or JSON null */
	bool  has_default;     /* false = required; true with NULL = defaults to null */
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
	enum step_kind kind;   /* STEP_KIND_COUNT when missing or unknown (an error
				  was reported): steps/ must skip such steps */
	char **needs;
	size_t nneeds;
	usec_t timeout;        /* 0 = none */
	bool   has_retries;    /* else the flow's policy applies */
	struct retry_policy retries;  /* the flow's, with this step's keys over it */
	usec_t cache_expire;   /* 0 = not cached */
	const cJSON *spec;     /* the step's JSON object; kind-specific keys */
	char *path_in_file;    /* "flows[1].steps[0]" */
};

enum concurrency_policy { CONCURRENCY_WAIT, CONCURRENCY_REFUSE };
#define PROJECT_LATE_AFTER (60 * USEC_PER_SEC)

/* A flow's partition (partition.c): its runs are keyed by the period of
 * one date or timestamp parameter, so a range of periods can be run (or
 * backfilled) one run each. */
enum partition_grain { GRAIN_HOUR, GRAIN_DAY, GRAIN_MONTH };
struct project_partition {
	char *param;                  /* a date or timestamp parameter of the flow */
	enum param_type type;         /* that parameter's type */
	enum partition_grain grain;
	bool has_start;
	usec_t start;                 /* the first partition there is (floored) */
	char *column;                 /* the targets' column that holds the
					 partition's value, for per-partition
					 counts; NULL */
};

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
	char *pool;                   /* only workers serving it run this flow; NULL */
	usec_t late_after;            /* a SCHEDULED run not started this long after
					 its time is LATE; default PROJECT_LATE_AFTER */
	struct project_partition *partition;   /* NULL: not partitioned */
	char *path_in_file;
};

enum notify_event {
	NOTIFY_RUN_FAILED = 1 << 0,
	NOTIFY_TASK_SUSPENDED = 1 << 1,
	NOTIFY_BACKFILL_WAITING = 1 << 2,
	NOTIFY_PIPE_FILE_FAILED = 1 << 3,
	NOTIFY_RUN_CRASHED = 1 << 4,
	NOTIFY_WORKER_LOST = 1 << 5,
	NOTIFY_LATE_RUN = 1 << 6,
};
#define NOTIFY_EVENT_COUNT 7
#define NOTIFY_ALL_EVENTS ((1u << NOTIFY_EVENT_COUNT) - 1)

/* How much an event matters, for routing rules' min_severity. */
enum notify_severity { NOTIFY_SEV_INFO, NOTIFY_SEV_WARNING, NOTIFY_SEV_ERROR };
enum notify_severity notify_event_severity(enum notify_event ev);
const char *notify_severity_name(enum notify_severity s);

enum channel_kind { CHANNEL_SLACK, CHANNEL_EMAIL, CHANNEL_WEBHOOK };

/* Every secret is named by the variable that holds it, never written here. */
struct project_channel {
	char *name;
	enum channel_kind kind;
	char *webhook_env;     /* slack: the webhook URL; webhook: the receiver's URL */
	char *secret_env;      /* webhook: the HMAC-SHA256 key, or NULL (unsigned) */
	char *smtp_url;        /* email: smtp:// or smtps:// URL without credentials */
	char *smtp_url_env;    /* ... or the variable holding it */
	char *username_env;    /* email: SMTP login, or NULL (no authentication) */
	char *password_env;
	char *ca_file;          /* email: PEM CA bundle to trust (resolved), or NULL */
	bool tls_required;     /* email: refuse smtp:// without STARTTLS */
	char *from;
	char **to;
	size_t nto;
	unsigned events;       /* enum notify_event bits; default: all of them */
	char *path_in_file;
};

/* One routing rule: events of these kinds, on these objects (globs over
 * flow, task and pipe names; none given = any object), at least this
 * severe, go to these channels. */
struct project_route {
	unsigned events;       /* enum notify_event bits; all when omitted */
	char **flows; size_t nflows;
	char **tasks; size_t ntasks;
	char **pipes; size_t npipes;
	enum notify_severity min_severity;
	char **channels; size_t nchannels;
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
	char *path_in_file;    /* "tables.dim_staff" */
};

/* How long the control store keeps what (the `retention` key): ages, 0 =
 * forever.  The engine that holds the scheduler lease applies it every
 * `every` (0: never; `sluice store prune` still does). */
struct project_retention {
	usec_t  logs;
	int64_t log_rows;      /* at most this many log records; 0: no cap */
	usec_t  runs;          /* finished runs, with steps and transitions */
	usec_t  transitions;   /* transitions of finished runs; the runs stay */
	usec_t  task_history;
	usec_t  load_history;  /* only of files no longer in the lake */
	usec_t  notifications;
	usec_t  requests;
	usec_t  every;
};

struct project_env {
	char *name;            /* "default" when no environment was selected */
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
	struct project_route *routes;   size_t nroutes;  /* none: channels' `on` */
	usec_t notify_window;          /* alerts on one object collapse within it */
	struct project_table *tables;   size_t ntables;
	struct project_retention retention;

	/* private to project/: the text, its parse tree and position index */
	char *text;
	size_t text_len;
	cJSON *root;
	struct pjson_index *positions;
};

/* Load and check `file` for environment `env` (NULL or "" = none; the
 * command line resolves --env and SLUICE_ENV and passes the name).
 * Problems go to `diags`.
 *   - file cannot be read: NULL, ERR_IO, no diagnostic;
 *   - not valid JSON: NULL, ERR_PARSE, and one diagnostic at the line and
 *     column of the syntax error;
 *   - otherwise a project, even when diags holds errors, so that every
 *     problem can be shown.  Callers that need a valid project check
 *     diags->errors (an unknown `env` is one of those errors).
 * Kind-specific step keys are not checked here: steps/ does that with the
 * spec_* helpers below, after project_load. */
struct project *project_load(const char *file, const char *env,
			     struct diags *diags, struct err *e);
void project_free(struct project *p);

/* Add a diagnostic at a key path of this project's file.  The position is
 * that of the value at `path`; when the path is not in the file (a missing
 * key) the nearest enclosing value that is.  Not thread-safe on `d`. */
void project_diag(const struct project *p, struct diags *d, enum diag_severity s,
		  const char *path, const char *fmt, ...) PRINTF_LIKE(5, 6);
/* Where a key path is in the file, as a run-time error's `where`:
 * "FILE:LINE:COL" (of the nearest enclosing value, as project_diag), or
 * the path itself when the project has no positions. */
void project_where(const struct project *p, const char *path, char *out, size_t n);

/* Typed access to step specs, reporting wrong types as diagnostics at
 * "<step path>.<key>" ("flows[0].steps[2].table: expected a string, found a
 * number").  They return NULL / the fallback when the key is absent, JSON
 * null, or of the wrong type.  `required` adds an error at the step
 * ("flows[0].steps[2]: missing required key "table"") when absent. */
const char *spec_string(const struct project *p, const struct project_step *s,
			const char *key, bool required, struct diags *d);
bool spec_bool(const struct project *p, const struct project_step *s,
	       const char *key, bool fallback, struct diags *d);
/* A JSON number with an integral value. */
int64_t spec_int(const struct project *p, const struct project_step *s,
		 const char *key, int64_t fallback, struct diags *d);
/* An array of strings (a lone string counts as one); the strings are copies
 * pushed onto `out`, which the caller frees with vec_free_all(out, free). */
void spec_strings(const struct project *p, const struct project_step *s,
		  const char *key, bool required, struct vec *out, struct diags *d);
/* Complain about keys of the step other than the common ones (name, kind,
 * needs, timeout, retries, cache) and `known` (NULL-terminated), with a
 * "did you mean" when a known key is close. */
void spec_unknown_keys(const struct project *p, const struct project_step *s,
		       const char *const *known, struct diags *d);

/* The same for any JSON object of the file (a step's `from`, one of its
 * `checks`), given the object and its key path ("flows[0].steps[3].from").
 * spec_string(p, s, ...) is spec_at_string(p, s->spec, s->path_in_file, ...).
 * spec_at_object/array return the member when it has that type. */
const char *spec_at_string(const struct project *p, const cJSON *obj, const char *path,
			   const char *key, bool required, struct diags *d);
bool spec_at_bool(const struct project *p, const cJSON *obj, const char *path,
		  const char *key, bool fallback, struct diags *d);
int64_t spec_at_int(const struct project *p, const cJSON *obj, const char *path,
		    const char *key, int64_t fallback, struct diags *d);
double spec_at_number(const struct project *p, const cJSON *obj, const char *path,
		      const char *key, double fallback, struct diags *d);
/* A duration string ("10s", "5 minutes"); reports unparsable text. */
usec_t spec_at_duration(const struct project *p, const cJSON *obj, const char *path,
			const char *key, usec_t fallback, struct diags *d);
void spec_at_strings(const struct project *p, const cJSON *obj, const char *path,
		     const char *key, bool required, struct vec *out, struct diags *d);
const cJSON *spec_at_object(const struct project *p, const cJSON *obj, const char *path,
			    const char *key, bool required, struct diags *d);
const cJSON *spec_at_array(const struct project *p, const cJSON *obj, const char *path,
			   const char *key, bool required, struct diags *d);
/* Unknown keys of `obj`: only `known` (NULL-terminated) are allowed. */
void spec_at_unknown_keys(const struct project *p, const cJSON *obj, const char *path,
			  const char *const *known, struct diags *d);
/* Key paths: "flows[0]" + "steps" -> "flows[0].steps"; + 2 -> "...[2]".
 * Caller frees. */
char *spec_path_key(const char *path, const char *key);
char *spec_path_index(const char *path, size_t i);

/* A connection URL given on the command line (--control, init's
 * --warehouse): the project file's rules, and above all no password in it,
 * since every local user can read a process's arguments.  -1 with
 * ERR_INVALID at `option`, never quoting the URL. */
int project_check_url_option(const char *option, const char *url, struct err *e);

/* PostgreSQL keeps the first 63 bytes of a name and drops the rest with
 * only a notice, so a longer declared name works on SQLite and fails (or
 * names something else) on PostgreSQL.  Reports `name` at `path` when it
 * is longer and connection `conn` is PostgreSQL: an error in the selected
 * environment, a warning when only another environment makes it so.
 * `what`: "column".  False when reported. */
#define PG_NAME_MAX 63
bool project_check_pg_name(const struct project *p, struct diags *d, const char *conn,
			   const char *path, const char *what, const char *name);

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

const char *step_kind_name(enum step_kind k);   /* "?" for STEP_KIND_COUNT */
bool step_kind_parse(const char *s, enum step_kind *out);
const char *param_type_name(enum param_type t);
const char *table_kind_name(enum table_kind k);
const char *pipe_format_name(enum pipe_format f);
const char *on_error_name(enum on_error o);   /* "skip_file_N%" for the kind */
/* The pipe's on_error as written in the project: "skip_file_10%". */
const char *pipe_on_error_text(const struct project_pipe *pipe, char buf[32]);
const char *stream_mode_name(enum stream_mode m);
const char *connection_kind_name(enum connection_kind k);
const char *notify_event_name(enum notify_event ev);  /* one bit */
/* Where an event on `object` ("flow:x", "task:y", "pipe:z"; NULL = none)
 * goes: a bit per index of p->channels.  Without routing rules, every
 * channel whose `on` has the event (a crash also reaches run_failed
 * subscribers); with rules, the channels of every rule that matches. */
uint64_t project_route(const struct project *p, enum notify_event ev, const char *object);
#define PROJECT_MAX_CHANNELS 64

/* Check a parameter value against its declared type; the message names the
 * parameter (parameter "since": "yesterday" is not a timestamp ...).
 * Returns -1 with ERR_INVALID on a bad value.  NULL (SQL null) is accepted
 * for every type.  Forms: int [-]DIGITS (64-bit); numeric [+-]DIGITS[.DIGITS]
 * or [+-].DIGITS, then [e[+-]DIGITS]; bool true|false; date YYYY-MM-DD (a real
 * calendar day);
 * timestamp YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|+HH[:MM]]; text anything. */
int  param_check(const struct project_param *param, const char *value, struct err *e);

/* ---- partitions (partition.c) --------------------------------------------------
 * A partition is named by its first instant (UTC microseconds) and shown
 * as its key: "2026-03-01" (day), "2026-03" (month), "2026-03-01T05"
 * (hour). */
const char *partition_grain_name(enum partition_grain g);   /* "day" */
bool  partition_grain_parse(const char *s, enum partition_grain *out);
#define PARTITION_KEY_MAX 24
/* The partition a date or timestamp value (or a key) falls in: false when
 * `value` is neither. */
bool  partition_floor(const struct project_partition *pt, const char *value, usec_t *start);
/* The partition after `start`. */
usec_t partition_next(const struct project_partition *pt, usec_t start);
void  partition_key(const struct project_partition *pt, usec_t start,
		    char out[PARTITION_KEY_MAX]);
/* The parameter's value for the partition: "2026-03-01" for a date,
 * "2026-03-01 05:00:00" for a timestamp. */
void  partition_value(const struct project_partition *pt, usec_t start,
		      char out[PARTITION_KEY_MAX]);
/* The partition key of a run of `f` with these resolved parameters (JSON
 * object text); NULL (not an error) when the flow is not partitioned or
 * the value is missing or null.  Caller frees. */
char *project_partition_of(const struct project_flow *f, const char *params_json);

/* ---- schedules -------------------------------------------------------------- */
/* Five fields: minute hour day-of-month month day-of-week.  Each field is a
 * comma list of `*`, N, A-B, each with an optional /STEP (`1-30/2`; `5/15`
 * means 5-MAX/15); months JAN..DEC and weekdays SUN..SAT by name
 * (any case); Sunday is 0 or 7.  @yearly @annually @monthly @weekly @daily
 * @midnight @hourly are accepted.  When both day fields are restricted a
 * day matches either (cron's OR rule); a field written starting with `*`
 * counts as unrestricted for that rule, as in Vixie cron.  A schedule that
 * can never fire ("0 0 30 2 *") is an error.  ERR_PARSE with a message
 * naming the field. */
int  cron_parse(const char *text, struct cron *out, struct err *e);
/* "every 5 minutes" / "5m" (an interval of at least 1s) or a cron line.
 * Fills kind, interval/cron and text (owned by *out; timezone untouched). */
int  schedule_parse(const char *text, struct schedule *out, struct err *e);
void schedule_free(struct schedule *s);
/* The first tick strictly after `after`; 0 when there is none (SCHEDULE_NONE,
 * an unknown zone, or a tick beyond what usec_t holds).
 * Intervals are aligned to the Unix epoch: ticks at multiples of the interval.
 * Cron is evaluated on the wall clock of s->timezone (NULL = UTC), minute by
 * minute in meaning but skipping whole months, days and hours that cannot
 * match.  Around daylight-saving changes:
 *   - a wall time that does not exist (the hour skipped in spring) fires at
 *     the first instant after the gap, once however many ticks fell in it;
 *   - a wall time that happens twice (the hour repeated in autumn) fires
 *     once, at its first occurrence, when the hour field is restricted
 *     ("30 1 * * *"); when the hour field is every hour (a job every 15
 *     minutes) it fires in both passes, so a frequent job does not pause. */
usec_t schedule_next(const struct schedule *s, usec_t after);
/* Offset from UTC (seconds, east positive) of zone `tz` at instant t; false
 * if the zone is unknown.  Zones are read from TZif files under $TZDIR or
 * /usr/share/zoneinfo (RFC 8536; the POSIX TZ footer rule covers instants
 * after the last transition), cached for the life of the process; safe
 * from any thread.  "UTC" works without zone files.  Leap-second ("right/")
 * zones are read as if they had none. */
bool tz_offset(const char *tz, usec_t t, long *offset);
bool tz_valid(const char *tz);
/* The wall-clock time of zone `tz` at instant t (microseconds since the
 * epoch, read as if the wall clock were UTC), held back to just before an
 * hour that is about to repeat while t is in its first pass: no instant
 * after t shows an earlier wall time than *wall.  What a watermark over
 * naive local times may safely read up to.  False if the zone is unknown. */
bool tz_wall_settled(const char *tz, usec_t t, usec_t *wall);

/* ---- conditions ----------------------------------------------------------------- */
/* Grammar (keywords and function names are lower case):
 *   expr  := and ("or" and)*        and := not ("and" not)*
 *   not   := "not" not | cmp        cmp := primary [(< <= > >= == !=) primary]
 *   primary := NUMBER | FUNC "(" NAME ")" | "(" expr ")"
 * FUNC is stream_has_data (1 or 0) or stream_rows (pending rows).  On a
 * syntax error returns NULL with ERR_PARSE, e->where = "column N" (1-based,
 * in characters) and, when errpos is not NULL, *errpos = the byte offset of
 * the offending character in `text`. */
struct cond *cond_parse(const char *text, size_t *errpos, struct err *e);
void  cond_free(struct cond *c);
/* Evaluate with `call` answering function calls (stream_rows and friends).
 * Comparisons, and, or, not give 1 or 0; and/or stop early, so a call on
 * the untaken side is not made.  A condition holds when the result is not 0.
 * Returns -1 with the callback's error. */
typedef int (*cond_call_fn)(const char *func, const char *arg, double *out,
			    void *ctx, struct err *e);
int   cond_eval(const struct cond *c, cond_call_fn call, void *ctx, double *out,
		struct err *e);
/* Call cb for each function call in the condition (to check the streams). */
void  cond_walk_calls(const struct cond *c,
		      void (*cb)(const char *func, const char *arg, void *ctx), void *ctx);

#endif
