package graph

import (
	"context"

	"github.com/ordergraph/ordergraph/graph/generated"
	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/store"
)

func (r *apiKeyResolver) ID(ctx context.Context, obj *store.APIKey) (string, error) {
	return gid.Encode("ApiKey", obj.ID), nil
}

func (r *membershipResolver) User(ctx context.Context, obj *store.Membership) (*auth.User, error) {
	u, err := r.Accounts.Get(ctx, obj.UserID)
	return &u, err
}

func (r *mutationResolver) SignUp(ctx context.Context, email string, password string, name string) (*model.AuthPayload, error) {
	if !r.LoginLimiter.Allow(clientIP(ctx)) {
		return nil, apperr.New(apperr.RateLimited, "too many attempts from this address; try again in a minute")
	}
	s, err := r.Accounts.SignUp(ctx, email, password, name)
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Token: s.Token, ExpiresAt: s.ExpiresAt, User: &s.User}, nil
}

func (r *mutationResolver) Login(ctx context.Context, email string, password string) (*model.AuthPayload, error) {
	if !r.LoginLimiter.Allow(clientIP(ctx)) {
		return nil, apperr.New(apperr.RateLimited, "too many login attempts from this address; try again in a minute")
	}
	s, err := r.Accounts.Login(ctx, email, password)
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Token: s.Token, ExpiresAt: s.ExpiresAt, User: &s.User}, nil
}

func (r *mutationResolver) CreateStore(ctx context.Context, name string, slug string, currencyCode string) (*store.Store, error) {
	st, err := r.Stores.Create(ctx, principal(ctx).UserID, store.CreateParams{Name: name, Slug: slug, CurrencyCode: currencyCode})
	return &st, err
}

func (r *mutationResolver) AddMember(ctx context.Context, email string, role store.Role) (*store.Membership, error) {
	p := principal(ctx)
	m, err := r.Stores.AddMember(ctx, p.StoreID, p.Role, email, role)
	return &m.Membership, err
}

func (r *mutationResolver) CreateAPIKey(ctx context.Context, name string, role store.Role) (*model.CreateAPIKeyPayload, error) {
	p := principal(ctx)
	key, secret, err := r.Stores.CreateAPIKey(ctx, p.StoreID, p.Role, p.UserID, name, role)
	if err != nil {
		return nil, err
	}
	return &model.CreateAPIKeyPayload{APIKey: &key, Secret: secret}, nil
}

func (r *mutationResolver) RevokeAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	keyID, err := gid.Decode("id", "ApiKey", id)
	if err != nil {
		return nil, err
	}
	key, err := r.Stores.RevokeAPIKey(ctx, storeID(ctx), keyID)
	return &key, err
}

func (r *queryResolver) Me(ctx context.Context) (*auth.User, error) {
	u, err := r.Accounts.Get(ctx, principal(ctx).UserID)
	return &u, err
}

func (r *queryResolver) Store(ctx context.Context) (*store.Store, error) {
	st, err := r.Stores.Get(ctx, storeID(ctx))
	return &st, err
}

func (r *queryResolver) Node(ctx context.Context, id string) (model.Node, error) {
	return r.node(ctx, id)
}

func (r *queryResolver) Users(ctx context.Context, first *int, after *string) (*model.UserConnection, error) {
	args, err := page.NewArgs(first, after, store.MemberSort)
	if err != nil {
		return nil, err
	}
	members, more, err := r.Stores.ListMembers(ctx, storeID(ctx), args)
	if err != nil {
		return nil, err
	}
	conn := &model.UserConnection{Edges: make([]*model.UserEdge, len(members)), PageInfo: &model.PageInfo{HasNextPage: more}}
	for i, m := range members {
		cur := store.MemberCursor(m).Encode()
		conn.Edges[i] = &model.UserEdge{Cursor: cur, Role: m.Role,
			Node: &auth.User{ID: m.UserID, Email: m.Email, Name: m.Name, CreatedAt: m.CreatedAt}}
		conn.PageInfo.EndCursor = &cur
	}
	return conn, nil
}

func (r *queryResolver) APIKeys(ctx context.Context) ([]*store.APIKey, error) {
	keys, err := r.Stores.ListAPIKeys(ctx, storeID(ctx))
	return pointers(keys), err
}

func (r *storeResolver) ID(ctx context.Context, obj *store.Store) (string, error) {
	return gid.Encode("Store", obj.ID), nil
}

func (r *userResolver) ID(ctx context.Context, obj *auth.User) (string, error) {
	return gid.Encode("User", obj.ID), nil
}

func (r *userResolver) Memberships(ctx context.Context, obj *auth.User) ([]*store.Membership, error) {
	if p := principal(ctx); p == nil || p.UserID != obj.ID {
		return nil, apperr.New(apperr.Forbidden, "memberships are only visible on me")
	}
	ms, err := r.Stores.MembershipsOf(ctx, obj.ID)
	return pointers(ms), err
}

// ApiKey returns generated.ApiKeyResolver implementation.
func (r *Resolver) ApiKey() generated.ApiKeyResolver { return &apiKeyResolver{r} }

// Membership returns generated.MembershipResolver implementation.
func (r *Resolver) Membership() generated.MembershipResolver { return &membershipResolver{r} }

// Mutation returns generated.MutationResolver implementation.
func (r *Resolver) Mutation() generated.MutationResolver { return &mutationResolver{r} }

// Query returns generated.QueryResolver implementation.
func (r *Resolver) Query() generated.QueryResolver { return &queryResolver{r} }

// Store returns generated.StoreResolver implementation.
func (r *Resolver) Store() generated.StoreResolver { return &storeResolver{r} }

// User returns generated.UserResolver implementation.
func (r *Resolver) User() generated.UserResolver { return &userResolver{r} }

type apiKeyResolver struct{ *Resolver }
type membershipResolver struct{ *Resolver }
type mutationResolver struct{ *Resolver }
type queryResolver struct{ *Resolver }
type storeResolver struct{ *Resolver }
type userResolver struct{ *Resolver }
