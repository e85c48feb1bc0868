package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The raw scenarios are the limit: the same work as READ and WRITE, hand-written in SQL
// and run through pgx as the app role (so RLS applies as it does to the server), with
// no HTTP, no GraphQL and no domain code in between.

// rawReadSQL is READ as one query: the store's 50 newest orders with their customer,
// lines and products, payments and invoice, the lists aggregated to JSON for the whole
// page at once (which PostgreSQL runs faster than a subquery per order).
const rawReadSQL = `
WITH page AS (
	SELECT id, number, status, created_at, total_minor, currency_code, customer_id FROM orders
	WHERE store_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50),
lines AS (
	SELECT l.order_id, json_agg(json_build_object('quantity', l.quantity, 'unitPriceMinor', l.unit_price_minor,
		'totalMinor', l.total_minor, 'productId', p.id, 'sku', p.sku, 'name', p.name) ORDER BY l.line_no) AS lines
	FROM order_lines l JOIN products p ON p.store_id = l.store_id AND p.id = l.product_id
	WHERE l.store_id = $1 AND l.order_id IN (SELECT id FROM page)
	GROUP BY l.order_id),
payments AS (
	SELECT order_id, json_agg(json_build_object('status', status, 'amountMinor', amount_minor) ORDER BY created_at) AS payments
	FROM payments WHERE store_id = $1 AND order_id IN (SELECT id FROM page)
	GROUP BY order_id)
SELECT o.id, o.number, o.status, o.created_at, o.total_minor, o.currency_code, c.id, c.email, c.name,
	l.lines, pm.payments, i.number, i.status
FROM page o
JOIN customers c ON c.store_id = $1 AND c.id = o.customer_id
LEFT JOIN lines l ON l.order_id = o.id
LEFT JOIN payments pm ON pm.order_id = o.id
LEFT JOIN invoices i ON i.store_id = $1 AND i.order_id = o.id
ORDER BY o.created_at DESC, o.id DESC`

// rawOrder is one row of rawReadSQL, decoded.
type rawOrder struct {
	ID            uuid.UUID
	Number        int64
	Status        string
	CreatedAt     time.Time
	TotalMinor    int64
	CurrencyCode  string
	CustomerID    uuid.UUID
	CustomerEmail string
	CustomerName  *string
	Lines         []rawLine
	Payments      []rawPayment
	InvoiceNumber *int64
	InvoiceStatus *string
}

type rawLine struct {
	Quantity       int       `json:"quantity"`
	UnitPriceMinor int64     `json:"unitPriceMinor"`
	TotalMinor     int64     `json:"totalMinor"`
	ProductID      uuid.UUID `json:"productId"`
	SKU            string    `json:"sku"`
	Name           string    `json:"name"`
}

type rawPayment struct {
	Status      string `json:"status"`
	AmountMinor int64  `json:"amountMinor"`
}

// rawClient runs the raw scenarios on its own pool of app-role connections.
type rawClient struct {
	db     *db.DB
	stores []benchStore
}

// newRawClient connects a pool of app-role connections the size of the server's.
func newRawClient(ctx context.Context, d *dataset) (*rawClient, error) {
	url, err := d.appURL()
	if err != nil {
		return nil, err
	}
	pool, err := db.Open(ctx, url, config.DefaultDBMaxConns)
	if err != nil {
		return nil, err
	}
	return &rawClient{db: db.New(pool), stores: d.stores}, nil
}

func (c *rawClient) close() { c.db.Pool.Close() }

// read runs rawReadSQL for store s as the server runs a read (db.Read: the store
// setting and the query pipelined in one implicit transaction) and decodes the rows.
func (c *rawClient) read(ctx context.Context, s benchStore) error {
	var orders []rawOrder
	err := c.db.Read(ctx, db.Store(tenant.StoreID(s.ID)), func(q db.Querier) error {
		rows, err := q.Query(ctx, rawReadSQL, s.ID)
		if err != nil {
			return err
		}
		orders, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rawOrder, error) {
			var o rawOrder // pgx decodes the JSON columns into the slices
			err := r.Scan(&o.ID, &o.Number, &o.Status, &o.CreatedAt, &o.TotalMinor, &o.CurrencyCode, &o.CustomerID,
				&o.CustomerEmail, &o.CustomerName, &o.Lines, &o.Payments, &o.InvoiceNumber, &o.InvoiceStatus)
			if err == nil && len(o.Lines) == 0 {
				err = fmt.Errorf("order %d has no lines", o.Number)
			}
			return o, err
		})
		return err
	})
	if err != nil {
		return err
	}
	if len(orders) != 50 {
		return fmt.Errorf("raw read returned %d orders, want 50", len(orders))
	}
	return nil
}

// write places an order of 3 distinct random products for a random customer of store s
// with the statements createOrder runs (internal/order/service.go, product.Reservation,
// customer.Upsert, River's job insert), in the same order and the same round trips, in
// one transaction.
func (c *rawClient) write(ctx context.Context, s benchStore) error {
	products := pick3(s.Products)
	qty := [3]int32{int32(1 + rand.IntN(3)), int32(1 + rand.IntN(3)), int32(1 + rand.IntN(3))}
	key := uuid.NewString()
	hash := sha256.Sum256([]byte(key))
	cust := rand.IntN(customerPool)
	addr := fmt.Sprintf(`{"name": %q, "line1": "Hauptstraße 1", "city": "Berlin", "postalCode": "10115", "countryCode": "DE"}`,
		customerName(cust))
	return c.db.TxCommitWith(ctx, db.Store(tenant.StoreID(s.ID)), func(tx pgx.Tx, last db.Querier) error {
		// Idempotency check and product locks (in id order), pipelined in one round trip.
		type product struct {
			ID                         uuid.UUID
			StoreID                    uuid.UUID
			SKU, Name                  string
			PriceMinor                 int64
			CurrencyCode               string
			OnHand, Reserved, LowStock int
			CreatedAt, UpdatedAt       time.Time
		}
		var locked []product
		b := &pgx.Batch{}
		b.Queue(`SELECT id, request_hash FROM orders WHERE store_id = $1 AND idempotency_key = $2`,
			s.ID, key).Query(func(rows pgx.Rows) error {
			n := 0
			for rows.Next() {
				n++
			}
			if n > 0 {
				return fmt.Errorf("idempotency lookup: want no order, got %d", n)
			}
			return rows.Err()
		})
		b.Queue(`SELECT id, store_id, sku, name, price_minor, currency_code, stock_on_hand,
				stock_reserved, low_stock_threshold, created_at, updated_at
			FROM products WHERE store_id = $1 AND (id = ANY($2) OR sku = ANY($3)) ORDER BY id FOR UPDATE`,
			s.ID, products[:], []string{}).Query(func(rows pgx.Rows) (err error) {
			locked, err = pgx.CollectRows(rows, pgx.RowToStructByPos[product])
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		byID := make(map[uuid.UUID]product, len(locked))
		for _, p := range locked {
			byID[p.ID] = p
		}
		var skus, names [3]string
		var unit, totals [3]int64
		var total int64
		for i, id := range products {
			p, ok := byID[id]
			if !ok || p.OnHand-p.Reserved < int(qty[i]) {
				return fmt.Errorf("product %s missing or short", id)
			}
			skus[i], names[i], unit[i], totals[i] = p.SKU, p.Name, p.PriceMinor, p.PriceMinor*int64(qty[i])
			total += totals[i]
		}
		// Stock reservation and customer upsert, pipelined in one round trip.
		var customerID uuid.UUID
		b = &pgx.Batch{}
		b.Queue(`UPDATE products p SET stock_reserved = p.stock_reserved + r.qty, updated_at = now()
			FROM unnest($2::uuid[], $3::int[]) AS r(id, qty) WHERE p.store_id = $1 AND p.id = r.id`,
			s.ID, products[:], qty[:])
		b.Queue(`INSERT INTO customers (store_id, email, name) VALUES ($1, $2, $3)
			ON CONFLICT (store_id, email) DO UPDATE SET name = COALESCE(EXCLUDED.name, customers.name),
				updated_at = CASE WHEN EXCLUDED.name IS DISTINCT FROM customers.name AND EXCLUDED.name IS NOT NULL
					THEN now() ELSE customers.updated_at END
			RETURNING id`, s.ID, customerEmail(s.No, cust), customerName(cust)).QueryRow(func(row pgx.Row) error {
			return row.Scan(&customerID)
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		// The fraud-check job.
		orderID := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at)
			VALUES ($1, 'order_check_fraud', 25, 1, 'default', 'available', now())`,
			fmt.Sprintf(`{"store_id": %q, "order_id": %q}`, s.ID, orderID)); err != nil {
			return err
		}
		// Number, order, lines and event in one statement, pipelined with the COMMIT.
		var number int64
		var createdAt, updatedAt time.Time
		return last.QueryRow(ctx, `WITH n AS (
				UPDATE store_counters SET last_order_number = last_order_number + 1
				WHERE store_id = $1 RETURNING last_order_number),
			o AS (
				INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
					shipping_address, note, idempotency_key, request_hash)
				VALUES ($1, $2, (SELECT last_order_number FROM n), 'PENDING', $3, 'EUR', $4, $4, $5, NULL, $6, $7)
				RETURNING number, created_at, updated_at),
			l AS (
				INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity,
					unit_price_minor, total_minor, currency_code)
				SELECT $1, $2, u.*, 'EUR' FROM o,
					unnest($8::int[], $9::uuid[], $10::text[], $11::text[], $12::int[], $13::bigint[], $14::bigint[]) u),
			e AS (
				INSERT INTO order_events (store_id, order_id, type, message, data)
				SELECT $1, $2, 'order.created', format($15, o.number), $16 FROM o)
			SELECT number, created_at, updated_at FROM o`,
			s.ID, orderID, customerID, total, addr, key, hash[:],
			[]int32{1, 2, 3}, products[:], skus[:], names[:], qty[:], unit[:], totals[:],
			fmt.Sprintf("Order #%%s placed: 3 line(s), total %s EUR", money.FormatMinor(total, "EUR")),
			fmt.Sprintf(`{"idempotencyKey": %q}`, key)).Scan(&number, &createdAt, &updatedAt)
	})
}

// loop runs op from concurrency goroutines, each on its own store rotation, for d and
// records every call that finished within d.
func (c *rawClient) loop(ctx context.Context, name string, concurrency int, d time.Duration,
	op func(context.Context, benchStore) error) (result, error) {
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var all recorder
	var wg sync.WaitGroup
	start := time.Now()
	for w := range concurrency {
		wg.Go(func() {
			var rec recorder
			for i := w; runCtx.Err() == nil; i++ {
				t := time.Now()
				err := op(runCtx, c.stores[i%len(c.stores)])
				if runCtx.Err() != nil {
					break // cut off by the end of the run: not an outcome
				}
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				rec.add(time.Since(t), msg)
			}
			mu.Lock()
			all.merge(&rec)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all.result(name, time.Since(start)), ctx.Err()
}
