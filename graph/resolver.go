// Package graph is the GraphQL layer: the schema (schema/*.graphqls), the gqlgen
// executor (generated/), and resolvers that translate GraphQL to domain calls. No
// business rules and no SQL live here.
package graph

import (
	"context"
	"errors"

	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/requestlog"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Resolver holds the services resolvers call.
type Resolver struct {
	Svc          Services
	LoginLimiter *auth.Limiter
}

// Services are the domain services resolvers call. (A struct of its own, because
// resolver methods such as Query.orders would shadow same-named fields.)
type Services struct {
	Accounts *auth.Users
	Stores   *store.Service
	// The services the per-request dataloaders also read from.
	loader.Services
}

// storeID is the request's store. The @hasRole directive has already checked that one
// was chosen, so resolvers take it once here and pass it down explicitly.
func storeID(ctx context.Context) tenant.StoreID {
	return auth.PrincipalFrom(ctx).StoreID
}

// principal is the request's principal; @hasRole/@userOnly guarantee it is non-nil.
func principal(ctx context.Context) *auth.Principal {
	return auth.PrincipalFrom(ctx)
}

// pointers returns pointers to the elements of s, as gqlgen's list fields want.
func pointers[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

func clientIP(ctx context.Context) string {
	if ip := requestlog.ClientIP(ctx); ip != "" {
		return ip
	}
	return "unknown"
}

// required turns a relation that must exist but does not into an error (it would be
// a broken foreign key, which the schema prevents).
func required[T any](v *T, err error) (*T, error) {
	if err == nil && v == nil {
		return nil, apperr.New(apperr.Internal, "related object is missing")
	}
	return v, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// inField returns err with its field, a domain input's field, as a path into the
// argument path (createProduct's "sku" is "input.sku"). Domain errors name their own
// fields; the API's argument names are graph/'s business.
func inField(path string, err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	moved := *e
	moved.Field = path + "." + e.Field
	return &moved
}
