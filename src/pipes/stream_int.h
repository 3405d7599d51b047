/*
 * stream_int.h - shared by stream.c (windows and queries over a stream's
 * table), stream_store.c (where a stream's offset and windows are kept in
 * its database, one set per control store) and run_shared.c (a run's
 * windows in memory).  Nothing else includes it.
 */
#ifndef SLUICE_STREAM_INT_H
#define SLUICE_STREAM_INT_H

#include "pipes/pipes.h"
#include "project/project.h"
#include "store/store.h"

/* A position in the stream's table; pos NULL = before the first row. */
struct spos {
	char *pos;
	char *tb;
	char *del;     /* default mode: an id of the delete log; NULL = before the first */
};

/* (lower, upper]; upper.pos NULL = nothing beyond lower when it was fixed. */
struct swindow {
	struct spos lower, upper;
};

/* Does the window cover ids of the delete log? */
static inline bool stream_window_has_deletes(const struct swindow *w)
{
	return w->upper.del && !str_eq(w->upper.del, w->lower.del);
}

void stream_pos_free(struct spos *p);
void stream_window_free(struct swindow *w);

/* Whose positions: a control store, and the project whose loads say
 * which tables consume which streams. */
struct stream_owner {
	const struct project *project;
	const struct store_identity *id;
};

/* The offset a control store reads from. */
struct offset_row {
	struct spos at;            /* NULL pos: the start */
	usec_t updated;
	int64_t run_id;
	/* Set when this store has no offset of its own and continues from
	 * another store's (its id) or from one written before store ids
	 * ("" ); it becomes the store's own when its load commits. */
	char *taken_from;
};
void stream_offset_row_free(struct offset_row *r);

/* The offset `o` reads `s` from (rules in stream_store.c); a start offset
 * when there is none.  ERR_CONFLICT when an offset exists that sluice
 * cannot attribute, with how to settle it. */
int  stream_offset_read(struct db *db, const struct stream_owner *o, const struct project_stream *s,
	       struct offset_row *out, struct err *e);
/* The window `run_id` of store `o` fixed earlier: 1 (*w filled), 0, -1. */
int  stream_window_load(struct db *db, const struct stream_owner *o, const char *stream,
	       int64_t run_id, struct swindow *w, struct err *e);
/* Keep a run's window (a window saved first by another process of the
 * same run stays). */
int  stream_window_save(struct db *db, const struct stream_owner *o, const char *stream,
	       int64_t run_id, const struct swindow *w, struct err *e);
/* Inside the consuming load's transaction: the store's offset to the
 * window's end (`consumer`: the load's table), and the store's windows of
 * this and older runs dropped.  Default mode: the delete log of the
 * stream's table loses the ids every offset following it is past, and
 * this store's offsets of streams its project no longer has go. */
int  stream_offset_advance(struct db *db, const struct stream_owner *o,
		  const struct project_stream *s, int64_t run_id, const char *consumer,
		  const struct swindow *w, struct err *e);

/* ---- the delete log of default-mode streams (stream_deletes.c) ---------------
 * Make the log and the AFTER DELETE trigger on `table` (described in t)
 * unless they are there. */
int  stream_deletes_capture(struct db *db, const char *table, const struct db_table *t,
			    struct err *e);
/* The newest id logged for `table` (*id NULL: none, or no log). */
int  stream_deletes_newest(struct db *db, const char *table, char **id, struct err *e);
/* Deletes of `table` with ids in (after, upto] (upto NULL: no upper bound). */
int  stream_deletes_count(struct db *db, const char *table, const char *after,
			  const char *upto, int64_t *n, struct err *e);
/* Drop the logged deletes of `table` with ids up to `upto` (all their
 * readers are past them). */
int  stream_deletes_prune(struct db *db, const char *table, const char *upto,
			  struct err *e);
/* A SELECT of the logged rows of `table` in the shape of the table, with
 * STREAM_ACTION 'DELETE', for ids in ($p_after, $p_upto]. */
void stream_deletes_select(struct buf *b, struct db *db, const struct db_table *t,
			   const char *table, int p_table, int p_after, int p_upto);

/* ---- the run's shared state (run_shared.c) ----------------------------------
 * The text is stream.c's (a window); safe from any thread of the run. */
/* The window of `stream` fixed in this run, or NULL; caller frees. */
char *stream_shared_window_get(struct run_shared *rs, const char *stream);
/* Keep `window` for `stream` unless one is kept already, and return the one
 * kept (so two steps racing to fix a window agree); caller frees. */
char *stream_shared_window_set(struct run_shared *rs, const char *stream,
			       const char *window);

#endif
