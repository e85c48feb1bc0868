package jobs_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/jobs"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestCheckFraudWorker works the job createOrder enqueued, inside a test transaction
// rolled back at the end: an ordinary order goes on to AWAITING_PAYMENT, a large one
// is held for review, and working the job again changes nothing.
func TestCheckFraudWorker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		lines map[string]int
		want  order.Status
		event string
	}{
		{"ordinary", map[string]int{"PIN": 1}, order.StatusAwaitingPayment, order.EventFraudCleared},
		{"above the review total", map[string]int{"GOLD": 2}, order.StatusOnHold, order.EventFlagged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			tx, err := dbtest.AppPool(t).Begin(ctx)
			require.NoError(t, err)
			t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
			d := db.Joined(tx)
			st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
			dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "GOLD", Price: "2500.00", Stock: 10})
			dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "PIN", Price: "1.00", Stock: 10})
			placed := dbtest.NewOrder(t, d, st.ID, dbtest.OrderOpts{Lines: tc.lines})

			job := rivertest.RequireInsertedTx[*riverpgxv5.Driver](ctx, t, tx,
				&order.CheckFraudArgs{StoreID: st.ID, OrderID: placed.ID}, nil)
			assert.Equal(t, placed.ID, job.Args.OrderID)

			inserter, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
			require.NoError(t, err)
			orders := order.NewService(d, inserter)
			worker := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{},
				jobs.NewCheckFraudWorker(jobs.Deps{DB: d, Orders: orders}))
			res, err := worker.WorkJob(ctx, t, tx, job.JobRow)
			require.NoError(t, err)
			assert.Equal(t, river.EventKindJobCompleted, res.EventKind)
			// A second job for the order (as a duplicate would be) changes nothing.
			res, err = worker.Work(ctx, t, tx, *job.Args, nil)
			require.NoError(t, err)
			assert.Equal(t, river.EventKindJobCompleted, res.EventKind)

			got, err := orders.Get(ctx, st.ID, placed.ID)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Status)
			evs, err := orders.EventsByOrders(ctx, st.ID, []uuid.UUID{placed.ID})
			require.NoError(t, err)
			require.Len(t, evs[placed.ID], 2)
			assert.Equal(t, tc.event, evs[placed.ID][1].Type)
		})
	}
}

// A job for an order that does not exist is cancelled, not retried.
func TestCheckFraudWorkerCancelsAMissingOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tx, err := dbtest.AppPool(t).Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	d := db.Joined(tx)
	st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
	inserter, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	require.NoError(t, err)
	worker := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{},
		jobs.NewCheckFraudWorker(jobs.Deps{DB: d, Orders: order.NewService(d, inserter)}))
	res, err := worker.Work(ctx, t, tx, order.CheckFraudArgs{StoreID: st.ID, OrderID: uuid.New()}, nil)
	require.NoError(t, err)
	assert.Equal(t, river.EventKindJobCancelled, res.EventKind)
}
