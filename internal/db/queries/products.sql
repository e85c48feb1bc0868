-- name: ProductCreate :one
INSERT INTO products (store_id, sku, name, price_minor, currency_code, stock_on_hand, low_stock_threshold)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: ProductUpdate :one
UPDATE products SET
  name = COALESCE(sqlc.narg(name), name),
  price_minor = COALESCE(sqlc.narg(price_minor), price_minor),
  low_stock_threshold = COALESCE(sqlc.narg(low_stock_threshold), low_stock_threshold),
  updated_at = now()
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: ProductGetByID :one
SELECT * FROM products WHERE store_id = $1 AND id = $2;

-- name: ProductGetByIDForUpdate :one
SELECT * FROM products WHERE store_id = $1 AND id = $2 FOR UPDATE;

-- name: ProductGetMany :many
SELECT * FROM products WHERE store_id = $1 AND id = ANY(sqlc.arg(ids)::uuid[]);

-- name: ProductSetStockOnHand :one
UPDATE products SET stock_on_hand = $3, updated_at = now()
WHERE store_id = $1 AND id = $2
RETURNING *;

-- ProductLockForOrder locks the products an order names by id or by sku, in id order
-- so that concurrent orders cannot deadlock.
-- name: ProductLockForOrder :many
SELECT * FROM products
WHERE store_id = sqlc.arg(store_id)
  AND (id = ANY(sqlc.arg(ids)::uuid[]) OR sku = ANY(sqlc.arg(skus)::text[]))
ORDER BY id
FOR UPDATE;

-- name: ProductReserve :exec
UPDATE products p SET stock_reserved = p.stock_reserved + r.qty, updated_at = now()
FROM (SELECT unnest(sqlc.arg(ids)::uuid[]) AS id, unnest(sqlc.arg(quantities)::int[]) AS qty) AS r
WHERE p.store_id = sqlc.arg(store_id) AND p.id = r.id;

-- ProductListByOrders is the products the lines of the given orders name.
-- name: ProductListByOrders :many
SELECT * FROM products
WHERE products.store_id = sqlc.arg(store_id) AND products.id IN (
  SELECT l.product_id FROM order_lines l
  WHERE l.store_id = sqlc.arg(store_id) AND l.order_id = ANY(sqlc.arg(order_ids)::uuid[]));

-- ProductRelease gives reserved stock back (an order cancelled before shipping).
-- name: ProductRelease :exec
UPDATE products p SET stock_reserved = p.stock_reserved - r.qty, updated_at = now()
FROM (SELECT unnest(sqlc.arg(ids)::uuid[]) AS id, unnest(sqlc.arg(quantities)::int[]) AS qty) AS r
WHERE p.store_id = sqlc.arg(store_id) AND p.id = r.id;

-- ProductShip takes shipped stock off hand and out of reservation.
-- name: ProductShip :many
UPDATE products p SET stock_on_hand = p.stock_on_hand - r.qty, stock_reserved = p.stock_reserved - r.qty,
  updated_at = now()
FROM (SELECT unnest(sqlc.arg(ids)::uuid[]) AS id, unnest(sqlc.arg(quantities)::int[]) AS qty) AS r
WHERE p.store_id = sqlc.arg(store_id) AND p.id = r.id
RETURNING p.*;

-- name: ProductListLowStock :many
SELECT * FROM products WHERE store_id = $1 AND stock_on_hand - stock_reserved <= low_stock_threshold;

-- ProductLockByIDs locks products in id order, as ProductLockForOrder does, before a
-- stock change of several (shipping, releasing), so that it cannot deadlock with intake.
-- name: ProductLockByIDs :exec
SELECT 1 FROM products WHERE store_id = $1 AND id = ANY(sqlc.arg(ids)::uuid[]) ORDER BY id FOR UPDATE;
