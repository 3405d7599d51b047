-- stage_totesys.sql (PostgreSQL): the raw tables the pipes fill into staging
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
-- and only versions the fact table does not hold yet.
DELETE FROM stg_fact_sales_order;
INSERT INTO stg_fact_sales_order (sales_order_id, created_date, created_time,
       last_updated_date, last_updated_time, sales_staff_id, counterparty_id, units_sold,
       unit_price, currency_id, design_id, agreed_payment_date, agreed_delivery_date,
       agreed_delivery_location_id)
SELECT o.sales_order_id, o.created_at::date, o.created_at::time,
       o.last_updated::date, o.last_updated::time, o.staff_id,
       o.counterparty_id, o.units_sold, o.unit_price, o.currency_id, o.design_id,
       o.agreed_payment_date::date, o.agreed_delivery_date::date,
       o.agreed_delivery_location_id
FROM (SELECT r.*, row_number() OVER (PARTITION BY sales_order_id, last_updated
                                     ORDER BY _sluice_id DESC) AS version_rank
      FROM raw_sales_order r) o
WHERE o.version_rank = 1
  AND NOT EXISTS (SELECT 1 FROM fact_sales_order f
                  WHERE f.sales_order_id = o.sales_order_id
                    AND f.last_updated_date = o.last_updated::date
                    AND f.last_updated_time = o.last_updated::time);

-- Dates the new facts mention that the calendar does not have yet.
DELETE FROM stg_dim_date;
INSERT INTO stg_dim_date (date_id, year, month, day, day_of_week, day_name, month_name,
                          quarter)
SELECT d,
       extract(year FROM d)::integer,
       extract(month FROM d)::integer,
       extract(day FROM d)::integer,
       extract(isodow FROM d)::integer,
       trim(to_char(d, 'Day')),
       trim(to_char(d, 'Month')),
       extract(quarter FROM d)::integer
FROM (SELECT created_date AS d FROM stg_fact_sales_order
      UNION SELECT last_updated_date FROM stg_fact_sales_order
      UNION SELECT agreed_payment_date FROM stg_fact_sales_order
      UNION SELECT agreed_delivery_date FROM stg_fact_sales_order) dates
WHERE d IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM dim_date x WHERE x.date_id = dates.d);
