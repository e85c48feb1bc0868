package jobs_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
)

// pgx's contract for Rows: "Rows is closed automatically when Next returns false", so
// a caller that reads rows to the end may run its next statement without calling
// Close. Workers (and the chaos run) read several result sets in one transaction.
//
// db.Tx hands fn a pgx.Tx, so it owes pgx's contract. (db.Read documents that fn must
// close what Query returns: it is not held to it here.)
//
// This fails today: the first statement of a db.Tx returns internal/db's batchRows,
// whose embedded Rows closes at the end but whose batch does not until Close is
// called, so the next statement fails with "conn busy".
func TestRowsReadToTheEndFreeTheConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(dbtest.AppPool(t))
	st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
	readAll := func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT 1`)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var n int
		return q.QueryRow(ctx, `SELECT 2`).Scan(&n) // no rows.Close() before it
	}
	require.NoError(t, d.Tx(ctx, db.Store(st.ID), func(tx pgx.Tx) error { return readAll(tx) }))
}
