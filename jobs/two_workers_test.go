package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/mockbank"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/jobs"
)

// countingTransport counts the gateway calls one worker process makes.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// workerProcess is what one `ordergraph worker` process holds: its own pool, services,
// gateway client (and so its own circuit breaker) and River client.
type workerProcess struct {
	client *river.Client[pgx.Tx]
	calls  *countingTransport
}

func startWorkerProcess(t *testing.T, dbase *dbtest.Database, bankURL string, lowStockEvery time.Duration) workerProcess {
	t.Helper()
	pool := dbase.Pool(t)
	d := db.New(pool)
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	calls := &countingTransport{}
	gw := payment.NewGateway(payment.GatewayConfig{URL: bankURL, Key: bankKey,
		HTTPClient: &http.Client{Timeout: 5 * time.Second, Transport: calls}})
	workers := river.NewWorkers()
	jobs.AddWorkers(workers, jobs.Deps{DB: d, Orders: order.NewService(d, inserter, order.Config{PaymentBudget: time.Minute}),
		Payments: payment.NewService(d), Stores: store.NewService(d), Gateway: gw,
		Retry: payment.RetryPolicy{Base: 10 * time.Millisecond, Cap: 100 * time.Millisecond, Budget: time.Minute}})
	client, err := jobs.NewWorkerClient(pool, workers, jobs.Config{MaxWorkers: 6, LowStockEvery: lowStockEvery,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return workerProcess{client: client, calls: calls}
}

// Two worker processes (separate River clients, pools and gateway clients) on one
// database work a batch of orders to DELIVERED: every payment is charged exactly once,
// both processes take part, and the periodic low-stock sweep is enqueued once per
// period by the elected leader, not once per process.
func TestTwoWorkerProcesses(t *testing.T) {
	t.Parallel()
	const n = 500
	const sweepEvery = time.Second
	ctx := context.Background()
	dbase := dbtest.Own(t)
	setupPool := dbase.Pool(t)
	d := db.New(setupPool)
	bank, err := mockbank.New(mockbank.Config{SecretKey: bankKey, Seed: 11})
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)

	st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
	dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "A", Price: "10.00", Stock: 10 * n})
	dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "B", Price: "4.50", Stock: 10 * n, LowStockThreshold: 5})

	// Two processes; River's default client ID carries the start time to the
	// microsecond, so the IDs differ and attempted_by tells who worked a job.
	procs := []workerProcess{startWorkerProcess(t, dbase, srv.URL, sweepEvery), startWorkerProcess(t, dbase, srv.URL, sweepEvery)}
	require.NotEqual(t, procs[0].client.ID(), procs[1].client.ID())
	started := time.Now()
	for _, p := range procs {
		require.NoError(t, p.client.Start(ctx))
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = p.client.Stop(stop)
		})
	}

	// Orders arrive from a few clients at once while the workers already run. Each has
	// its own customer: the fraud rules hold a customer's 21st order within an hour.
	// One line each: orders of several products deadlock intake against shipping
	// (TestStockLocksInProductIDOrder, a bug outside jobs/).
	inserter, err := river.NewClient(riverpgxv5.New(setupPool), &river.Config{})
	require.NoError(t, err)
	orders := order.NewService(d, inserter, order.Config{PaymentBudget: time.Minute})
	const placers = 4
	var wg sync.WaitGroup
	errs := make(chan error, placers)
	for g := range placers {
		wg.Go(func() {
			for i := g; i < n; i += placers {
				sku := []string{"A", "B"}[i%2]
				_, _, err := orders.Create(ctx, st.ID, order.CreateParams{IdempotencyKey: uuid.NewString(),
					CustomerEmail:   fmt.Sprintf("c%d@example.com", i),
					Lines:           []order.LineParams{{SKU: &sku, Quantity: 1 + i%3}},
					ShippingAddress: order.Address{Line1: "1 Road", City: "Town", PostalCode: "1000", CountryCode: "DE"}})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	placed := time.Since(started)

	count := func(sql string, args ...any) int {
		var c int
		require.NoError(t, d.Read(ctx, db.Store(st.ID), func(q db.Querier) error {
			return q.QueryRow(ctx, sql, args...).Scan(&c)
		}))
		return c
	}
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM orders WHERE status = 'DELIVERED'`) == n
	}, 90*time.Second, 100*time.Millisecond, "every order DELIVERED")
	elapsed := time.Since(started)
	t.Logf("%d orders: placed in %s, all DELIVERED after %s", n, placed.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	assert.Equal(t, n, count(`SELECT count(*) FROM orders`))

	// Exactly one succeeded charge per payment in the bank's ledger, and no others.
	keys := map[string]int{}
	for _, e := range bank.Ledger() {
		if e.Kind == "charge" && e.Status == "succeeded" {
			keys[e.IdempotencyKey]++
		}
	}
	rows := make(map[string]string) // idempotency key → status
	require.NoError(t, d.Read(ctx, db.Store(st.ID), func(q db.Querier) error {
		rs, err := q.Query(ctx, `SELECT idempotency_key, status FROM payments`)
		if err != nil {
			return err
		}
		for rs.Next() {
			var k, s string
			if err := rs.Scan(&k, &s); err != nil {
				return err
			}
			rows[k] = s
		}
		return rs.Err()
	}))
	require.Len(t, rows, n, "one payment per order")
	for k, s := range rows {
		assert.Equal(t, string(payment.StatusCaptured), s)
		assert.Equal(t, 1, keys[k], "payment %s charged exactly once", k)
	}
	assert.Len(t, keys, n, "the ledger holds exactly one succeeded charge per payment and no other")

	// Both processes worked jobs: in River's attempted_by and at the gateway.
	pool := setupPool
	byClient := attemptsByClient(t, pool)
	for i, p := range procs {
		assert.Positive(t, byClient[p.client.ID()], "process %d worked jobs", i)
		assert.Positive(t, p.calls.n.Load(), "process %d called the bank", i)
	}
	t.Logf("jobs worked per process: %d, %d; gateway calls: %d, %d", byClient[procs[0].client.ID()],
		byClient[procs[1].client.ID()], procs[0].calls.n.Load(), procs[1].calls.n.Load())

	// The sweep is periodic on the leader only: one per period (plus the one at
	// start), where a sweep per process would be twice that.
	var sweeps int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'low_stock_sweep'`).Scan(&sweeps))
	periods := int(time.Since(started) / sweepEvery)
	t.Logf("low_stock_sweep jobs: %d over %d periods", sweeps, periods)
	assert.Positive(t, sweeps)
	assert.LessOrEqual(t, sweeps, periods+2, "the sweep ran once per period, not once per process")
}

// attemptsByClient counts, per River client ID, the jobs whose attempts it made.
func attemptsByClient(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT c, count(*) FROM river_job, unnest(attempted_by) AS c GROUP BY c`)
	require.NoError(t, err)
	m := map[string]int{}
	for rows.Next() {
		var c string
		var k int
		require.NoError(t, rows.Scan(&c, &k))
		m[c] = k
	}
	require.NoError(t, rows.Err())
	return m
}
