-- name: OrderEventListByOrders :many
SELECT * FROM order_events
WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[])
ORDER BY order_id, id;
