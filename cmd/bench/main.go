// Command bench is Ordergraph's load benchmark (`make bench`).
//
// It loads a realistic data set into its own database (ordergraph_bench: 10 stores,
// 100,000 orders with 1–5 lines, customers, payments, invoices), starts the real
// server binary against it, and measures at a fixed concurrency with vegeta:
//
//   - READ:  orders(first: 50) with customer, lines + product, payments, invoice
//   - WRITE: createOrder with 3 lines and a new idempotency key per request
//
// and, in the same run, the limit: the same read as one hand-written SQL query and
// the same write as one raw SQL transaction, through pgx with no HTTP or GraphQL.
// Results go to bench-results/results.json and docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	reload      bool
	jsonOut     string
	mdOut       string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured duration of each scenario")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up before each scenario")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients")
	flag.BoolVar(&o.reload, "reload", false, "drop and reload the data set")
	flag.StringVar(&o.jsonOut, "json", "bench-results/results.json", "raw results (JSON)")
	flag.StringVar(&o.mdOut, "md", "docs/benchmarks.md", "markdown report")
	flag.Parse()
	log.SetFlags(log.Ltime)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatalf("bench: %v", err)
	}
}

func run(ctx context.Context, o options) error {
	ownerURL := os.Getenv("DATABASE_URL")
	if ownerURL == "" {
		return fmt.Errorf("DATABASE_URL is not set: run `make bench`")
	}
	ds, err := prepareDataset(ctx, ownerURL, o.reload)
	if err != nil {
		return fmt.Errorf("data set: %w", err)
	}
	defer ds.close()

	srv, err := startServer(ctx, ds.ownerURL)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	defer srv.stop()

	rep := newReport(o, ds)
	scenarios := []struct {
		name string
		run  func(context.Context, time.Duration) (result, error)
	}{
		{"READ", func(ctx context.Context, d time.Duration) (result, error) {
			return attack(ctx, srv.url, ds.readTargeter(), o.concurrency, d)
		}},
		{"READ raw SQL", func(ctx context.Context, d time.Duration) (result, error) {
			return rawLoop(ctx, o.concurrency, d, ds.rawRead)
		}},
		{"WRITE", func(ctx context.Context, d time.Duration) (result, error) {
			return attack(ctx, srv.url, ds.writeTargeter(), o.concurrency, d)
		}},
		{"WRITE raw SQL", func(ctx context.Context, d time.Duration) (result, error) {
			return rawLoop(ctx, o.concurrency, d, ds.rawWrite)
		}},
	}
	for _, sc := range scenarios {
		log.Printf("%s: warm-up %s", sc.name, o.warmup)
		if _, err := sc.run(ctx, o.warmup); err != nil {
			return fmt.Errorf("%s warm-up: %w", sc.name, err)
		}
		srv.resetPeakRSS()
		log.Printf("%s: measuring %s at concurrency %d", sc.name, o.duration, o.concurrency)
		res, err := sc.run(ctx, o.duration)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		res.Name = sc.name
		if sc.name == "READ" || sc.name == "WRITE" {
			res.ServerPeakRSSMB = srv.peakRSSMB()
		}
		log.Printf("%s: %.0f/s p50 %s p99 %s failed %d", sc.name, res.Throughput, ms(res.P50), ms(res.P99), res.Failed)
		rep.add(res)
	}
	rep.ServerHWMMB = srv.highWaterMB()
	return rep.write()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
