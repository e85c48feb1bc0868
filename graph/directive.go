package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/graph/generated"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/store"
)

// Directives returns the implementations of the schema's access directives.
func Directives() generated.DirectiveRoot {
	return generated.DirectiveRoot{HasRole: hasRole, UserOnly: userOnly}
}

func authenticated(ctx context.Context) (*auth.Principal, error) {
	if err := auth.AuthErrorFrom(ctx); err != nil {
		return nil, err
	}
	p := auth.PrincipalFrom(ctx)
	if p == nil {
		return nil, apperr.New(apperr.Unauthenticated, "log in (Authorization: Bearer <token>) or use an API key")
	}
	return p, nil
}

func hasRole(ctx context.Context, _ any, next graphql.Resolver, role store.Role) (any, error) {
	p, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if !p.HasStore() {
		return nil, &apperr.Error{Code: apperr.BadUserInput, Field: auth.StoreHeader,
			Message: "choose a store with the X-Store-ID header (see me { memberships { store { id } } })"}
	}
	if !p.Role.AtLeast(role) {
		return nil, apperr.New(apperr.Forbidden, "this needs the %s role or higher; you have %s", role, p.Role)
	}
	return next(ctx)
}

func userOnly(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	p, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if p.UserID == uuid.Nil {
		return nil, apperr.New(apperr.Forbidden, "this needs a user token, not an API key")
	}
	return next(ctx)
}
