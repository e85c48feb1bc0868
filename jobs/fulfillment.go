package jobs

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
)

// AdvanceFulfillmentWorker moves an order's fulfillment one step on
// (order.AdvanceFulfillmentArgs) and completes the job in the same transaction; the
// step enqueues the next one.
type AdvanceFulfillmentWorker struct {
	river.WorkerDefaults[order.AdvanceFulfillmentArgs]
	deps Deps
}

// NewAdvanceFulfillmentWorker returns the fulfillment worker.
func NewAdvanceFulfillmentWorker(deps Deps) *AdvanceFulfillmentWorker {
	return &AdvanceFulfillmentWorker{deps: deps}
}

// Work takes the step.
func (w *AdvanceFulfillmentWorker) Work(ctx context.Context, job *river.Job[order.AdvanceFulfillmentArgs]) error {
	a := job.Args
	err := w.deps.DB.Tx(ctx, db.Store(a.StoreID), func(tx pgx.Tx) error {
		err := w.deps.Orders.AdvanceFulfillment(ctx, tx, a.StoreID, a.OrderID, a.From)
		if err != nil && !errors.Is(err, order.ErrNothingToDo) {
			return err
		}
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if errors.Is(err, apperr.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}
