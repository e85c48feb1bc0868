package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
)

// TestServeShutsDownGracefully runs serve (migrations, API, workers) on a free port,
// waits until it is ready, then cancels its context as SIGTERM does: serve must drain
// and return without error, and stop listening.
func TestServeShutsDownGracefully(t *testing.T) {
	d := dbtest.Get(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	cfg := &config.Config{DatabaseURL: d.OwnerURL, AppDatabaseURL: d.AppURL, HTTPAddr: addr, DataDir: t.TempDir(),
		JWTTTL: time.Hour, BcryptCost: 4, MaxQueryDepth: 12, MaxComplexity: 5000, MaxBodyBytes: 1 << 20,
		DBMaxConns: 4, ServeWorkers: true, MaxWorkers: 2}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard) }()

	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond)
	assert.NotEmpty(t, cfg.JWTSecret, "a development JWT secret was generated")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	_, err = http.Get("http://" + addr + "/healthz")
	assert.Error(t, err, "still listening after shutdown")
}
