-- name: InvoiceListByOrders :many
SELECT * FROM invoices WHERE store_id = $1 AND order_id = ANY(sqlc.arg(order_ids)::uuid[]);

-- name: InvoiceGetByID :one
SELECT * FROM invoices WHERE store_id = $1 AND id = $2;

-- InvoiceCreateNumbered takes the store's next invoice number (gap-free: the counter
-- row is locked until commit, and a rolled-back transaction gives its number back)
-- and inserts the invoice.
-- name: InvoiceCreateNumbered :one
WITH n AS (
  UPDATE store_counters SET last_invoice_number = last_invoice_number + 1
  WHERE store_counters.store_id = sqlc.arg(store_id) RETURNING last_invoice_number)
INSERT INTO invoices (store_id, order_id, number, status, subtotal_minor, total_minor, currency_code)
VALUES (sqlc.arg(store_id), sqlc.arg(order_id), (SELECT last_invoice_number FROM n), 'ISSUED',
  sqlc.arg(subtotal_minor), sqlc.arg(total_minor), sqlc.arg(currency_code))
RETURNING *;

-- InvoiceLineCreateFromOrder copies an order's lines onto its invoice.
-- name: InvoiceLineCreateFromOrder :exec
INSERT INTO invoice_lines (store_id, invoice_id, line_no, sku, description, quantity, unit_price_minor, total_minor)
SELECT l.store_id, sqlc.arg(invoice_id), l.line_no, l.sku, l.name, l.quantity, l.unit_price_minor, l.total_minor
FROM order_lines l WHERE l.store_id = sqlc.arg(store_id) AND l.order_id = sqlc.arg(order_id);

-- name: InvoiceLineListByInvoices :many
SELECT * FROM invoice_lines WHERE store_id = $1 AND invoice_id = ANY(sqlc.arg(invoice_ids)::uuid[])
ORDER BY invoice_id, line_no;

-- name: InvoiceVoid :one
UPDATE invoices SET status = 'VOID', voided_at = now(), void_reason = sqlc.arg(reason)
WHERE store_id = sqlc.arg(store_id) AND order_id = sqlc.arg(order_id) AND status = 'ISSUED'
RETURNING *;
