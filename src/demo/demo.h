/*
 * demo.h - the ToteSys demo: a project that works out of the box, and a
 * shop that keeps it busy.
 *
 * demo_create writes the whole project (`sluice init --demo`): a source
 * filled by a deterministic generator, a warehouse with the star schema, a
 * lake, SQL files and sluice.json.  The shop (demo_shop_*) is the
 * simulator acting on a demo project's source and lake, one round at a
 * time (`sluice demo simulate`); demo_simulator_* runs it on a thread of
 * its own while the console is open (`sluice --demo`).
 *
 * Built on db, lake and project; it knows nothing of commands or the
 * console, which call it.
 */
#ifndef SLUICE_DEMO_H
#define SLUICE_DEMO_H

#include "core/core.h"

#include <stdio.h>

struct project;

/* ---- the project ------------------------------------------------------------ */
struct demo_options {
	const char *dir;
	int64_t rows;
	uint64_t seed;
	const char *source_url;     /* NULL: sqlite:data/source.db in dir */
	const char *warehouse_url;  /* NULL: sqlite:data/warehouse.db in dir */
	bool force;
	bool use_existing;          /* read the source's own tables; generate nothing */
	FILE *progress;             /* where to say what is happening, or NULL */
};

/* Write the complete demo project into o->dir: databases, lake,
 * sluice.json and SQL files.  Tables of the demo's names that it did not
 * make (demo_mark.c) are never replaced, --force or not; with use_existing
 * the source is only read.  sluice.json is written last, so a failed
 * init leaves no project behind to be mistaken for a working one. */
int demo_create(const struct demo_options *o, struct err *e);

/* ---- the shop ------------------------------------------------------------------ */
struct demo_round {
	int64_t round;            /* the round just done (1-based) */
	int64_t orders_new;       /* sales orders inserted */
	int64_t orders_updated;   /* sales orders amended */
	int64_t others;           /* staff, addresses, counterparties changed */
	int64_t documents;        /* order documents in the dropped file */
	char   *file;             /* lake key of the dropped file, or NULL; caller frees */
	bool    bad_file;         /* the file was deliberately malformed */
};

struct demo_shop;

/* The project's `source` connection and its lake, opened for the
 * simulator.  A source the demo did not make is refused (ERR_CONFLICT)
 * after a look through a read-only connection, before it is opened for
 * writing; a read-only lake is refused (nowhere to drop order files). */
struct demo_shop *demo_shop_open(const struct project *p, struct err *e);
/* One round of the simulator (demo_sim.c): new and amended sales orders
 * in one source transaction, then a file of order documents in the lake. */
int  demo_shop_round(struct demo_shop *s, struct demo_round *out, struct err *e);
void demo_shop_close(struct demo_shop *s);

/* ---- the background simulator -------------------------------------------------- */
struct demo_simulator;

/* A thread that runs a round every few seconds on the project in
 * project_file (environment env, may be NULL), reading the project afresh
 * each round, with its own connections; it never touches the terminal.
 * It stops by itself when the project cannot be read, is read-only, or
 * has a source the demo did not make; other failures are logged and the
 * next round tries again.  The thread inherits the caller's signal mask.
 * NULL if no thread could be started. */
struct demo_simulator *demo_simulator_start(const char *project_file, const char *env);
/* Waits for a round in progress to finish (it commits or rolls back),
 * then frees sim.  NULL is a no-op. */
void demo_simulator_stop(struct demo_simulator *sim);

#endif
