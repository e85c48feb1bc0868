-- name: PaymentListByOrders :many
SELECT * FROM payments
WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[])
ORDER BY created_at, id;

-- name: PaymentGetByID :one
SELECT * FROM payments WHERE store_id = $1 AND id = $2;
