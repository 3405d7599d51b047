/*
 * schema.c - the control store's schema as a list of forward-only
 * migrations.  Each runs in one transaction with its version row, so a
 * store is always exactly at some version.  Never edit a migration that
 * has shipped: add the next one.
 *
 * The SQL is common to both dialects: BIGINT microsecond times, TEXT for
 * names and JSON, INTEGER 0/1 for flags, partial indexes, and {ID}, which
 * store.c replaces with the dialect's identity column (ids are never
 * reused: run ids appear in data databases' ledgers).
 */
#include "store/store_int.h"

static const char m1_runs[] =
	"CREATE TABLE store_changes (\n"
	"  area INTEGER PRIMARY KEY,\n"
	"  n BIGINT NOT NULL DEFAULT 0);\n"
	"INSERT INTO store_changes (area, n) VALUES\n"
	"  (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0),\n"
	"  (6, 0), (7, 0), (8, 0), (9, 0), (10, 0), (11, 0);\n"
	"CREATE TABLE runs (\n"
	"  id {ID},\n"
	"  flow TEXT NOT NULL,\n"
	"  params TEXT NOT NULL DEFAULT '{}',\n"
	"  state TEXT NOT NULL,\n"
	"  reason TEXT,\n"
	"  trigger_kind TEXT NOT NULL,\n"
	"  trigger_detail TEXT,\n"
	"  attempt INTEGER NOT NULL DEFAULT 1,\n"
	"  max_attempts INTEGER NOT NULL DEFAULT 1,\n"
	"  environment TEXT,\n"
	"  worker TEXT,\n"
	"  created_at BIGINT NOT NULL,\n"
	"  scheduled_at BIGINT,\n"
	"  started_at BIGINT,\n"
	"  ended_at BIGINT,\n"
	"  next_retry_at BIGINT,\n"
	"  updated_at BIGINT NOT NULL,\n"
	"  error TEXT,\n"
	"  error_detail TEXT,\n"
	"  rows_in BIGINT NOT NULL DEFAULT 0,\n"
	"  rows_out BIGINT NOT NULL DEFAULT 0,\n"
	"  parent_run BIGINT);\n"
	"CREATE INDEX runs_state ON runs (state, flow, created_at);\n"
	/* Unfinished runs are few among many finished ones; queries about
	 * them say "ended_at IS NULL" so that both planners pick this. */
	"CREATE INDEX runs_active ON runs (state, flow) WHERE ended_at IS NULL;\n"
	"CREATE INDEX runs_state_id ON runs (state, id);\n"
	"CREATE INDEX runs_flow ON runs (flow, id);\n"
	"CREATE INDEX runs_created ON runs (created_at);\n"
	"CREATE INDEX runs_updated ON runs (updated_at);\n"
	"CREATE INDEX runs_worker ON runs (worker) WHERE worker IS NOT NULL;\n"
	"CREATE INDEX runs_parent ON runs (parent_run) WHERE parent_run IS NOT NULL;\n"
	"CREATE TABLE run_transitions (\n"
	"  id {ID},\n"
	"  run_id BIGINT NOT NULL,\n"
	"  at BIGINT NOT NULL,\n"
	"  from_state TEXT,\n"
	"  to_state TEXT NOT NULL,\n"
	"  reason TEXT,\n"
	"  worker TEXT);\n"
	"CREATE INDEX run_transitions_run ON run_transitions (run_id, id);\n"
	"CREATE TABLE step_runs (\n"
	"  id {ID},\n"
	"  run_id BIGINT NOT NULL,\n"
	"  step TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  attempt INTEGER NOT NULL DEFAULT 1,\n"
	"  started_at BIGINT,\n"
	"  ended_at BIGINT,\n"
	"  rows_in BIGINT NOT NULL DEFAULT 0,\n"
	"  rows_out BIGINT NOT NULL DEFAULT 0,\n"
	"  error TEXT,\n"
	"  error_detail TEXT,\n"
	"  cached INTEGER NOT NULL DEFAULT 0,\n"
	"  cache_key TEXT,\n"
	"  UNIQUE (run_id, step));\n"
	"CREATE TABLE validation_results (\n"
	"  id {ID},\n"
	"  run_id BIGINT NOT NULL,\n"
	"  step TEXT NOT NULL,\n"
	"  check_name TEXT NOT NULL,\n"
	"  severity TEXT NOT NULL,\n"
	"  passed INTEGER NOT NULL,\n"
	"  violations BIGINT NOT NULL DEFAULT 0,\n"
	"  sample TEXT,\n"
	"  at BIGINT NOT NULL);\n"
	"CREATE INDEX validation_results_run ON validation_results (run_id, id);\n"
	"CREATE TABLE flow_limits (\n"
	"  flow TEXT PRIMARY KEY,\n"
	"  max_running INTEGER NOT NULL);\n"
	"CREATE TABLE workers (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  host TEXT,\n"
	"  pid BIGINT,\n"
	"  started_at BIGINT NOT NULL,\n"
	"  heartbeat_at BIGINT NOT NULL);\n"
	"CREATE TABLE leases (\n"
	"  name TEXT PRIMARY KEY,\n"
	"  holder TEXT NOT NULL,\n"
	"  acquired_at BIGINT NOT NULL,\n"
	"  expires_at BIGINT NOT NULL);\n";

static const char m2_history[] =
	"CREATE TABLE task_history (\n"
	"  id {ID},\n"
	"  task TEXT NOT NULL,\n"
	"  scheduled_at BIGINT,\n"
	"  started_at BIGINT,\n"
	"  completed_at BIGINT,\n"
	"  state TEXT NOT NULL,\n"
	"  condition_result TEXT,\n"
	"  error TEXT,\n"
	"  run_id BIGINT);\n"
	"CREATE INDEX task_history_task ON task_history (task, id);\n"
	"CREATE INDEX task_history_state ON task_history (task, state, id);\n"
	"CREATE TABLE load_history (\n"
	"  id {ID},\n"
	"  pipe TEXT NOT NULL,\n"
	"  file_key TEXT NOT NULL,\n"
	"  size BIGINT NOT NULL DEFAULT 0,\n"
	"  checksum TEXT,\n"
	"  rows_parsed BIGINT NOT NULL DEFAULT 0,\n"
	"  rows_loaded BIGINT NOT NULL DEFAULT 0,\n"
	"  error_count BIGINT NOT NULL DEFAULT 0,\n"
	"  first_error TEXT,\n"
	"  first_error_line BIGINT,\n"
	"  first_error_column BIGINT,\n"
	"  first_error_column_name TEXT,\n"
	"  status TEXT NOT NULL,\n"
	"  loaded_at BIGINT NOT NULL,\n"
	"  run_id BIGINT);\n"
	"CREATE INDEX load_history_key ON load_history (pipe, file_key, id);\n"
	"CREATE INDEX load_history_pipe ON load_history (pipe, id);\n"
	"CREATE INDEX load_history_status ON load_history (pipe, status);\n"
	"CREATE TABLE watermarks (\n"
	"  flow TEXT NOT NULL,\n"
	"  step TEXT NOT NULL,\n"
	"  tbl TEXT NOT NULL,\n"
	"  committed TEXT,\n"
	"  committed_at BIGINT,\n"
	"  committed_run BIGINT,\n"
	"  pending INTEGER NOT NULL DEFAULT 0,\n"
	"  pending_start TEXT,\n"
	"  pending_end TEXT,\n"
	"  pending_run BIGINT,\n"
	"  planned_at BIGINT,\n"
	"  PRIMARY KEY (flow, step, tbl));\n"
	"CREATE INDEX watermarks_pending ON watermarks (pending_run) WHERE pending = 1;\n"
	"CREATE TABLE stream_offsets (\n"
	"  stream TEXT PRIMARY KEY,\n"
	"  stream_offset TEXT,\n"
	"  pending_rows BIGINT NOT NULL DEFAULT -1,\n"
	"  updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE object_states (\n"
	"  object TEXT PRIMARY KEY,\n"
	"  state TEXT NOT NULL,\n"
	"  reason TEXT,\n"
	"  changed_by TEXT,\n"
	"  changed_at BIGINT NOT NULL);\n"
	"CREATE TABLE schema_changes (\n"
	"  id {ID},\n"
	"  connection TEXT NOT NULL,\n"
	"  tbl TEXT NOT NULL,\n"
	"  col TEXT NOT NULL,\n"
	"  kind TEXT NOT NULL,\n"
	"  old_type TEXT,\n"
	"  new_type TEXT,\n"
	"  run_id BIGINT,\n"
	"  at BIGINT NOT NULL);\n"
	"CREATE INDEX schema_changes_table ON schema_changes (connection, tbl, id);\n";

static const char m3_logs[] =
	"CREATE TABLE logs (\n"
	"  id {ID},\n"
	"  at BIGINT NOT NULL,\n"
	"  level INTEGER NOT NULL,\n"
	"  run_id BIGINT,\n"
	"  step TEXT,\n"
	"  object TEXT,\n"
	"  message TEXT NOT NULL,\n"
	"  fields TEXT);\n"
	"CREATE INDEX logs_run ON logs (run_id, id) WHERE run_id IS NOT NULL;\n"
	"CREATE INDEX logs_object ON logs (object, id) WHERE object IS NOT NULL;\n"
	"CREATE INDEX logs_level ON logs (level, id);\n"
	"CREATE INDEX logs_at ON logs (at);\n";

static const char m4_queues[] =
	"CREATE TABLE step_cache (\n"
	"  cache_key TEXT PRIMARY KEY,\n"
	"  value TEXT,\n"
	"  run_id BIGINT,\n"
	"  created_at BIGINT NOT NULL,\n"
	"  expires_at BIGINT NOT NULL DEFAULT 0);\n"
	"CREATE INDEX step_cache_expires ON step_cache (expires_at) WHERE expires_at > 0;\n"
	"CREATE TABLE notifications (\n"
	"  id {ID},\n"
	"  channel TEXT NOT NULL,\n"
	"  event TEXT NOT NULL,\n"
	"  body TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at BIGINT NOT NULL,\n"
	"  next_attempt_at BIGINT NOT NULL,\n"
	"  claimed_at BIGINT,\n"
	"  sent_at BIGINT,\n"
	"  last_error TEXT);\n"
	"CREATE INDEX notifications_due ON notifications (state, next_attempt_at);\n"
	"CREATE TABLE backfills (\n"
	"  id {ID},\n"
	"  flow TEXT NOT NULL,\n"
	"  step TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  active INTEGER NOT NULL,\n"
	"  plan TEXT,\n"
	"  compare TEXT,\n"
	"  error TEXT,\n"
	"  created_by TEXT,\n"
	"  created_at BIGINT NOT NULL,\n"
	"  updated_at BIGINT NOT NULL,\n"
	"  ended_at BIGINT);\n"
	"CREATE UNIQUE INDEX backfills_one_active ON backfills (flow) WHERE active = 1;\n"
	"CREATE INDEX backfills_flow ON backfills (flow, id);\n"
	"CREATE TABLE backfill_events (\n"
	"  id {ID},\n"
	"  backfill_id BIGINT NOT NULL,\n"
	"  step TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  by_whom TEXT,\n"
	"  note TEXT,\n"
	"  at BIGINT NOT NULL);\n"
	"CREATE INDEX backfill_events_backfill ON backfill_events (backfill_id, id);\n"
	"CREATE TABLE requests (\n"
	"  id {ID},\n"
	"  kind TEXT NOT NULL,\n"
	"  target TEXT,\n"
	"  args TEXT,\n"
	"  requested_by TEXT,\n"
	"  requested_at BIGINT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  claimed_by TEXT,\n"
	"  claimed_at BIGINT,\n"
	"  completed_at BIGINT,\n"
	"  result TEXT,\n"
	"  error TEXT);\n"
	"CREATE INDEX requests_state ON requests (state, id);\n";

/* Load history: one row per attempt (a unique attempt key, NULLs apart),
 * and what a later look at a file found. */
static const char m5_load_attempts[] =
	"ALTER TABLE load_history ADD COLUMN attempt TEXT;\n"
	"ALTER TABLE load_history ADD COLUMN file_mtime BIGINT;\n"
	"ALTER TABLE load_history ADD COLUMN seen_size BIGINT;\n"
	"ALTER TABLE load_history ADD COLUMN seen_mtime BIGINT;\n"
	"ALTER TABLE load_history ADD COLUMN seen_checksum TEXT;\n"
	"ALTER TABLE load_history ADD COLUMN seen_at BIGINT;\n"
	"CREATE UNIQUE INDEX load_history_attempt ON load_history (pipe, file_key, attempt);\n"
	"CREATE INDEX load_history_seen ON load_history (pipe, id) "
	"WHERE seen_checksum IS NOT NULL;\n"
	"CREATE INDEX load_history_run ON load_history (run_id, pipe) "
	"WHERE run_id IS NOT NULL;\n";

/* The store's identity: what every record it writes into a data
 * database names as its owner.  The row itself is made by
 * store_identity_create (identity.c): it needs a random id, which the two
 * dialects spell differently, and to know whether the store is older than
 * identities.  A file a pipe loaded can be adopted by another store, so
 * its history says which store loaded it. */
static const char m6_identity[] =
	"CREATE TABLE store_identity (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  created_at BIGINT NOT NULL,\n"
	"  legacy INTEGER NOT NULL DEFAULT 0,\n"
	"  legacy_runs_upto BIGINT NOT NULL DEFAULT 0);\n"
	"ALTER TABLE load_history ADD COLUMN loaded_by TEXT;\n";

/* Notifications that know what they are about, so that alerts on one
 * object collapse into one message with a count and a recovery can follow. */
static const char m7_notify_objects[] =
	"ALTER TABLE notifications ADD COLUMN object TEXT;\n"
	"ALTER TABLE notifications ADD COLUMN detail TEXT;\n"
	"ALTER TABLE notifications ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1;\n"
	"ALTER TABLE notifications ADD COLUMN first_at BIGINT;\n"
	"CREATE INDEX notifications_object ON notifications (object, channel, id) "
	"WHERE object IS NOT NULL;\n";

static const char m8_step_detail[] =
	/* What a running step waits for now ("waiting for the write lock on
	 * wh.db"), for the run detail. */
	"ALTER TABLE step_runs ADD COLUMN detail TEXT;\n";

/* Work pools: a run names the pool whose workers may take it, a worker
 * the pools it serves ("a,b"; NULL: runs without a pool). */
static const char m9_pools[] =
	"ALTER TABLE runs ADD COLUMN pool TEXT;\n"
	"ALTER TABLE workers ADD COLUMN pools TEXT;\n";

/* Scheduled runs: when one not started by then becomes LATE (its
 * scheduled time plus its flow's late_after, fixed when the run is made,
 * so that whoever claims or lists it knows without the project file). */
static const char m10_late_at[] =
	"ALTER TABLE runs ADD COLUMN late_at BIGINT;\n";

/* Partitioned flows: a run names the partition it is for ("2026-03-01"),
 * so a backfill knows which periods ran and `show runs` can pick one. */
static const char m_partitions[] =
	"ALTER TABLE runs ADD COLUMN partition_key TEXT;\n"
	"CREATE INDEX runs_partition ON runs (flow, partition_key, id) "
	"WHERE partition_key IS NOT NULL;\n";

/* The operators' actions: who started, cancelled, retried, approved,
 * discarded, suspended, resumed or forced what, when, from which user and
 * host, through which surface; written in the action's own transaction
 * (audit.c). */
#define MIGRATION_AUDIT 12
static const char m12_audit[] =
	"CREATE TABLE audit (\n"
	"  id {ID},\n"
	"  at BIGINT NOT NULL,\n"
	"  action TEXT NOT NULL,\n"
	"  object TEXT NOT NULL,\n"
	"  by_user TEXT NOT NULL,\n"
	"  by_host TEXT NOT NULL,\n"
	"  via TEXT NOT NULL,\n"
	"  command TEXT\n"
	");\n"
	"CREATE INDEX audit_at ON audit (at);\n";

/* The definition each step of a run used (step_defs.c): its SQL file's
 * text or its spec, kept once per distinct text (keyed by its SHA-256),
 * so ten thousand runs of an unchanged flow hold one copy. */
#define MIGRATION_STEP_DEFS 13
static const char m13_step_defs[] =
	"CREATE TABLE step_defs (\n"
	"  hash TEXT PRIMARY KEY,\n"
	"  text TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE run_step_defs (\n"
	"  run_id BIGINT NOT NULL,\n"
	"  step TEXT NOT NULL,\n"
	"  file TEXT,\n"
	"  hash TEXT NOT NULL,\n"
	"  PRIMARY KEY (run_id, step)\n"
	");\n"
	"CREATE INDEX run_step_defs_hash ON run_step_defs (hash);\n";

/* The rows a run's partition replacement deleted (a load with
 * partition_column empties the partition before it loads), beside the
 * rows it wrote, so that a backfill's partitions show both.  No default:
 * runs of older versions deleted rows without counting them, and NULL
 * says so; runs made now start at 0 (runs.c). */
#define MIGRATION_ROWS_DELETED 14
static const char m14_rows_deleted[] =
	"ALTER TABLE runs ADD COLUMN rows_deleted BIGINT;\n";

const struct store_migration store_migrations[] = {
	{ 1, "runs, transitions, steps, validation, limits, workers, leases", m1_runs, NULL },
	{ 2, "task and load history, watermarks, stream offsets, objects, schema changes",
	  m2_history, NULL },
	{ 3, "logs", m3_logs, NULL },
	{ 4, "step cache, notifications, backfills, requests", m4_queues, NULL },
	{ 5, "load history: attempt keys, files looked at again", m5_load_attempts, NULL },
	{ 6, "the store's identity", m6_identity, store_identity_create },
	{ 7, "notifications: object, detail, occurrences", m7_notify_objects, NULL },
	{ 8, "what a running step waits for", m8_step_detail, NULL },
	{ 9, "work pools of runs and workers", m9_pools, NULL },
	{ 10, "when a scheduled run becomes late", m10_late_at, NULL },
	{ 11, "partition keys of runs", m_partitions, NULL },
	{ MIGRATION_AUDIT, "the audit of operators' actions", m12_audit, NULL },
	{ MIGRATION_STEP_DEFS, "the step definitions runs used", m13_step_defs, NULL },
	{ MIGRATION_ROWS_DELETED, "rows a run's partition replacement deleted",
	  m14_rows_deleted, NULL },
};

const int store_nmigrations = (int)ARRAY_LEN(store_migrations);
