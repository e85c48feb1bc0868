-- name: InvoiceListByOrders :many
SELECT * FROM invoices WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[]);

-- name: InvoiceGetByID :one
SELECT * FROM invoices WHERE store_id = $1 AND id = $2;
