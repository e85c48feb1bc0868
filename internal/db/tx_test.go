package db_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
)

// roundTrips counts what a connection sends: each query and each batch is one round trip.
type roundTrips struct{ n atomic.Int32 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// take returns the count so far and starts again from zero.
func (r *roundTrips) take() int32 { return r.n.Swap(0) }

// tracedDB opens a pool of one app-role connection whose round trips are counted.
func tracedDB(t *testing.T) (*db.DB, *roundTrips) {
	t.Helper()
	ctx := context.Background()
	rt := &roundTrips{}
	d, _ := appDB(t, 1, func(c *pgxpool.Config) { c.ConnConfig.Tracer = rt })
	// A first transaction prepares the statements below on the one connection: pgx
	// prepares a statement it has not seen in a round trip of its own.
	require.NoError(t, d.Tx(ctx, scope(uuid.New()), func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT current_setting('app.store_id')`)
		b.Queue(`SELECT count(*) FROM products`)
		return tx.SendBatch(ctx, b).Close()
	}))
	rt.take()
	return d, rt
}

// A transaction's BEGIN and scope travel with its first pipeline, and its last
// statements with its COMMIT: two round trips for a transaction of two steps.
func TestTxBeginsWithItsFirstStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, rt := tracedDB(t)
	store := uuid.New()

	var setting string
	var products int
	require.NoError(t, d.TxCommitWith(ctx, scope(store), func(tx pgx.Tx, last db.Querier) error {
		if err := tx.QueryRow(ctx, `SELECT current_setting('app.store_id')`).Scan(&setting); err != nil {
			return err
		}
		return last.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&products)
	}))
	assert.Equal(t, store.String(), setting, "the scope is set before the first statement")
	assert.Equal(t, int32(2), rt.take(), "round trips: BEGIN + scope + first statement; last statement + COMMIT")

	// Its statements run in one transaction: they see its own uncommitted writes, and
	// a failure rolls them all back.
	err := d.Tx(ctx, scope(store), func(tx pgx.Tx) error {
		if err := fixtures(ctx, tx, store); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&products)
	})
	require.NoError(t, err)
	assert.Equal(t, 1, products)
	rt.take()
	err = d.Tx(ctx, scope(store), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE products SET name = 'changed'`); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	require.EqualError(t, err, "changed my mind")
	assert.Equal(t, int32(2), rt.take(), "round trips: BEGIN + scope + UPDATE; ROLLBACK")
	var name string
	require.NoError(t, d.Read(ctx, scope(store), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT name FROM products`).Scan(&name)
	}))
	assert.Equal(t, "P", name, "the rolled-back update is undone")

	// A failing first pipeline fails the transaction and leaves the connection usable.
	rt.take()
	err = d.Tx(ctx, scope(store), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT 1/0`)
		return err
	})
	require.Error(t, err)
	require.NoError(t, d.Tx(ctx, scope(store), func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT current_setting('app.store_id')`).Scan(&setting)
	}))

	// A transaction that runs nothing sends nothing.
	rt.take()
	require.NoError(t, d.Tx(ctx, scope(store), func(pgx.Tx) error { return nil }))
	require.Error(t, d.Tx(ctx, scope(store), func(pgx.Tx) error { return errors.New("no") }))
	assert.Zero(t, rt.take(), "round trips of transactions that ran nothing")
}

// Statements other than a pipeline begin the transaction first; savepoints nest in it.
func TestTxBeginsBeforeALoneStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, rt := tracedDB(t)
	store := uuid.New()

	var setting, name string
	require.NoError(t, d.Tx(ctx, scope(store), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT current_setting('app.store_id')`).Scan(&setting); err != nil {
			return err
		}
		if err := fixtures(ctx, tx, store); err != nil {
			return err
		}
		nested, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := nested.Exec(ctx, `UPDATE products SET name = 'changed'`); err != nil {
			return err
		}
		if err := nested.Rollback(ctx); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT name FROM products`).Scan(&name)
	}))
	assert.Equal(t, store.String(), setting)
	assert.Equal(t, "P", name, "the savepoint's update is rolled back, the transaction's inserts stay")
	assert.Greater(t, rt.take(), int32(2))
}
