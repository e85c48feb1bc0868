-- name: StoreCreate :one
INSERT INTO stores (id, slug, name, currency_code) VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: StoreGetByID :one
SELECT * FROM stores WHERE id = $1;

-- name: StoreGetCurrency :one
SELECT currency_code FROM stores WHERE id = $1;

-- name: StoreCounterCreate :exec
INSERT INTO store_counters (store_id) VALUES ($1);
