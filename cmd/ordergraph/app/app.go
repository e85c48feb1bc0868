// Package app is Ordergraph's composition root: it builds the domain services, the
// HTTP application and the job workers from the configuration and the database pool.
// cmd/ordergraph runs what it builds; tests build the same application through it.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ordergraph/ordergraph/graph"
	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/internal/alert"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/web"
	"github.com/ordergraph/ordergraph/jobs"
)

// Params are what the application is built from.
type Params struct {
	Config *config.Config
	// Pool connects as the app role (see config.Config.AppDatabaseURL).
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Jobs inserts the jobs the API's transactions enqueue (NewInsertClient).
	Jobs *river.Client[pgx.Tx]
	// GraphQLExtensions are added to the GraphQL server after its own, in order:
	// tracing, for one (a graphql.FieldInterceptor sees every field). Optional.
	GraphQLExtensions []graphql.HandlerExtension
}

// NewInsertClient returns a River client that only inserts jobs (the API's side).
func NewInsertClient(pool *pgxpool.Pool, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	return river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
}

// NewHandler builds the services and the complete HTTP handler: GraphQL, playground,
// health, readiness and metrics.
func NewHandler(p Params) http.Handler {
	cfg := p.Config
	d := db.New(p.Pool)
	tokens := auth.NewTokens(cfg.JWTSecret, cfg.JWTTTL)
	stores := store.NewService(d)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	resolver := &graph.Resolver{
		Svc: graph.Services{
			Accounts: auth.NewUsers(d, tokens, cfg.BcryptCost),
			Stores:   stores,
			Alerts:   alert.NewService(d),
			Services: loader.Services{
				Orders:       order.NewService(d, p.Jobs, OrderConfig(cfg)),
				Products:     product.NewService(d),
				Customers:    customer.NewService(d),
				Payments:     payment.NewService(d),
				Invoices:     invoice.NewService(d),
				Fulfillments: fulfillment.NewService(d),
			},
		},
		LoginLimiter: auth.NewLimiter(cfg.LoginRatePerMinute),
	}
	gql := graph.NewServer(resolver, graph.ServerConfig{
		Introspection: cfg.Introspection,
		MaxDepth:      cfg.MaxQueryDepth,
		MaxComplexity: cfg.MaxComplexity,
		Logger:        p.Logger,
		Registerer:    reg,
		Extensions:    p.GraphQLExtensions,
	})
	return web.NewHandler(web.Config{
		GraphQL:       gql,
		Authenticator: auth.NewAuthenticator(tokens, stores, cfg.APIKeyFailuresPerMin),
		Logger:        p.Logger,
		Registry:      reg,
		MaxBodyBytes:  cfg.MaxBodyBytes,
		Ready:         func(ctx context.Context) error { return p.Pool.Ping(ctx) },
	})
}

// OrderConfig is the order lifecycle's timing from the configuration.
func OrderConfig(cfg *config.Config) order.Config {
	return order.Config{PaymentBudget: cfg.PaymentRetryBudget, FulfillmentStepDelay: cfg.FulfillmentStepDelay}
}

// RetryPolicy spaces a payment's attempts: from PaymentRetryBase, doubling up to five
// minutes (or the budget, when shorter), within PaymentRetryBudget.
func RetryPolicy(cfg *config.Config) payment.RetryPolicy {
	return payment.RetryPolicy{Base: cfg.PaymentRetryBase, Cap: min(5*time.Minute, cfg.PaymentRetryBudget),
		Budget: cfg.PaymentRetryBudget}
}

// NewWorkerClient builds the services the workers call and a River client that works
// every job kind Ordergraph has, MaxWorkers at a time, calling the payment gateway
// that gateway configures.
func NewWorkerClient(pool *pgxpool.Pool, cfg *config.Config, gateway payment.GatewayConfig, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	inserter, err := NewInsertClient(pool, log)
	if err != nil {
		return nil, err
	}
	d := db.New(pool)
	gateway.Breaker.OpenFor = cfg.PaymentBreakerOpenFor
	workers := river.NewWorkers()
	jobs.AddWorkers(workers, jobs.Deps{DB: d, Orders: order.NewService(d, inserter, OrderConfig(cfg)),
		Payments: payment.NewService(d), Stores: store.NewService(d), Gateway: payment.NewGateway(gateway), Retry: RetryPolicy(cfg)})
	return jobs.NewWorkerClient(pool, workers, jobs.Config{MaxWorkers: cfg.MaxWorkers, Logger: log,
		RescueStuckJobsAfter: cfg.JobRescueAfter})
}
