-- stage_totesys.sql (SQLite): the raw tables the pipes fill into staging
-- tables shaped like the star schema.  The load steps that follow merge the
-- dimensions by key (a dimension keeps the latest version of each row) and
-- append the facts (the fact table keeps every version of every order).
--
-- Raw tables hold every version ever extracted; the latest is the one with
-- the highest last_updated (and, between equal ones, the latest load).

DELETE FROM stg_dim_staff;
INSERT INTO stg_dim_staff (staff_id, first_name, last_name, department_name, location,
                           email_address)
SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location,
       s.email_address
FROM (SELECT r.*, row_number() OVER (PARTITION BY staff_id
                                     ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
      FROM raw_staff r) s
LEFT JOIN (SELECT r.*, row_number() OVER (PARTITION BY department_id
                                          ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
           FROM raw_department r) d
       ON d.department_id = s.department_id AND d.version_rank = 1
WHERE s.version_rank = 1;

DELETE FROM stg_dim_location;
INSERT INTO stg_dim_location (location_id, address_line_1, address_line_2, district, city,
                              postal_code, country, phone)
SELECT address_id, address_line_1, address_line_2, district, city, postal_code, country, phone
FROM (SELECT r.*, row_number() OVER (PARTITION BY address_id
                                     ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
      FROM raw_address r) a
WHERE a.version_rank = 1;

DELETE FROM stg_dim_currency;
INSERT INTO stg_dim_currency (currency_id, currency_code, currency_name)
SELECT currency_id, currency_code,
       CASE currency_code
            WHEN 'GBP' THEN 'British Pound'
            WHEN 'USD' THEN 'US Dollar'
            WHEN 'EUR' THEN 'Euro'
            ELSE currency_code END
FROM (SELECT r.*, row_number() OVER (PARTITION BY currency_id
                                     ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
      FROM raw_currency r) c
WHERE c.version_rank = 1;

DELETE FROM stg_dim_design;
INSERT INTO stg_dim_design (design_id, design_name, file_location, file_name)
SELECT design_id, design_name, file_location, file_name
FROM (SELECT r.*, row_number() OVER (PARTITION BY design_id
                                     ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
      FROM raw_design r) d
WHERE d.version_rank = 1;

DELETE FROM stg_dim_counterparty;
INSERT INTO stg_dim_counterparty (counterparty_id, counterparty_legal_name,
       counterparty_legal_address_line_1, counterparty_legal_address_line_2,
       counterparty_legal_district, counterparty_legal_city, counterparty_legal_postal_code,
       counterparty_legal_country, counterparty_legal_phone_number)
SELECT c.counterparty_id, c.counterparty_legal_name, a.address_line_1, a.address_line_2,
       a.district, a.city, a.postal_code, a.country, a.phone
FROM (SELECT r.*, row_number() OVER (PARTITION BY counterparty_id
                                     ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
      FROM raw_counterparty r) c
LEFT JOIN (SELECT r.*, row_number() OVER (PARTITION BY address_id
                                          ORDER BY last_updated DESC, _sluice_id DESC) AS version_rank
           FROM raw_address r) a
       ON a.address_id = c.legal_address_id AND a.version_rank = 1
WHERE c.version_rank = 1;

-- Facts: each version of an order (sales_order_id, last_updated) once,
-- and only versions the fact table does not hold yet.  Timestamps are
-- stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the date and the time are
-- its two halves.
DELETE FROM stg_fact_sales_order;
INSERT INTO stg_fact_sales_order (sales_order_id, created_date, created_time,
       last_updated_date, last_updated_time, sales_staff_id, counterparty_id, units_sold,
       unit_price, currency_id, design_id, agreed_payment_date, agreed_delivery_date,
       agreed_delivery_location_id)
SELECT o.sales_order_id, substr(o.created_at, 1, 10), substr(o.created_at, 12),
       substr(o.last_updated, 1, 10), substr(o.last_updated, 12), o.staff_id,
       o.counterparty_id, o.units_sold, o.unit_price, o.currency_id, o.design_id,
       o.agreed_payment_date, o.agreed_delivery_date, o.agreed_delivery_location_id
FROM (SELECT r.*, row_number() OVER (PARTITION BY sales_order_id, last_updated
                                     ORDER BY _sluice_id DESC) AS version_rank
      FROM raw_sales_order r) o
WHERE o.version_rank = 1
  AND NOT EXISTS (SELECT 1 FROM fact_sales_order f
                  WHERE f.sales_order_id = o.sales_order_id
                    AND f.last_updated_date = substr(o.last_updated, 1, 10)
                    AND f.last_updated_time = substr(o.last_updated, 12));

-- Dates the new facts mention that the calendar does not have yet.
DELETE FROM stg_dim_date;
INSERT INTO stg_dim_date (date_id, year, month, day, day_of_week, day_name, month_name,
                          quarter)
SELECT d,
       CAST(strftime('%Y', d) AS integer),
       CAST(strftime('%m', d) AS integer),
       CAST(strftime('%d', d) AS integer),
       CASE strftime('%w', d) WHEN '0' THEN 7 ELSE CAST(strftime('%w', d) AS integer) END,
       CASE strftime('%w', d)
            WHEN '1' THEN 'Monday' WHEN '2' THEN 'Tuesday' WHEN '3' THEN 'Wednesday'
            WHEN '4' THEN 'Thursday' WHEN '5' THEN 'Friday' WHEN '6' THEN 'Saturday'
            ELSE 'Sunday' END,
       CASE strftime('%m', d)
            WHEN '01' THEN 'January' WHEN '02' THEN 'February' WHEN '03' THEN 'March'
            WHEN '04' THEN 'April' WHEN '05' THEN 'May' WHEN '06' THEN 'June'
            WHEN '07' THEN 'July' WHEN '08' THEN 'August' WHEN '09' THEN 'September'
            WHEN '10' THEN 'October' WHEN '11' THEN 'November' ELSE 'December' END,
       (CAST(strftime('%m', d) AS integer) + 2) / 3
FROM (SELECT created_date AS d FROM stg_fact_sales_order
      UNION SELECT last_updated_date FROM stg_fact_sales_order
      UNION SELECT agreed_payment_date FROM stg_fact_sales_order
      UNION SELECT agreed_delivery_date FROM stg_fact_sales_order) dates
WHERE d IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM dim_date x WHERE x.date_id = dates.d);
