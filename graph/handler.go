package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ordergraph/ordergraph/graph/generated"
	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/requestlog"
)

// ServerConfig are the GraphQL server's limits and switches.
type ServerConfig struct {
	Introspection bool
	MaxDepth      int
	MaxComplexity int
	Logger        *slog.Logger
	Registerer    prometheus.Registerer
	// Extensions are added after the server's own (srv.Use), in order.
	Extensions []graphql.HandlerExtension
}

// NewServer assembles the GraphQL HTTP handler explicitly (gqlgen's NewDefaultServer
// is a demo default): POST/GET transports, a bounded query cache, depth and
// complexity limits, introspection and suggestions only when enabled, error
// presentation that never leaks internals, and operation metrics.
//
// The executor is gqlgen's generated code as gqlgen writes it, so every hook gqlgen
// offers runs as gqlgen documents it, field interceptors (AroundFields, Extensions
// implementing graphql.FieldInterceptor) included. The server registers no field
// interceptor of its own: one runs for every field of every response.
func NewServer(r *Resolver, cfg ServerConfig) *handler.Server {
	c := generated.Config{Resolvers: r, Directives: Directives()}
	setComplexity(&c.Complexity)
	srv := handler.New(generated.NewExecutableSchema(c))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postTransport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(15000)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.SetDisableSuggestion(!cfg.Introspection)
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(depthLimit(cfg.MaxDepth))
	srv.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	srv.SetErrorPresenter(presentError(cfg.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		requestlog.From(ctx, cfg.Logger).Error("panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return errors.New("internal error")
	})
	observeOperations(srv, cfg.Registerer)
	// Dataloaders are per request (their caches must not outlive it) and per store.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if p := auth.PrincipalFrom(ctx); p.HasStore() {
			ctx = loader.With(ctx, loader.New(r.Svc.Services, p.StoreID))
		}
		return next(ctx)
	})
	for _, ext := range cfg.Extensions {
		srv.Use(ext)
	}
	return srv
}

// presentError maps errors to GraphQL errors: application errors keep their code,
// message and field; anything else is logged and shown only as INTERNAL.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if ae, ok := apperr.As(err); ok {
			gqlErr.Message = ae.Message
			ext := map[string]any{"code": string(ae.Code)}
			if ae.Field != "" {
				ext["field"] = ae.Field
			} else if ae.Code == apperr.BadUserInput && len(gqlErr.Path) > 0 {
				// A scalar that failed to parse: gqlgen's path ends at the input field.
				ext["field"] = fmt.Sprint(gqlErr.Path[len(gqlErr.Path)-1])
			}
			for k, v := range ae.Details {
				ext[k] = v
			}
			gqlErr.Extensions = ext
			return gqlErr
		}
		var parsed *gqlerror.Error
		if errors.As(err, &parsed) && parsed.Err == nil {
			// Parse, validation and coercion errors from gqlgen itself: safe to show.
			return inputError(gqlErr)
		}
		requestlog.From(ctx, log).Error("internal error", "error", err.Error(), "path", gqlErr.Path.String())
		return &gqlerror.Error{
			Message:    "internal error; it has been logged with this request's id",
			Path:       gqlErr.Path,
			Extensions: map[string]any{"code": string(apperr.Internal), "requestId": requestlog.ID(ctx)},
		}
	}
}

// inputError gives gqlgen's own errors our codes: a value that does not fit its type
// (an unknown enum value, a missing required argument) is BAD_USER_INPUT.
func inputError(e *gqlerror.Error) *gqlerror.Error {
	code, _ := e.Extensions["code"].(string)
	switch code {
	case "GRAPHQL_PARSE_FAILED", "COMPLEXITY_LIMIT_EXCEEDED", depthLimitCode:
		return e
	case "GRAPHQL_VALIDATION_FAILED":
		if e.Rule != "" && e.Rule != "ValuesOfCorrectType" && e.Rule != "ProvidedRequiredArguments" {
			return e
		}
	}
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = string(apperr.BadUserInput)
	if len(e.Path) > 1 && e.Path[0] == ast.PathName("variable") {
		// gqlgen reports a variable as ["variable", name, ...]: the rest is the field,
		// dotted like our own fields (in.lines.0.quantity).
		parts := make([]string, len(e.Path)-1)
		for i, p := range e.Path[1:] {
			parts[i] = fmt.Sprint(p)
		}
		e.Extensions["field"] = strings.Join(parts, ".")
	} else if len(e.Path) > 0 {
		e.Extensions["field"] = fmt.Sprint(e.Path[len(e.Path)-1])
	}
	return e
}

func observeOperations(srv *handler.Server, reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	ops := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "graphql_operations_total",
		Help: "GraphQL operations by type, first root field and outcome.",
	}, []string{"type", "field", "outcome"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "graphql_operation_duration_seconds",
		Help:    "GraphQL operation latency by type and first root field.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"type", "field"})
	reg.MustRegister(ops, dur)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		start := time.Now()
		oc := graphql.GetOperationContext(ctx)
		typ, field := "unknown", "unknown"
		if op := oc.Operation; op != nil {
			typ = string(op.Operation)
			// The first root field, not the client-chosen operation name: the schema
			// bounds the label's values.
			if len(op.SelectionSet) > 0 {
				if f, ok := op.SelectionSet[0].(*ast.Field); ok {
					field = f.Name
				}
			}
		}
		h := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			outcome := "ok"
			if resp == nil || len(resp.Errors) > 0 {
				outcome = "error"
			}
			ops.WithLabelValues(typ, field, outcome).Inc()
			dur.WithLabelValues(typ, field).Observe(time.Since(start).Seconds())
			return resp
		}
	})
}
