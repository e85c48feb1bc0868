package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"golang.org/x/crypto/bcrypt"

	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The PIPELINE scenario (-only pipeline): orders from createOrder (over HTTP, at the
// bench's concurrency) to DELIVERED through the server's own job workers, with no
// delay between fulfillment steps and a mock bank without faults or latency; then, in
// the same database on the same machine, the limit: a bare River worker that makes one
// guarded UPDATE and completes with JobCompleteTx.

const (
	pipelineDB = "ordergraph_bench_pipeline"
	bareJobs   = 20000
)

func runPipeline(ctx context.Context, o options) error {
	clusterURL := os.Getenv("DATABASE_URL")
	if clusterURL == "" {
		return errors.New("DATABASE_URL is not set (make bench sets it)")
	}
	if err := chdirToModuleRoot(); err != nil {
		return err
	}
	n := o.pipelineOrders
	ownerURL, err := freshDatabase(ctx, clusterURL, pipelineDB)
	if err != nil {
		return err
	}
	owner, err := db.Open(ctx, ownerURL, 4)
	if err != nil {
		return err
	}
	defer owner.Close()
	if err := db.Migrate(ctx, owner, slog.New(slog.DiscardHandler)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	appURL, err := config.AppURL(ownerURL, db.AppRole)
	if err != nil {
		return err
	}
	app, err := db.Open(ctx, appURL, 4)
	if err != nil {
		return err
	}
	defer app.Close()
	st, skus, secret, err := seedPipeline(ctx, db.New(app), n)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	srv, err := startServer(ctx, ownerURL) // with its bank, and no fulfillment delays
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	defer srv.stop()

	log.Printf("PIPELINE: %d orders through createOrder at concurrency %d, to DELIVERED", n, o.concurrency)
	start := time.Now()
	failed, firstErr := placeOrders(ctx, srv.url+"/graphql", secret, skus, n, o.concurrency)
	placed := time.Since(start)
	log.Printf("PIPELINE: placed in %s (%.0f/s), %d failed %s", placed.Round(time.Millisecond), float64(n)/placed.Seconds(), failed, firstErr)
	scoped := db.New(owner)
	var delivered int
	for {
		err := scoped.Read(ctx, db.Store(st), func(q db.Querier) error {
			return q.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status = 'DELIVERED'`).Scan(&delivered)
		})
		if err != nil {
			return err
		}
		if delivered >= n-failed || time.Since(start) > 15*time.Minute {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	rss, err := srv.highWaterMB()
	if err != nil {
		return err
	}
	var span, p50, p99 float64
	var jobs int
	err = scoped.Tx(ctx, db.Store(st), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT extract(epoch FROM max(d.created_at) - min(c.created_at)),
		    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.created_at - c.created_at)),
		    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.created_at - c.created_at))
		  FROM order_events c JOIN order_events d ON d.store_id = c.store_id AND d.order_id = c.order_id AND d.type = 'order.delivered'
		  WHERE c.type = 'order.created'`).Scan(&span, &p50, &p99); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed' AND kind NOT LIKE 'low_stock%'`).Scan(&jobs)
	})
	if err != nil {
		return err
	}
	srv.stop()
	ours := float64(jobs) / span
	log.Printf("PIPELINE: %d of %d DELIVERED; %.0f orders/s end to end (first created to last delivered: %.1f s); "+
		"%.2f jobs per order, %.0f jobs/s; created→delivered p50 %.0f ms, p99 %.0f ms; server peak RSS %.0f MB",
		delivered, n, float64(delivered)/span, span, float64(jobs)/float64(max(delivered, 1)), ours, 1000*p50, 1000*p99, rss)

	bare, err := bareRiver(ctx, owner)
	if err != nil {
		return fmt.Errorf("bare River worker: %w", err)
	}
	log.Printf("PIPELINE limit: bare River worker (one guarded UPDATE + JobCompleteTx, MaxWorkers 10): %.0f jobs/s; ours/bare %.2f (target ≥ 0.7); orders/s target ≥ 250",
		bare, ours/bare)
	return nil
}

// freshDatabase (re)creates name on the cluster and returns its owner URL.
func freshDatabase(ctx context.Context, clusterURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, clusterURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	cfg := conn.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name), nil
}

// seedPipeline creates a store with three products of ample stock and a STAFF API key.
func seedPipeline(ctx context.Context, d *db.DB, n int) (tenant.StoreID, []string, string, error) {
	users := auth.NewUsers(d, auth.NewTokens([]byte("bench-pipeline-secret-bench-pipeline"), time.Hour), bcrypt.MinCost)
	s, err := users.SignUp(ctx, "owner@pipeline.bench.test", "bench-password-1", "Bench Owner")
	if err != nil {
		return tenant.StoreID{}, nil, "", err
	}
	st, err := store.NewService(d).Create(ctx, s.User.ID, store.CreateParams{Name: "Pipeline", Slug: "pipeline", CurrencyCode: "EUR"})
	if err != nil {
		return tenant.StoreID{}, nil, "", err
	}
	var skus []string
	for i := range 3 {
		zero := 0
		sku := fmt.Sprintf("PIPE-%d", i)
		if _, err := product.NewService(d).Create(ctx, st.ID, product.CreateParams{SKU: sku, Name: "Pipeline " + sku,
			Price: "9.90", StockOnHand: 3 * n, LowStockThreshold: &zero}); err != nil {
			return tenant.StoreID{}, nil, "", err
		}
		skus = append(skus, sku)
	}
	buf := make([]byte, 32)
	_, _ = rand.Read(buf)
	secret := store.APIKeyPrefix + base64.RawURLEncoding.EncodeToString(buf)
	err = d.Tx(ctx, db.Store(st.ID), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (store_id, name, role, key_prefix, key_hash, created_by)
			VALUES ($1, 'bench', 'STAFF', $2, $3, $4)`, st.ID, secret[:len(store.APIKeyPrefix)+6], store.HashAPIKey(secret), s.User.ID)
		return err
	})
	return st.ID, skus, secret, err
}

// placeOrders sends n createOrder mutations from concurrency clients: one line each
// (orders of several products deadlock intake against shipping today: see
// jobs.TestStockLocksInProductIDOrder), each for a customer of its own (the fraud
// rules hold a customer's 21st order in an hour).
func placeOrders(ctx context.Context, endpoint, secret string, skus []string, n, concurrency int) (int, string) {
	var next, failed atomic.Int64
	var firstErr atomic.Value
	firstErr.Store("")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				body, _ := json.Marshal(graphQLRequest{Query: writeQuery, Variables: map[string]any{"input": map[string]any{
					"idempotencyKey": uuid.NewString(),
					"customer":       map[string]any{"email": fmt.Sprintf("c%d@pipeline.bench.test", i)},
					"lines":          []map[string]any{{"sku": skus[i%len(skus)], "quantity": 1}},
					"shippingAddress": map[string]any{"name": "Customer", "line1": "Hauptstraße 1", "city": "Berlin",
						"postalCode": "10115", "countryCode": "DE"},
				}}})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
				req.Header = http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + secret}}
				res, err := client.Do(req)
				msg := ""
				if err != nil {
					msg = err.Error()
				} else {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte(`{"data":{`)) {
						msg = fmt.Sprintf("HTTP %d: %.300s", res.StatusCode, b)
					}
				}
				if msg != "" {
					failed.Add(1)
					firstErr.CompareAndSwap("", msg)
				}
			}
		})
	}
	wg.Wait()
	return int(failed.Load()), firstErr.Load().(string)
}

// bareArgs is the bare worker's job: mark one row done.
type bareArgs struct {
	ID int `json:"id"`
}

func (bareArgs) Kind() string { return "bench_bare" }

type bareWorker struct {
	river.WorkerDefaults[bareArgs]
	pool *pgxpool.Pool
}

// Work makes one guarded update and completes the job in the same transaction, the
// least a job of ours does.
func (w *bareWorker) Work(ctx context.Context, job *river.Job[bareArgs]) error {
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `UPDATE bench_bare SET done = true WHERE id = $1 AND NOT done`, job.Args.ID); err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// bareRiver works bareJobs bare jobs with the server's worker settings (MaxWorkers 10,
// a 10 ms fetch cooldown, a pool of 16) and returns jobs per second.
func bareRiver(ctx context.Context, owner *pgxpool.Pool) (float64, error) {
	cfg := owner.Config().ConnConfig.ConnString()
	pool, err := db.Open(ctx, cfg, config.DefaultDBMaxConns)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_bare (id int PRIMARY KEY, done bool NOT NULL DEFAULT false);
		INSERT INTO bench_bare (id) SELECT generate_series(1, `+fmt.Sprint(bareJobs)+`)`); err != nil {
		return 0, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &bareWorker{pool: pool})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers, FetchCooldown: 10 * time.Millisecond,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, err
	}
	params := make([]river.InsertManyParams, bareJobs)
	for i := range params {
		params[i] = river.InsertManyParams{Args: bareArgs{ID: i + 1}}
	}
	if _, err := client.InsertManyFast(ctx, params); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		return 0, err
	}
	defer client.Stop(context.Background()) //nolint:errcheck
	for {
		var done int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'bench_bare' AND state = 'completed'`).Scan(&done); err != nil {
			return 0, err
		}
		if done == bareJobs {
			return float64(bareJobs) / time.Since(start).Seconds(), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
