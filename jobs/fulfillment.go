package jobs

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

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
	return completeWith(ctx, w.deps.DB, db.Store(a.StoreID), job, func(tx pgx.Tx) error {
		return w.deps.Orders.AdvanceFulfillment(ctx, tx, a.StoreID, a.OrderID, a.From)
	})
}
