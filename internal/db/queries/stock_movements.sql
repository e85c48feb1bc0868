-- name: StockMovementCreate :exec
INSERT INTO stock_movements (store_id, product_id, delta, reason, order_id) VALUES ($1, $2, $3, $4, $5);

-- name: StockMovementCreateMany :exec
INSERT INTO stock_movements (store_id, product_id, delta, reason, order_id)
SELECT sqlc.arg(store_id), m.product_id, m.delta, sqlc.arg(reason), sqlc.narg(order_id)
FROM (SELECT unnest(sqlc.arg(product_ids)::uuid[]) AS product_id, unnest(sqlc.arg(deltas)::int[]) AS delta) AS m;
