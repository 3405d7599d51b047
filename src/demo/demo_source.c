/*
 * demo_source.c - the demo's source database: the ToteSys OLTP schema and
 * a deterministic generator that fills it.
 *
 * The tables and their columns are exactly those of the real ToteSys rows
 * in tests/data/totesys, declared once here as db_table definitions so
 * that the same code creates them on SQLite and on PostgreSQL.  The small
 * tables start with the real rows; everything else is made from word
 * lists taken from them, by a splitmix64 generator seeded per table, so a
 * seed and a size always give the same bytes.  Rows stream through one
 * db_writer per table (COPY on PostgreSQL, one prepared INSERT on SQLite)
 * inside the caller's transaction: memory does not grow with the size.
 */
#include "demo/demo_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the schema ----------------------------------------------------------- */

struct demo_col {
	const char *name;
	enum db_type type;
	int precision, scale;
	bool not_null, primary_key;
};

#define C_ID(n)    { n, DT_INT, 0, 0, true, true }
#define C_INT(n)   { n, DT_INT, 0, 0, true, false }
#define C_TEXT(n)  { n, DT_TEXT, 0, 0, true, false }
#define C_NTEXT(n) { n, DT_TEXT, 0, 0, false, false }
#define C_TS(n)    { n, DT_TIMESTAMP, 0, 0, true, false }

static const struct demo_col address_cols[] = {
	C_ID("address_id"), C_TEXT("address_line_1"), C_NTEXT("address_line_2"),
	C_NTEXT("district"), C_TEXT("city"), C_TEXT("postal_code"), C_TEXT("country"),
	C_TEXT("phone"), C_TS("created_at"), C_TS("last_updated"),
};
static const struct demo_col counterparty_cols[] = {
	C_ID("counterparty_id"), C_TEXT("counterparty_legal_name"),
	C_INT("legal_address_id"), C_NTEXT("commercial_contact"),
	C_NTEXT("delivery_contact"), C_TS("created_at"), C_TS("last_updated"),
};
static const struct demo_col currency_cols[] = {
	C_ID("currency_id"), { "currency_code", DT_TEXT, 3, 0, true, false },
	C_TS("created_at"), C_TS("last_updated"),
};
static const struct demo_col department_cols[] = {
	C_ID("department_id"), C_TEXT("department_name"), C_NTEXT("location"),
	C_NTEXT("manager"), C_TS("created_at"), C_TS("last_updated"),
};
static const struct demo_col design_cols[] = {
	C_ID("design_id"), C_TS("created_at"), C_TEXT("design_name"),
	C_TEXT("file_location"), C_TEXT("file_name"), C_TS("last_updated"),
};
static const struct demo_col payment_type_cols[] = {
	C_ID("payment_type_id"), C_TEXT("payment_type_name"), C_TS("created_at"),
	C_TS("last_updated"),
};
static const struct demo_col sales_order_cols[] = {
	C_ID("sales_order_id"), C_TS("created_at"), C_TS("last_updated"),
	C_INT("design_id"), C_INT("staff_id"), C_INT("counterparty_id"),
	C_INT("units_sold"), { "unit_price", DT_NUMERIC, 10, 2, true, false },
	C_INT("currency_id"), C_TEXT("agreed_delivery_date"),
	C_TEXT("agreed_payment_date"), C_INT("agreed_delivery_location_id"),
};
static const struct demo_col staff_cols[] = {
	C_ID("staff_id"), C_TEXT("first_name"), C_TEXT("last_name"),
	C_INT("department_id"), C_TEXT("email_address"), C_TS("created_at"),
	C_TS("last_updated"),
};
static const struct demo_col state_cols[] = {
	C_ID("id"), C_TEXT("seed"), C_INT("rounds"), C_INT("documents"),
	C_TS("updated_at"),
};

struct demo_tabledef {
	const char *name;
	const struct demo_col *cols;
	size_t ncols;
};

#define TABLE(n, c) { n, c, ARRAY_LEN(c) }
static const struct demo_tabledef tabledefs[] = {
	TABLE("address", address_cols),
	TABLE("counterparty", counterparty_cols),
	TABLE("currency", currency_cols),
	TABLE("department", department_cols),
	TABLE("design", design_cols),
	TABLE("payment_type", payment_type_cols),
	TABLE("sales_order", sales_order_cols),
	TABLE("staff", staff_cols),
	TABLE(DEMO_STATE_TABLE, state_cols),
};

const char *const demo_source_tables[] = {
	"address", "counterparty", "currency", "department", "design",
	"payment_type", "sales_order", "staff",
};
const size_t demo_nsource_tables = ARRAY_LEN(demo_source_tables);

const char *const demo_source_made[] = {
	"address", "counterparty", "currency", "department", "design",
	"payment_type", "sales_order", "staff", DEMO_STATE_TABLE,
};
const size_t demo_nsource_made = ARRAY_LEN(demo_source_made);

static const struct demo_tabledef *tabledef(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(tabledefs); i++)
		if (strcmp(tabledefs[i].name, name) == 0)
			return &tabledefs[i];
	return NULL;
}

static int create_table(struct db *db, const struct demo_tabledef *td, struct err *e)
{
	struct db_column cols[DEMO_ROW_COLS];
	for (size_t i = 0; i < td->ncols; i++) {
		cols[i] = (struct db_column){
			.name = (char *)td->cols[i].name,
			.type = { td->cols[i].type, td->cols[i].precision, td->cols[i].scale },
			.not_null = td->cols[i].not_null,
			.primary_key = td->cols[i].primary_key,
		};
	}
	struct db_table def = { (char *)td->name, cols, td->ncols };
	return db_create_table(db, &def, false, e);
}

/* ---- time ------------------------------------------------------------------
 * Formatted by hand: a million orders need four dates each, and gmtime_r
 * plus strftime was a tenth of the generator's time. */

static char *put_digits(char *p, int64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void demo_format_date(usec_t t, char out[16])
{
	int64_t y;
	int m, d;
	cal_civil_from_days(cal_floor_div(t, DEMO_DAY_US), &y, &m, &d);
	char *p = put_digits(out, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p = '\0';
}

void demo_format_timestamp(usec_t t, char out[32])
{
	demo_format_date(t, out);
	int64_t in_day = t - cal_floor_div(t, DEMO_DAY_US) * DEMO_DAY_US;
	int64_t secs = in_day / USEC_PER_SEC, micros = in_day % USEC_PER_SEC;
	char *p = out + 10;
	*p++ = ' ';
	p = put_digits(p, secs / 3600, 2);
	*p++ = ':';
	p = put_digits(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, secs % 60, 2);
	if (micros) {
		/* The canonical form (db.h): no trailing zeros in the fraction. */
		int digits = 6;
		while (micros % 10 == 0) {
			micros /= 10;
			digits--;
		}
		*p++ = '.';
		p = put_digits(p, micros, digits);
	}
	*p = '\0';
}

/* ---- rows --------------------------------------------------------------------- */

void demo_row_str(struct demo_row *r, int i, const char *s)
{
	if (!s) {
		r->v[i] = NULL;
		return;
	}
	size_t n = strlen(s);
	if (n >= DEMO_ROW_FIELD)
		n = DEMO_ROW_FIELD - 1;
	memcpy(r->field[i], s, n);
	r->field[i][n] = '\0';
	r->v[i] = r->field[i];
}

void demo_row_int(struct demo_row *r, int i, int64_t n)
{
	snprintf(r->field[i], DEMO_ROW_FIELD, "%lld", (long long)n);
	r->v[i] = r->field[i];
}

void demo_row_ts(struct demo_row *r, int i, usec_t t)
{
	demo_format_timestamp(t, r->field[i]);
	r->v[i] = r->field[i];
}

void demo_row_fmt(struct demo_row *r, int i, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->field[i], DEMO_ROW_FIELD, fmt, ap);
	va_end(ap);
	r->v[i] = r->field[i];
}

struct db_writer *demo_writer_open(struct db *db, const char *table, struct err *e)
{
	const struct demo_tabledef *td = tabledef(table);
	const char *names[DEMO_ROW_COLS];
	for (size_t i = 0; i < td->ncols; i++)
		names[i] = td->cols[i].name;
	return db_writer_open(db, table, names, (int)td->ncols, e);
}

static int write_row(struct db_writer *w, struct demo_row *r, struct err *e)
{
	if (db_writer_row(w, r->v, e) < 0) {
		db_writer_abort(w);
		return -1;
	}
	return 0;
}

static int close_writer(struct db_writer *w, const char *table, struct err *e)
{
	if (db_writer_close(w, NULL, e) < 0) {
		err_prefix(e, "filling %s: ", table);
		return -1;
	}
	return 0;
}

/* ---- sizes -------------------------------------------------------------------- */

void demo_size_for(int64_t rows, struct demo_size *out)
{
	out->sales_orders = rows;
	out->addresses = 30 + rows / 1000;
	out->staff = 20 + rows / 10000;
	out->counterparties = 20 + rows / 5000;
	int64_t d = rows / 20;
	out->designs = d < 50 ? 50 : d > 2000 ? 2000 : d;
}

/* The real rows were created at these two instants. */
#define REF_TIME   DEMO_EPOCH_US
#define STAFF_TIME (DEMO_EPOCH_US + INT64_C(1601000))
#define HISTORY_US (DEMO_HISTORY_DAYS * DEMO_DAY_US)

/* Most rows never change; some were amended at a time within the history. */
static usec_t maybe_amended(struct demo_rng *r, usec_t created)
{
	if (!demo_rng_chance(r, 3, 20))
		return created;
	usec_t span = DEMO_EPOCH_US + HISTORY_US - created;
	if (span <= USEC_PER_SEC)
		return created;
	return created + 1 + (usec_t)demo_rng_below(r, (uint64_t)span);
}

static const char *lower_copy(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
	return out;
}

/* ---- one generator per table ----------------------------------------------------- */

void demo_gen_address(struct demo_rng *r, struct demo_row *row)
{
	/* 2 to 5 digits, leading zeros and all, as in the real rows. */
	static const int limits[] = { 99, 999, 9999, 99999 };
	int width = (int)demo_rng_range(r, 2, 5);
	int number = (int)demo_rng_range(r, 1, limits[width - 2]);
	demo_row_fmt(row, 1, "%0*d %s %s", width, number, DEMO_PICK(r, demo_last_names),
		     DEMO_PICK(r, demo_street_suffixes));
	if (demo_rng_chance(r, 2, 5))
		demo_row_fmt(row, 2, "%s %s", DEMO_PICK(r, demo_first_names),
			DEMO_PICK(r, demo_street_suffixes));
	else
		demo_row_str(row, 2, NULL);
	demo_row_str(row, 3, demo_rng_chance(r, 1, 2) ? DEMO_PICK(r, demo_districts) : NULL);
	static const char *const city_prefix[] = { "North", "South", "East", "West",
						   "New", "Lake", "Port", "Fort" };
	if (demo_rng_chance(r, 1, 2))
		demo_row_str(row, 4, DEMO_PICK(r, demo_cities));
	else
		demo_row_fmt(row, 4, "%s %s", DEMO_PICK(r, city_prefix),
			DEMO_PICK(r, demo_last_names));
	if (demo_rng_chance(r, 1, 2))
		demo_row_fmt(row, 5, "%05d", (int)demo_rng_below(r, 100000));
	else
		demo_row_fmt(row, 5, "%05d-%04d", (int)demo_rng_below(r, 100000),
			(int)demo_rng_below(r, 10000));
	demo_row_str(row, 6, DEMO_PICK(r, demo_countries));
	demo_row_fmt(row, 7, "%04d %06d", (int)demo_rng_below(r, 10000),
		(int)demo_rng_below(r, 1000000));
}

static int fill_addresses(struct db *db, uint64_t seed, int64_t n, struct err *e)
{
	struct db_writer *w = demo_writer_open(db, "address", e);
	if (!w)
		return -1;
	struct demo_rng r;
	demo_rng_init(&r, seed, 1);
	struct demo_row row;
	for (int64_t id = 1; id <= n; id++) {
		demo_row_int(&row, 0, id);
		usec_t created = REF_TIME;
		if (id <= (int64_t)ARRAY_LEN(demo_addresses)) {
			const struct demo_address *a = &demo_addresses[id - 1];
			demo_row_str(&row, 1, a->line_1);
			demo_row_str(&row, 2, a->line_2);
			demo_row_str(&row, 3, a->district);
			demo_row_str(&row, 4, a->city);
			demo_row_str(&row, 5, a->postal_code);
			demo_row_str(&row, 6, a->country);
			demo_row_str(&row, 7, a->phone);
		} else {
			demo_gen_address(&r, &row);
			created = REF_TIME + (usec_t)demo_rng_below(&r, (uint64_t)HISTORY_US);
		}
		demo_row_ts(&row, 8, created);
		demo_row_ts(&row, 9, maybe_amended(&r, created));
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	return close_writer(w, "address", e);
}

void demo_gen_staff(struct demo_rng *r, struct demo_row *row)
{
	const char *first = DEMO_PICK(r, demo_first_names);
	const char *last = DEMO_PICK(r, demo_last_names);
	char lf[64], ll[64];
	demo_row_str(row, 1, first);
	demo_row_str(row, 2, last);
	demo_row_int(row, 3, demo_rng_range(r, 1, ARRAY_LEN(demo_departments)));
	demo_row_fmt(row, 4, "%s.%s@terrifictotes.com", lower_copy(first, lf, sizeof lf),
		lower_copy(last, ll, sizeof ll));
}

static int fill_staff(struct db *db, uint64_t seed, int64_t n, struct err *e)
{
	struct db_writer *w = demo_writer_open(db, "staff", e);
	if (!w)
		return -1;
	struct demo_rng r;
	demo_rng_init(&r, seed, 2);
	struct demo_row row;
	for (int64_t id = 1; id <= n; id++) {
		demo_row_int(&row, 0, id);
		usec_t created = STAFF_TIME;
		if (id <= (int64_t)ARRAY_LEN(demo_staff)) {
			const struct demo_staff *s = &demo_staff[id - 1];
			char lf[64], ll[64];
			demo_row_str(&row, 1, s->first_name);
			demo_row_str(&row, 2, s->last_name);
			demo_row_int(&row, 3, s->department_id);
			demo_row_fmt(&row, 4, "%s.%s@terrifictotes.com",
				lower_copy(s->first_name, lf, sizeof lf),
				lower_copy(s->last_name, ll, sizeof ll));
		} else {
			demo_gen_staff(&r, &row);
			created = STAFF_TIME + (usec_t)demo_rng_below(&r, (uint64_t)HISTORY_US);
		}
		demo_row_ts(&row, 5, created);
		demo_row_ts(&row, 6, maybe_amended(&r, created));
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	return close_writer(w, "staff", e);
}

void demo_gen_person(struct demo_rng *r, struct demo_row *row, int i)
{
	static const char *const titles[] = { "Mr. ", "Mrs. ", "Ms. ", "Dr. " };
	static const char *const suffixes[] = { " II", " III", " PhD", " DDS" };
	const char *title = demo_rng_chance(r, 1, 8) ? DEMO_PICK(r, titles) : "";
	const char *suffix = demo_rng_chance(r, 1, 10) ? DEMO_PICK(r, suffixes) : "";
	demo_row_fmt(row, i, "%s%s %s%s", title, DEMO_PICK(r, demo_first_names),
		DEMO_PICK(r, demo_last_names), suffix);
}

static void gen_legal_name(struct demo_rng *r, struct demo_row *row, int i)
{
	const char *a = DEMO_PICK(r, demo_last_names);
	const char *b = DEMO_PICK(r, demo_last_names);
	const char *c = DEMO_PICK(r, demo_last_names);
	switch (demo_rng_below(r, 6)) {
	case 0: demo_row_fmt(row, i, "%s and Sons", a); break;
	case 1: demo_row_fmt(row, i, "%s Inc", a); break;
	case 2: demo_row_fmt(row, i, "%s LLC", a); break;
	case 3: demo_row_fmt(row, i, "%s Group", a); break;
	case 4: demo_row_fmt(row, i, "%s - %s", a, b); break;
	default: demo_row_fmt(row, i, "%s, %s and %s", a, b, c); break;
	}
}

static int fill_counterparties(struct db *db, uint64_t seed, int64_t n,
			       int64_t naddresses, struct err *e)
{
	struct db_writer *w = demo_writer_open(db, "counterparty", e);
	if (!w)
		return -1;
	struct demo_rng r;
	demo_rng_init(&r, seed, 3);
	struct demo_row row;
	for (int64_t id = 1; id <= n; id++) {
		demo_row_int(&row, 0, id);
		usec_t created = STAFF_TIME;
		if (id <= (int64_t)ARRAY_LEN(demo_counterparties)) {
			const struct demo_counterparty *c = &demo_counterparties[id - 1];
			demo_row_str(&row, 1, c->legal_name);
			demo_row_int(&row, 2, c->legal_address_id);
			demo_row_str(&row, 3, c->commercial_contact);
			demo_row_str(&row, 4, c->delivery_contact);
		} else {
			gen_legal_name(&r, &row, 1);
			demo_row_int(&row, 2, demo_rng_range(&r, 1, naddresses));
			demo_gen_person(&r, &row, 3);
			demo_gen_person(&r, &row, 4);
			created = STAFF_TIME + (usec_t)demo_rng_below(&r, (uint64_t)HISTORY_US);
		}
		demo_row_ts(&row, 5, created);
		demo_row_ts(&row, 6, maybe_amended(&r, created));
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	return close_writer(w, "counterparty", e);
}

/* currency, department and payment_type: the real rows, as they are. */
static int fill_reference(struct db *db, struct err *e)
{
	struct demo_row row;
	struct db_writer *w = demo_writer_open(db, "currency", e);
	if (!w)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(demo_currencies); i++) {
		demo_row_int(&row, 0, (int64_t)i + 1);
		demo_row_str(&row, 1, demo_currencies[i]);
		demo_row_ts(&row, 2, REF_TIME);
		demo_row_ts(&row, 3, REF_TIME);
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	if (close_writer(w, "currency", e) < 0 || !(w = demo_writer_open(db, "department", e)))
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(demo_departments); i++) {
		demo_row_int(&row, 0, (int64_t)i + 1);
		demo_row_str(&row, 1, demo_departments[i].name);
		demo_row_str(&row, 2, demo_departments[i].location);
		demo_row_str(&row, 3, demo_departments[i].manager);
		demo_row_ts(&row, 4, REF_TIME);
		demo_row_ts(&row, 5, REF_TIME);
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	if (close_writer(w, "department", e) < 0 || !(w = demo_writer_open(db, "payment_type", e)))
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(demo_payment_types); i++) {
		demo_row_int(&row, 0, (int64_t)i + 1);
		demo_row_str(&row, 1, demo_payment_types[i]);
		demo_row_ts(&row, 2, REF_TIME);
		demo_row_ts(&row, 3, REF_TIME);
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	return close_writer(w, "payment_type", e);
}

static int fill_designs(struct db *db, uint64_t seed, int64_t n, struct err *e)
{
	struct db_writer *w = demo_writer_open(db, "design", e);
	if (!w)
		return -1;
	struct demo_rng r;
	demo_rng_init(&r, seed, 4);
	struct demo_row row;
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (int64_t id = 1; id <= n; id++) {
		/* Designs appear over the whole history, in id order. */
		usec_t created = REF_TIME + (id - 1) * (HISTORY_US / n) +
				 (usec_t)demo_rng_below(&r, (uint64_t)(HISTORY_US / n));
		const char *name = DEMO_PICK(&r, demo_materials);
		char lower[32], date[16], tag[5];
		demo_format_date(created - 100 * DEMO_DAY_US +
				 (usec_t)demo_rng_below(&r, 90) * DEMO_DAY_US, date);
		for (int k = 0; k < 4; k++)
			tag[k] = alnum[demo_rng_below(&r, sizeof alnum - 1)];
		tag[4] = '\0';
		demo_row_int(&row, 0, id);
		demo_row_ts(&row, 1, created);
		demo_row_str(&row, 2, name);
		demo_row_str(&row, 3, DEMO_PICK(&r, demo_file_locations));
		demo_row_fmt(&row, 4, "%s-%.4s%.2s%.2s-%s.json", lower_copy(name, lower, sizeof lower),
			date, date + 5, date + 8, tag);
		demo_row_ts(&row, 5, maybe_amended(&r, created));
		if (write_row(w, &row, e) < 0)
			return -1;
	}
	return close_writer(w, "design", e);
}

void demo_gen_order(struct demo_rng *r, const struct demo_size *sz,
		    usec_t created, struct demo_row *row)
{
	demo_row_int(row, 3, demo_rng_range(r, 1, sz->designs));
	demo_row_int(row, 4, demo_rng_range(r, 1, sz->staff));
	demo_row_int(row, 5, demo_rng_range(r, 1, sz->counterparties));
	demo_row_int(row, 6, demo_rng_range(r, 1000, 100000));
	int cents = (int)demo_rng_range(r, 200, 400);
	demo_row_fmt(row, 7, "%d.%02d", cents / 100, cents % 100);
	/* Half the trade is in pounds. */
	int64_t cur = demo_rng_chance(r, 1, 2) ? 1 : demo_rng_range(r, 2, 3);
	demo_row_int(row, 8, cur);
	char d[16];
	demo_format_date(created + demo_rng_range(r, 1, 10) * DEMO_DAY_US, d);
	demo_row_str(row, 9, d);
	demo_format_date(created + demo_rng_range(r, 1, 10) * DEMO_DAY_US, d);
	demo_row_str(row, 10, d);
	demo_row_int(row, 11, demo_rng_range(r, 1, sz->addresses));
}

static int fill_sales_orders(struct db *db, uint64_t seed, const struct demo_size *sz,
			     void (*progress)(int64_t, int64_t, void *), void *arg,
			     struct err *e)
{
	struct db_writer *w = demo_writer_open(db, "sales_order", e);
	if (!w)
		return -1;
	struct demo_rng r;
	demo_rng_init(&r, seed, 5);
	struct demo_row row;
	int64_t n = sz->sales_orders;
	/* Orders arrive in id order over the history, the first 2.2 s after
	 * the reference rows as in the real data. */
	usec_t step = n ? HISTORY_US / n : 0;
	usec_t start = REF_TIME + INT64_C(2224000);
	for (int64_t id = 1; id <= n; id++) {
		usec_t created = start + (id - 1) * step +
				 (step > 1 ? (usec_t)demo_rng_below(&r, (uint64_t)step) : 0);
		demo_row_int(&row, 0, id);
		demo_row_ts(&row, 1, created);
		demo_row_ts(&row, 2, maybe_amended(&r, created));
		demo_gen_order(&r, sz, created, &row);
		if (write_row(w, &row, e) < 0)
			return -1;
		if (progress && id % 100000 == 0)
			progress(id, n, arg);
	}
	return close_writer(w, "sales_order", e);
}

static int fill_state(struct db *db, uint64_t seed, struct err *e)
{
	struct db_writer *w = demo_writer_open(db, DEMO_STATE_TABLE, e);
	if (!w)
		return -1;
	struct demo_row row;
	demo_row_int(&row, 0, 1);
	demo_row_fmt(&row, 1, "%llu", (unsigned long long)seed);
	demo_row_int(&row, 2, 0);
	demo_row_int(&row, 3, 0);
	demo_row_ts(&row, 4, REF_TIME);
	if (write_row(w, &row, e) < 0)
		return -1;
	return close_writer(w, DEMO_STATE_TABLE, e);
}

int demo_source_create(struct db *db, uint64_t seed, int64_t rows,
		       void (*progress)(int64_t done, int64_t total, void *arg),
		       void *arg, struct err *e)
{
	struct demo_size sz;
	demo_size_for(rows, &sz);
	for (size_t i = 0; i < ARRAY_LEN(tabledefs); i++)
		if (create_table(db, &tabledefs[i], e) < 0)
			return -1;
	if (fill_reference(db, e) < 0 ||
	    fill_addresses(db, seed, sz.addresses, e) < 0 ||
	    fill_staff(db, seed, sz.staff, e) < 0 ||
	    fill_counterparties(db, seed, sz.counterparties, sz.addresses, e) < 0 ||
	    fill_designs(db, seed, sz.designs, e) < 0 ||
	    fill_sales_orders(db, seed, &sz, progress, arg, e) < 0 ||
	    fill_state(db, seed, e) < 0)
		return -1;
	/* Incremental extracts select by last_updated: make that a range scan. */
	for (size_t i = 0; i < demo_nsource_tables; i++) {
		const char *col = "last_updated";
		if (db_create_index(db, demo_source_tables[i], &col, 1, false, e) < 0)
			return -1;
	}
	return 0;
}

/* Column names match without regard to case, as SQL names do. */
static bool has_column(const struct db_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			return true;
	return false;
}

int demo_source_check(struct db *db, struct buf *missing, struct err *e)
{
	for (size_t i = 0; i < demo_nsource_tables; i++) {
		const struct demo_tabledef *td = tabledef(demo_source_tables[i]);
		int rc = db_table_exists(db, td->name, e);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			buf_printf(missing, "%stable %s", missing->len ? ", " : "", td->name);
			continue;
		}
		struct db_table *t = db_describe(db, td->name, e);
		if (!t)
			return -1;
		for (size_t c = 0; c < td->ncols; c++)
			if (!has_column(t, td->cols[c].name))
				buf_printf(missing, "%scolumn %s.%s", missing->len ? ", " : "",
					   td->name, td->cols[c].name);
		db_table_free(t);
	}
	return 0;
}
