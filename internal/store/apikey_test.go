package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/store"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// newKey creates a store and an ADMIN key of it through svc, and returns the key's secret.
func newKey(t *testing.T, d *db.DB, svc *store.Service) (store.Store, store.APIKey, string) {
	t.Helper()
	ctx := context.Background()
	owner := dbtest.NewUser(t, d, dbtest.UserOpts{}).ID
	st := dbtest.NewStore(t, d, dbtest.StoreOpts{Owner: owner})
	key, secret, err := svc.CreateAPIKey(ctx, st.ID, store.RoleOwner, owner, "k", store.RoleAdmin)
	require.NoError(t, err)
	return st, key, secret
}

// An authenticated key is trusted for the cache's TTL, then read again; revoking it
// through the same service drops it at once.
func TestAPIKeyCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(dbtest.AppPool(t))
	owner := db.New(dbtest.OwnerPool(t))
	const ttl = 300 * time.Millisecond
	svc := store.NewServiceKeyTTL(d, ttl)
	st, key, secret := newKey(t, d, svc)
	// revokeBehind revokes a key in the database only, as another API process would.
	revokeBehind := func(st store.Store, key store.APIKey) {
		require.NoError(t, owner.Tx(ctx, db.Store(st.ID), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = now() WHERE id = $1`, key.ID)
			return err
		}))
	}

	got, err := svc.AuthenticateAPIKey(ctx, secret)
	require.NoError(t, err)
	assert.Equal(t, key.ID, got.ID)
	require.NotNil(t, got.LastUsedAt, "the first use is recorded")

	// Revoked behind the service's back, the key still works here until the TTL runs
	// out, then not.
	revokeBehind(st, key)
	checked := time.Now()
	_, err = svc.AuthenticateAPIKey(ctx, secret)
	if time.Since(checked) < ttl/2 {
		assert.NoError(t, err, "trusted from the cache")
	}
	assert.Eventually(t, func() bool {
		_, err := svc.AuthenticateAPIKey(ctx, secret)
		return err == store.ErrInvalidAPIKey
	}, 5*ttl, ttl/10, "a revoked key works past the TTL")

	// Revoked through the service, a cached key stops working at once.
	_, key, secret = newKey(t, d, svc)
	_, err = svc.AuthenticateAPIKey(ctx, secret)
	require.NoError(t, err)
	_, err = svc.RevokeAPIKey(ctx, key.StoreID, key.ID)
	require.NoError(t, err)
	_, err = svc.AuthenticateAPIKey(ctx, secret)
	assert.Equal(t, store.ErrInvalidAPIKey, err)

	// With no TTL every request reads the key.
	uncached := store.NewServiceKeyTTL(d, 0)
	st, key, secret = newKey(t, d, uncached)
	_, err = uncached.AuthenticateAPIKey(ctx, secret)
	require.NoError(t, err)
	revokeBehind(st, key)
	_, err = uncached.AuthenticateAPIKey(ctx, secret)
	assert.Equal(t, store.ErrInvalidAPIKey, err)
}
