package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
)

// rawReadSQL is the read as one hand-written query: the page of 50 newest orders with
// customer, lines and their products, payments and invoice, aggregated in SQL.
const rawReadSQL = `
SELECT o.id, o.number, o.status, o.created_at, o.total_minor, o.currency_code,
	c.id, c.email, c.name,
	(SELECT json_agg(json_build_object('quantity', l.quantity, 'unit', l.unit_price_minor, 'total', l.total_minor,
			'productId', p.id, 'sku', p.sku, 'name', p.name) ORDER BY l.line_no)
		FROM order_lines l JOIN products p ON p.store_id = l.store_id AND p.id = l.product_id
		WHERE l.store_id = o.store_id AND l.order_id = o.id),
	(SELECT json_agg(json_build_object('status', pm.status, 'amount', pm.amount_minor))
		FROM payments pm WHERE pm.store_id = o.store_id AND pm.order_id = o.id),
	i.number, i.status
FROM orders o
JOIN customers c ON c.store_id = o.store_id AND c.id = o.customer_id
LEFT JOIN invoices i ON i.store_id = o.store_id AND i.order_id = o.id
WHERE o.store_id = $1
ORDER BY o.created_at DESC, o.id DESC
LIMIT 50`

// rawOrder is one row of rawReadSQL, decoded as a client would.
type rawOrder struct {
	ID                      uuid.UUID
	Number                  int64
	Status                  string
	CreatedAt               time.Time
	Total                   int64
	Currency                string
	CustomerID              uuid.UUID
	Email                   string
	Name                    *string
	LinesJSON, PaymentsJSON []byte
	InvoiceNumber           *int64
	InvoiceStatus           *string
	Lines, Payments         []map[string]any
}

// rawRead runs rawReadSQL the way the server runs a read: as the app role, the store
// set transaction-locally and the query pipelined behind it (one round trip).
func (d *dataset) rawRead(ctx context.Context, worker, i int) error {
	s := d.stores[(worker+i)%len(d.stores)]
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('app.store_id', $1, true)`, s.ID.String())
	b.Queue(rawReadSQL, s.ID)
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rawOrder, error) {
		var o rawOrder
		if err := r.Scan(&o.ID, &o.Number, &o.Status, &o.CreatedAt, &o.Total, &o.Currency, &o.CustomerID, &o.Email,
			&o.Name, &o.LinesJSON, &o.PaymentsJSON, &o.InvoiceNumber, &o.InvoiceStatus); err != nil {
			return o, err
		}
		if err := json.Unmarshal(o.LinesJSON, &o.Lines); err != nil {
			return o, err
		}
		return o, json.Unmarshal(o.PaymentsJSON, &o.Payments)
	})
	if err != nil {
		return err
	}
	if len(orders) != 50 {
		return fmt.Errorf("raw read returned %d orders", len(orders))
	}
	return nil
}

// rawWrite places a 3-line order with the statements createOrder runs, in one
// transaction as the app role, without HTTP, GraphQL or the domain code.
func (d *dataset) rawWrite(ctx context.Context, worker, i int) error {
	s := d.stores[(worker+i)%len(d.stores)]
	products := pick3(s.Products)
	qty := []int32{int32(1 + rand.IntN(3)), int32(1 + rand.IntN(3)), int32(1 + rand.IntN(3))}
	key := uuid.NewString()
	hash := sha256.Sum256([]byte(key))
	email := fmt.Sprintf("shopper%d@bench.test", rand.IntN(5000))
	return db.New(d.pool).Tx(ctx, db.StoreScope(s.ID), func(tx pgx.Tx) error {
		var prev uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM orders WHERE store_id = $1 AND idempotency_key = $2`, s.ID, key).Scan(&prev)
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("idempotency key %s already used, or lookup failed: %v", key, err)
		}
		rows, err := tx.Query(ctx, `SELECT id, sku, name, price_minor, stock_on_hand - stock_reserved FROM products
			WHERE store_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, s.ID, products)
		if err != nil {
			return err
		}
		type prod struct {
			ID    uuid.UUID
			SKU   string
			Name  string
			Price int64
			Avail int
		}
		locked, err := pgx.CollectRows(rows, pgx.RowToStructByPos[prod])
		if err != nil {
			return err
		}
		byID := map[uuid.UUID]prod{}
		for _, p := range locked {
			byID[p.ID] = p
		}
		if _, err := tx.Exec(ctx, `UPDATE products p SET stock_reserved = p.stock_reserved + r.qty, updated_at = now()
			FROM unnest($2::uuid[], $3::int[]) AS r(id, qty) WHERE p.store_id = $1 AND p.id = r.id`, s.ID, products, qty); err != nil {
			return err
		}
		var customerID uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO customers (store_id, email, name) VALUES ($1, $2, 'Shopper')
			ON CONFLICT (store_id, email) DO UPDATE SET name = COALESCE(EXCLUDED.name, customers.name) RETURNING id`,
			s.ID, email).Scan(&customerID); err != nil {
			return err
		}
		var total int64
		skus, names, unit, totals := make([]string, 3), make([]string, 3), make([]int64, 3), make([]int64, 3)
		for i, id := range products {
			p := byID[id]
			skus[i], names[i], unit[i], totals[i] = p.SKU, p.Name, p.Price, p.Price*int64(qty[i])
			total += totals[i]
		}
		orderID := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at)
			VALUES ($1, 'order_check_fraud', 25, 1, 'default', 'available', now())`,
			fmt.Sprintf(`{"store_id": %q, "order_id": %q}`, s.ID, orderID)); err != nil {
			return err
		}
		// Numbered last, pipelined with the rows that need the number, as createOrder does.
		b := &pgx.Batch{}
		b.Queue(`WITH n AS (UPDATE store_counters SET last_order_number = last_order_number + 1
				WHERE store_id = $1 RETURNING last_order_number)
			INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
				shipping_address, idempotency_key, request_hash)
			SELECT $1, $2, n.last_order_number, 'PENDING', $3, 'EUR', $4, $4, $5, $6, $7 FROM n`,
			s.ID, orderID, customerID, total,
			`{"line1": "1 Bench Street", "city": "Berlin", "postalCode": "10115", "countryCode": "DE"}`, key, hash[:])
		b.Queue(`INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity,
				unit_price_minor, total_minor, currency_code)
			SELECT $1, $2, *, 'EUR' FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::bigint[])`,
			s.ID, orderID, []int32{1, 2, 3}, products, skus, names, qty, unit, totals)
		b.Queue(`INSERT INTO order_events (store_id, order_id, type, message, data)
			SELECT $1, $2, 'order.created', format('Order #%s placed', o.number), '{}'
			FROM orders o WHERE o.store_id = $1 AND o.id = $2`, s.ID, orderID)
		return tx.SendBatch(ctx, b).Close()
	})
}
