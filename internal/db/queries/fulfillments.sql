-- name: FulfillmentListByOrders :many
SELECT * FROM fulfillments WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[]);

-- name: FulfillmentGetByID :one
SELECT * FROM fulfillments WHERE store_id = $1 AND id = $2;

-- name: FulfillmentCreate :one
INSERT INTO fulfillments (store_id, order_id, status) VALUES ($1, $2, 'PENDING')
RETURNING *;

-- FulfillmentAdvance moves a fulfillment one step on from status from; no row means
-- it was no longer there (a retried job, or cancelled).
-- name: FulfillmentAdvance :one
UPDATE fulfillments SET
  status = sqlc.arg(to_status),
  picked_at = CASE WHEN sqlc.arg(to_status) = 'PICKED' THEN now() ELSE picked_at END,
  packed_at = CASE WHEN sqlc.arg(to_status) = 'PACKED' THEN now() ELSE packed_at END,
  shipped_at = CASE WHEN sqlc.arg(to_status) = 'SHIPPED' THEN now() ELSE shipped_at END,
  delivered_at = CASE WHEN sqlc.arg(to_status) = 'DELIVERED' THEN now() ELSE delivered_at END,
  cancelled_at = CASE WHEN sqlc.arg(to_status) = 'CANCELLED' THEN now() ELSE cancelled_at END,
  carrier = COALESCE(sqlc.narg(carrier), carrier),
  tracking_number = COALESCE(sqlc.narg(tracking_number), tracking_number)
WHERE store_id = sqlc.arg(store_id) AND order_id = sqlc.arg(order_id) AND status = sqlc.arg(from_status)
RETURNING *;
