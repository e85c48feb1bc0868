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

// Timeout bounds one attempt; screening is a few statements.
func (w *CheckFraudWorker) Timeout(*river.Job[order.CheckFraudArgs]) time.Duration {
	return 30 * time.Second
}

// Work screens the order and completes the job in the same transaction. The job's
// completion comes before the order's move, so that the move can travel with the
// COMMIT: three round trips in all.
func (w *CheckFraudWorker) Work(ctx context.Context, job *river.Job[order.CheckFraudArgs]) error {
	err := w.db.TxCommitting(ctx, db.StoreScope(job.Args.StoreID), func(tx pgx.Tx) ([]db.Queued, error) {
		move, _, err := w.orders.ScreenTx(ctx, tx, job.Args.StoreID, job.Args.OrderID)
		if err != nil {
			return nil, err
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return nil, err
		}
		return move, nil
	})
	if errors.Is(err, apperr.ErrNotFound) {
		// The order does not exist (in this store): retrying cannot help.
		return river.JobCancel(err)
	}
	return err
}
