package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Intake locks an order's products in id order (product.Reserve), so that concurrent
// orders cannot deadlock. Shipping and releasing stock run in workers concurrently with
// intake and must take the same locks in the same order; otherwise an order of two
// products shipping while another order of the same two is placed deadlocks, and one
// of them fails with SQLSTATE 40P01 (seen with 500 two-line orders and two workers).
//
// The probe: hold the higher id's row, start the stock change and, while it waits,
// try the lower id's row without waiting. Locking in id order, the change holds the
// lower row already; if the lower row is free, it locked the higher one first.
//
// This fails today: ProductShip and ProductRelease (internal/db/queries/products.sql,
// called by product.Ship and product.Release) update — and so lock — the rows in
// whatever order their join yields: product.Quantities.arrays walks a map, and the
// planner may scan the table instead. Locking the rows first (SELECT … ORDER BY id
// FOR UPDATE, as intake does) would fix it.
func TestStockLocksInProductIDOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(dbtest.Own(t).Pool(t))
	st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
	// Two products of which the one created first (first in the table, so first for a
	// sequential scan) has the higher id: whether the update follows the arrays' (map)
	// order or the table's, it then meets the higher id first at least sometimes.
	var a, b product.Product
	var made []product.Product
	for a.ID == uuid.Nil {
		p := dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{Stock: 100})
		for _, q := range made {
			if bytes.Compare(q.ID[:], p.ID[:]) > 0 {
				a, b = q, p
				break
			}
		}
		made = append(made, p)
	}
	dbtest.NewOrder(t, d, st.ID, dbtest.OrderOpts{Lines: map[string]int{a.SKU: 50, b.SKU: 50}}) // reserves units to ship or release
	lo, hi := b.ID, a.ID
	q := product.Quantities{lo: 1, hi: 1}
	changes := map[string]func(tx pgx.Tx) error{
		"Ship": func(tx pgx.Tx) error {
			_, err := product.Ship(ctx, tx, st.ID, uuid.New(), "shipped", q)
			return err
		},
		"Release": func(tx pgx.Tx) error { return product.Release(ctx, tx, st.ID, q) },
		// The control shows the probe tells the orders apart: intake's lock.
		"control: locked in id order": func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE`, []uuid.UUID{hi, lo})
			return err
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			// A map's order is random per walk: a few rounds catch a wrong order
			// all but certainly.
			for round := range 12 {
				require.True(t, lockedFirst(t, d, st.ID, lo, hi, change),
					"round %d: %s locked product %s before %s, against the id order intake uses", round, name, hi, lo)
			}
		})
	}
}

var errRollback = errors.New("rollback")

// lockedFirst reports whether change, run while hi's row is locked elsewhere, holds
// lo's row while it waits. change's transaction is rolled back.
func lockedFirst(t *testing.T, d *db.DB, storeID tenant.StoreID, lo, hi uuid.UUID, change func(pgx.Tx) error) bool {
	t.Helper()
	ctx := context.Background()
	scope := db.Store(storeID)
	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- d.Tx(ctx, scope, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = $1 FOR UPDATE`, hi); err != nil {
				return err
			}
			close(held)
			<-release
			return errRollback
		})
	}()
	<-held
	changed := make(chan error, 1)
	go func() {
		changed <- d.Tx(ctx, scope, func(tx pgx.Tx) error {
			if err := change(tx); err != nil {
				return err
			}
			return errRollback
		})
	}()
	time.Sleep(150 * time.Millisecond) // the change reaches hi's lock and waits
	err := d.Tx(ctx, scope, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = $1 FOR UPDATE NOWAIT`, lo)
		return err
	})
	close(release)
	require.ErrorIs(t, <-holder, errRollback)
	require.ErrorIs(t, <-changed, errRollback)
	if err == nil {
		return false // lo was free: the change waits for hi without holding lo
	}
	require.ErrorContains(t, err, "55P03", "lo is locked (lock_not_available)")
	return true
}
