package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The data set. Bump datasetVersion whenever what load writes changes: a database
// loaded by another version is dropped and loaded again.
const (
	datasetVersion    = 2
	benchDB           = "ordergraph_bench"
	numStores         = 10
	productsPerStore  = 200
	customersPerStore = 2000
	ordersPerStore    = 10000
	// stockOnHand is every product's stock: enough that no order ever runs short.
	stockOnHand = 100_000_000
	// customerPool is how many customer emails the write load draws from per store:
	// the first customersPerStore exist (returning customers), the rest are new.
	customerPool = 5000
	// loadParallelism is how many stores load at once.
	loadParallelism = 2
)

// datasetDescription says in one line what load writes.
var datasetDescription = fmt.Sprintf("%d stores (EUR), each with an owner, %s products, %s customers and "+
	"%s orders of 1–5 lines over the past 90 days, each order with one event and one captured payment, "+
	"~80%% invoiced: %s orders in all", numStores, thousands(productsPerStore), thousands(customersPerStore),
	thousands(ordersPerStore), thousands(numStores*ordersPerStore))

// customerEmail is customer i (0-based) of store no: the loaded customers and the write
// load's pool share these addresses.
func customerEmail(no, i int) string { return fmt.Sprintf("customer%d@store%d.bench.test", i+1, no) }

// customerName is customer i's name; the write load sends the loaded one, so placing an
// order for a returning customer changes nothing about them.
func customerName(i int) string { return fmt.Sprintf("Customer %d", i+1) }

// benchStore is one store of the data set, as the load generators need it.
type benchStore struct {
	No       int // 1-based, as in its slug, SKUs and customer emails
	ID       uuid.UUID
	Secret   string // a STAFF API key issued for this run
	Products []uuid.UUID
}

// dataset is the prepared bench database.
type dataset struct {
	ownerURL string
	owner    *pgxpool.Pool // the schema owner: bound by the forced RLS policies too
	stores   []benchStore
	loadTime time.Duration // how long the (possibly earlier) load took
	reused   bool          // loaded by an earlier run
}

func (d *dataset) close() { d.owner.Close() }

// prepareDataset makes sure the bench database holds a complete data set of this
// version, loading it when missing, stale or incomplete, or when reload is set, and
// otherwise resetting what earlier runs wrote. It then issues every store a new API key.
func prepareDataset(ctx context.Context, clusterURL string, reload bool) (*dataset, error) {
	u, err := url.Parse(clusterURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	u.Path = "/" + benchDB
	d := &dataset{ownerURL: u.String()}
	if reload {
		log.Printf("data set: -reload given")
	} else if err := d.reuse(ctx); err != nil {
		log.Printf("data set: %v", err)
	}
	if !d.reused {
		if err := recreateDatabase(ctx, clusterURL); err != nil {
			return nil, err
		}
		if err := d.open(ctx); err != nil {
			return nil, err
		}
		if err := d.load(ctx); err != nil {
			d.close()
			return nil, err
		}
	}
	if err := d.issueAPIKeys(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// open connects as the owner and applies the migrations (idempotent).
func (d *dataset) open(ctx context.Context) error {
	pool, err := db.Open(ctx, d.ownerURL, 4)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		pool.Close()
		return fmt.Errorf("migrate %s: %w", benchDB, err)
	}
	d.owner = pool
	return nil
}

// recreateDatabase drops the bench database, if any, and creates it empty.
func recreateDatabase(ctx context.Context, clusterURL string) error {
	conn, err := pgx.Connect(ctx, clusterURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, stmt := range []string{`DROP DATABASE IF EXISTS ` + benchDB + ` WITH (FORCE)`, `CREATE DATABASE ` + benchDB} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// reuse opens an existing, complete data set of this version and resets it to the
// state load left it in. An error means it has to be loaded again; d is then unchanged.
func (d *dataset) reuse(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.ownerURL)
	if err != nil {
		return fmt.Errorf("no database %s yet", benchDB)
	}
	var version int
	var storeIDs []uuid.UUID
	var loadSeconds float64
	err = conn.QueryRow(ctx, `SELECT version, store_ids, load_seconds FROM bench_dataset`).
		Scan(&version, &storeIDs, &loadSeconds)
	conn.Close(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("database %s holds no complete data set", benchDB)
	case version != datasetVersion:
		return fmt.Errorf("database %s holds data set version %d, not %d", benchDB, version, datasetVersion)
	}
	if err := d.open(ctx); err != nil {
		return err
	}
	start := time.Now()
	stores := make([]benchStore, len(storeIDs))
	for i, id := range storeIDs {
		stores[i] = benchStore{No: i + 1, ID: id}
	}
	if err := d.reset(ctx, stores); err != nil {
		d.close()
		d.owner = nil
		return fmt.Errorf("reset %s: %w", benchDB, err)
	}
	d.stores, d.reused = stores, true
	d.loadTime = time.Duration(loadSeconds * float64(time.Second))
	log.Printf("data set: reusing %s (loaded in %s; reset in %s; -reload loads it again)",
		benchDB, d.loadTime.Round(time.Second), time.Since(start).Round(time.Millisecond))
	return nil
}

// reset removes what earlier runs wrote (orders numbered after the loaded ones and
// everything hanging off them, the customers they created, the stock they reserved,
// the jobs), so that every run starts from the same state and READ sees the same page.
func (d *dataset) reset(ctx context.Context, stores []benchStore) error {
	written := `SELECT id FROM orders WHERE store_id = $1 AND number > ` + fmt.Sprint(ordersPerStore)
	var stmts []string
	stmts = append(stmts, `DELETE FROM invoice_lines WHERE store_id = $1 AND invoice_id IN (
		SELECT id FROM invoices WHERE store_id = $1 AND order_id IN (`+written+`))`)
	for _, t := range []string{"order_events", "order_lines", "refunds", "payments", "invoices", "fulfillments", "stock_movements", "alerts"} {
		stmts = append(stmts, `DELETE FROM `+t+` WHERE store_id = $1 AND order_id IN (`+written+`)`)
	}
	stmts = append(stmts, `DELETE FROM alerts WHERE store_id = $1 AND kind = 'LOW_STOCK'`)
	stmts = append(stmts,
		`DELETE FROM orders WHERE store_id = $1 AND number > `+fmt.Sprint(ordersPerStore),
		`DELETE FROM customers WHERE store_id = $1 AND created_at > (SELECT loaded_at FROM bench_dataset)`,
		`UPDATE products SET stock_on_hand = `+fmt.Sprint(stockOnHand)+`, stock_reserved = 0
			WHERE store_id = $1 AND (stock_on_hand, stock_reserved) <> (`+fmt.Sprint(stockOnHand)+`, 0)`,
		`UPDATE store_counters SET last_order_number = `+fmt.Sprint(ordersPerStore)+`,
			last_invoice_number = (SELECT COALESCE(max(number), 0) FROM invoices WHERE store_id = $1)
			WHERE store_id = $1`,
	)
	for _, s := range stores {
		err := db.New(d.owner).Tx(ctx, db.Store(tenant.StoreID(s.ID)), func(tx pgx.Tx) error {
			for _, stmt := range stmts {
				if _, err := tx.Exec(ctx, stmt, s.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store %d: %w", s.No, err)
		}
	}
	// The jobs go, and their indexes are rebuilt: every job is updated twice (fetched,
	// completed), never in place, so River's GIN index on args grows with every run
	// (65 MB for 19,000 jobs after a few dozen runs) until River's daily reindexer
	// rebuilds it. Left bloated it made a job's completion 4× slower.
	if _, err := d.owner.Exec(ctx, `DELETE FROM river_job`); err != nil {
		return err
	}
	if _, err := d.owner.Exec(ctx, `REINDEX TABLE river_job`); err != nil {
		return err
	}
	return d.vacuum(ctx)
}

// load fills the empty, migrated bench database, one transaction per store and
// loadParallelism stores at a time, then vacuums and analyzes it and writes the marker
// that says it is complete.
func (d *dataset) load(ctx context.Context) error {
	log.Printf("data set: loading %s", datasetDescription)
	start := time.Now()
	stores := make([]benchStore, numStores)
	errs := make([]error, numStores)
	sem := make(chan struct{}, loadParallelism)
	var wg sync.WaitGroup
	for i := range stores {
		stores[i] = benchStore{No: i + 1, ID: uuid.New()}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			err := db.New(d.owner).Tx(ctx, db.Store(tenant.StoreID(stores[i].ID)), func(tx pgx.Tx) error {
				return loadStore(ctx, tx, stores[i])
			})
			if err != nil {
				errs[i] = fmt.Errorf("load store %d: %w", i+1, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.stores = stores
	if err := d.vacuum(ctx); err != nil {
		return err
	}
	d.loadTime = time.Since(start)
	ids := make([]uuid.UUID, len(d.stores))
	for i, s := range d.stores {
		ids[i] = s.ID
	}
	_, err := d.owner.Exec(ctx, `CREATE TABLE bench_dataset AS
		SELECT $1::int AS version, $2::uuid[] AS store_ids, now() AS loaded_at, $3::float8 AS load_seconds`,
		datasetVersion, ids, d.loadTime.Seconds())
	if err != nil {
		return fmt.Errorf("write the data set marker: %w", err)
	}
	log.Printf("data set: loaded %d orders in %s", numStores*ordersPerStore, d.loadTime.Round(100*time.Millisecond))
	return nil
}

// loadStore writes one store with set-based SQL inside tx, which is scoped to s.ID (the
// owner is bound by the forced RLS policies too). Orders are numbered in time order;
// each line is a distinct product at its price, and order totals are the sums of their
// lines. The working tables bench_orders and bench_lines live until commit.
func loadStore(ctx context.Context, tx pgx.Tx, s benchStore) error {
	var ownerID uuid.UUID
	if err := tx.QueryRow(ctx, `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, '!') RETURNING id`,
		fmt.Sprintf("owner@store%d.bench.test", s.No), fmt.Sprintf("Owner of store %d", s.No)).Scan(&ownerID); err != nil {
		return err
	}
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO stores (id, slug, name, currency_code, created_at) VALUES ($1, $2, $3, 'EUR', now() - interval '1 year')`,
			[]any{s.ID, fmt.Sprintf("bench-%d", s.No), fmt.Sprintf("Bench store %d", s.No)}},
		{`INSERT INTO memberships (store_id, user_id, role) VALUES ($1, $2, 'OWNER')`, []any{s.ID, ownerID}},
		// Prices from 4.99 to 249.99, log-uniform, as a catalog's are.
		{`INSERT INTO products (store_id, sku, name, price_minor, currency_code, stock_on_hand, low_stock_threshold,
				created_at, updated_at)
			SELECT $1, format('S%s-%s', $2::int, lpad(g::text, 4, '0')), 'Product ' || g,
				round(exp(ln(5) + random() * ln(50))) * 100 - 1, 'EUR', $3, 10,
				now() - interval '1 year', now() - interval '1 year'
			FROM generate_series(1, $4::int) g`,
			[]any{s.ID, s.No, stockOnHand, productsPerStore}},
		{`INSERT INTO customers (store_id, email, name, created_at, updated_at)
			SELECT $1, format('customer%s@store%s.bench.test', g, $2::int), format('Customer %s', g),
				now() - interval '180 days', now() - interval '180 days'
			FROM generate_series(1, $3::int) g`,
			[]any{s.ID, s.No, customersPerStore}},
		// Order g of n is placed at a random moment of its 1/n-th of the past 90 days, for
		// a random customer. (Random values are drawn in the inner query, once per row.)
		{`CREATE TEMP TABLE bench_orders ON COMMIT DROP AS
			SELECT gen_random_uuid() AS id, o.number, o.created_at, c.ids[o.k] AS customer_id,
				c.names[o.k] AS customer_name, o.nlines, o.first_product
			FROM (SELECT g AS number, now() - interval '90 days' * (($2::int - g + random()) / $2::int) AS created_at,
					1 + floor(random() * $3::int)::int AS k, 1 + floor(random() * 5)::int AS nlines,
					floor(random() * $4::int)::int AS first_product
				FROM generate_series(1, $2::int) g) o,
				(SELECT array_agg(id ORDER BY email) AS ids, array_agg(name ORDER BY email) AS names
					FROM customers WHERE store_id = $1) c`,
			[]any{s.ID, ordersPerStore, customersPerStore, productsPerStore}},
		// Line l takes the product 37·l places on from the order's first: all distinct.
		// Quantities: 1 (58%), 2 (24%) or 3 (18%).
		{`CREATE TEMP TABLE bench_lines ON COMMIT DROP AS
			SELECT o.id AS order_id, l AS line_no, p.id AS product_id, p.sku, p.name, p.price_minor,
				1 + floor(random() ^ 2 * 3)::int AS quantity
			FROM bench_orders o
			CROSS JOIN LATERAL generate_series(1, o.nlines) l
			JOIN (SELECT id, sku, name, price_minor, row_number() OVER (ORDER BY sku)::int - 1 AS i
				FROM products WHERE store_id = $1) p ON p.i = (o.first_product + 37 * (l - 1)) % $2::int`,
			[]any{s.ID, productsPerStore}},
		{`ANALYZE bench_orders, bench_lines`, nil},
		{`INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
				shipping_address, idempotency_key, request_hash, created_at, updated_at)
			SELECT $1, o.id, o.number, 'PAID', o.customer_id, 'EUR', t.total, t.total,
				jsonb_build_object('name', o.customer_name, 'line1', format('Hauptstraße %s', 1 + o.number % 150),
					'city', 'Berlin', 'postalCode', (10115 + o.number % 1200)::text, 'countryCode', 'DE'),
				o.id::text, sha256(o.id::text::bytea), o.created_at, o.created_at + interval '2 minutes'
			FROM bench_orders o
			JOIN (SELECT order_id, sum(quantity * price_minor) AS total FROM bench_lines GROUP BY order_id) t
				ON t.order_id = o.id`,
			[]any{s.ID}},
		{`INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity, unit_price_minor,
				total_minor, currency_code)
			SELECT $1, order_id, line_no, product_id, sku, name, quantity, price_minor, quantity * price_minor, 'EUR'
			FROM bench_lines`,
			[]any{s.ID}},
		{`INSERT INTO order_events (store_id, order_id, type, message, data, created_at)
			SELECT $1, o.id, 'order.created',
				format('Order #%s placed: %s line(s), total %s EUR', o.number, b.nlines,
					to_char(o.total_minor / 100.0, 'FM999999990.00')),
				jsonb_build_object('idempotencyKey', o.idempotency_key), o.created_at
			FROM orders o JOIN bench_orders b ON b.id = o.id
			WHERE o.store_id = $1`,
			[]any{s.ID}},
		{`INSERT INTO payments (store_id, order_id, status, amount_minor, currency_code, attempts, idempotency_key,
				gateway_charge_id, created_at, updated_at)
			SELECT $1, id, 'CAPTURED', total_minor, 'EUR', 1, 'payment-' || id, 'ch_' || md5(id::text),
				created_at + interval '1 minute', created_at + interval '2 minutes'
			FROM orders WHERE store_id = $1`,
			[]any{s.ID}},
		// Invoices are numbered gap-free in the order they were issued.
		{`INSERT INTO invoices (store_id, order_id, number, status, total_minor, currency_code, issued_at)
			SELECT $1, id, row_number() OVER (ORDER BY number), 'ISSUED', total_minor, 'EUR', created_at + interval '2 minutes'
			FROM orders WHERE store_id = $1 AND random() < 0.8`,
			[]any{s.ID}},
		{`INSERT INTO store_counters (store_id, last_order_number, last_invoice_number)
			SELECT $1, (SELECT max(number) FROM orders WHERE store_id = $1),
				(SELECT COALESCE(max(number), 0) FROM invoices WHERE store_id = $1)`,
			[]any{s.ID}},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("%.50s…: %w", st.sql, err)
		}
	}
	return nil
}

// issueAPIKeys replaces every store's API keys with one new STAFF key whose secret only
// this run knows (secrets are not stored), and reads the store's product ids.
func (d *dataset) issueAPIKeys(ctx context.Context) error {
	for i := range d.stores {
		s := &d.stores[i]
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return err
		}
		s.Secret = store.APIKeyPrefix + base64.RawURLEncoding.EncodeToString(buf)
		err := db.New(d.owner).Tx(ctx, db.Store(tenant.StoreID(s.ID)), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM api_keys WHERE store_id = $1`, s.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_keys (store_id, name, role, key_prefix, key_hash, created_by)
				SELECT $1, 'bench', 'STAFF', $2, $3, user_id FROM memberships WHERE store_id = $1 AND role = 'OWNER'`,
				s.ID, s.Secret[:len(store.APIKeyPrefix)+6], store.HashAPIKey(s.Secret)); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT id FROM products WHERE store_id = $1 ORDER BY sku`, s.ID)
			if err != nil {
				return err
			}
			s.Products, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			return err
		})
		if err != nil {
			return fmt.Errorf("issue an API key for store %d: %w", s.No, err)
		}
		if len(s.Products) < 3 {
			return errors.New("a store has fewer than 3 products: run with -reload")
		}
	}
	return nil
}

// appURL is the bench database's URL for the RLS-bound app role the server uses.
func (d *dataset) appURL() (string, error) { return config.AppURL(d.ownerURL, db.AppRole) }

// pendingJobs counts the jobs due for the server's workers: queued or being worked.
func (d *dataset) pendingJobs(ctx context.Context) (int, error) {
	var n int
	err := d.owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state IN ('available', 'pending', 'running')`).Scan(&n)
	return n, err
}

// waitForJobs waits until the server's workers have worked every due job, and says
// how long that took.
func (d *dataset) waitForJobs(ctx context.Context) (time.Duration, error) {
	const limit = 10 * time.Minute
	start := time.Now()
	for {
		n, err := d.pendingJobs(ctx)
		if err != nil {
			return 0, err
		}
		waited := time.Since(start)
		if n == 0 {
			if waited > time.Second {
				log.Printf("jobs: the server's workers caught up in %s", waited.Round(100*time.Millisecond))
			}
			return waited, nil
		}
		if waited > limit {
			return waited, fmt.Errorf("%d jobs still due after waiting %s for the server's workers", n, limit)
		}
		select {
		case <-ctx.Done():
			return waited, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// vacuum vacuums and analyzes the bench database, as autovacuum soon would after the
// load, the reset or a round of writes (a round adds about a tenth to the orders): so
// that autovacuum does not start during a measurement and slow whichever scenario
// happens to run — autovacuum and analyze of orders, lines and events took 5 s of a
// core in the middle of one.
func (d *dataset) vacuum(ctx context.Context) error {
	start := time.Now()
	if _, err := d.owner.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	log.Printf("data set: vacuumed and analyzed in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// jobStates counts all jobs by state.
func (d *dataset) jobStates(ctx context.Context) (map[string]int, error) {
	rows, err := d.owner.Query(ctx, `SELECT state::text, count(*)::int FROM river_job GROUP BY state`)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var state string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&state, &n}, func() error { out[state] = n; return nil })
	return out, err
}
