package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/ordergraph/ordergraph/internal/mockbank"
)

// gateway runs the mock bank. It needs no database and none of the server's
// configuration, so main dispatches it before loading that.
func gateway(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ordergraph gateway", flag.ContinueOnError)
	fs.SetOutput(out)
	var (
		addr = fs.String("addr", gatewayEnv("GATEWAY_ADDR", "127.0.0.1:8081"), "listen address (env GATEWAY_ADDR)")
		// Secrets are read from the environment after parsing, so -h never prints them.
		key   = fs.String("key", "", "the secret key clients must send (default: $PAYMENT_GATEWAY_KEY, else "+mockbank.DefaultSecretKey+")")
		admin = fs.String("admin-token", "", "bearer token required on /admin/* (default: $GATEWAY_ADMIN_TOKEN; empty leaves them open)")
		state = fs.String("state", os.Getenv("GATEWAY_STATE"), "journal file that keeps the ledger and idempotency keys across restarts (env GATEWAY_STATE)")
		seed  = fs.Uint64("seed", 0, "seed for the fault decisions (0: random, printed at start)")
		level = fs.String("log-level", gatewayEnv("LOG_LEVEL", "info"), "debug, info, warn or error")
		f     mockbank.Faults
	)
	fs.Float64Var(&f.DeclineRate, "decline-rate", 0, "probability that a charge with a succeeding card is declined")
	fs.Float64Var(&f.TransientErrorRate, "transient-error-rate", 0, "probability of a 500 before the API runs (not saved under the key)")
	fs.Float64Var(&f.RateLimitRate, "rate-limit-rate", 0, "probability of a 429")
	fs.IntVar(&f.LatencyMs, "latency-ms", 0, "how long the bank works on each API request, in milliseconds")
	fs.BoolVar(&f.Outage, "outage", false, "start in a full outage (every API request 503)")
	fs.Float64Var(&f.LostResponseRate, "lost-response-rate", 0, "probability that a POST takes effect and the connection is then closed unanswered")
	fs.Float64Var(&f.StoredErrorRate, "stored-error-rate", 0, "probability of a 500 saved under the idempotency key and replayed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" {
		*key = gatewayEnv("PAYMENT_GATEWAY_KEY", mockbank.DefaultSecretKey)
	}
	if *admin == "" {
		*admin = os.Getenv("GATEWAY_ADMIN_TOKEN")
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	cfg := mockbank.Config{
		SecretKey:  *key,
		AdminToken: *admin,
		Faults:     f,
		Seed:       *seed,
		StatePath:  *state,
		Log:        slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})),
	}
	return mockbank.Run(ctx, *addr, cfg, out)
}

func gatewayEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// gatewayMain is main for `ordergraph gateway`: it returns the exit status.
func gatewayMain(ctx context.Context, args []string) int {
	if err := gateway(ctx, args, os.Stdout); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(os.Stderr, "ordergraph gateway:", err)
		return 1
	}
	return 0
}
