package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/config"
)

// TestLoginTimingHidesWhichEmailsExist: a login for an unknown email does the same
// bcrypt work as a wrong password for a known one. At cost 10 a check takes tens of
// milliseconds, so the medians of a few tries tell "hashed" from "not hashed" apart
// on any machine; they are compared with each other, not with a fixed time.
func TestLoginTimingHidesWhichEmailsExist(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.BcryptCost = 10 })
	a := e.signUp(t)
	login := `mutation($e: String!) { login(email: $e, password: "wrong-password-1") { token } }`
	median := func(email string) time.Duration {
		var ds []time.Duration
		for range 5 {
			start := time.Now()
			r := e.do(t, creds{}, login, map[string]any{"e": email})
			ds = append(ds, time.Since(start))
			require.Equal(t, "UNAUTHENTICATED", r.code())
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	known, unknown := median(a.Email), median(unique("nobody")+"@example.com")
	t.Logf("wrong password %v, unknown email %v", known, unknown)
	assert.Greater(t, unknown, known/3, "an unknown email is hashed as a known one is")
	assert.Greater(t, known, unknown/3)
}

// TestValidAPIKeysWorkWhileTheirAddressIsLimited: bad keys from an address exhaust its
// budget and are then refused with RATE_LIMITED, but a valid key from the same address
// (another back-end behind the same NAT) keeps working.
func TestValidAPIKeysWorkWhileTheirAddressIsLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.APIKeyFailuresPerMin = 3 })
	_, owner := e.owner(t)
	_, secret := e.apiKey(t, owner, "STAFF")
	for range 3 {
		assert.Equal(t, "UNAUTHENTICATED", e.do(t, creds{Bearer: "og_guess"}, `{ store { id } }`, nil).code())
	}
	assert.Equal(t, "RATE_LIMITED", e.do(t, creds{Bearer: "og_guess"}, `{ store { id } }`, nil).code())
	e.ok(t, creds{Bearer: secret}, nil, `{ store { id } }`, nil)
	assert.Equal(t, "RATE_LIMITED", e.do(t, creds{Bearer: "og_guess-again"}, `{ store { id } }`, nil).code())
	e.ok(t, creds{Bearer: secret}, nil, `{ store { id } }`, nil)
}

// TestTokenOfDeletedUser: a correctly signed token whose user no longer exists is
// UNAUTHENTICATED, not NOT_FOUND.
func TestTokenOfDeletedUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp(t)
	e.ok(t, creds{Bearer: a.Token}, nil, `{ me { id } }`, nil)
	conn, err := pgx.Connect(context.Background(), e.cfg.DatabaseURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), `DELETE FROM users WHERE id = $1`, a.UserID[strings.LastIndexByte(a.UserID, '/')+1:])
	require.NoError(t, err)
	r := e.do(t, creds{Bearer: a.Token}, `{ me { id } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.code())
	r = e.do(t, creds{Bearer: a.Token}, `mutation { createStore(name: "Gone", slug: "gone-user-shop", currencyCode: "EUR") { id } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.code(), "%v", r.Errors)
}
