-- warehouse_schema.sql (SQLite): the star schema of the ToteSys warehouse,
-- its staging tables, and the order lines fed by the orders pipe.
-- Idempotent: `sluice init --demo` runs it, and so does the first step of
-- totesys_warehouse, so a dropped table comes back on the next run.
-- Raw tables (raw_*) are not here: each pipe creates its own.

CREATE TABLE IF NOT EXISTS dim_date (
	date_id      date PRIMARY KEY,
	year         integer NOT NULL,
	month        integer NOT NULL,
	day          integer NOT NULL,
	day_of_week  integer NOT NULL,
	day_name     text NOT NULL,
	month_name   text NOT NULL,
	quarter      integer NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_staff (
	staff_id         integer PRIMARY KEY,
	first_name       text NOT NULL,
	last_name        text NOT NULL,
	department_name  text,
	location         text,
	email_address    text NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_location (
	location_id     integer PRIMARY KEY,
	address_line_1  text NOT NULL,
	address_line_2  text,
	district        text,
	city            text NOT NULL,
	postal_code     text NOT NULL,
	country         text NOT NULL,
	phone           text NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_currency (
	currency_id    integer PRIMARY KEY,
	currency_code  text NOT NULL,  -- as staged: SQLite's CREATE TABLE AS says text
	currency_name  text NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_design (
	design_id      integer PRIMARY KEY,
	design_name    text NOT NULL,
	file_location  text NOT NULL,
	file_name      text NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_counterparty (
	counterparty_id                     integer PRIMARY KEY,
	counterparty_legal_name             text NOT NULL,
	counterparty_legal_address_line_1   text,
	counterparty_legal_address_line_2   text,
	counterparty_legal_district         text,
	counterparty_legal_city             text,
	counterparty_legal_postal_code      text,
	counterparty_legal_country          text,
	counterparty_legal_phone_number     text
);

-- Every version of every order; sales_record_id is SQLite's rowid,
-- assigned on insert.
CREATE TABLE IF NOT EXISTS fact_sales_order (
	sales_record_id              integer PRIMARY KEY,
	sales_order_id               integer NOT NULL,
	created_date                 date NOT NULL,
	created_time                 time NOT NULL,
	last_updated_date            date NOT NULL,
	last_updated_time            time NOT NULL,
	sales_staff_id               integer NOT NULL,
	counterparty_id              integer NOT NULL,
	units_sold                   integer NOT NULL,
	unit_price                   numeric(10,2) NOT NULL,
	currency_id                  integer NOT NULL,
	design_id                    integer NOT NULL,
	agreed_payment_date          date NOT NULL,
	agreed_delivery_date         date NOT NULL,
	agreed_delivery_location_id  integer NOT NULL
);
CREATE INDEX IF NOT EXISTS fact_sales_order_version
	ON fact_sales_order (sales_order_id, last_updated_date, last_updated_time);

CREATE TABLE IF NOT EXISTS fact_order_line (
	order_id         integer NOT NULL,
	sku              text NOT NULL,
	order_date       date NOT NULL,
	placed_at        timestamp NOT NULL,
	channel          text,
	currency_code    varchar(3) NOT NULL,
	counterparty_id  integer,
	staff_id         integer,
	design_id        integer,
	quantity         integer NOT NULL,
	unit_price       numeric(10,2) NOT NULL,
	line_total       numeric(12,2) NOT NULL,
	PRIMARY KEY (order_id, sku)
);

-- Staging for the orders flow, emptied and refilled by transform_orders.sql.
-- (stage_totesys.sql builds its staging tables itself, from all raw history.)
CREATE TABLE IF NOT EXISTS stg_order_lines (
	order_id integer, sku text, order_date date, placed_at timestamp, channel text,
	currency_code varchar(3), counterparty_id integer, staff_id integer,
	design_id integer, quantity integer, unit_price numeric(10,2),
	line_total numeric(12,2)
);
