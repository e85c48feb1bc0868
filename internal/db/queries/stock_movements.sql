-- name: StockMovementCreate :exec
INSERT INTO stock_movements (store_id, product_id, delta, reason, order_id) VALUES ($1, $2, $3, $4, $5);
