/*
 * extract_int.h - shared by extract.c (the step: its keys, writing the
 * window's rows) and extract_window.c (where a window ends, from the
 * source's own clock and rows).
 */
#ifndef SLUICE_EXTRACT_INT_H
#define SLUICE_EXTRACT_INT_H

#include "steps/steps_int.h"
#include "store/store.h"

struct extract_table {
	const char *table;
	const char *watermark;
	const cJSON *columns;      /* array of names, or NULL for all */
	const char *timezone;      /* the zone of a naive timestamp column, or NULL */
};

/* How a watermark column's values are compared. */
enum wm_kind { WM_NUMBER, WM_TIME, WM_DATE, WM_TEXT };

struct wm_frame {
	enum wm_kind kind;
	bool lite;          /* SQLite: times are text, compared as times (strftime) */
	bool zoned;         /* PostgreSQL timestamptz: values are instants */
	bool t_sep;         /* PostgreSQL text: values written with a 'T' */
	const char *tz;     /* the zone of naive values; NULL: UTC */
	const char *name;   /* the table (borrowed) */
	const char *watermark;  /* the column (borrowed) */
	char *table;        /* quoted */
	char *column;       /* quoted */
	char *expr;         /* the column as windows compare it */
};

/* Up to four bound values of a window's WHERE clause. */
struct wm_params {
	const char *v[4];
	int n;
	char own[4][40];
};

/* Check the table and its watermark column (it exists, its type can be a
 * watermark, a declared time zone fits it; a missing index is warned
 * about once) and fill *f.  Free with step_wm_frame_free. */
int   step_wm_frame_open(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
		    struct wm_frame *f, struct err *e);
void  step_wm_frame_free(struct wm_frame *f);
/* The end of the window after `start` (the committed watermark, NULL for
 * none): the highest watermark the table holds above it, up to the
 * source's clock less the lag for temporal columns.  *end NULL: nothing
 * new.  Caller frees. */
int   step_wm_window_end(struct step_ctx *ctx, struct db *db, const struct wm_frame *f,
		    const char *start, char **end, struct err *e);
/* SELECT the table's columns in the window (w's pending start and end),
 * ordered by the watermark; *p holds the values to bind.  w NULL: no
 * rows (an empty window still replaces a staging table). */
char *step_wm_window_query(struct db *db, const struct extract_table *xt,
		      const struct wm_frame *f, const struct store_watermark *w,
		      struct wm_params *p);
/* Rows no window can ever take: NULL watermarks, and on SQLite values
 * that are not times (in `w`'s window, or outside any date). */
int   step_wm_unextractable(struct db *db, const struct wm_frame *f,
		       const struct store_watermark *w, int64_t *n, struct err *e);
/* The UTC time a lake key of window w carries: the window's end. */
usec_t step_wm_key_time(const struct wm_frame *f, const struct store_watermark *w);

/* True the first time `what` is passed in this process. */
bool  step_extract_first_warning(const char *what);

#endif
