package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestSeedIsIdempotent(t *testing.T) {
	d := dbtest.Get(t)
	cfg := &config.Config{DatabaseURL: d.OwnerURL, AppDatabaseURL: d.AppURL, BcryptCost: 4,
		JWTSecret: []byte("seed-test-secret-seed-test-secret-0000"), JWTTTL: time.Hour, DataDir: t.TempDir()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	require.NoError(t, seed(ctx, cfg, log, io.Discard))
	require.NoError(t, seed(ctx, cfg, log, io.Discard), "seeding twice changes nothing")

	pool := dbtest.OwnerPool(t)
	var userID, storeID uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'owner@demo.test'`).Scan(&userID))
	require.NoError(t, db.New(pool).Read(ctx, db.Scope{UserID: userID}, func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT store_id FROM memberships WHERE user_id = $1`, userID).Scan(&storeID)
	}))
	counts := map[string]int{}
	for _, table := range []string{"memberships", "products", "orders", "customers"} {
		var n int
		require.NoError(t, db.New(pool).Read(ctx, db.Store(tenant.StoreID(storeID)), func(q db.Querier) error {
			return q.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
		}))
		counts[table] = n
	}
	assert.Equal(t, map[string]int{"memberships": 3, "products": len(demoProducts), "orders": 6, "customers": 3}, counts)
}
