-- AlertOpen opens an alert unless one of its kind is open for the subject already.
-- name: AlertOpen :exec
INSERT INTO alerts (store_id, kind, subject_id, order_id, message, data)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (store_id, kind, subject_id) WHERE status = 'OPEN' DO NOTHING;

-- AlertResolveSubject resolves the open alert of kind for subject, if there is one.
-- name: AlertResolveSubject :exec
UPDATE alerts SET status = 'RESOLVED', resolved_at = now(), resolved_by = sqlc.arg(resolved_by)
WHERE store_id = sqlc.arg(store_id) AND kind = sqlc.arg(kind) AND subject_id = sqlc.arg(subject_id) AND status = 'OPEN';

-- name: AlertResolve :one
UPDATE alerts SET status = 'RESOLVED', resolved_at = COALESCE(resolved_at, now()),
  resolved_by = COALESCE(resolved_by, sqlc.arg(resolved_by))
WHERE store_id = sqlc.arg(store_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: AlertGetByID :one
SELECT * FROM alerts WHERE store_id = $1 AND id = $2;

-- name: AlertListOpenByKind :many
SELECT * FROM alerts WHERE store_id = $1 AND kind = $2 AND status = 'OPEN';
