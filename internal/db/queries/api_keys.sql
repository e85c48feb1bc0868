-- name: APIKeyCreate :one
INSERT INTO api_keys (store_id, name, role, key_prefix, key_hash, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: APIKeyRevoke :one
UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
WHERE store_id = $1 AND id = $2
RETURNING *;

-- name: APIKeyListByStore :many
SELECT * FROM api_keys WHERE store_id = $1 ORDER BY created_at DESC, id;

-- name: APIKeyGetByHash :one
SELECT * FROM api_keys WHERE key_hash = $1;

-- name: APIKeyTouch :exec
UPDATE api_keys SET last_used_at = now() WHERE store_id = $1 AND id = $2;
