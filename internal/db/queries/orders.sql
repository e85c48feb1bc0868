-- name: OrderGetByID :one
SELECT * FROM orders WHERE store_id = $1 AND id = $2;

-- name: OrderGetByIDForUpdate :one
SELECT * FROM orders WHERE store_id = $1 AND id = $2 FOR UPDATE;

-- name: OrderGetMany :many
SELECT * FROM orders WHERE store_id = $1 AND id = ANY(sqlc.arg(ids)::uuid[]);

-- name: OrderGetByIdempotencyKey :one
SELECT * FROM orders WHERE store_id = $1 AND idempotency_key = $2;

-- OrderUpdateStatus moves an order from one status to another and appends the event
-- that explains it, in one statement: no row moved (the order was no longer in status
-- from), no event and no row returned.
-- name: OrderUpdateStatus :one
WITH moved AS (
  UPDATE orders SET status = sqlc.arg(to_status), updated_at = now()
  WHERE orders.store_id = sqlc.arg(store_id) AND orders.id = sqlc.arg(id) AND orders.status = sqlc.arg(from_status)
  RETURNING *),
event AS (
  INSERT INTO order_events (store_id, order_id, type, message, data)
  SELECT moved.store_id, moved.id, sqlc.arg(event_type), sqlc.arg(message), sqlc.arg(data) FROM moved)
SELECT * FROM moved;

-- OrderInsertNumbered takes the store's next order number and inserts the order, its
-- lines and its first event, in one statement so that the counter row is held for as
-- little as possible. It is sent with the COMMIT (db.TxCommitWith): whatever must
-- hold is a database error. A store without a counter row fails on the order's NOT
-- NULL number.
-- name: OrderInsertNumbered :one
WITH n AS (
  UPDATE store_counters SET last_order_number = last_order_number + 1
  WHERE store_counters.store_id = sqlc.arg(store_id) RETURNING last_order_number),
o AS (
  INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
    shipping_address, note, idempotency_key, request_hash)
  VALUES (sqlc.arg(store_id), sqlc.arg(id), (SELECT last_order_number FROM n), sqlc.arg(status),
    sqlc.arg(customer_id), sqlc.arg(currency_code), sqlc.arg(subtotal_minor), sqlc.arg(total_minor),
    sqlc.arg(shipping_address), sqlc.narg(note), sqlc.arg(idempotency_key), sqlc.arg(request_hash))
  RETURNING *),
l AS (
  INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity,
    unit_price_minor, total_minor, currency_code)
  SELECT o.store_id, o.id, u.line_no, u.product_id, u.sku, u.name, u.quantity, u.unit_price_minor, u.total_minor,
    o.currency_code
  FROM o, (SELECT unnest(sqlc.arg(line_nos)::int[]) AS line_no, unnest(sqlc.arg(product_ids)::uuid[]) AS product_id,
      unnest(sqlc.arg(skus)::text[]) AS sku, unnest(sqlc.arg(names)::text[]) AS name,
      unnest(sqlc.arg(quantities)::int[]) AS quantity, unnest(sqlc.arg(unit_prices_minor)::bigint[]) AS unit_price_minor,
      unnest(sqlc.arg(totals_minor)::bigint[]) AS total_minor) AS u),
e AS (
  INSERT INTO order_events (store_id, order_id, type, message, data)
  SELECT o.store_id, o.id, sqlc.arg(event_type), format(sqlc.arg(message_format)::text, o.number), sqlc.arg(event_data)
  FROM o)
SELECT * FROM o;

-- name: OrderCountRecentByCustomer :one
SELECT count(*) FROM orders
WHERE store_id = $1 AND customer_id = $2 AND created_at > now() - interval '1 hour';
