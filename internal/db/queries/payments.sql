-- name: PaymentListByOrders :many
SELECT * FROM payments
WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[])
ORDER BY created_at, id;

-- name: PaymentGetByID :one
SELECT * FROM payments WHERE store_id = $1 AND id = $2;

-- name: PaymentCreate :one
INSERT INTO payments (store_id, order_id, status, amount_minor, currency_code, idempotency_key, payment_method, deadline_at)
VALUES (sqlc.arg(store_id), sqlc.arg(order_id), 'PENDING', sqlc.arg(amount_minor), sqlc.arg(currency_code),
  sqlc.arg(idempotency_key), sqlc.arg(payment_method), now() + sqlc.arg(budget)::interval)
RETURNING *;

-- PaymentGetOpenByOrder is the order's payment that is pending, retrying or captured.
-- name: PaymentGetOpenByOrder :one
SELECT * FROM payments
WHERE store_id = $1 AND order_id = $2 AND status IN ('PENDING', 'RETRYING', 'CAPTURED');

-- PaymentSettle records a payment's outcome; only a payment still being charged
-- (PENDING or RETRYING) moves: no row means another step settled it first.
-- name: PaymentSettle :one
UPDATE payments SET
  status = sqlc.arg(status),
  attempts = attempts + sqlc.arg(attempts_spent)::int,
  gateway_charge_id = COALESCE(sqlc.narg(gateway_charge_id), gateway_charge_id),
  last_error = sqlc.narg(last_error),
  decline_code = sqlc.narg(decline_code),
  next_attempt_at = NULL,
  updated_at = now()
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id) AND status IN ('PENDING', 'RETRYING')
RETURNING *;

-- name: PaymentRecordRetry :one
UPDATE payments SET
  status = 'RETRYING', attempts = attempts + 1, last_error = sqlc.arg(last_error),
  next_attempt_at = sqlc.arg(next_attempt_at), updated_at = now()
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id) AND status IN ('PENDING', 'RETRYING')
RETURNING *;

-- name: PaymentAddRefunded :one
UPDATE payments SET
  refunded_minor = refunded_minor + sqlc.arg(amount_minor),
  status = CASE WHEN refunded_minor + sqlc.arg(amount_minor) = amount_minor THEN 'REFUNDED' ELSE status END,
  updated_at = now()
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id) AND status = 'CAPTURED'
RETURNING *;

-- PaymentMarkCapturedLate records that a payment given up as FAILED (no answer until
-- its budget ended) or CANCELLED (its order cancelled between attempts) had charged
-- after all: an earlier attempt's answer was lost.
-- name: PaymentMarkCapturedLate :one
UPDATE payments SET status = 'CAPTURED', gateway_charge_id = sqlc.arg(gateway_charge_id), updated_at = now()
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id) AND status IN ('FAILED', 'CANCELLED')
RETURNING *;
