/*
 * project_int.h - what the files of project/ share and nobody else sees.
 *
 * The file is parsed once (project_json.c).  The loader is split by
 * section of the file (loader.c: the top level, connections, lake, control
 * and environments; loader_objects.c: pipes, streams, tables, notification
 * channels; flows.c; loader_tasks.c), and every part reports through the
 * same few helpers declared here.  Calendar arithmetic and the time-zone
 * tables are shared by cron.c, tz.c and param.c.
 *
 * Prefixes of what is shared here: ld_ the loader (it takes struct ld),
 * pjson_ the file's JSON, proj_ other helpers of the module; spec_ (in
 * project.h) reads members for steps/.
 */
#ifndef SLUICE_PROJECT_INT_H
#define SLUICE_PROJECT_INT_H

#include "project/project.h"

/* ---- the project file's JSON (project_json.c) --------------------------------
 * A strict parser that builds the cJSON tree and indexes, by key path
 * ("flows[1].steps[0].kind"), where each value and each member's key
 * starts.  Offsets count from the start of the text (a BOM included);
 * lines and columns from 1, columns in characters. */
struct pjson_pos {
	size_t off;
	int line, col;
};
struct pjson_index;
/* The first syntax error: where, and what in words. */
struct pjson_syntax {
	struct pjson_pos at;
	char msg[200];
};
/* A key written again in one object: the path of the member, the key,
 * and where the repeated key is.  Its member is not in the tree. */
struct pjson_dup {
	char *path, *key;
	struct pjson_pos at;
};
/* Parse `text` into *root and return its index, or NULL with *syn set. */
struct pjson_index *pjson_parse(const char *text, size_t len, cJSON **root,
				struct pjson_syntax *syn);
void   pjson_free(struct pjson_index *ix);
/* Where the value at `path` starts, and the key of the member at `path`
 * (false for the top and for array elements). */
bool   pjson_value_at(const struct pjson_index *ix, const char *path, struct pjson_pos *at);
bool   pjson_key_at(const struct pjson_index *ix, const char *path, struct pjson_pos *at);
size_t pjson_duplicates(const struct pjson_index *ix, const struct pjson_dup **out);

/* The loader's context: the project being built and where problems go. */
struct ld {
	struct project *p;
	struct diags *d;
	bool world_readable;   /* the file's mode has o+r: secrets draw warnings */
	bool command_line;     /* checking a URL given as an option, not the file */
	const cJSON *env;      /* the selected environment's object, or NULL */
	char *env_path;        /* "environments.prod" */
	struct vec after_paths;  /* per task: key paths of its `after` entries */
};

void ld_error(struct ld *L, const char *path, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* An error at member `key` of the object at `path` ("flows[0].timeout"). */
void ld_member_error(struct ld *L, const char *path, const char *key, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
void ld_warn(struct ld *L, const char *path, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* An error positioned at the key (not the value) of member `path`. */
void ld_error_at_key(struct ld *L, const char *path, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* An error at byte `off` of the string value at `path` (a `when` condition). */
void ld_error_in_string(struct ld *L, const char *path, size_t off,
			const char *fmt, ...) PRINTF_LIKE(4, 5);

/* The same without a loader (spec.c): an error at the key of `path`, and
 * one at the value of member `key` of the object at `path`. */
void diag_at_key(const struct project *p, struct diags *d, const char *path,
		 const char *fmt, va_list ap) PRINTF_LIKE(4, 0);
void diag_at_member(const struct project *p, struct diags *d, const char *path,
		    const char *key, const char *fmt, va_list ap) PRINTF_LIKE(5, 0);

/* The known word closest to `word` within edit distance 2 (transpositions
 * count 1), or NULL. */
const char *proj_suggest(const char *word, const char *const *known, size_t n);
/* " (did you mean "x"?)" or ""; points into a thread-local buffer. */
const char *proj_suggest_text(const char *word, const char *const *known, size_t n);
/* "JSON type" for messages: "a string", "a number", "an object", ... */
const char *pjson_type_name(const cJSON *v);
/* A JSON scalar as text: strings as is, numbers as "5" or "0.25", booleans
 * "true"/"false"; NULL for null.  Returns false for objects and arrays. */
bool pjson_scalar_text(const cJSON *v, char **out);

/* Names: an identifier, reported as an error at `path` when not. */
bool ld_check_identifier(struct ld *L, const char *path, const char *name);
/* An environment variable name ([A-Za-z_][A-Za-z0-9_]*). */
bool ld_check_env_name(struct ld *L, const char *path, const char *name);
/* Enumerations: `value` must be one of names[0..n); reports
 * `unknown KEY "value" (expected a, b, c)` at path. */
bool ld_enum(struct ld *L, const char *path, const char *key, const char *value,
	     const char *const *names, size_t n, int *out);

/* Reading members (loader_objects.c).  Strings come back as copies the caller
 * owns; a missing required key is reported and "" returned. */
char  *ld_name(struct ld *L, const cJSON *obj, const char *path);
char  *ld_string(struct ld *L, const cJSON *obj, const char *path, const char *key,
		 bool required, const char *fallback);
char  *ld_nonempty(struct ld *L, const cJSON *obj, const char *path, const char *key,
		   bool required);
/* "pool": a name (an identifier) or NULL when absent. */
char  *ld_pool(struct ld *L, const cJSON *obj, const char *path);
bool   ld_enum_member(struct ld *L, const cJSON *obj, const char *path, const char *key,
		      const char *const *names, size_t n, int *out);
size_t ld_string_list(struct ld *L, const cJSON *obj, const char *path, const char *key,
		      char ***values, char ***paths);
void   ld_free_strings(char **v, size_t n);
/* An array `key` of the top level whose items are objects with a "name";
 * parse() fills each zeroed slot (every slot struct starts with char *name).
 * Reports non-objects and repeated names.  Returns the count. */
size_t ld_named_array(struct ld *L, const char *key, const char *what, size_t stride,
		      void **out, void (*parse)(struct ld *L, const cJSON *item,
						const char *path, void *slot));
/* A reference by name to one of `items` (structs starting with char *name):
 * "unknown flow "x" (did you mean "y"?)" when it does not resolve. */
bool ld_ref(struct ld *L, const char *path, const char *what, const char *name,
	    const void *items, size_t n, size_t stride);
bool ld_ref_connection(struct ld *L, const char *path, const char *name);

/* Sections. */
void ld_load_connections(struct ld *L);
void ld_load_environments(struct ld *L, const char *env);
void ld_load_lake_and_control(struct ld *L);
void ld_load_channels(struct ld *L);
void ld_load_routing(struct ld *L);
void ld_load_tables(struct ld *L);
void ld_load_pipes(struct ld *L);
void ld_load_streams(struct ld *L);
void ld_load_flows(struct ld *L);
void ld_load_tasks(struct ld *L);
void ld_check_table_connections(struct ld *L);

/* URLs (secrets.c).  They report at `path` and never quote the URL. */
bool ld_check_connection_url(struct ld *L, const char *path, const char *url,
			  enum connection_kind *kind);
bool ld_check_lake_url(struct ld *L, const char *path, const char *url);
/* Warnings for secret-looking content; only for a world-readable file. */
void ld_scan_secrets(struct ld *L);
/* "sqlite:rel" -> "sqlite:/abs/dir/rel"; others copied.  Caller frees. */
char *proj_resolve_url(const struct project *p, const char *url, const char *scheme);

/* A cycle in a graph of n nodes given as adjacency lists: calls `report`
 * once per cycle found, with the nodes in order (cycle[0] again at the end
 * is implied) and the position in adj[cycle[len-1]] of the closing edge. */
struct graph {
	size_t n;
	size_t **adj;      /* adj[i]: targets */
	size_t *nadj;
};
void proj_find_cycles(const struct graph *g,
		       void (*report)(const size_t *cycle, size_t len, size_t edge, void *ctx),
		       void *ctx);

/* ---- time zones (tz.c) ---------------------------------------------------------
 * A zone is loaded once and then read without locks.  NULL means UTC. */
struct tz_zone;
/* Load or find a zone; false when the name is not a zone. */
bool tz_lookup(const char *name, const struct tz_zone **out);
long tz_zone_offset(const struct tz_zone *z, int64_t t);           /* seconds */
/* The first instant > t at which the offset changes; false if none. */
bool tz_zone_next_change(const struct tz_zone *z, int64_t t, int64_t *when);
/* The last instant <= t at which the offset changed; false if none. */
bool tz_zone_prev_change(const struct tz_zone *z, int64_t t, int64_t *when);
/* A zone not in the cache, from the bytes of a TZif file or from a POSIX TZ
 * string alone ("CET-1CEST,M3.5.0,M10.5.0/3"): what the fuzzers and the
 * zone oracle test feed.  NULL when malformed.  Free with tz_zone_free. */
struct tz_zone *tz_zone_parse(const unsigned char *b, size_t len);
struct tz_zone *tz_zone_from_rule(const char *rule);
void tz_zone_free(struct tz_zone *z);

#endif
