package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// LowStockSweepArgs is the periodic low-stock sweep: it enqueues one LowStockCheck per
// store. River runs periodic jobs on its elected leader only, so one process sweeps.
type LowStockSweepArgs struct{}

// Kind is the job's stable name.
func (LowStockSweepArgs) Kind() string { return "low_stock_sweep" }

// LowStockCheckArgs brings one store's LOW_STOCK alerts in line with its stock.
type LowStockCheckArgs struct {
	StoreID tenant.StoreID `json:"store_id"`
}

// Kind is the job's stable name.
func (LowStockCheckArgs) Kind() string { return "low_stock_check" }

// LowStockSweepWorker enqueues a check per store, and completes, in one transaction.
type LowStockSweepWorker struct {
	river.WorkerDefaults[LowStockSweepArgs]
	deps Deps
}

// Work enqueues the checks.
func (w *LowStockSweepWorker) Work(ctx context.Context, job *river.Job[LowStockSweepArgs]) error {
	ids, err := w.deps.Stores.ListIDs(ctx)
	if err != nil {
		return err
	}
	checks := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		checks[i] = river.InsertManyParams{Args: LowStockCheckArgs{StoreID: id}}
	}
	return completeWith(ctx, w.deps.DB, db.Scope{}, job, func(tx pgx.Tx) error {
		if len(checks) == 0 {
			return nil
		}
		if _, err := river.ClientFromContext[pgx.Tx](ctx).InsertManyTx(ctx, tx, checks); err != nil {
			return fmt.Errorf("enqueue low-stock checks: %w", err)
		}
		return nil
	})
}

// LowStockCheckWorker sweeps one store (product.SweepLowStock) and completes, in one
// transaction.
type LowStockCheckWorker struct {
	river.WorkerDefaults[LowStockCheckArgs]
	deps Deps
}

// Work sweeps the store.
func (w *LowStockCheckWorker) Work(ctx context.Context, job *river.Job[LowStockCheckArgs]) error {
	return completeWith(ctx, w.deps.DB, db.Store(job.Args.StoreID), job, func(tx pgx.Tx) error {
		_, err := product.SweepLowStock(ctx, tx, job.Args.StoreID)
		return err
	})
}
