package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"log/slog"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/store"
)

// The data set. Bump datasetVersion when its shape changes: a stale one is reloaded.
const (
	datasetVersion    = 1
	benchDB           = "ordergraph_bench"
	numStores         = 10
	productsPerStore  = 200
	customersPerStore = 2000
	ordersPerStore    = 10000
)

type benchStore struct {
	ID       uuid.UUID
	Secret   string // an API key with role STAFF
	Products []uuid.UUID
}

type dataset struct {
	ownerURL string
	pool     *pgxpool.Pool // the app role: RLS applies, as for the server
	stores   []benchStore
	loadTime time.Duration
}

func (d *dataset) close() { d.pool.Close() }

// prepareDataset creates, migrates and loads the bench database, or reuses it when a
// complete load of this version is already there.
func prepareDataset(ctx context.Context, ownerURL string, reload bool) (*dataset, error) {
	u, err := url.Parse(ownerURL)
	if err != nil {
		return nil, err
	}
	admin, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	bu := *u
	bu.Path = "/" + benchDB
	ds := &dataset{ownerURL: bu.String()}

	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, benchDB).Scan(&exists); err != nil {
		return nil, err
	}
	if exists && !reload && datasetComplete(ctx, ds.ownerURL) {
		log.Printf("reusing data set in database %s (-reload loads it again)", benchDB)
		if err := resetWrites(ctx, ds.ownerURL); err != nil {
			return nil, fmt.Errorf("reset: %w", err)
		}
	} else {
		if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+benchDB+` WITH (FORCE)`); err != nil {
			return nil, err
		}
		if _, err := admin.Exec(ctx, `CREATE DATABASE `+benchDB); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := load(ctx, ds.ownerURL); err != nil {
			return nil, err
		}
		ds.loadTime = time.Since(start)
		log.Printf("loaded %d stores, %d orders in %s", numStores, numStores*ordersPerStore, ds.loadTime.Round(time.Second))
	}

	appURL, err := config.AppURL(ds.ownerURL, db.AppRole)
	if err != nil {
		return nil, err
	}
	if ds.pool, err = db.Open(ctx, appURL, 40); err != nil {
		return nil, err
	}
	if err := ds.prepareStores(ctx); err != nil {
		ds.pool.Close()
		return nil, err
	}
	return ds, nil
}

// resetWrites removes what earlier WRITE runs added (orders, their reservations and
// jobs), so every run reads the same newest orders and starts from the same state.
func resetWrites(ctx context.Context, ownerURL string) error {
	pool, err := db.Open(ctx, ownerURL, 1)
	if err != nil {
		return err
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT id FROM users WHERE email LIKE 'owner%@bench.test'`)
	if err != nil {
		return err
	}
	stores, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	owner := db.New(pool)
	for _, id := range stores {
		err := owner.Tx(ctx, db.StoreScope(id), func(tx pgx.Tx) error {
			for _, stmt := range []string{
				`CREATE TEMP TABLE written ON COMMIT DROP AS
					SELECT id FROM orders WHERE store_id = app_store_id() AND idempotency_key NOT LIKE 'bench-%'`,
				`DELETE FROM order_events WHERE store_id = app_store_id() AND order_id IN (SELECT id FROM written)`,
				`DELETE FROM order_lines WHERE store_id = app_store_id() AND order_id IN (SELECT id FROM written)`,
				`DELETE FROM orders WHERE store_id = app_store_id() AND id IN (SELECT id FROM written)`,
				`UPDATE products SET stock_reserved = 0 WHERE store_id = app_store_id() AND stock_reserved <> 0`,
				`UPDATE store_counters SET last_order_number = ` + itoa(ordersPerStore) + ` WHERE store_id = app_store_id()`,
			} {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if _, err := pool.Exec(ctx, `DELETE FROM river_job`); err != nil {
		return err
	}
	_, err = pool.Exec(ctx, `VACUUM ANALYZE orders, order_lines, order_events, products`)
	return err
}

func datasetComplete(ctx context.Context, ownerURL string) bool {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var v int
	err = conn.QueryRow(ctx, `SELECT version FROM bench_dataset`).Scan(&v)
	return err == nil && v == datasetVersion
}

// load migrates the bench database and fills it with set-based SQL, one transaction
// per store. The owner is bound by the forced RLS policies too, so every transaction
// sets the store first.
func load(ctx context.Context, ownerURL string) error {
	pool, err := db.Open(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	owner := db.New(pool)
	for i := range numStores {
		storeID := uuid.New()
		err := owner.Tx(ctx, db.StoreScope(storeID), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('bench.store_no', $1, true)`, fmt.Sprint(i+1)); err != nil {
				return err
			}
			for _, stmt := range loadStatements {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("%.60s…: %w", stmt, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load store %d: %w", i+1, err)
		}
		log.Printf("loaded store %d/%d", i+1, numStores)
	}
	_, err = pool.Exec(ctx, fmt.Sprintf(`CREATE TABLE bench_dataset (version int NOT NULL);
		INSERT INTO bench_dataset VALUES (%d); ANALYZE`, datasetVersion))
	return err
}

// loadStatements fill one store: the transaction's app_store_id() and its number in the
// setting bench.store_no. The store's id doubles as its owner's user id. Orders spread
// over the last 90 days; each has 1–5 lines at the product's price, one event, one
// captured payment, and 80% an invoice.
var loadStatements = []string{
	`INSERT INTO users (id, email, name, password_hash)
		VALUES (app_store_id(), 'owner' || current_setting('bench.store_no')::int || '@bench.test', 'Bench owner', 'not-a-login')`,
	`INSERT INTO stores (id, slug, name, currency_code) VALUES (app_store_id(), 'bench-' || current_setting('bench.store_no')::int, 'Bench store ' || current_setting('bench.store_no')::int, 'EUR')`,
	`INSERT INTO memberships (store_id, user_id, role) SELECT app_store_id(), app_store_id(), 'OWNER'`,
	`INSERT INTO products (store_id, sku, name, price_minor, currency_code, stock_on_hand, low_stock_threshold)
		SELECT app_store_id(), 'SKU-' || current_setting('bench.store_no')::int || '-' || g, 'Product ' || g, 199 + (g * 7919) % 20000, 'EUR', 100000000, 10
		FROM generate_series(1, ` + itoa(productsPerStore) + `) g`,
	`INSERT INTO customers (store_id, email, name, created_at)
		SELECT app_store_id(), 'buyer' || g || '@store' || current_setting('bench.store_no')::int || '.bench.test', 'Buyer ' || g, now() - interval '100 days'
		FROM generate_series(1, ` + itoa(customersPerStore) + `) g`,
	`CREATE TEMP TABLE bp ON COMMIT DROP AS
		SELECT id, sku, name, price_minor, row_number() OVER (ORDER BY sku) - 1 AS n FROM products WHERE store_id = app_store_id()`,
	`CREATE TEMP TABLE bc ON COMMIT DROP AS
		SELECT id, row_number() OVER (ORDER BY email) - 1 AS n FROM customers WHERE store_id = app_store_id()`,
	`CREATE TEMP TABLE bo ON COMMIT DROP AS
		SELECT gen_random_uuid() AS id, g AS number, 1 + (g * 31 + current_setting('bench.store_no')::int) % 5 AS nlines,
			now() - (g::float / ` + itoa(ordersPerStore) + ` * interval '90 days') AS created_at,
			(SELECT id FROM bc WHERE n = (g * 7) % ` + itoa(customersPerStore) + `) AS customer_id
		FROM generate_series(1, ` + itoa(ordersPerStore) + `) g`,
	`CREATE TEMP TABLE bl ON COMMIT DROP AS
		SELECT bo.id AS order_id, l AS line_no, bp.id AS product_id, bp.sku, bp.name, 1 + (bo.number + l) % 3 AS quantity,
			bp.price_minor FROM bo CROSS JOIN LATERAL generate_series(1, bo.nlines) l
		JOIN bp ON bp.n = (bo.number * 13 + l * 17) % ` + itoa(productsPerStore) + ``,
	`INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
			shipping_address, idempotency_key, request_hash, created_at, updated_at)
		SELECT app_store_id(), bo.id, bo.number, CASE WHEN bo.number % 10 = 0 THEN 'DELIVERED' ELSE 'PAID' END, bo.customer_id, 'EUR',
			t.total, t.total, '{"line1": "1 Bench Street", "city": "Berlin", "postalCode": "10115", "countryCode": "DE"}',
			'bench-' || current_setting('bench.store_no')::int || '-' || bo.number, '\x00', bo.created_at, bo.created_at
		FROM bo JOIN (SELECT order_id, sum(quantity * price_minor) AS total FROM bl GROUP BY order_id) t ON t.order_id = bo.id`,
	`INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity, unit_price_minor, total_minor, currency_code)
		SELECT app_store_id(), order_id, line_no, product_id, sku, name, quantity, price_minor, quantity * price_minor, 'EUR' FROM bl
		WHERE current_setting('bench.store_no')::int > 0`,
	`INSERT INTO order_events (store_id, order_id, type, message, created_at)
		SELECT app_store_id(), id, 'order.created', 'Order #' || number || ' placed', created_at FROM bo`,
	`INSERT INTO payments (store_id, order_id, status, amount_minor, currency_code, attempts, idempotency_key, created_at)
		SELECT app_store_id(), o.id, 'CAPTURED', o.total_minor, 'EUR', 1, 'pay-' || o.id, o.created_at
		FROM orders o WHERE o.store_id = app_store_id()`,
	`INSERT INTO invoices (store_id, order_id, number, status, total_minor, currency_code, issued_at)
		SELECT app_store_id(), o.id, row_number() OVER (ORDER BY o.number), 'ISSUED', o.total_minor, 'EUR', o.created_at
		FROM orders o WHERE o.store_id = app_store_id() AND o.number % 5 <> 0`,
	`INSERT INTO store_counters (store_id, last_order_number, last_invoice_number)
		SELECT app_store_id(), ` + itoa(ordersPerStore) + `, (SELECT count(*) FROM invoices WHERE store_id = app_store_id())`,
}

func itoa(n int) string { return fmt.Sprint(n) }

// prepareStores gives every store a fresh STAFF API key (secrets are not stored, so a
// reused data set gets new ones) and reads its product ids for the write load.
func (d *dataset) prepareStores(ctx context.Context) error {
	app := db.New(d.pool)
	var ids []uuid.UUID
	rows, err := d.pool.Query(ctx, `SELECT id FROM users WHERE email LIKE 'owner%@bench.test' ORDER BY email`)
	if err != nil {
		return err
	}
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
		return err
	}
	if len(ids) != numStores {
		return fmt.Errorf("expected %d bench stores, found %d: run with -reload", numStores, len(ids))
	}
	for _, id := range ids { // each store's id is its owner's id
		buf := make([]byte, 32)
		_, _ = rand.Read(buf)
		s := benchStore{ID: id, Secret: store.APIKeyPrefix + base64.RawURLEncoding.EncodeToString(buf)}
		err := app.Tx(ctx, db.StoreScope(id), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = now() WHERE store_id = $1 AND revoked_at IS NULL`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_keys (store_id, name, role, key_prefix, key_hash)
				VALUES ($1, 'bench', 'STAFF', $2, $3)`, id, s.Secret[:9], store.HashAPIKey(s.Secret)); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT id FROM products WHERE store_id = $1 ORDER BY sku`, id)
			if err != nil {
				return err
			}
			s.Products, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			return err
		})
		if err != nil {
			return fmt.Errorf("prepare store %s: %w", id, err)
		}
		d.stores = append(d.stores, s)
	}
	return nil
}
