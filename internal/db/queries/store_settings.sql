-- name: StoreSettingsGet :one
SELECT * FROM store_settings WHERE store_id = $1;

-- name: StoreSettingsUpsert :one
INSERT INTO store_settings (store_id, review_total_minor, review_line_quantity, max_orders_per_email_hour, allowed_countries)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (store_id) DO UPDATE SET
  review_total_minor = EXCLUDED.review_total_minor, review_line_quantity = EXCLUDED.review_line_quantity,
  max_orders_per_email_hour = EXCLUDED.max_orders_per_email_hour, allowed_countries = EXCLUDED.allowed_countries,
  updated_at = now()
RETURNING *;
