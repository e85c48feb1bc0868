// Package jobs holds Ordergraph's River workers and the client that runs them.
//
// A worker decodes its args, calls the domain inside one transaction scoped to the
// job's store, and completes the job in that same transaction (river.JobCompleteTx),
// so a state change and its job's completion commit together or not at all.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/store"
)

// fetchCooldown is the least time between two fetches of jobs by one process.
const fetchCooldown = 10 * time.Millisecond

// Config tunes the working client.
type Config struct {
	// MaxWorkers is how many jobs this process works at once.
	MaxWorkers int
	Logger     *slog.Logger
	// RescueStuckJobsAfter is how long a job may run before River presumes its
	// process dead and runs it again elsewhere; zero is River's default.
	RescueStuckJobsAfter time.Duration
	// LowStockEvery is the low-stock sweep's period (on the leader); zero: a minute.
	LowStockEvery time.Duration
}

// Deps are what the workers call.
type Deps struct {
	DB       *db.DB
	Orders   *order.Service
	Payments *payment.Service
	Stores   *store.Service
	Gateway  *payment.Gateway
	// Retry spaces a payment's attempts; its budget is the order.Config's.
	Retry payment.RetryPolicy
}

// AddWorkers registers every worker Ordergraph has with workers.
func AddWorkers(workers *river.Workers, deps Deps) {
	river.AddWorker(workers, NewCheckFraudWorker(deps))
	river.AddWorker(workers, NewChargePaymentWorker(deps))
	river.AddWorker(workers, NewRefundPaymentWorker(deps))
	river.AddWorker(workers, &ReconcilePaymentWorker{deps: deps})
	river.AddWorker(workers, NewAdvanceFulfillmentWorker(deps))
	river.AddWorker(workers, &LowStockSweepWorker{deps: deps})
	river.AddWorker(workers, &LowStockCheckWorker{deps: deps})
}

// NewWorkerClient returns a River client that works the jobs of workers. Start it with
// Start and stop it with Stop; River elects one leader among all processes for
// maintenance and rescues the jobs of crashed workers.
func NewWorkerClient(pool *pgxpool.Pool, workers *river.Workers, cfg Config) (*river.Client[pgx.Tx], error) {
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	// A job runs for at most a minute (a gateway call and its recording are the
	// longest), and never longer than River waits before rescuing it.
	timeout := time.Minute
	if cfg.RescueStuckJobsAfter > 0 {
		timeout = min(timeout, cfg.RescueStuckJobsAfter)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:  cfg.Logger,
		Workers: workers,
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		// River fetches at most MaxWorkers jobs per fetch and at most once per
		// cooldown, so its default cooldown caps a process's jobs per second below
		// order intake. A fetch is one indexed query, and an idle queue is still
		// polled only once a second.
		FetchCooldown:        fetchCooldown,
		JobTimeout:           timeout,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cmp.Or(cfg.LowStockEvery, time.Minute)),
			func() (river.JobArgs, *river.InsertOpts) { return LowStockSweepArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})},
	})
	if err != nil {
		return nil, fmt.Errorf("river worker client: %w", err)
	}
	return client, nil
}

// completeWith runs step in a transaction limited to scope and completes job in that
// same transaction: the state change, what it enqueues and the job's completion commit
// together or not at all. A step that finds nothing left to do (order.ErrNothingToDo: a
// retried job, or a cancellation that won) completes the job all the same; one whose
// subject does not exist (NOT_FOUND) cancels it, as retrying cannot help.
func completeWith[T river.JobArgs](ctx context.Context, d *db.DB, scope db.Scope, job *river.Job[T], step func(tx pgx.Tx) error) error {
	err := d.Tx(ctx, scope, func(tx pgx.Tx) error {
		if err := step(tx); err != nil && !errors.Is(err, order.ErrNothingToDo) {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if errors.Is(err, apperr.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}
