-- CustomerUpsert finds a customer by (normalised) email or creates it; a given name
-- replaces the stored one.
-- name: CustomerUpsert :one
INSERT INTO customers (store_id, email, name) VALUES ($1, $2, $3)
ON CONFLICT (store_id, email) DO UPDATE SET
  name = COALESCE(EXCLUDED.name, customers.name),
  updated_at = CASE WHEN EXCLUDED.name IS DISTINCT FROM customers.name AND EXCLUDED.name IS NOT NULL
    THEN now() ELSE customers.updated_at END
RETURNING id;

-- name: CustomerGetMany :many
SELECT * FROM customers WHERE store_id = $1 AND id = ANY(sqlc.arg(ids)::uuid[]);
