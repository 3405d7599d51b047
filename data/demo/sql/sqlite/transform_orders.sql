-- transform_orders.sql (SQLite): this run's order items (normalized from
-- the order documents on orders_stream) into order lines: one line per
-- order and product, with the order's date and the line's total.

DELETE FROM stg_order_lines;
INSERT INTO stg_order_lines (order_id, sku, order_date, placed_at, channel, currency_code,
                             counterparty_id, staff_id, design_id, quantity, unit_price,
                             line_total)
SELECT order_id, sku, substr(min(placed_at), 1, 10), min(placed_at), min(channel),
       min(currency), min(counterparty_id), min(staff_id), min(design_id), sum(quantity),
       max(unit_price), round(sum(quantity * unit_price), 2)
FROM stg_order_items
GROUP BY order_id, sku;
