package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Principal is who is calling and in which store. A user principal without a store
// (no X-Store-ID) can only use store-less operations such as me and createStore.
type Principal struct {
	UserID   uuid.UUID      // zero for API keys
	APIKeyID uuid.UUID      // zero for users
	StoreID  tenant.StoreID // zero when no store was chosen
	Role     store.Role
}

// HasStore reports whether a store was chosen for this request.
func (p *Principal) HasStore() bool { return p != nil && !p.StoreID.IsZero() }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal, or nil when unauthenticated.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Authenticator resolves a request's credentials. It runs once per request, at the edge.
type Authenticator struct {
	tokens   *Tokens
	stores   *store.Service
	failures *Limiter // failed API key attempts per client IP
}

// NewAuthenticator returns an authenticator.
func NewAuthenticator(tokens *Tokens, stores *store.Service, keyFailuresPerMin int) *Authenticator {
	return &Authenticator{tokens: tokens, stores: stores, failures: NewLimiter(keyFailuresPerMin)}
}

// StoreHeader names the store a user token acts in.
const StoreHeader = "X-Store-ID"

// Authenticate returns the request's principal: nil with no credentials, an
// UNAUTHENTICATED error for bad ones, FORBIDDEN for a store the caller may not use.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	authz := r.Header.Get("Authorization")
	storeHeader := strings.TrimSpace(r.Header.Get(StoreHeader))
	if authz == "" {
		if storeHeader != "" {
			return nil, apperr.New(apperr.Unauthenticated, "X-Store-ID needs an Authorization: Bearer token")
		}
		return nil, nil
	}
	scheme, cred, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
		return nil, apperr.New(apperr.Unauthenticated, "Authorization must be \"Bearer <token or API key>\"")
	}
	cred = strings.TrimSpace(cred)
	var storeID tenant.StoreID
	if storeHeader != "" {
		id, err := ParseStoreID(storeHeader)
		if err != nil {
			return nil, &apperr.Error{Code: apperr.BadUserInput, Field: StoreHeader,
				Message: fmt.Sprintf("X-Store-ID %q is not a store id (a gid://ordergraph/Store/<uuid> or the bare uuid)", storeHeader)}
		}
		storeID = id
	}
	if strings.HasPrefix(cred, store.APIKeyPrefix) {
		return a.apiKey(r, cred, storeID)
	}
	userID, err := a.tokens.Verify(cred)
	if err != nil {
		return nil, apperr.New(apperr.Unauthenticated, "invalid or expired token")
	}
	p := &Principal{UserID: userID}
	if storeID.IsZero() {
		return p, nil
	}
	role, err := a.stores.RoleOf(r.Context(), userID, storeID)
	if err != nil {
		return nil, err
	}
	p.StoreID, p.Role = storeID, role
	return p, nil
}

func (a *Authenticator) apiKey(r *http.Request, secret string, storeID tenant.StoreID) (*Principal, error) {
	ip := ClientIP(r)
	if a.failures.Exhausted(ip) {
		return nil, apperr.New(apperr.RateLimited, "too many failed API key attempts; try again in a minute")
	}
	key, err := a.stores.AuthenticateAPIKey(r.Context(), secret)
	if errors.Is(err, store.ErrInvalidAPIKey) {
		a.failures.Allow(ip)
	}
	if err != nil {
		return nil, err
	}
	if !storeID.IsZero() && storeID != key.StoreID {
		return nil, apperr.New(apperr.Forbidden, "this API key belongs to another store than X-Store-ID")
	}
	return &Principal{APIKeyID: key.ID, StoreID: key.StoreID, Role: key.Role}, nil
}

// ParseStoreID accepts a store's global id (as the API returns it) or its bare UUID.
func ParseStoreID(s string) (tenant.StoreID, error) {
	if typ, id, ok := gid.Parse(s); ok && typ == "Store" {
		return tenant.StoreID(id), nil
	}
	return tenant.ParseStoreID(s)
}

// ClientIP is the request's remote address without the port. Proxies' forwarding
// headers are not trusted: behind a load balancer, configure it to preserve the peer.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type authErrKey struct{}

// WithAuthError returns ctx carrying the error that authenticating the request gave.
// Operations that need no credentials (signUp, login) still run; the others report it.
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, authErrKey{}, err)
}

// AuthErrorFrom returns the request's authentication error, if any.
func AuthErrorFrom(ctx context.Context) error {
	err, _ := ctx.Value(authErrKey{}).(error)
	return err
}
