package jobs

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
)

// CheckFraudWorker screens a new order (order.CheckFraudArgs, enqueued by createOrder):
// PENDING becomes AWAITING_PAYMENT, or ON_HOLD with the reasons on the timeline.
type CheckFraudWorker struct {
	river.WorkerDefaults[order.CheckFraudArgs]
	deps Deps
}

// NewCheckFraudWorker returns the fraud check's worker.
func NewCheckFraudWorker(deps Deps) *CheckFraudWorker { return &CheckFraudWorker{deps: deps} }

// Work screens the order and completes the job in the same transaction.
func (w *CheckFraudWorker) Work(ctx context.Context, job *river.Job[order.CheckFraudArgs]) error {
	a := job.Args
	return completeWith(ctx, w.deps.DB, db.Store(a.StoreID), job, func(tx pgx.Tx) error {
		_, err := w.deps.Orders.Screen(ctx, tx, a.StoreID, a.OrderID)
		return err
	})
}
