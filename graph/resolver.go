// Package graph is the GraphQL layer: the schema (schema/*.graphqls), the gqlgen
// executor (generated/), and resolvers that translate GraphQL to domain calls. No
// business rules and no SQL live here.
package graph

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/requestlog"
	"github.com/ordergraph/ordergraph/internal/store"
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
func storeID(ctx context.Context) uuid.UUID {
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

// node resolves a global id within the request's store. Another store's object is
// reported exactly like a missing one: null.
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	typ, uid, ok := gid.Parse(id)
	if !ok {
		return nil, apperr.Invalid("id", "%q is not a global id (gid://ordergraph/<Type>/<uuid>)", id)
	}
	sid := storeID(ctx)
	switch typ {
	case "Store":
		if uid != sid {
			return nil, nil
		}
		st, err := r.Svc.Stores.Get(ctx, sid)
		return nilIfNotFound(&st, err)
	case "ApiKey":
		if !principal(ctx).Role.AtLeast(store.RoleAdmin) {
			return nil, nil
		}
		keys, err := r.Svc.Stores.ListAPIKeys(ctx, sid)
		for i := range keys {
			if keys[i].ID == uid {
				return &keys[i], err
			}
		}
		return nil, err
	case "User":
		m, err := r.Svc.Stores.Member(ctx, sid, uid)
		if err != nil {
			return nilIfNotFound[auth.User](nil, err)
		}
		return &auth.User{ID: m.UserID, Email: m.Email, Name: m.Name, CreatedAt: m.CreatedAt}, nil
	}
	return r.catalogNode(ctx, sid, typ, uid)
}

// nilIfNotFound turns NOT_FOUND into a null node.
func nilIfNotFound[T any](v *T, err error) (model.Node, error) {
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
