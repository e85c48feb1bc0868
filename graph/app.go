package graph

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"

	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/web"
)

// AppParams are what the HTTP application is built from.
type AppParams struct {
	Config *config.Config
	// Pool connects as the app role (see config.Config.AppDatabaseURL).
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Jobs inserts the jobs the API's transactions enqueue (jobs.NewInsertClient).
	Jobs *river.Client[pgx.Tx]
	// GraphQLExtensions are added to the GraphQL server after its own, in order:
	// tracing, for one (a graphql.FieldInterceptor sees every field). Optional.
	GraphQLExtensions []graphql.HandlerExtension
}

// NewApp builds the services and the complete HTTP handler: GraphQL, playground,
// health, readiness and metrics. cmd/ordergraph serves it; tests call it directly.
func NewApp(p AppParams) http.Handler {
	cfg := p.Config
	d := db.New(p.Pool)
	tokens := auth.NewTokens(cfg.JWTSecret, cfg.JWTTTL)
	stores := store.NewService(d)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	resolver := &Resolver{
		Svc: Services{
			Accounts: auth.NewUsers(d, tokens, cfg.BcryptCost),
			Stores:   stores,
			Services: loader.Services{
				DB:           d,
				Orders:       order.NewService(d, p.Jobs),
				Products:     product.NewService(d),
				Customers:    customer.NewService(d),
				Payments:     payment.NewService(d),
				Invoices:     invoice.NewService(d),
				Fulfillments: fulfillment.NewService(d),
			},
		},
		LoginLimiter: auth.NewLimiter(cfg.LoginRatePerMinute),
	}
	gql := NewServer(resolver, ServerConfig{
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
