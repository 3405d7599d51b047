/*
 * demo_int.h - the demo project, shared by the files of cmd/ that build
 * and animate it: cmd_init.c (`sluice init --demo`, and the command
 * family's table), cmd_demo.c (`sluice demo simulate`), demo_data.c (word lists seeded from the real ToteSys
 * rows), demo_source.c (the source schema and the generator that fills
 * it), demo_mark.c (which tables are the demo's own), demo_sim.c (the
 * simulator) and demo_project.c (the project files).
 *
 * Everything here is deterministic: the same seed and size give the same
 * source rows, byte for byte, on any machine.  The one exception is the
 * simulator's timestamps, which are the wall clock's, because incremental
 * extracts select rows by last_updated and must see the changes as new.
 */
#ifndef SLUICE_DEMO_INT_H
#define SLUICE_DEMO_INT_H

#include "core/core.h"
#include "db/db.h"

struct lake;

/* ---- a small PRNG of our own: splitmix64 (Steele, Lea, Flood 2014) --------
 * rand() differs between C libraries and is shared by every thread; this
 * is portable, fast and has no state beyond the struct. */
struct demo_rng {
	uint64_t s;
};

static inline uint64_t demo_rng_next(struct demo_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A generator for one purpose ("sales_order", round 17) of one seed, so
 * that tables do not shift when another table's size changes. */
static inline void demo_rng_init(struct demo_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed ^ (stream * UINT64_C(0xd1b54a32d192ed03));
	demo_rng_next(r);
}

/* Uniform in [0, n); n > 0.  The modulo bias is below 2^-40 for the
 * ranges used here, which is invisible in demo data. */
static inline uint64_t demo_rng_below(struct demo_rng *r, uint64_t n)
{
	return demo_rng_next(r) % n;
}

/* Uniform in [lo, hi]. */
static inline int64_t demo_rng_range(struct demo_rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)demo_rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* True with probability num/den. */
static inline bool demo_rng_chance(struct demo_rng *r, unsigned num, unsigned den)
{
	return demo_rng_below(r, den) < num;
}

#define DEMO_PICK(r, array) ((array)[demo_rng_below((r), ARRAY_LEN(array))])

/* ---- word lists (demo_data.c), from the real ToteSys rows ------------------ */
struct demo_address {
	const char *line_1, *line_2, *district, *city, *postal_code, *country, *phone;
};
struct demo_staff {
	const char *first_name, *last_name;
	int department_id;
};
struct demo_counterparty {
	const char *legal_name;
	int legal_address_id;
	const char *commercial_contact, *delivery_contact;
};
struct demo_department {
	const char *name, *location, *manager;
};

extern const struct demo_address demo_addresses[30];
extern const struct demo_staff demo_staff[20];
extern const struct demo_counterparty demo_counterparties[20];
extern const struct demo_department demo_departments[8];
extern const char *const demo_currencies[3];
extern const char *const demo_payment_types[4];
extern const char *const demo_materials[12];
extern const char *const demo_file_locations[60];
extern const char *const demo_first_names[60];
extern const char *const demo_last_names[95];
extern const char *const demo_street_suffixes[35];
extern const char *const demo_districts[6];
extern const char *const demo_cities[30];
extern const char *const demo_countries[30];

/* ---- time ------------------------------------------------------------------ */
/* 2022-11-03 14:20:49.962 UTC: when the real ToteSys rows were created.
 * Generated history runs from here over DEMO_HISTORY_DAYS. */
#define DEMO_EPOCH_US INT64_C(1667485249962000)
#define DEMO_HISTORY_DAYS 742
#define DEMO_DAY_US (INT64_C(86400) * USEC_PER_SEC)

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC), in db.h's canonical form (no
 * trailing zeros in the fraction), so text comparisons on SQLite order
 * it as time; out needs 32 bytes. */
void demo_format_timestamp(usec_t t, char out[32]);
/* "YYYY-MM-DD"; out needs 16 bytes. */
void demo_format_date(usec_t t, char out[16]);

/* ---- the source (demo_source.c) ---------------------------------------------- */
/* The source tables, in creation order; each has created_at and
 * last_updated and an index on last_updated. */
extern const char *const demo_source_tables[];
extern const size_t demo_nsource_tables;
/* The simulator's own state table in the source: seed, rounds done. */
#define DEMO_STATE_TABLE "demo_simulator"

struct demo_size {
	int64_t sales_orders;
	int64_t addresses, staff, counterparties, designs;
};
/* Table sizes for `rows` sales orders (the other tables grow slowly). */
void demo_size_for(int64_t rows, struct demo_size *out);

/* Create the source tables in db (inside the caller's transaction) and
 * fill them from `seed`: the ToteSys rows first, then generated ones.
 * Rows go through db_writer (COPY on PostgreSQL), one at a time, so memory
 * stays flat whatever `rows` is.  Indexes are made after the data.
 * `progress` (may be NULL) is told every 100,000 sales orders. */
int demo_source_create(struct db *db, uint64_t seed, int64_t rows,
		       void (*progress)(int64_t done, int64_t total, void *arg),
		       void *arg, struct err *e);
/* Every table demo_source_create makes: the source tables and the
 * simulator's state, the names the demo marks as its own in the source. */
extern const char *const demo_source_made[];
extern const size_t demo_nsource_made;
/* Whether db's tables can feed the demo's flows as they are (for
 * `init --demo --use-existing`): every source table with every column the
 * flows read.  Reads the catalogue only.  What is missing goes into
 * `missing` ("table payment_type, column sales_order.unit_price"), empty
 * when nothing is. */
int demo_source_check(struct db *db, struct buf *missing, struct err *e);

/* One row's values as text, in fixed buffers reused for every row;
 * v[i] NULL is SQL NULL.  Longer values are cut at DEMO_ROW_FIELD - 1
 * bytes, which no generated value reaches. */
#define DEMO_ROW_COLS 16
#define DEMO_ROW_FIELD 128
struct demo_row {
	char field[DEMO_ROW_COLS][DEMO_ROW_FIELD];
	const char *v[DEMO_ROW_COLS];
};
void demo_row_str(struct demo_row *r, int i, const char *s);   /* NULL: NULL */
void demo_row_int(struct demo_row *r, int i, int64_t n);
void demo_row_ts(struct demo_row *r, int i, usec_t t);
void demo_row_fmt(struct demo_row *r, int i, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* A writer on one of the demo's source tables, every column in table
 * order (the caller owns the transaction). */
struct db_writer *demo_writer_open(struct db *db, const char *table, struct err *e);

/* Generated values, shared by the generator and the simulator.  Each
 * fills the columns of its table between the id and the timestamps:
 *   address      1..7  (line_1 .. phone)
 *   staff        1..4  (first_name .. email_address)
 *   sales_order  3..11 (design_id .. agreed_delivery_location_id), with
 *                references drawn from 1..the sizes in sz
 * demo_gen_person puts "First Last" (sometimes with a title) in column i. */
void demo_gen_address(struct demo_rng *r, struct demo_row *row);
void demo_gen_staff(struct demo_rng *r, struct demo_row *row);
void demo_gen_person(struct demo_rng *r, struct demo_row *row, int i);
void demo_gen_order(struct demo_rng *r, const struct demo_size *sz, usec_t created,
		    struct demo_row *row);

/* ---- the demo's mark (demo_mark.c) --------------------------------------------
 * _sluice_demo (name, role, instance, marked_at) in each database the demo
 * makes tables in: the names that are the demo's own, which --force may
 * replace and the simulator may write; every other table is left alone. */
#define DEMO_MARK_TABLE "_sluice_demo"

enum demo_role { DEMO_ROLE_SOURCE, DEMO_ROLE_WAREHOUSE };

/* Where each of a list of names stands in one database (strings owned). */
struct demo_census {
	struct vec ours;      /* tables the demo made */
	struct vec foreign;   /* tables of those names that the demo did not make */
	struct vec absent;    /* no such table */
};
int  demo_census_take(struct db *db, enum demo_role role, const char *const *names,
		      size_t n, struct demo_census *out, struct err *e);
void demo_census_free(struct demo_census *c);
/* "a, b, c"; caller frees. */
char *demo_names_join(const struct vec *names);
/* Mark names as the demo's, in the caller's transaction.  pin: each is an
 * existing table, and only that very table is the demo's (a table of the
 * same name made again later is not); otherwise the name is claimed. */
int  demo_mark(struct db *db, enum demo_role role, const char *const *names, size_t n,
	       bool pin, struct err *e);
/* Drop the census's `ours` and their marks, in the caller's transaction. */
int  demo_drop_ours(struct db *db, const struct vec *ours, struct err *e);

/* ---- the simulator (demo_sim.c) ------------------------------------------------ */
struct demo_round {
	int64_t round;            /* the round just done (1-based) */
	int64_t orders_new;       /* sales orders inserted */
	int64_t orders_updated;   /* sales orders amended */
	int64_t others;           /* staff, addresses, counterparties changed */
	int64_t documents;        /* order documents in the dropped file */
	char   *file;             /* lake key of the dropped file, or NULL; caller frees */
	bool    bad_file;         /* the file was deliberately malformed */
};

/* One round of the simulator: in one source transaction, insert new sales
 * orders, amend a few, now and then add staff or an address or change a
 * counterparty, stamping them with the current time; then drop a file of
 * order documents into the lake under orders/ (atomically, lake_put).
 * Which changes a round makes depends only on the seed and the round
 * number, both kept in the source's demo_simulator table; the round
 * counter advances in the same transaction as the changes.  `lake` may be
 * NULL: no file is dropped. */
int demo_sim_round(struct db *source, struct lake *lake, struct demo_round *out,
		   struct err *e);
/* Refuse (ERR_CONFLICT) a source whose tables the demo did not make: a real
 * ToteSys database.  demo_sim_round checks too; a caller checks first
 * through a read-only connection, so that a refused source is not even
 * opened for writing. */
int demo_sim_check_source(struct db *db, struct err *e);

/* ---- the project (demo_project.c) ------------------------------------------------ */
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

/* Where the demo's template lives: $SLUICE_DATADIR/demo, the installed
 * $(pkgdatadir)/demo, or the source tree's data/demo (uninstalled
 * builds).  Caller frees. */
char *demo_template_dir(struct err *e);

/* ---- commands ------------------------------------------------------------------- */
/* `demo simulate` (cmd_demo.c); its descriptor is in cmd_init.c's family. */
struct cmd_ctx;
struct cmd_args;
int demo_exec_simulate(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e);

#endif
