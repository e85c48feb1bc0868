// Package jobs holds Ordergraph's River workers and the client that runs them.
//
// A worker decodes its args, calls the domain inside one transaction scoped to the
// job's store, and completes the job in that same transaction (river.JobCompleteTx),
// so a state change and its job's completion commit together or not at all.
package jobs

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
)

// fetchCooldown is the least time between two fetches of jobs by one process.
const fetchCooldown = 10 * time.Millisecond

// Config tunes the working client.
type Config struct {
	// MaxWorkers is how many jobs this process works at once.
	MaxWorkers int
	Logger     *slog.Logger
}

// Deps are what the workers call.
type Deps struct {
	DB     *db.DB
	Orders *order.Service
}

// AddWorkers registers every worker Ordergraph has with workers.
func AddWorkers(workers *river.Workers, deps Deps) {
	river.AddWorker(workers, NewCheckFraudWorker(deps))
}

// NewWorkerClient returns a River client that works the jobs of workers. Start it with
// Start and stop it with Stop; River elects one leader among all processes for
// maintenance and rescues the jobs of crashed workers.
func NewWorkerClient(pool *pgxpool.Pool, workers *river.Workers, cfg Config) (*river.Client[pgx.Tx], error) {
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:  cfg.Logger,
		Workers: workers,
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		// River fetches at most MaxWorkers jobs per fetch and at most once per
		// cooldown, so its default cooldown caps a process's jobs per second below
		// order intake. A fetch is one indexed query, and an idle queue is still
		// polled only once a second.
		FetchCooldown: fetchCooldown,
		JobTimeout:    time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("river worker client: %w", err)
	}
	return client, nil
}
