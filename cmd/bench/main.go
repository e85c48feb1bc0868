// Command bench is Ordergraph's load benchmark (`make bench`).
//
// It loads a realistic data set into a database of its own (ordergraph_bench on the
// cluster of DATABASE_URL: 10 stores, 100,000 orders with lines, events, payments and
// invoices), reusing it on later runs, starts the real server binary against it and
// measures, at a fixed concurrency with vegeta as the load generator:
//
//   - READ:  orders(first: 50) with customer, lines + product, payments and invoice
//   - WRITE: createOrder with 3 lines, a new idempotency key per request
//
// and, in the same run and at the same concurrency, the limit: the same read as one
// hand-written SQL query and the same write as the statements createOrder runs, through
// pgx as the app role, with no HTTP or GraphQL. It writes the figures to
// bench-results/results.json and docs/benchmarks.md.
//
// Usage (from the repository root; make bench passes ARGS):
//
//	go run ./cmd/bench [-duration 30s] [-rounds 3] [-warmup 3s] [-concurrency 32] [-reload] [-only read|write]
//	go run ./cmd/bench -only pipeline [-pipeline-orders 10000] [-concurrency 32]
//
// -only pipeline runs the PIPELINE scenario alone (pipeline.go): orders from createOrder
// to DELIVERED through the server's workers, then a bare River worker as the limit; it
// logs its figures and leaves the report files alone (docs/performance.md has them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	reload      bool
	jsonOut     string
	mdOut       string
	only        string
	rounds      int
	// pipelineOrders is how many orders PIPELINE takes from createOrder to DELIVERED.
	pipelineOrders int
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "measured duration of each scenario, over all rounds")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up before each scenario")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients in every scenario")
	flag.BoolVar(&o.reload, "reload", false, "load the data set again even if a complete one exists")
	flag.StringVar(&o.jsonOut, "json", "bench-results/results.json", "where to write the raw results")
	flag.StringVar(&o.mdOut, "md", "docs/benchmarks.md", "where to write the markdown report")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds per pair of scenarios (ours, raw, ours, raw, …), "+
		"so that a slow spell of a shared machine falls on both")
	flag.StringVar(&o.only, "only", "", "run only the scenarios starting with this word (read or write), "+
		"for profiling; the report files are then left alone; pipeline runs the PIPELINE scenario alone")
	flag.IntVar(&o.pipelineOrders, "pipeline-orders", 10000, "orders of the PIPELINE scenario (-only pipeline)")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if flag.NArg() > 0 || o.duration <= 0 || o.warmup < 0 || o.concurrency < 1 || o.rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if o.only == "pipeline" {
		err = runPipeline(ctx, o)
	} else {
		err = run(ctx, o)
	}
	stop()
	if err != nil {
		log.Fatalf("bench: %v", err)
	}
}

// scenario is one measured workload.
type scenario struct {
	name string
	run  func(ctx context.Context, d time.Duration) (result, error)
	// writes says the scenario adds orders: the database is vacuumed after each round.
	writes bool
}

func run(ctx context.Context, o options) error {
	clusterURL := os.Getenv("DATABASE_URL")
	if clusterURL == "" {
		return errors.New("DATABASE_URL is not set (make bench sets it)")
	}
	if err := chdirToModuleRoot(); err != nil {
		return err
	}
	rep := newReport(o)

	ds, err := prepareDataset(ctx, clusterURL, o.reload)
	if err != nil {
		return fmt.Errorf("data set: %w", err)
	}
	defer ds.close()
	raw, err := newRawClient(ctx, ds)
	if err != nil {
		return fmt.Errorf("raw client: %w", err)
	}
	defer raw.close()
	srv, err := startServer(ctx, ds.ownerURL)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	defer srv.stop()
	if err := rep.describe(ctx, ds); err != nil {
		return err
	}

	endpoint := srv.url + "/graphql"
	readTargeter, err := ds.readTargeter(endpoint)
	if err != nil {
		return err
	}
	writeTargeter := ds.writeTargeter(endpoint)
	scenarios := []scenario{
		{"READ", func(ctx context.Context, d time.Duration) (result, error) {
			return attack(ctx, "READ", readTargeter, o.concurrency, d)
		}, false},
		{"READ raw SQL", func(ctx context.Context, d time.Duration) (result, error) {
			return raw.loop(ctx, "READ raw SQL", o.concurrency, d, raw.read)
		}, false},
		{"WRITE", func(ctx context.Context, d time.Duration) (result, error) {
			return attack(ctx, "WRITE", writeTargeter, o.concurrency, d)
		}, true},
		{"WRITE raw SQL", func(ctx context.Context, d time.Duration) (result, error) {
			return raw.loop(ctx, "WRITE raw SQL", o.concurrency, d, raw.write)
		}, true},
	}
	// Scenarios come in pairs, ours and raw. Each pair runs in interleaved rounds of
	// duration/rounds, so that the ratio compares the two under the same conditions.
	for i := 0; i < len(scenarios); i += 2 {
		pair := scenarios[i : i+2]
		if !strings.HasPrefix(strings.ToLower(pair[0].name), strings.ToLower(o.only)) {
			continue
		}
		total := make([]result, len(pair))
		for round := range o.rounds {
			for j, sc := range pair {
				res, err := measure(ctx, o, sc, srv, ds, round == 0)
				if err != nil {
					return fmt.Errorf("%s: %w", sc.name, err)
				}
				if round == 0 {
					total[j] = res
				} else {
					total[j] = total[j].combine(res)
				}
			}
			log.Printf("%s after round %d of %d: ours/raw %.2f", pair[0].name, round+1, o.rounds,
				ratio(total[0], total[1]))
		}
		rep.Results = append(rep.Results, total...)
	}

	if rep.Jobs, err = ds.jobStates(ctx); err != nil {
		return err
	}
	if rep.ServerPeakRSSMB, err = srv.highWaterMB(); err != nil {
		return fmt.Errorf("server peak RSS: %w", err)
	}
	log.Printf("server: peak RSS (VmHWM) %.0f MB; jobs by state: %v", rep.ServerPeakRSSMB, rep.Jobs)
	if o.only != "" {
		log.Printf("-only %s: %s and %s left alone", o.only, o.jsonOut, o.mdOut)
		return nil
	}
	return rep.write()
}

// measure runs a scenario's warm-up and then its measured run. Each starts once the
// server's job workers have caught up, so that no run pays for the jobs of another;
// how far behind the measured run left them is part of its result.
func measure(ctx context.Context, o options, sc scenario, srv *server, ds *dataset, warm bool) (result, error) {
	d := o.duration / time.Duration(o.rounds)
	if warm && o.warmup > 0 {
		log.Printf("%s: warm-up %s", sc.name, o.warmup)
		warm, err := sc.run(ctx, o.warmup)
		if err != nil {
			return warm, err
		}
		if warm.Failed > 0 {
			log.Printf("%s: %d of %d warm-up requests failed, first: %s", sc.name, warm.Failed, warm.Requests, warm.FirstError)
		}
		if _, err := ds.waitForJobs(ctx); err != nil {
			return result{}, err
		}
	}
	log.Printf("%s: measuring %s at concurrency %d", sc.name, d, o.concurrency)
	srv.takePeakRSS()
	res, err := sc.run(ctx, d)
	if err != nil {
		return res, err
	}
	res.ServerPeakRSSMB = srv.takePeakRSS()
	log.Printf("%s: %.0f requests/s, p50 %.1f ms, p99 %.1f ms, %d of %d failed; server RSS ≤ %.0f MB",
		sc.name, res.PerSecond, res.P50ms, res.P99ms, res.Failed, res.Requests, res.ServerPeakRSSMB)
	if res.Failed > 0 {
		log.Printf("%s: first failure: %s", sc.name, res.FirstError)
	}
	if res.JobBacklog, err = ds.pendingJobs(ctx); err != nil {
		return res, err
	}
	catchUp, err := ds.waitForJobs(ctx)
	res.JobCatchUpSeconds = catchUp.Seconds()
	if err == nil && sc.writes {
		err = ds.vacuum(ctx)
	}
	return res, err
}

// ratio is ours/raw of two results' throughput (0 without raw requests).
func ratio(ours, raw result) float64 {
	if raw.PerSecond == 0 {
		return 0
	}
	return ours.PerSecond / raw.PerSecond
}

// chdirToModuleRoot makes the module root the working directory, so that the build and
// the output paths are the same wherever the command is started from.
func chdirToModuleRoot() error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("run bench inside the ordergraph module (make bench)")
	}
	return os.Chdir(filepath.Dir(gomod))
}
