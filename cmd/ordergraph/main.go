// Command ordergraph is Ordergraph's one binary:
//
//	ordergraph serve     migrate, then serve the API (and run the job workers)
//	ordergraph worker    run the job workers only
//	ordergraph migrate   apply database migrations (Ordergraph's and River's)
//	ordergraph seed      create the demo store, users and catalog (idempotent)
//	ordergraph gateway   run the mock bank that speaks Stripe's API (see docs/gateway.md)
//
// Configuration comes from environment variables; see README.md and .env.example.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordergraph/ordergraph/cmd/ordergraph/app"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
)

const usage = `usage: ordergraph <command>

commands:
  serve     apply migrations, then serve the API on HTTP_ADDR (and run the job
            workers, unless SERVE_WORKERS=false)
  worker    run the job workers only (scale them out like API replicas)
  migrate   apply database migrations (Ordergraph's and River's) and exit
  seed      create the demo store, users and products (safe to run again)
  gateway   run the mock bank (Stripe API subset) on GATEWAY_ADDR; -h for flags
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Args[1] == "gateway" { // the mock bank needs neither a database nor the server's config
		os.Exit(gatewayMain(ctx, os.Args[2:]))
	}

	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ordergraph: configuration:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		os.Exit(2)
	}
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	tuneGC()

	switch os.Args[1] {
	case "serve":
		err = serve(ctx, cfg, log, os.Stdout)
	case "worker":
		err = work(ctx, cfg, log)
	case "migrate":
		err = migrate(ctx, cfg, log)
	case "seed":
		err = seed(ctx, cfg, log, os.Stdout)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "ordergraph: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		log.Error("ordergraph "+os.Args[1]+" failed", "error", err)
		os.Exit(1)
	}
}

// tuneGC sets the garbage collector for a GraphQL server, unless GOGC or GOMEMLIMIT
// say otherwise. A response tree is many small short-lived objects, so collection
// costs CPU in proportion to how often it runs: a GOGC of 400 trades a larger heap for
// more requests per second (docs/performance.md). The 128 MiB soft limit keeps the
// heap, and so RSS, bounded: near it the collector runs more often instead.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func migrate(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	owner, err := db.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	return db.Migrate(ctx, owner, log)
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, out io.Writer) error {
	if err := cfg.EnsureJWTSecret(); err != nil {
		return fmt.Errorf("jwt secret: %w", err)
	}
	if err := migrate(ctx, cfg, log); err != nil {
		return err
	}
	pool, err := db.Open(ctx, cfg.AppDatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()

	inserter, err := app.NewInsertClient(pool, log)
	if err != nil {
		return err
	}
	if cfg.ServeWorkers {
		stopWorkers, err := startWorkers(ctx, pool, cfg, log)
		if err != nil {
			return err
		}
		defer stopWorkers()
	}
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           app.NewHandler(app.Params{Config: cfg, Pool: pool, Logger: log, Jobs: inserter}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", cfg.HTTPAddr, "production", cfg.Production)
	base := "http://" + cfg.HTTPAddr
	fmt.Fprintf(out, "\nOrdergraph is running (Ctrl-C stops it):\n"+
		"  GraphQL      %[1]s/graphql\n  Playground   %[1]s/playground\n"+
		"  Health       %[1]s/healthz  %[1]s/readyz\n  Metrics      %[1]s/metrics\n\n", base)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// servePprof serves the Go profiler on its own listener, never on the API's.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	log.Info("pprof", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("pprof server", "error", err)
	}
}

// startWorkers starts the River workers; the returned func stops them, letting running
// jobs finish for up to 20 s before cancelling them.
func startWorkers(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config, log *slog.Logger) (func(), error) {
	client, err := app.NewWorkerClient(pool, cfg, log)
	if err != nil {
		return nil, err
	}
	// Started on a context of its own: the signal context ends before the stop below.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start workers: %w", err)
	}
	log.Info("job workers started", "max_workers", cfg.MaxWorkers)
	return func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := client.Stop(stopCtx); err != nil {
			log.Warn("workers did not stop in time; cancelling running jobs", "error", err)
			_ = client.StopAndCancel(context.Background())
		}
		log.Info("job workers stopped")
	}, nil
}

// work runs the job workers until SIGTERM/SIGINT.
func work(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	pool, err := db.Open(ctx, cfg.AppDatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	stop, err := startWorkers(ctx, pool, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}
