package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
)

// CheckFraudWorker screens a new order (order.CheckFraudArgs, enqueued by createOrder):
// PENDING becomes AWAITING_PAYMENT, or ON_HOLD with the reasons on the timeline.
type CheckFraudWorker struct {
	river.WorkerDefaults[order.CheckFraudArgs]
	db     *db.DB
	orders *order.Service
}

// NewCheckFraudWorker returns the fraud check's worker.
func NewCheckFraudWorker(deps Deps) *CheckFraudWorker {
	return &CheckFraudWorker{db: deps.DB, orders: deps.Orders}
}

// Timeout bounds one attempt; screening is a few statements.
func (w *CheckFraudWorker) Timeout(*river.Job[order.CheckFraudArgs]) time.Duration {
	return 30 * time.Second
}

// Work screens the order and completes the job in the same transaction.
func (w *CheckFraudWorker) Work(ctx context.Context, job *river.Job[order.CheckFraudArgs]) error {
	err := w.db.Tx(ctx, db.Store(job.Args.StoreID), func(tx pgx.Tx) error {
		if _, err := w.orders.Screen(ctx, tx, job.Args.StoreID, job.Args.OrderID); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if errors.Is(err, apperr.ErrNotFound) {
		// The order does not exist (in this store): retrying cannot help.
		return river.JobCancel(err)
	}
	return err
}
