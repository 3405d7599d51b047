-- The ToteSys star schema on PostgreSQL (DESIGN.md section 6).
-- Dimensions keep the latest version of each row (loaded by merge on their
-- key); the fact table keeps every version of an order (merged on the
-- order and the version's last_updated, so a re-run adds nothing twice).
CREATE TABLE IF NOT EXISTS dim_date (
	date_id      date PRIMARY KEY,
	year         integer NOT NULL,
	month        integer NOT NULL,
	day          integer NOT NULL,
	day_of_week  integer NOT NULL,   -- ISO: 1 Monday .. 7 Sunday
	day_name     text NOT NULL,
	month_name   text NOT NULL,
	quarter      integer NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_staff (
	staff_id        integer PRIMARY KEY,
	first_name      text,
	last_name       text,
	department_name text,
	location        text,
	email_address   text
);

CREATE TABLE IF NOT EXISTS dim_location (
	location_id    integer PRIMARY KEY,
	address_line_1 text,
	address_line_2 text,
	district       text,
	city           text,
	postal_code    text,
	country        text,
	phone          text
);

CREATE TABLE IF NOT EXISTS dim_currency (
	currency_id   integer PRIMARY KEY,
	currency_code text,
	currency_name text
);

CREATE TABLE IF NOT EXISTS dim_design (
	design_id     integer PRIMARY KEY,
	design_name   text,
	file_location text,
	file_name     text
);

CREATE TABLE IF NOT EXISTS dim_counterparty (
	counterparty_id                   integer PRIMARY KEY,
	counterparty_legal_name           text,
	counterparty_legal_address_line_1 text,
	counterparty_legal_address_line_2 text,
	counterparty_legal_district       text,
	counterparty_legal_city           text,
	counterparty_legal_postal_code    text,
	counterparty_legal_country        text,
	counterparty_legal_phone_number   text
);

CREATE TABLE IF NOT EXISTS fact_sales_order (
	sales_record_id             serial PRIMARY KEY,
	sales_order_id              integer NOT NULL,
	created_date                date,
	created_time                time,
	last_updated_date           date,
	last_updated_time           time,
	sales_staff_id              integer,
	counterparty_id             integer,
	units_sold                  integer,
	unit_price                  numeric(10,2),
	currency_id                 integer,
	design_id                   integer,
	agreed_payment_date         date,
	agreed_delivery_date        date,
	agreed_delivery_location_id integer
);
CREATE INDEX IF NOT EXISTS fact_sales_order_version
	ON fact_sales_order (sales_order_id, last_updated_date, last_updated_time);
