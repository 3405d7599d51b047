/*
 * demo_sim.c - the demo's simulator: the ToteSys shop going about its
 * business, so that the console has something to show.
 *
 * Each round plays the OLTP application and the web shop at once: in one
 * source transaction it takes a few new sales orders, amends some old
 * ones, now and then hires staff, adds an address or changes a customer's
 * contact, all stamped with the current time so the next incremental
 * extract picks them up; then it drops a file of order documents (JSON
 * with nested products) into the lake under orders/, where the orders pipe
 * finds it.  Once in a while the file is deliberately broken, so the pipe
 * has a failed load to show.
 *
 * What a round does depends only on the seed and the round number, both
 * kept in the source's demo_simulator table and advanced in the same
 * transaction as the changes, so two demos made with the same seed
 * change in the same way (only the timestamps differ: they are the
 * clock's).  The simulator writes to the source even when the project
 * marks that connection read-only: it stands for the application that
 * owns the source, not for sluice.  Which is why it writes only to a
 * source the demo made, and never to a real one (demo_sim_check_source).
 */
#include "demo/demo_int.h"
#include "lake/lake.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct sim_state {
	uint64_t seed;
	int64_t rounds;
	int64_t documents;
	struct demo_size size;    /* the highest id of each table */
};

static int read_int(struct db *db, const char *sql, int64_t *out, struct err *e)
{
	int rc = db_query_int(db, sql, NULL, 0, out, e);
	if (rc == 0)
		*out = 0;
	return rc < 0 ? -1 : 0;
}

/* The simulator stands for the application that owns the source, so it may
 * only ever write a source the demo made: every table it could write must
 * carry the demo's mark (demo_mark.c).  A real ToteSys database, one a
 * project reads with --use-existing, is refused before anything is read;
 * read_state asks again inside the round's transaction. */
int demo_sim_check_source(struct db *db, struct err *e)
{
	struct demo_census c;
	if (demo_census_take(db, DEMO_ROLE_SOURCE, demo_source_made, demo_nsource_made,
			     &c, e) < 0)
		return -1;
	int rc = 0;
	if (c.foreign.len) {
		char *list = demo_names_join(&c.foreign);
		rc = err_set(e, ERR_CONFLICT, "%s: not a source that 'sluice init --demo' "
			     "created (%s %s not the demo's); the simulator writes only to the "
			     "demo's own source and leaves this one alone", db_label(db), list,
			     c.foreign.len == 1 ? "is" : "are");
		free(list);
	} else if (c.absent.len) {
		char *list = demo_names_join(&c.absent);
		rc = err_set(e, ERR_NOTFOUND, "%s: not a demo source: it has no %s (make one "
			     "with 'sluice init --demo DIR')", db_label(db), list);
		free(list);
	}
	demo_census_free(&c);
	return rc;
}

static int read_state(struct db *db, struct sim_state *st, struct err *e)
{
	if (demo_sim_check_source(db, e) < 0)
		return -1;
	char *seed = NULL;
	int rc;
	rc = db_query_value(db, "SELECT seed FROM " DEMO_STATE_TABLE " WHERE id = 1",
			    NULL, 0, &seed, e);
	if (rc <= 0) {
		free(seed);
		if (rc == 0)
			err_set(e, ERR_NOTFOUND, "%s: %s is empty", db_label(db), DEMO_STATE_TABLE);
		return -1;
	}
	st->seed = strtoull(seed, NULL, 10);
	free(seed);
	struct demo_size *sz = &st->size;
	if (read_int(db, "SELECT rounds FROM " DEMO_STATE_TABLE " WHERE id = 1",
		     &st->rounds, e) < 0 ||
	    read_int(db, "SELECT documents FROM " DEMO_STATE_TABLE " WHERE id = 1",
		     &st->documents, e) < 0 ||
	    read_int(db, "SELECT coalesce(max(sales_order_id), 0) FROM sales_order",
		     &sz->sales_orders, e) < 0 ||
	    read_int(db, "SELECT coalesce(max(address_id), 0) FROM address",
		     &sz->addresses, e) < 0 ||
	    read_int(db, "SELECT coalesce(max(staff_id), 0) FROM staff", &sz->staff, e) < 0 ||
	    read_int(db, "SELECT coalesce(max(counterparty_id), 0) FROM counterparty",
		     &sz->counterparties, e) < 0 ||
	    read_int(db, "SELECT coalesce(max(design_id), 0) FROM design",
		     &sz->designs, e) < 0)
		return -1;
	if (!sz->addresses || !sz->staff || !sz->counterparties || !sz->designs)
		return err_set(e, ERR_INVALID, "%s: the demo's reference tables are empty",
			       db_label(db));
	return 0;
}

/* ---- source changes -------------------------------------------------------- */

static int insert_orders(struct db *db, struct demo_rng *r, struct sim_state *st,
			 usec_t now, int count, struct err *e)
{
	struct db_writer *w = demo_writer_open(db, "sales_order", e);
	if (!w)
		return -1;
	struct demo_row row;
	for (int i = 0; i < count; i++) {
		demo_row_int(&row, 0, ++st->size.sales_orders);
		demo_row_ts(&row, 1, now);
		demo_row_ts(&row, 2, now);
		demo_gen_order(r, &st->size, now, &row);
		if (db_writer_row(w, row.v, e) < 0) {
			db_writer_abort(w);
			return -1;
		}
	}
	return db_writer_close(w, NULL, e);
}

/* A customer changes the quantity and the delivery date of an order. */
static int amend_order(struct db *db, struct demo_rng *r, const struct sim_state *st,
		       usec_t now, int64_t *changed, struct err *e)
{
	if (st->size.sales_orders == 0)
		return 0;
	char id[24], units[24], date[16], ts[32];
	snprintf(id, sizeof id, "%lld",
		 (long long)demo_rng_range(r, 1, st->size.sales_orders));
	snprintf(units, sizeof units, "%lld", (long long)demo_rng_range(r, 1000, 100000));
	demo_format_date(now + demo_rng_range(r, 1, 10) * DEMO_DAY_US, date);
	demo_format_timestamp(now, ts);
	const char *params[] = { units, date, ts, id };
	int64_t n = 0;
	if (db_exec(db, "UPDATE sales_order SET units_sold = $1, agreed_delivery_date = $2, "
		    "last_updated = $3 WHERE sales_order_id = $4", params, 4, &n, e) < 0)
		return -1;
	*changed += n;
	return 0;
}

/* One row into a table, through a writer of its own. */
static int insert_row(struct db *db, const char *table, const struct demo_row *row,
		      struct err *e)
{
	struct db_writer *w = demo_writer_open(db, table, e);
	if (!w)
		return -1;
	if (db_writer_row(w, row->v, e) < 0) {
		db_writer_abort(w);
		return -1;
	}
	return db_writer_close(w, NULL, e);
}

static int hire_staff(struct db *db, struct demo_rng *r, struct sim_state *st,
		      usec_t now, struct err *e)
{
	struct demo_row row;
	demo_row_int(&row, 0, ++st->size.staff);
	demo_gen_staff(r, &row);
	demo_row_ts(&row, 5, now);
	demo_row_ts(&row, 6, now);
	return insert_row(db, "staff", &row, e);
}

static int add_address(struct db *db, struct demo_rng *r, struct sim_state *st,
		       usec_t now, struct err *e)
{
	struct demo_row row;
	demo_row_int(&row, 0, ++st->size.addresses);
	demo_gen_address(r, &row);
	demo_row_ts(&row, 8, now);
	demo_row_ts(&row, 9, now);
	return insert_row(db, "address", &row, e);
}

static int change_contact(struct db *db, struct demo_rng *r, const struct sim_state *st,
			  const char *now, struct err *e)
{
	struct demo_row row;
	demo_gen_person(r, &row, 0);
	char id[24];
	snprintf(id, sizeof id, "%lld",
		 (long long)demo_rng_range(r, 1, st->size.counterparties));
	const char *params[] = { row.v[0], now, id };
	return db_exec(db, "UPDATE counterparty SET commercial_contact = $1, "
		       "last_updated = $2 WHERE counterparty_id = $3", params, 3, NULL, e);
}

static int move_staff(struct db *db, struct demo_rng *r, const struct sim_state *st,
		      const char *now, struct err *e)
{
	char id[24], dept[24];
	snprintf(id, sizeof id, "%lld", (long long)demo_rng_range(r, 1, st->size.staff));
	snprintf(dept, sizeof dept, "%lld",
		 (long long)demo_rng_range(r, 1, ARRAY_LEN(demo_departments)));
	const char *params[] = { dept, now, id };
	return db_exec(db, "UPDATE staff SET department_id = $1, last_updated = $2 "
		       "WHERE staff_id = $3", params, 3, NULL, e);
}

static int source_changes(struct db *db, struct demo_rng *r, struct sim_state *st,
			  usec_t now, struct demo_round *out, struct err *e)
{
	char ts[32];
	demo_format_timestamp(now, ts);
	int fresh = (int)demo_rng_range(r, 1, 4);
	if (insert_orders(db, r, st, now, fresh, e) < 0)
		return -1;
	out->orders_new = fresh;
	int amend = (int)demo_rng_range(r, 0, 3);
	for (int i = 0; i < amend; i++)
		if (amend_order(db, r, st, now, &out->orders_updated, e) < 0)
			return -1;
	if (demo_rng_chance(r, 1, 8)) {
		if (hire_staff(db, r, st, now, e) < 0)
			return -1;
		out->others++;
	}
	if (demo_rng_chance(r, 1, 10)) {
		if (add_address(db, r, st, now, e) < 0)
			return -1;
		out->others++;
	}
	if (demo_rng_chance(r, 1, 12)) {
		if (change_contact(db, r, st, ts, e) < 0)
			return -1;
		out->others++;
	}
	if (demo_rng_chance(r, 1, 15)) {
		if (move_staff(db, r, st, ts, e) < 0)
			return -1;
		out->others++;
	}
	return 0;
}

/* ---- order documents ------------------------------------------------------------ */

static char *lookup_text(struct db *db, const char *sql, int64_t id, struct err *e)
{
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	const char *params[] = { idtext };
	char *v = NULL;
	int rc = db_query_value(db, sql, params, 1, &v, e);
	if (rc < 0)
		return NULL;
	return v ? v : xstrdup("");
}

static cJSON *order_products(struct db *db, struct demo_rng *r, const struct sim_state *st,
			     struct err *e)
{
	cJSON *products = cJSON_CreateArray();
	int n = (int)demo_rng_range(r, 1, 4), nused = 0;
	int64_t used[4];
	for (int i = 0; i < n; i++) {
		int64_t design = demo_rng_range(r, 1, st->size.designs);
		bool dup = false;
		for (int k = 0; k < nused; k++)
			dup |= used[k] == design;
		if (dup)
			continue;      /* one line per product in an order */
		used[nused++] = design;
		char *name = lookup_text(db, "SELECT design_name FROM design WHERE design_id = $1",
					 design, e);
		if (!name) {
			cJSON_Delete(products);
			return NULL;
		}
		char sku[32], label[96];
		snprintf(sku, sizeof sku, "TOTE-%05lld", (long long)design);
		snprintf(label, sizeof label, "%s tote", name);
		free(name);
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "sku", sku);
		cJSON_AddNumberToObject(p, "design_id", (double)design);
		cJSON_AddStringToObject(p, "name", label);
		/* Now and then a line with nothing on it: the orders flow's
		 * validation warns about those. */
		int qty = demo_rng_chance(r, 1, 40) ? 0 : (int)demo_rng_range(r, 1, 60);
		cJSON_AddNumberToObject(p, "quantity", qty);
		cJSON_AddNumberToObject(p, "unit_price",
					(double)demo_rng_range(r, 200, 400) / 100.0);
		cJSON_AddItemToArray(products, p);
	}
	return products;
}

static cJSON *order_document(struct db *db, struct demo_rng *r, const struct sim_state *st,
			     int64_t order_id, usec_t now, struct err *e)
{
	static const char *const channels[] = { "web", "web", "phone", "store", "marketplace" };
	int64_t cp = demo_rng_range(r, 1, st->size.counterparties);
	char *customer = lookup_text(db, "SELECT counterparty_legal_name FROM counterparty "
				     "WHERE counterparty_id = $1", cp, e);
	if (!customer)
		return NULL;
	char placed[32];
	time_format_iso(now, placed);
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "order_id", (double)order_id);
	cJSON_AddStringToObject(doc, "placed_at", placed);
	cJSON_AddStringToObject(doc, "channel", DEMO_PICK(r, channels));
	cJSON_AddStringToObject(doc, "currency", DEMO_PICK(r, demo_currencies));
	cJSON *c = cJSON_AddObjectToObject(doc, "customer");
	cJSON_AddNumberToObject(c, "counterparty_id", (double)cp);
	cJSON_AddStringToObject(c, "name", customer);
	free(customer);
	cJSON_AddNumberToObject(doc, "staff_id", (double)demo_rng_range(r, 1, st->size.staff));
	cJSON *products = order_products(db, r, st, e);
	if (!products) {
		cJSON_Delete(doc);
		return NULL;
	}
	cJSON_AddItemToObject(doc, "products", products);
	return doc;
}

/* The file's text: one order a line (ndjson), order ids from `first`. */
static int order_file(struct db *db, struct demo_rng *r, const struct sim_state *st,
		      int64_t first, int n, bool broken, usec_t now, struct buf *out,
		      struct err *e)
{
	for (int i = 0; i < n; i++) {
		cJSON *doc = order_document(db, r, st, first + i, now, e);
		if (!doc)
			return -1;
		char *line = cJSON_PrintUnformatted(doc);
		cJSON_Delete(doc);
		buf_puts(out, line);
		buf_putc(out, '\n');
		free(line);
	}
	if (broken) {
		/* A line cut short, as a client that died mid-upload leaves it. */
		buf_printf(out, "{\"order_id\": %lld, \"placed_at\": \"", (long long)(first + n));
	}
	return 0;
}

/* ---- a round -------------------------------------------------------------------- */

static int save_state(struct db *db, const struct sim_state *st, const char *now,
		      struct err *e)
{
	char rounds[24], docs[24];
	snprintf(rounds, sizeof rounds, "%lld", (long long)st->rounds);
	snprintf(docs, sizeof docs, "%lld", (long long)st->documents);
	const char *params[] = { rounds, docs, now };
	return db_exec(db, "UPDATE " DEMO_STATE_TABLE " SET rounds = $1, documents = $2, "
		       "updated_at = $3 WHERE id = 1", params, 3, NULL, e);
}

int demo_sim_round(struct db *source, struct lake *lake, struct demo_round *out,
		   struct err *e)
{
	memset(out, 0, sizeof *out);
	struct sim_state st;
	memset(&st, 0, sizeof st);
	if (db_begin(source, e) < 0)
		return -1;
	if (read_state(source, &st, e) < 0)
		goto fail;
	st.rounds++;
	out->round = st.rounds;
	struct demo_rng r;
	demo_rng_init(&r, st.seed, UINT64_C(1) << 32 | (uint64_t)st.rounds);
	/* The order file's size is drawn first and its order ids reserved in
	 * this transaction; the file is made after the commit. */
	int ndocs = (int)demo_rng_range(&r, 1, 4);
	bool broken = demo_rng_chance(&r, 1, 40);
	int64_t first_doc = st.documents + 1;
	st.documents += ndocs + broken;
	/* Stamped as late as possible and committed at once: a row stamped T
	 * but committed later than an extract that read up to T would be
	 * missed by it, so the gap is kept to the writes themselves. */
	usec_t now = clock_now_us();
	char ts[32];
	demo_format_timestamp(now, ts);
	if (source_changes(source, &r, &st, now, out, e) < 0 ||
	    save_state(source, &st, ts, e) < 0 || db_commit(source, e) < 0)
		goto fail;
	if (!lake)
		return 0;
	/* After the commit: a failure here loses one file of orders, never
	 * leaves a file for a round that did not happen. */
	struct buf file = BUF_INIT;
	char *key = lake_key_make(NULL, "orders", now, "json");
	int rc = order_file(source, &r, &st, first_doc, ndocs, broken, now, &file, e);
	if (rc == 0)
		rc = lake_put(lake, key, file.data, file.len, e);
	buf_free(&file);
	if (rc < 0) {
		err_prefix(e, "round %lld: dropping %s: ", (long long)st.rounds, key);
		free(key);
		return -1;
	}
	out->file = key;
	out->documents = ndocs;
	out->bad_file = broken;
	return 0;
fail:
	err_prefix(e, "simulator round %lld: ", (long long)st.rounds);
	db_rollback(source);
	return -1;
}
