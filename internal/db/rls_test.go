package db_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// scope is the scope of store s.
func scope(s uuid.UUID) db.Scope { return db.Store(tenant.StoreID(s)) }

// fixtures inserts one row of store s into every tenant table. A new tenant table
// without a fixture here fails TestTenantIsolationBackstop, so the backstop can never
// pass vacuously.
func fixtures(ctx context.Context, tx pgx.Tx, s uuid.UUID) error {
	user, product, customer, order, payment, invoice := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	stmts := []struct {
		table string
		sql   string
		args  []any
	}{
		{"users", `INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'U', 'x')`, []any{user, user.String() + "@example.com"}},
		{"stores", `INSERT INTO stores (id, slug, name, currency_code) VALUES ($1, $2, 'S', 'EUR')`, []any{s, s.String()}},
		{"store_counters", `INSERT INTO store_counters (store_id) VALUES ($1)`, []any{s}},
		{"memberships", `INSERT INTO memberships (store_id, user_id, role) VALUES ($1, $2, 'OWNER')`, []any{s, user}},
		{"api_keys", `INSERT INTO api_keys (store_id, name, role, key_prefix, key_hash) VALUES ($1, 'k', 'ADMIN', 'og_x', $2)`, []any{s, s[:]}},
		{"products", `INSERT INTO products (store_id, id, sku, name, price_minor, currency_code, stock_on_hand) VALUES ($1, $2, 'SKU-1', 'P', 100, 'EUR', 5)`, []any{s, product}},
		{"stock_movements", `INSERT INTO stock_movements (store_id, product_id, delta, reason) VALUES ($1, $2, 5, 'initial')`, []any{s, product}},
		{"customers", `INSERT INTO customers (store_id, id, email) VALUES ($1, $2, 'c@example.com')`, []any{s, customer}},
		{"orders", `INSERT INTO orders (store_id, id, number, customer_id, currency_code, subtotal_minor, total_minor,
			shipping_address, idempotency_key, request_hash) VALUES ($1, $2, 1, $3, 'EUR', 100, 100, '{}', 'k', '\x00')`, []any{s, order, customer}},
		{"order_lines", `INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity, unit_price_minor, total_minor, currency_code)
			VALUES ($1, $2, 1, $3, 'SKU-1', 'P', 1, 100, 100, 'EUR')`, []any{s, order, product}},
		{"order_events", `INSERT INTO order_events (store_id, order_id, type, message) VALUES ($1, $2, 'created', 'm')`, []any{s, order}},
		{"payments", `INSERT INTO payments (store_id, id, order_id, status, amount_minor, currency_code, idempotency_key)
			VALUES ($1, $2, $3, 'CAPTURED', 100, 'EUR', $4)`, []any{s, payment, order, order.String()}},
		{"refunds", `INSERT INTO refunds (store_id, payment_id, order_id, amount_minor, currency_code, reason, idempotency_key)
			VALUES ($1, $2, $3, 100, 'EUR', 'r', $4)`, []any{s, payment, order, payment.String()}},
		{"invoices", `INSERT INTO invoices (store_id, id, order_id, number, status, total_minor, currency_code) VALUES ($1, $2, $3, 1, 'ISSUED', 100, 'EUR')`, []any{s, invoice, order}},
		{"invoice_lines", `INSERT INTO invoice_lines (store_id, invoice_id, line_no, sku, description, quantity, unit_price_minor, total_minor)
			VALUES ($1, $2, 1, 'SKU-1', 'P', 1, 100, 100)`, []any{s, invoice}},
		{"alerts", `INSERT INTO alerts (store_id, kind, subject_id, message) VALUES ($1, 'LOW_STOCK', $2, 'low')`, []any{s, product}},
		{"store_settings", `INSERT INTO store_settings (store_id) VALUES ($1)`, []any{s}},
		{"fulfillments", `INSERT INTO fulfillments (store_id, order_id, status) VALUES ($1, $2, 'PENDING')`, []any{s, order}},
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("fixture for %s: %w", st.table, err)
		}
	}
	return nil
}

// tenantTables reads every table with a store_id column from the catalog (plus
// stores, keyed by id), so tables added later are covered without editing this test.
func tenantTables(t *testing.T, ctx context.Context, q db.Querier) map[string]string {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'store_id' AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace`)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	out := map[string]string{"stores": "id"}
	for _, n := range names {
		out[n] = "store_id"
	}
	require.Greater(t, len(out), 10, "expected the tenant tables; found %v", out)
	return out
}

func TestTenantIsolationBackstop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(dbtest.AppPool(t))
	tables := tenantTables(t, ctx, d.Pool)

	// The app role can never bypass RLS: not superuser, not BYPASSRLS, owns no table.
	var super, bypass bool
	var owned int
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&super, &bypass))
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)`).Scan(&owned))
	assert.False(t, super, "app role must not be superuser")
	assert.False(t, bypass, "app role must not have BYPASSRLS")
	assert.Zero(t, owned, "app role must not own tables (owners can bypass RLS unless forced)")

	for table := range tables {
		var enabled, forced bool
		require.NoError(t, d.Pool.QueryRow(ctx, `SELECT relrowsecurity, relforcerowsecurity FROM pg_class
			WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`, table).Scan(&enabled, &forced))
		assert.True(t, enabled, "%s: RLS not enabled", table)
		assert.True(t, forced, "%s: RLS not forced", table)
	}

	a, b := uuid.New(), uuid.New()
	for _, s := range []uuid.UUID{a, b} {
		require.NoError(t, d.Tx(ctx, scope(s), func(tx pgx.Tx) error { return fixtures(ctx, tx, s) }))
	}

	for table, col := range tables {
		// Under B's scope B's rows are there, so the check below is not vacuous.
		var own int
		require.NoError(t, d.Read(ctx, scope(b), func(q db.Querier) error {
			return q.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = $1`, table, col), b).Scan(&own)
		}))
		require.Positive(t, own, "%s has no fixture row: add one to fixtures()", table)

		// Under A's scope, an unscoped SELECT * returns only A's rows.
		require.NoError(t, d.Read(ctx, scope(a), func(q db.Querier) error {
			rows, err := q.Query(ctx, fmt.Sprintf(`SELECT * FROM %s`, table))
			if err != nil {
				return err
			}
			seen := 0
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					return err
				}
				for i, f := range rows.FieldDescriptions() {
					if f.Name == col {
						assert.Equal(t, a, uuid.UUID(vals[i].([16]byte)), "%s leaked a row of another store", table)
					}
				}
				seen++
			}
			assert.Positive(t, seen, "%s: store A should see its own row", table)
			return rows.Err()
		}))

		// Without any scope, nothing at all.
		var n int
		require.NoError(t, d.Read(ctx, db.Scope{}, func(q db.Querier) error {
			return q.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s`, table)).Scan(&n)
		}))
		assert.Zero(t, n, "%s: unscoped session sees rows", table)

		// A's session cannot change B's rows.
		err := d.Tx(ctx, scope(a), func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET %s = %s WHERE %s = $1`, table, col, col, col), b)
			if err == nil {
				assert.Zero(t, tag.RowsAffected(), "%s: A updated B's rows", table)
			}
			return err
		})
		require.NoError(t, err)
	}

	// And A's session cannot write a row claiming to be B's.
	err := d.Tx(ctx, scope(a), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO customers (store_id, email) VALUES ($1, 'x@example.com')`, b)
		return err
	})
	require.ErrorContains(t, err, "row-level security")
}

// TestScopeIsTransactionLocal shows the tenant setting never outlives its
// transaction: a pool of one connection alternates stores and an unscoped query on
// the same connection afterwards sees nothing.
func TestScopeIsTransactionLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, pool := appDB(t, 1)
	stores := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for _, s := range stores {
		require.NoError(t, d.Tx(ctx, scope(s), func(tx pgx.Tx) error { return fixtures(ctx, tx, s) }))
	}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[i%len(stores)]
			var got []uuid.UUID
			err := d.Read(ctx, scope(s), func(q db.Querier) error {
				rows, err := q.Query(ctx, `SELECT store_id FROM products`)
				if err != nil {
					return err
				}
				got, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
				return err
			})
			assert.NoError(t, err)
			assert.Equal(t, []uuid.UUID{s}, got)
		}()
	}
	wg.Wait()
	var setting string
	require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(current_setting('app.store_id', true), '')`).Scan(&setting))
	assert.Empty(t, setting, "the store id leaked out of its transaction")
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&n))
	assert.Zero(t, n)
}

// Every statement of a read's pipeline (a pgx.Batch sent on it) runs under its
// scope: unfiltered queries see one store only.
func TestReadBatchIsScoped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(dbtest.AppPool(t))
	a, b := uuid.New(), uuid.New()
	for _, s := range []uuid.UUID{a, b} {
		require.NoError(t, d.Tx(ctx, scope(s), func(tx pgx.Tx) error { return fixtures(ctx, tx, s) }))
	}
	stores := func(s uuid.UUID, tables ...string) ([][]uuid.UUID, error) {
		out := make([][]uuid.UUID, len(tables))
		err := d.Read(ctx, scope(s), func(q db.Querier) error {
			batch := &pgx.Batch{}
			for i, table := range tables {
				batch.Queue(`SELECT DISTINCT store_id FROM ` + table).Query(func(rows pgx.Rows) (err error) {
					out[i], err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
					return err
				})
			}
			return q.SendBatch(ctx, batch).Close()
		})
		return out, err
	}
	for _, s := range []uuid.UUID{a, b} {
		got, err := stores(s, "orders", "products")
		require.NoError(t, err)
		assert.Equal(t, [][]uuid.UUID{{s}, {s}}, got)
	}
	// A failing query fails the read, and the connection goes back usable.
	_, err := stores(a, "no_such_table")
	require.Error(t, err)
	got, err := stores(a, "orders")
	require.NoError(t, err)
	assert.Equal(t, [][]uuid.UUID{{a}}, got)
}

// Tx sends BEGIN and the scope's settings with its first statement: every setting
// arrives, and none outlives the transaction.
func TestTxSetsTheWholeScopeLocally(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, pool := appDB(t, 1)
	sc := db.Scope{StoreID: tenant.NewStoreID(), UserID: uuid.New(), APIKeyHash: []byte{0xde, 0xad, 0xbe, 0xef}}
	settings := `SELECT current_setting('app.store_id'), current_setting('app.user_id'),
		current_setting('app.api_key_hash'), current_setting('transaction_isolation')`
	var store, user, hash, isolation string
	require.NoError(t, d.Tx(ctx, sc, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, settings).Scan(&store, &user, &hash, &isolation)
	}))
	assert.Equal(t, []string{sc.StoreID.String(), sc.UserID.String(), "deadbeef", "read committed"},
		[]string{store, user, hash, isolation})

	require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(current_setting('app.store_id', true), ''),
		coalesce(current_setting('app.user_id', true), '')`).Scan(&store, &user))
	assert.Empty(t, store+user, "the scope leaked out of its transaction")

	// A failing transaction rolls back and leaves the connection usable.
	err := d.Tx(ctx, db.Store(sc.StoreID), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT 1/0`)
		return err
	})
	require.Error(t, err)
	require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(current_setting('app.store_id', true), '')`).Scan(&store))
	assert.Empty(t, store)
}

// Reads hold at most half the pool at once; a read that cannot get a slot before its
// context ends fails with the context's error.
func TestReadsUseAtMostHalfThePool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := appDB(t, 4)

	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := d.Read(ctx, db.Store(tenant.NewStoreID()), func(q db.Querier) error {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				_, err := q.Exec(ctx, `SELECT pg_sleep(0.02)`)
				return err
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(2), most.Load(), "reads at once with a pool of 4")

	hold := make(chan struct{})
	held := make(chan struct{}, 2)
	for range 2 {
		wg.Go(func() {
			_ = d.Read(ctx, db.Scope{}, func(db.Querier) error { held <- struct{}{}; <-hold; return nil })
		})
	}
	<-held
	<-held
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := d.Read(short, db.Scope{}, func(db.Querier) error { return nil })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(hold)
	wg.Wait()
	// The pool's connections are all free again: writes were never limited.
	require.NoError(t, d.Tx(ctx, db.Scope{}, func(pgx.Tx) error { return nil }))
}

// TxCommitWith sends its last statement with the COMMIT: a database error there (or
// an error of fn before it) commits nothing and leaves the connection usable.
func TestTxCommitWith(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := appDB(t, 1)
	products := func(s uuid.UUID) (n int) {
		require.NoError(t, d.Read(ctx, scope(s), func(q db.Querier) error {
			return q.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&n)
		}))
		return n
	}

	failing := uuid.New()
	err := d.TxCommitWith(ctx, scope(failing), func(tx pgx.Tx, last db.Querier) error {
		if err := fixtures(ctx, tx, failing); err != nil {
			return err
		}
		var n int
		return last.QueryRow(ctx, `SELECT 1/0`).Scan(&n)
	})
	require.Error(t, err)
	assert.NotErrorIs(t, err, db.ErrCheckedAfterCommit)
	assert.Zero(t, products(failing), "a failed last statement committed the transaction")

	err = d.TxCommitWith(ctx, scope(failing), func(tx pgx.Tx, _ db.Querier) error {
		if err := fixtures(ctx, tx, failing); err != nil {
			return err
		}
		return fmt.Errorf("changed my mind")
	})
	require.EqualError(t, err, "changed my mind")
	assert.Zero(t, products(failing))

	ok := uuid.New()
	var seen int
	require.NoError(t, d.TxCommitWith(ctx, scope(ok), func(tx pgx.Tx, last db.Querier) error {
		if err := fixtures(ctx, tx, ok); err != nil {
			return err
		}
		return last.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&seen)
	}))
	assert.Equal(t, 1, seen, "the last statement runs inside the transaction")
	assert.Equal(t, 1, products(ok))
}

// Whatever fn checks after its last statement comes too late: the server has
// committed. TxCommitWith reports such an error as ErrCheckedAfterCommit, and the
// writes stay — which is why every check there must be a database error. A last
// statement that finds no row is one such late check.
func TestTxCommitWithChecksAfterTheCommitAreTooLate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := appDB(t, 1)
	for name, check := range map[string]func(n int, err error) error{
		"no row": func(_ int, err error) error { return err },
		"client-side check": func(n int, err error) error {
			if err == nil && n > 0 {
				return fmt.Errorf("too many products: %d", n)
			}
			return err
		},
	} {
		s := uuid.New()
		sql := `SELECT count(*) FROM products`
		if name == "no row" {
			sql = `SELECT 1 WHERE false`
		}
		err := d.TxCommitWith(ctx, scope(s), func(tx pgx.Tx, last db.Querier) error {
			if err := fixtures(ctx, tx, s); err != nil {
				return err
			}
			var n int
			err := last.QueryRow(ctx, sql).Scan(&n)
			return check(n, err)
		})
		require.ErrorIs(t, err, db.ErrCheckedAfterCommit, name)
		var n int
		require.NoError(t, d.Read(ctx, scope(s), func(q db.Querier) error {
			return q.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&n)
		}))
		assert.Equal(t, 1, n, "%s: the transaction committed", name)
	}
}

// appDB opens a pool of maxConns connections as the app role, closed with the test;
// configure, if given, adjusts the pool's configuration first.
func appDB(t *testing.T, maxConns int32, configure ...func(*pgxpool.Config)) (*db.DB, *pgxpool.Pool) {
	t.Helper()
	cfg, err := db.PoolConfig(dbtest.Get(t).AppURL, maxConns)
	require.NoError(t, err)
	for _, c := range configure {
		c(cfg)
	}
	pool, err := db.OpenConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return db.New(pool), pool
}

// A transaction whose fn swallowed a failed statement is rolled back by PostgreSQL at
// COMMIT: both Tx and TxCommitWith say so instead of reporting success.
func TestCommitOfAnAbortedTransactionFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := appDB(t, 1)
	swallow := func(tx pgx.Tx) {
		_, _ = tx.Exec(ctx, `SELECT 1/0`)
	}
	err := d.Tx(ctx, db.Scope{}, func(tx pgx.Tx) error { swallow(tx); return nil })
	assert.ErrorIs(t, err, pgx.ErrTxCommitRollback)
	err = d.TxCommitWith(ctx, db.Scope{}, func(tx pgx.Tx, last db.Querier) error {
		swallow(tx)
		var one int
		return last.QueryRow(ctx, `SELECT 1`).Scan(&one)
	})
	require.Error(t, err, "the last statement of an aborted transaction fails, and the COMMIT is skipped")
	assert.NotErrorIs(t, err, db.ErrCheckedAfterCommit)
	require.NoError(t, d.Tx(ctx, db.Scope{}, func(pgx.Tx) error { return nil }), "the connection is usable again")
}
