-- Raw ToteSys tables (as pipes load them) into staging tables shaped like
-- the star schema, on SQLite; the load steps then merge them into the
-- star.  An ordinary run stages only what is new: the raw_sales_order rows
-- after those the fact has taken (stg_totesys_mark), and a dimension only
-- when its raw tables have rows it has not taken (then whole: dimensions
-- are small, and the merge writes only the rows that differ).  A run with
-- nothing new stages nothing and its loads write nothing.  A backfill (:backfill = 1)
-- stages all raw history instead and leaves the mark alone, so it rebuilds
-- the same tables by the other route.  Raw rows may hold several versions
-- of a row (and the same version twice, when a file was extracted again):
-- dimensions take the newest version, the fact takes each distinct version
-- once, numbered by the raw row it was first read from (sales_record_id),
-- which neither route changes.  Timestamps are stored in sluice's
-- canonical text ("2022-11-03 14:20:52.186", UTC), so the date is its
-- first ten characters and the time the rest.

-- Where each raw table stands: the star has taken its rows up to
-- loaded_upto; this run stages those up to staged_upto, the newest now.
-- The flow's last step (mark_loaded) moves loaded_upto up to it after the
-- loads, so a run that fails leaves its rows to the next.  Writers of a raw
-- table take turns, so its ids commit in order and no row can later appear
-- below a bound already read.  A backfill leaves the marks alone.
INSERT INTO stg_totesys_mark (raw_table, staged_upto, loaded_upto)
SELECT t.raw_table, 0, 0
FROM (SELECT 'raw_address' AS raw_table
      UNION ALL SELECT 'raw_counterparty'
      UNION ALL SELECT 'raw_currency'
      UNION ALL SELECT 'raw_department'
      UNION ALL SELECT 'raw_design'
      UNION ALL SELECT 'raw_sales_order'
      UNION ALL SELECT 'raw_staff') t
WHERE NOT EXISTS (SELECT 1 FROM stg_totesys_mark m WHERE m.raw_table = t.raw_table);
UPDATE stg_totesys_mark
SET staged_upto = n.newest
FROM (SELECT 'raw_address' AS raw_table, (SELECT coalesce(max(_sluice_id), 0) FROM raw_address) AS newest
      UNION ALL SELECT 'raw_counterparty', (SELECT coalesce(max(_sluice_id), 0) FROM raw_counterparty)
      UNION ALL SELECT 'raw_currency', (SELECT coalesce(max(_sluice_id), 0) FROM raw_currency)
      UNION ALL SELECT 'raw_department', (SELECT coalesce(max(_sluice_id), 0) FROM raw_department)
      UNION ALL SELECT 'raw_design', (SELECT coalesce(max(_sluice_id), 0) FROM raw_design)
      UNION ALL SELECT 'raw_sales_order', (SELECT coalesce(max(_sluice_id), 0) FROM raw_sales_order)
      UNION ALL SELECT 'raw_staff', (SELECT coalesce(max(_sluice_id), 0) FROM raw_staff)) n
WHERE n.raw_table = stg_totesys_mark.raw_table AND stg_totesys_mark.staged_upto <> n.newest
  AND CAST(:backfill AS integer) = 0;

-- Dimensions: the newest version of each row, when the dimension's raw
-- tables have rows the star has not taken (in a backfill, always).
DROP TABLE IF EXISTS stg_dim_staff;
CREATE TABLE stg_dim_staff AS
SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location,
       s.email_address
FROM (SELECT *, row_number() OVER (PARTITION BY staff_id
                                   ORDER BY last_updated DESC, _sluice_id DESC) AS v
      FROM raw_staff) s
LEFT JOIN (SELECT *, row_number() OVER (PARTITION BY department_id
                                        ORDER BY last_updated DESC, _sluice_id DESC) AS v
           FROM raw_department) d
       ON d.department_id = s.department_id AND d.v = 1
WHERE s.v = 1
  AND (CAST(:backfill AS integer) = 1
       OR EXISTS (SELECT 1 FROM raw_staff WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_staff'))
       OR EXISTS (SELECT 1 FROM raw_department WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_department')));

DROP TABLE IF EXISTS stg_dim_location;
CREATE TABLE stg_dim_location AS
SELECT address_id AS location_id, address_line_1, address_line_2, district, city,
       postal_code, country, phone
FROM (SELECT *, row_number() OVER (PARTITION BY address_id
                                   ORDER BY last_updated DESC, _sluice_id DESC) AS v
      FROM raw_address) a
WHERE v = 1
  AND (CAST(:backfill AS integer) = 1
       OR EXISTS (SELECT 1 FROM raw_address WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_address')));

-- Declared, not CREATE TABLE AS, which would type the code text: the
-- star's dim_currency has varchar(3), and a load would widen it.
DROP TABLE IF EXISTS stg_dim_currency;
CREATE TABLE stg_dim_currency (
	currency_id    integer,
	currency_code  varchar(3),
	currency_name  text
);
INSERT INTO stg_dim_currency
SELECT currency_id, currency_code,
       CASE currency_code WHEN 'GBP' THEN 'British Pound'
                          WHEN 'USD' THEN 'US Dollar'
                          WHEN 'EUR' THEN 'Euro' END AS currency_name
FROM (SELECT *, row_number() OVER (PARTITION BY currency_id
                                   ORDER BY last_updated DESC, _sluice_id DESC) AS v
      FROM raw_currency) c
WHERE v = 1
  AND (CAST(:backfill AS integer) = 1
       OR EXISTS (SELECT 1 FROM raw_currency WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_currency')));

DROP TABLE IF EXISTS stg_dim_design;
CREATE TABLE stg_dim_design AS
SELECT design_id, design_name, file_location, file_name
FROM (SELECT *, row_number() OVER (PARTITION BY design_id
                                   ORDER BY last_updated DESC, _sluice_id DESC) AS v
      FROM raw_design) d
WHERE v = 1
  AND (CAST(:backfill AS integer) = 1
       OR EXISTS (SELECT 1 FROM raw_design WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_design')));

DROP TABLE IF EXISTS stg_dim_counterparty;
CREATE TABLE stg_dim_counterparty AS
SELECT c.counterparty_id, c.counterparty_legal_name,
       a.address_line_1 AS counterparty_legal_address_line_1,
       a.address_line_2 AS counterparty_legal_address_line_2,
       a.district AS counterparty_legal_district,
       a.city AS counterparty_legal_city,
       a.postal_code AS counterparty_legal_postal_code,
       a.country AS counterparty_legal_country,
       a.phone AS counterparty_legal_phone_number
FROM (SELECT *, row_number() OVER (PARTITION BY counterparty_id
                                   ORDER BY last_updated DESC, _sluice_id DESC) AS v
      FROM raw_counterparty) c
LEFT JOIN (SELECT *, row_number() OVER (PARTITION BY address_id
                                        ORDER BY last_updated DESC, _sluice_id DESC) AS v
           FROM raw_address) a
       ON a.address_id = c.legal_address_id AND a.v = 1
WHERE c.v = 1
  AND (CAST(:backfill AS integer) = 1
       OR EXISTS (SELECT 1 FROM raw_counterparty WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_counterparty'))
       OR EXISTS (SELECT 1 FROM raw_address WHERE _sluice_id >
               (SELECT loaded_upto FROM stg_totesys_mark WHERE raw_table = 'raw_address')));

-- The fact's versions are checked against these by key.
CREATE INDEX stg_dim_staff_key ON stg_dim_staff (staff_id);
CREATE INDEX stg_dim_location_key ON stg_dim_location (location_id);
CREATE INDEX stg_dim_currency_key ON stg_dim_currency (currency_id);
CREATE INDEX stg_dim_design_key ON stg_dim_design (design_id);
CREATE INDEX stg_dim_counterparty_key ON stg_dim_counterparty (counterparty_id);

-- The fact's window: raw_sales_order rows after loaded_upto up to
-- staged_upto (in a backfill, all of them).
DROP TABLE IF EXISTS stg_fact_sales_order;
CREATE TABLE stg_fact_sales_order (
	sales_record_id             integer,
	sales_order_id              integer,
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
INSERT INTO stg_fact_sales_order
SELECT _sluice_id, sales_order_id,
       substr(created_at, 1, 10), substr(created_at, 12),
       substr(last_updated, 1, 10), substr(last_updated, 12),
       staff_id, counterparty_id, units_sold,
       round(unit_price, 2), currency_id, design_id,
       date(agreed_payment_date), date(agreed_delivery_date),
       agreed_delivery_location_id
FROM (SELECT *, row_number() OVER (PARTITION BY sales_order_id, last_updated
                                   ORDER BY _sluice_id) AS v
      FROM raw_sales_order
      -- bounds the planner can use on the primary key (an OR would scan)
      WHERE _sluice_id > (SELECT CASE WHEN CAST(:backfill AS integer) = 1 THEN 0
                                      ELSE loaded_upto END
                          FROM stg_totesys_mark WHERE raw_table = 'raw_sales_order')
        AND _sluice_id <= (SELECT CASE WHEN CAST(:backfill AS integer) = 1
                                       THEN (SELECT coalesce(max(_sluice_id), 0)
                                             FROM raw_sales_order)
                                       ELSE staged_upto END
                           FROM stg_totesys_mark
                           WHERE raw_table = 'raw_sales_order')) o
WHERE v = 1;

-- A version that names a staff member, customer, currency, design or
-- delivery address not extracted yet waits instead of failing the fact's
-- referential checks.  That happens when the source changed the dimension
-- row in the extract's last seconds (its lag): the row comes with the next
-- ingest.  An ordinary run stages every version that waited again (and
-- drops versions the fact holds already: a run that failed after its load
-- leaves its window to the next); the ones still held stay, and those
-- staged stay too until the flow's last step (mark_loaded) finds them in
-- the fact, so a run that fails loses none.  check_facts warns about this
-- run's held versions.  A backfill only adds to the waiting versions, so a
-- discarded backfill takes none away from the ordinary runs.
CREATE TABLE IF NOT EXISTS stg_fact_sales_order_waiting AS
SELECT * FROM stg_fact_sales_order WHERE 1 = 0;
DELETE FROM stg_fact_sales_order
WHERE CAST(:backfill AS integer) = 0
  AND EXISTS (SELECT 1 FROM stg_fact_sales_order_waiting w
              WHERE w.sales_order_id = stg_fact_sales_order.sales_order_id
                AND w.last_updated_date = stg_fact_sales_order.last_updated_date
                AND w.last_updated_time = stg_fact_sales_order.last_updated_time);
INSERT INTO stg_fact_sales_order
SELECT * FROM stg_fact_sales_order_waiting WHERE CAST(:backfill AS integer) = 0;
DELETE FROM stg_fact_sales_order
WHERE CAST(:backfill AS integer) = 0
  AND EXISTS (SELECT 1 FROM fact_sales_order f
              WHERE f.sales_order_id = stg_fact_sales_order.sales_order_id
                AND f.last_updated_date = stg_fact_sales_order.last_updated_date
                AND f.last_updated_time = stg_fact_sales_order.last_updated_time);

-- (The star's dimension first: it has an index, and holds nearly every key.)
DROP TABLE IF EXISTS stg_fact_sales_order_held;
CREATE TABLE stg_fact_sales_order_held AS
SELECT * FROM stg_fact_sales_order f
WHERE (f.sales_staff_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM dim_staff d WHERE d.staff_id = f.sales_staff_id)
       AND NOT EXISTS (SELECT 1 FROM stg_dim_staff d WHERE d.staff_id = f.sales_staff_id))
   OR (f.counterparty_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM dim_counterparty d
                       WHERE d.counterparty_id = f.counterparty_id)
       AND NOT EXISTS (SELECT 1 FROM stg_dim_counterparty d
                       WHERE d.counterparty_id = f.counterparty_id))
   OR (f.currency_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM dim_currency d WHERE d.currency_id = f.currency_id)
       AND NOT EXISTS (SELECT 1 FROM stg_dim_currency d WHERE d.currency_id = f.currency_id))
   OR (f.design_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM dim_design d WHERE d.design_id = f.design_id)
       AND NOT EXISTS (SELECT 1 FROM stg_dim_design d WHERE d.design_id = f.design_id))
   OR (f.agreed_delivery_location_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM dim_location d
                       WHERE d.location_id = f.agreed_delivery_location_id)
       AND NOT EXISTS (SELECT 1 FROM stg_dim_location d
                       WHERE d.location_id = f.agreed_delivery_location_id));
INSERT INTO stg_fact_sales_order_waiting
SELECT * FROM stg_fact_sales_order_held h
WHERE NOT EXISTS (SELECT 1 FROM stg_fact_sales_order_waiting w
                  WHERE w.sales_order_id = h.sales_order_id
                    AND w.last_updated_date = h.last_updated_date
                    AND w.last_updated_time = h.last_updated_time);
DELETE FROM stg_fact_sales_order
WHERE EXISTS (SELECT 1 FROM stg_fact_sales_order_held h
              WHERE h.sales_order_id = stg_fact_sales_order.sales_order_id
                AND h.last_updated_date = stg_fact_sales_order.last_updated_date
                AND h.last_updated_time = stg_fact_sales_order.last_updated_time);

-- The dates the staged versions name that dim_date lacks (in a backfill,
-- every date they name).
DROP TABLE IF EXISTS stg_dim_date;
CREATE TABLE stg_dim_date AS
SELECT d AS date_id,
       CAST(strftime('%Y', d) AS integer) AS year,
       CAST(strftime('%m', d) AS integer) AS month,
       CAST(strftime('%d', d) AS integer) AS day,
       CASE strftime('%w', d) WHEN '0' THEN 7 ELSE CAST(strftime('%w', d) AS integer) END
           AS day_of_week,
       CASE strftime('%w', d) WHEN '0' THEN 'Sunday' WHEN '1' THEN 'Monday'
           WHEN '2' THEN 'Tuesday' WHEN '3' THEN 'Wednesday' WHEN '4' THEN 'Thursday'
           WHEN '5' THEN 'Friday' ELSE 'Saturday' END AS day_name,
       CASE strftime('%m', d) WHEN '01' THEN 'January' WHEN '02' THEN 'February'
           WHEN '03' THEN 'March' WHEN '04' THEN 'April' WHEN '05' THEN 'May'
           WHEN '06' THEN 'June' WHEN '07' THEN 'July' WHEN '08' THEN 'August'
           WHEN '09' THEN 'September' WHEN '10' THEN 'October'
           WHEN '11' THEN 'November' ELSE 'December' END AS month_name,
       (CAST(strftime('%m', d) AS integer) + 2) / 3 AS quarter
FROM (SELECT created_date AS d FROM stg_fact_sales_order
      UNION SELECT last_updated_date FROM stg_fact_sales_order
      UNION SELECT agreed_payment_date FROM stg_fact_sales_order
      UNION SELECT agreed_delivery_date FROM stg_fact_sales_order) dates
WHERE d IS NOT NULL
  AND (CAST(:backfill AS integer) = 1
       OR NOT EXISTS (SELECT 1 FROM dim_date x WHERE x.date_id = dates.d));
