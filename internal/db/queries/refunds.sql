-- name: RefundCreate :one
INSERT INTO refunds (store_id, payment_id, order_id, amount_minor, currency_code, reason, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: RefundGetByID :one
SELECT * FROM refunds WHERE store_id = $1 AND id = $2;

-- name: RefundListByOrders :many
SELECT * FROM refunds WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- RefundSettle records a refund's outcome; only a refund still in progress moves.
-- name: RefundSettle :one
UPDATE refunds SET
  status = sqlc.arg(status), attempts = attempts + 1, gateway_refund_id = sqlc.narg(gateway_refund_id),
  last_error = sqlc.narg(last_error), next_attempt_at = sqlc.narg(next_attempt_at), updated_at = now()
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id) AND status IN ('PENDING', 'RETRYING')
RETURNING *;
