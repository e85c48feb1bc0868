-- name: OrderEventListByOrders :many
SELECT * FROM order_events
WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[])
ORDER BY order_id, id;

-- name: OrderEventCreate :exec
INSERT INTO order_events (store_id, order_id, type, message, data) VALUES ($1, $2, $3, $4, $5);
