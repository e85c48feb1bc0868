package graph_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/config"
)

func TestSignUpStoreLoginFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp(t)
	storeID := e.newStore(t, a)

	var login struct{ Login struct{ Token string } }
	e.ok(t, creds{}, &login, `mutation($e: String!) { login(email: $e, password: "correct-horse-1") { token } }`,
		map[string]any{"e": strings.ToUpper(a.Email)})
	require.NotEmpty(t, login.Login.Token)

	var out struct {
		Store struct{ ID, Name, CurrencyCode string }
		Me    struct {
			Email       string
			Memberships []struct {
				Role  string
				Store struct{ ID string }
			}
		}
	}
	e.ok(t, creds{Bearer: login.Login.Token, StoreID: storeID}, &out, `{ store { id name currencyCode } me { email memberships { role store { id } } } }`, nil)
	assert.Equal(t, storeID, out.Store.ID)
	assert.Equal(t, "EUR", out.Store.CurrencyCode)
	require.Len(t, out.Me.Memberships, 1)
	assert.Equal(t, "OWNER", out.Me.Memberships[0].Role)

	// The bare UUID works in X-Store-ID too.
	bare := storeID[strings.LastIndexByte(storeID, '/')+1:]
	e.ok(t, creds{Bearer: login.Login.Token, StoreID: bare}, nil, `{ store { id } }`, nil)

	// A non-member is refused; no token is unauthenticated; a token without a store
	// is told to choose one.
	stranger := e.signUp(t)
	r := e.do(t, creds{Bearer: stranger.Token, StoreID: storeID}, `{ store { id } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())
	r = e.do(t, creds{}, `{ store { id } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.code())
	r = e.do(t, creds{Bearer: a.Token}, `{ store { id } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "X-Store-ID", r.field())
	r = e.do(t, creds{Bearer: a.Token, StoreID: "not-a-store"}, `{ store { id } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "X-Store-ID", r.field())
	r = e.do(t, creds{}, `{ me { id } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.code())

	// Wrong password and unknown email look the same.
	r1 := e.do(t, creds{}, `mutation($e: String!) { login(email: $e, password: "wrong-password-1") { token } }`, map[string]any{"e": a.Email})
	r2 := e.do(t, creds{}, `mutation { login(email: "nobody@example.com", password: "wrong-password-1") { token } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r1.code())
	assert.Equal(t, r1.Errors[0].Message, r2.Errors[0].Message)
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, owner := e.owner(t)
	_, other := e.owner(t)
	keyID, secret := e.apiKey(t, owner, "STAFF")
	require.True(t, strings.HasPrefix(secret, "og_"))

	// The key works on its own, and the store header may repeat its own store.
	var out struct{ Store struct{ ID string } }
	e.ok(t, creds{Bearer: secret}, &out, `{ store { id } }`, nil)
	assert.Equal(t, owner.StoreID, out.Store.ID)
	e.ok(t, creds{Bearer: secret, StoreID: owner.StoreID}, nil, `{ store { id } }`, nil)

	// Another store's id in the header is refused.
	r := e.do(t, creds{Bearer: secret, StoreID: other.StoreID}, `{ store { id } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())

	// The key's use is recorded; the secret itself is never listed.
	var keys struct {
		ApiKeys []struct {
			ID, Prefix string
			LastUsedAt *time.Time
			RevokedAt  *time.Time
		}
	}
	e.ok(t, owner, &keys, `{ apiKeys { id prefix lastUsedAt revokedAt } }`, nil)
	require.Len(t, keys.ApiKeys, 1)
	assert.NotNil(t, keys.ApiKeys[0].LastUsedAt)
	assert.True(t, strings.HasPrefix(secret, keys.ApiKeys[0].Prefix))

	// A STAFF key cannot manage keys or members.
	r = e.do(t, creds{Bearer: secret}, `mutation { createApiKey(name: "x", role: VIEWER) { secret } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())
	r = e.do(t, creds{Bearer: secret}, `{ apiKeys { id } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())

	// Another store cannot revoke it: it is simply not found there.
	r = e.do(t, other, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, map[string]any{"id": keyID})
	assert.Equal(t, "NOT_FOUND", r.code())

	// Revoked, it stops working at once.
	e.ok(t, owner, nil, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, map[string]any{"id": keyID})
	r = e.do(t, creds{Bearer: secret}, `{ store { id } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.code())
	r = e.do(t, creds{Bearer: "og_not-a-real-key"}, `{ store { id } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.code())
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ownerAccount, owner := e.owner(t)
	staff, viewer := e.signUp(t), e.signUp(t)
	for _, m := range []struct {
		a    account
		role string
	}{{staff, "STAFF"}, {viewer, "VIEWER"}} {
		e.ok(t, owner, nil, `mutation($e: String!, $r: Role!) { addMember(email: $e, role: $r) { role } }`,
			map[string]any{"e": m.a.Email, "r": m.role})
	}
	asStaff := creds{Bearer: staff.Token, StoreID: owner.StoreID}
	asViewer := creds{Bearer: viewer.Token, StoreID: owner.StoreID}

	// VIEWER reads but cannot call an ADMIN mutation.
	e.ok(t, asViewer, nil, `{ store { name } }`, nil)
	r := e.do(t, asViewer, `mutation { createApiKey(name: "k", role: VIEWER) { secret } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())

	// STAFF cannot manage API keys or members.
	r = e.do(t, asStaff, `mutation { createApiKey(name: "k", role: VIEWER) { secret } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())
	r = e.do(t, asStaff, `mutation($e: String!) { addMember(email: $e, role: VIEWER) { role } }`, map[string]any{"e": e.signUp(t).Email})
	assert.Equal(t, "FORBIDDEN", r.code())
	var users struct {
		Users struct{ Edges []struct{ Role string } }
	}
	e.ok(t, asStaff, &users, `{ users { edges { role node { email } } } }`, nil)
	assert.Len(t, users.Users.Edges, 3)

	// Members page with cursors, oldest first.
	var emails []string
	var after *string
	for {
		var pg struct {
			Users struct {
				Edges    []struct{ Node struct{ Email string } }
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		e.ok(t, owner, &pg, `query($a: String) { users(first: 1, after: $a) { edges { node { email } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"a": after})
		for _, ed := range pg.Users.Edges {
			emails = append(emails, ed.Node.Email)
		}
		if !pg.Users.PageInfo.HasNextPage {
			break
		}
		after = pg.Users.PageInfo.EndCursor
	}
	assert.Equal(t, []string{ownerAccount.Email, staff.Email, viewer.Email}, emails)

	// An ADMIN cannot grant OWNER.
	admin := e.signUp(t)
	e.ok(t, owner, nil, `mutation($e: String!) { addMember(email: $e, role: ADMIN) { role } }`, map[string]any{"e": admin.Email})
	r = e.do(t, creds{Bearer: admin.Token, StoreID: owner.StoreID},
		`mutation($e: String!) { addMember(email: $e, role: OWNER) { role } }`, map[string]any{"e": e.signUp(t).Email})
	assert.Equal(t, "FORBIDDEN", r.code())

	// An API key is not a user.
	_, secret := e.apiKey(t, owner, "ADMIN")
	r = e.do(t, creds{Bearer: secret}, `{ me { id } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())
}

func TestBadTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, owner := e.owner(t)
	sub := a.UserID[strings.LastIndexByte(a.UserID, '/')+1:]
	claims := func(mod func(c jwt.MapClaims)) jwt.MapClaims {
		now := time.Now()
		c := jwt.MapClaims{"iss": "ordergraph", "aud": []string{"ordergraph-api"}, "sub": sub,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		mod(c)
		return c
	}
	sign := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(testSecret)
		require.NoError(t, err)
		return s
	}
	good := sign(claims(func(jwt.MapClaims) {}))
	e.ok(t, creds{Bearer: good, StoreID: owner.StoreID}, nil, `{ store { id } }`, nil)

	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(func(jwt.MapClaims) {})).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	otherKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(func(jwt.MapClaims) {})).SignedString([]byte("another-secret-another-secret-00000"))
	require.NoError(t, err)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2]

	for name, tok := range map[string]string{
		"tampered":       tampered,
		"expired":        sign(claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
		"no expiry":      sign(claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"wrong audience": sign(claims(func(c jwt.MapClaims) { c["aud"] = []string{"someone-else"} })),
		"wrong issuer":   sign(claims(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"alg none":       none,
		"other key":      otherKey,
		"garbage":        "not.a.token",
	} {
		r := e.do(t, creds{Bearer: tok, StoreID: owner.StoreID}, `{ store { id } }`, nil)
		assert.Equal(t, "UNAUTHENTICATED", r.code(), name)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	signUp := `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { token } }`
	existing := e.signUp(t)
	for _, tc := range []struct {
		name, email, password, userName, code, field string
	}{
		{"invalid email", "not-an-email", "correct-horse-1", "A", "BAD_USER_INPUT", "email"},
		{"short password", unique("u") + "@example.com", "short1", "A", "BAD_USER_INPUT", "password"},
		{"letters only", unique("u") + "@example.com", "onlylettershere", "A", "BAD_USER_INPUT", "password"},
		{"empty name", unique("u") + "@example.com", "correct-horse-1", " ", "BAD_USER_INPUT", "name"},
		{"duplicate email", strings.ToUpper(existing.Email), "correct-horse-1", "A", "CONFLICT", "email"},
	} {
		r := e.do(t, creds{}, signUp, map[string]any{"e": tc.email, "p": tc.password, "n": tc.userName})
		assert.Equal(t, tc.code, r.code(), tc.name)
		assert.Equal(t, tc.field, r.field(), tc.name)
	}

	a, owner := e.owner(t)
	var st struct{ Store struct{ Slug string } }
	e.ok(t, owner, &st, `{ store { slug } }`, nil)
	createStore := `mutation($n: String!, $s: String!, $c: String!) { createStore(name: $n, slug: $s, currencyCode: $c) { id } }`
	for _, tc := range []struct {
		name, storeName, slug, currency, code, field string
	}{
		{"duplicate slug", "Shop", st.Store.Slug, "EUR", "CONFLICT", "slug"},
		{"bad slug", "Shop", "Not A Slug", "EUR", "BAD_USER_INPUT", "slug"},
		{"bad currency", "Shop", unique("s"), "EURO", "BAD_USER_INPUT", "currencyCode"},
		{"empty name", "", unique("s"), "EUR", "BAD_USER_INPUT", "name"},
	} {
		r := e.do(t, creds{Bearer: a.Token}, createStore, map[string]any{"n": tc.storeName, "s": tc.slug, "c": tc.currency})
		assert.Equal(t, tc.code, r.code(), tc.name)
		assert.Equal(t, tc.field, r.field(), tc.name)
	}

	// An unknown role, as a variable or inline, is BAD_USER_INPUT naming the role.
	r := e.do(t, owner, `mutation($r: Role!) { addMember(email: "a@example.com", role: $r) { role } }`, map[string]any{"r": "SUPERUSER"})
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "r", r.field())
	r = e.do(t, owner, `mutation { createApiKey(name: "k", role: SUPERUSER) { secret } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	r = e.do(t, owner, `mutation { addMember(email: "nobody-here@example.com", role: STAFF) { role } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "email", r.field())
	r = e.do(t, owner, `mutation($e: String!) { addMember(email: $e, role: STAFF) { role } }`, map[string]any{"e": a.Email})
	assert.Equal(t, "CONFLICT", r.code())
	// No error ever shows SQL.
	for _, err := range r.Errors {
		assert.NotContains(t, strings.ToLower(err.Message), "violates")
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.LoginRatePerMinute = 3; c.APIKeyFailuresPerMin = 3 })
	login := `mutation { login(email: "nobody@example.com", password: "wrong-password-1") { token } }`
	for range 3 {
		assert.Equal(t, "UNAUTHENTICATED", e.do(t, creds{}, login, nil).code())
	}
	assert.Equal(t, "RATE_LIMITED", e.do(t, creds{}, login, nil).code())

	for range 3 {
		assert.Equal(t, "UNAUTHENTICATED", e.do(t, creds{Bearer: "og_guess"}, `{ store { id } }`, nil).code())
	}
	assert.Equal(t, "RATE_LIMITED", e.do(t, creds{Bearer: "og_guess"}, `{ store { id } }`, nil).code())
}

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.MaxQueryDepth = 4; c.MaxComplexity = 50; c.Introspection = false })
	_, owner := e.owner(t)
	r := e.do(t, owner, `{ me { memberships { user { memberships { role } } } } }`, nil)
	assert.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.code())
	r = e.do(t, owner, `{ users(first: 100) { edges { node { id email name } } } }`, nil)
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code())
	r = e.do(t, owner, `{ __schema { types { name } } }`, nil)
	require.NotEmpty(t, r.Errors, "introspection is off")
	r = e.do(t, owner, `{ stor { id } }`, nil)
	require.NotEmpty(t, r.Errors)
	assert.NotContains(t, r.Errors[0].Message, "Did you mean", "no field suggestions when introspection is off")
}

// TestPoolNeverLeaksTenant sends many interleaved requests for different stores over a
// pool of two connections: every answer belongs to the store that asked.
func TestPoolNeverLeaksTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.DBMaxConns = 2 })
	type tenant struct {
		storeID, keyID, secret string
		user                   creds
	}
	tenants := make([]tenant, 6)
	for i := range tenants {
		_, c := e.owner(t)
		id, secret := e.apiKey(t, c, "ADMIN")
		tenants[i] = tenant{storeID: c.StoreID, keyID: id, secret: secret, user: c}
	}
	var wg sync.WaitGroup
	for i := range 240 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tn := tenants[i%len(tenants)]
			c := tn.user
			if i%2 == 0 {
				c = creds{Bearer: tn.secret}
			}
			var out struct {
				Store   struct{ ID string }
				ApiKeys []struct{ ID string }
				Users   struct{ Edges []struct{ Role string } }
			}
			r := e.do(t, c, `{ store { id } apiKeys { id } users { edges { role } } }`, nil)
			if !assert.Empty(t, r.Errors) {
				return
			}
			assert.NoError(t, json.Unmarshal(r.Data, &out))
			assert.Equal(t, tn.storeID, out.Store.ID)
			if assert.Len(t, out.ApiKeys, 1) {
				assert.Equal(t, tn.keyID, out.ApiKeys[0].ID)
			}
			assert.Len(t, out.Users.Edges, 1)
		}()
	}
	wg.Wait()
}
