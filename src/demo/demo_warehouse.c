/*
 * demo_warehouse.c - the demo warehouse's schema, declared once: the star
 * schema of the ToteSys warehouse, the order lines the orders pipe feeds,
 * and the orders flow's staging table.
 *
 * init writes it into the project as sql/warehouse_schema.sql, in the
 * warehouse's dialect through db/'s type map and DDL (db_table_sql), and
 * runs it there; the warehouse flow runs the same file as its first step,
 * so a dropped table comes back on the next run.  The tables are plain, so
 * one definition serves both dialects; what differs is spelled by db/:
 * integers (bigint on PostgreSQL), and the fact's record number (bigserial
 * on PostgreSQL, the rowid on SQLite).  The queries that fill the tables
 * (stage_totesys.sql, transform_orders.sql) differ in more than spelling
 * and stay one file per dialect in the template.
 *
 * Raw tables (raw_*) are not here: each pipe creates its own, and
 * stage_totesys.sql builds its staging tables itself, from the raw rows
 * the fact has not taken yet (all raw history in a backfill).
 */
#include "demo/demo_int.h"

#define COL(n, t, p, s, nn, pk) \
	{ .name = n, .type = { t, p, s }, .not_null = nn, .primary_key = pk }
#define KEY(n, t)    COL(n, t, 0, 0, false, true)
#define REQ(n, t)    COL(n, t, 0, 0, true, false)
#define OPT(n, t)    COL(n, t, 0, 0, false, false)
#define MONEY(n, p)  COL(n, DT_NUMERIC, p, 2, true, false)

static struct db_column dim_date[] = {
	KEY("date_id", DT_DATE), REQ("year", DT_INT), REQ("month", DT_INT),
	REQ("day", DT_INT), REQ("day_of_week", DT_INT), REQ("day_name", DT_TEXT),
	REQ("month_name", DT_TEXT), REQ("quarter", DT_INT),
};
static struct db_column dim_staff[] = {
	KEY("staff_id", DT_INT), REQ("first_name", DT_TEXT), REQ("last_name", DT_TEXT),
	OPT("department_name", DT_TEXT), OPT("location", DT_TEXT),
	REQ("email_address", DT_TEXT),
};
static struct db_column dim_location[] = {
	KEY("location_id", DT_INT), REQ("address_line_1", DT_TEXT),
	OPT("address_line_2", DT_TEXT), OPT("district", DT_TEXT), REQ("city", DT_TEXT),
	REQ("postal_code", DT_TEXT), REQ("country", DT_TEXT), REQ("phone", DT_TEXT),
};
/* stage_totesys.sql stages currency_code as varchar(3) too (SQLite's by
 * declaring its staging table, PostgreSQL's by a cast), so that loads
 * find nothing to widen. */
static struct db_column dim_currency[] = {
	KEY("currency_id", DT_INT), COL("currency_code", DT_TEXT, 3, 0, true, false),
	REQ("currency_name", DT_TEXT),
};
static struct db_column dim_design[] = {
	KEY("design_id", DT_INT), REQ("design_name", DT_TEXT),
	REQ("file_location", DT_TEXT), REQ("file_name", DT_TEXT),
};
static struct db_column dim_counterparty[] = {
	KEY("counterparty_id", DT_INT), REQ("counterparty_legal_name", DT_TEXT),
	OPT("counterparty_legal_address_line_1", DT_TEXT),
	OPT("counterparty_legal_address_line_2", DT_TEXT),
	OPT("counterparty_legal_district", DT_TEXT), OPT("counterparty_legal_city", DT_TEXT),
	OPT("counterparty_legal_postal_code", DT_TEXT),
	OPT("counterparty_legal_country", DT_TEXT),
	OPT("counterparty_legal_phone_number", DT_TEXT),
};
static struct db_column fact_sales_order[] = {
	KEY("sales_record_id", DT_INT), REQ("sales_order_id", DT_INT),
	REQ("created_date", DT_DATE), REQ("created_time", DT_TIME),
	REQ("last_updated_date", DT_DATE), REQ("last_updated_time", DT_TIME),
	REQ("sales_staff_id", DT_INT), REQ("counterparty_id", DT_INT),
	REQ("units_sold", DT_INT), MONEY("unit_price", 10), REQ("currency_id", DT_INT),
	REQ("design_id", DT_INT), REQ("agreed_payment_date", DT_DATE),
	REQ("agreed_delivery_date", DT_DATE), REQ("agreed_delivery_location_id", DT_INT),
};
static const char *const fact_sales_order_version[] = {
	"sales_order_id", "last_updated_date", "last_updated_time",
};
/* Which rows of each raw table the star has taken: stage_totesys.sql
 * stages the rows after loaded_upto up to staged_upto (the newest when it
 * ran), and the flow's last step, after the loads, moves loaded_upto up to
 * staged_upto.  A run that fails before then leaves it, and the next run
 * stages those rows again. */
static struct db_column stg_totesys_mark[] = {
	KEY("raw_table", DT_TEXT), REQ("staged_upto", DT_INT), REQ("loaded_upto", DT_INT),
};
static struct db_column fact_order_line[] = {
	COL("order_id", DT_INT, 0, 0, true, true), COL("sku", DT_TEXT, 0, 0, true, true),
	REQ("order_date", DT_DATE), REQ("placed_at", DT_TIMESTAMP), OPT("channel", DT_TEXT),
	COL("currency_code", DT_TEXT, 3, 0, true, false), OPT("counterparty_id", DT_INT),
	OPT("staff_id", DT_INT), OPT("design_id", DT_INT), REQ("quantity", DT_INT),
	MONEY("unit_price", 10), MONEY("line_total", 12),
};
static struct db_column stg_order_lines[] = {
	OPT("order_id", DT_INT), OPT("sku", DT_TEXT), OPT("order_date", DT_DATE),
	OPT("placed_at", DT_TIMESTAMP), OPT("channel", DT_TEXT),
	COL("currency_code", DT_TEXT, 3, 0, false, false), OPT("counterparty_id", DT_INT),
	OPT("staff_id", DT_INT), OPT("design_id", DT_INT), OPT("quantity", DT_INT),
	COL("unit_price", DT_NUMERIC, 10, 2, false, false),
	COL("line_total", DT_NUMERIC, 12, 2, false, false),
};

struct wh_table {
	struct db_table def;
	const char *note;                  /* the comment above it in the file */
	const char *identity;              /* numbered on insert, or NULL */
	const char *const *index;          /* columns of an index, or NULL */
	int nindex;
};

#define TABLE(t) { (char *)#t, t, ARRAY_LEN(t) }
static const struct wh_table wh_tables[] = {
	{ TABLE(dim_date), NULL, NULL, NULL, 0 },
	{ TABLE(dim_staff), NULL, NULL, NULL, 0 },
	{ TABLE(dim_location), NULL, NULL, NULL, 0 },
	{ TABLE(dim_currency), NULL, NULL, NULL, 0 },
	{ TABLE(dim_design), NULL, NULL, NULL, 0 },
	{ TABLE(dim_counterparty), NULL, NULL, NULL, 0 },
	{ TABLE(fact_sales_order), "Every version of every order.  sales_record_id is "
	  "the raw_sales_order row the version was first read from, so a backfill "
	  "numbers it alike; the index finds a version by its key.", "sales_record_id",
	  fact_sales_order_version, ARRAY_LEN(fact_sales_order_version) },
	{ TABLE(stg_totesys_mark), "The rows of each raw table the star has taken, "
	  "kept by stage_totesys.sql and the flow's last step.", NULL, NULL, 0 },
	{ TABLE(fact_order_line), "The order lines the orders pipe feeds.", NULL, NULL, 0 },
	{ TABLE(stg_order_lines), "Staging for the orders flow, emptied and refilled by "
	  "transform_orders.sql.", NULL, NULL, 0 },
};

static const char header[] =
	"-- warehouse_schema.sql (%s): the star schema of the ToteSys warehouse,\n"
	"-- the order lines fed by the orders pipe, and the orders flow's staging.\n"
	"-- Written by `sluice init --demo` from the demo's one definition of it\n"
	"-- (src/demo/demo_warehouse.c), which both dialects share.\n"
	"-- Idempotent: init runs it, and so does the first step of\n"
	"-- totesys_warehouse, so a dropped table comes back on the next run.\n"
	"-- Raw tables (raw_*) are not here: each pipe creates its own.\n";

int demo_warehouse_schema(enum db_kind kind, struct buf *out, struct err *e)
{
	buf_printf(out, header, kind == DB_POSTGRES ? "PostgreSQL" : "SQLite");
	for (size_t i = 0; i < ARRAY_LEN(wh_tables); i++) {
		const struct wh_table *t = &wh_tables[i];
		buf_puts(out, "\n");
		if (t->note)
			buf_printf(out, "-- %s\n", t->note);
		if (db_table_sql(kind, &t->def, true, t->identity, out, e) < 0)
			return -1;
		buf_puts(out, ";\n");
		if (t->index && (db_index_sql(t->def.name, t->index, t->nindex, false, out, e) < 0))
			return -1;
		if (t->index)
			buf_puts(out, ";\n");
	}
	return 0;
}
