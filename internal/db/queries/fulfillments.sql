-- name: FulfillmentListByOrders :many
SELECT * FROM fulfillments WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[]);

-- name: FulfillmentGetByID :one
SELECT * FROM fulfillments WHERE store_id = $1 AND id = $2;
