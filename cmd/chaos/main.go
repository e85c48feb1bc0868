// Command chaos is Ordergraph's chaos run (`make chaos`, docs/chaos.md).
//
// It places N orders while the mock bank, running as a process of its own, fails 30 %
// of requests transiently and drops 10 % of answers after charging, switches a full
// outage on in the middle, and kills a worker process with SIGKILL and restarts it
// every few seconds. Once every order has settled it checks the books: every order
// DELIVERED or CANCELLED, one succeeded charge per paid order and none for an order
// cancelled unpaid, refunds matching cancellations after payment, and per product
// initial stock = on hand + reserved + shipped. It exits 1 when a check fails.
//
// Usage (from the repository root; make chaos builds the binary and passes ARGS):
//
//	go run ./cmd/chaos -bin bin/ordergraph [-n 2000] [-workers 2] [-kill-every 3s] [-outage 10s] ...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	o := defaultOptions()
	flag.IntVar(&o.N, "n", o.N, "orders to place")
	flag.StringVar(&o.Bin, "bin", o.Bin, "the ordergraph binary (make chaos builds bin/ordergraph)")
	flag.StringVar(&o.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "the cluster's owner URL; the run creates a database of its own there (env DATABASE_URL)")
	flag.BoolVar(&o.Keep, "keep", false, "keep the run's database (its name is printed) instead of dropping it")
	flag.IntVar(&o.Workers, "workers", o.Workers, "worker processes (`ordergraph worker`)")
	flag.IntVar(&o.MaxWorkers, "max-workers", o.MaxWorkers, "MAX_WORKERS of each worker process")
	flag.DurationVar(&o.KillEvery, "kill-every", o.KillEvery, "SIGKILL a worker process (round robin) and restart it this often; 0: never")
	flag.DurationVar(&o.ChaosFor, "chaos-for", o.ChaosFor, "keep killing workers at least this long, even when the orders are placed sooner")
	flag.DurationVar(&o.Outage, "outage", o.Outage, "length of the bank's full outage, switched on when half the orders are placed; 0: none")
	flag.Float64Var(&o.TransientRate, "transient-error-rate", o.TransientRate, "the bank's transient 500s")
	flag.Float64Var(&o.LostRate, "lost-response-rate", o.LostRate, "the bank's charged-then-dropped answers")
	flag.Float64Var(&o.CancelRate, "cancel-rate", o.CancelRate, "share of orders cancelled (cancelOrder) shortly after they are placed")
	flag.IntVar(&o.Placers, "placers", o.Placers, "concurrent clients placing orders")
	flag.IntVar(&o.Products, "products", o.Products, "products in the store")
	flag.IntVar(&o.Lines, "lines", o.Lines, "lines per order (see docs/chaos.md before raising it)")
	flag.DurationVar(&o.RetryBudget, "retry-budget", o.RetryBudget, "PAYMENT_RETRY_BUDGET of the workers")
	flag.DurationVar(&o.RetryBase, "retry-base", o.RetryBase, "PAYMENT_RETRY_BASE of the workers")
	flag.DurationVar(&o.BreakerOpenFor, "breaker-open-for", o.BreakerOpenFor, "PAYMENT_BREAKER_OPEN_FOR of the workers")
	flag.DurationVar(&o.RescueAfter, "rescue-after", o.RescueAfter, "JOB_RESCUE_AFTER of the workers")
	flag.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long every order may take to settle after the chaos ends")
	flag.Uint64Var(&o.Seed, "seed", o.Seed, "the bank's fault seed and the run's own randomness")
	flag.StringVar(&o.LogDir, "log-dir", "", "where the bank's and workers' logs go (default: a temporary directory, printed)")
	flag.Parse()
	if flag.NArg() > 0 || o.N < 1 || o.Workers < 1 || o.Placers < 1 || o.Products < 1 || o.Lines < 1 || o.Lines > o.Products {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !rep.OK() {
		fmt.Fprintf(os.Stdout, "\nchaos: FAILED: %d check(s) failed\n", rep.Failures())
		os.Exit(1)
	}
	fmt.Fprintln(os.Stdout, "\nchaos: every check passed")
}

// defaultOptions are make chaos's: the 2,000 orders, 30 % transient errors and
// 10 % lost answers, a kill every 3 s.
func defaultOptions() Options {
	return Options{N: 2000, Bin: "bin/ordergraph", Workers: 2, MaxWorkers: 10, KillEvery: 3 * time.Second,
		Outage: 10 * time.Second, TransientRate: 0.3, LostRate: 0.1, CancelRate: 0.05, Placers: 4, Products: 5, Lines: 1,
		RetryBudget: 2 * time.Minute, RetryBase: 200 * time.Millisecond, RescueAfter: 5 * time.Second,
		BreakerOpenFor: 30 * time.Second,
		Timeout:        5 * time.Minute, Seed: 42}
}
