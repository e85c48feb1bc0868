package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://owner:secret@db.example:5432/og?sslmode=disable")
	t.Setenv("APP_ENV", "")
	t.Setenv("JWT_SECRET", "")
	c, err := Load()
	require.NoError(t, err)
	assert.False(t, c.Production)
	assert.True(t, c.Introspection)
	assert.Equal(t, "postgres://ordergraph_app@db.example:5432/og?sslmode=disable", c.AppDatabaseURL,
		"the app role keeps host and database but never the owner's password")

	t.Setenv("APP_ENV", "production")
	_, err = Load()
	assert.ErrorContains(t, err, "JWT_SECRET is required")
	t.Setenv("JWT_SECRET", "short")
	_, err = Load()
	assert.ErrorContains(t, err, "at least 32")
	t.Setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef")
	c, err = Load()
	require.NoError(t, err)
	assert.False(t, c.Introspection, "introspection is off in production by default")

	t.Setenv("GRAPHQL_MAX_DEPTH", "deep")
	t.Setenv("JWT_TTL", "forever")
	_, err = Load()
	assert.ErrorContains(t, err, "GRAPHQL_MAX_DEPTH")
	assert.ErrorContains(t, err, "JWT_TTL")
}

func TestMissingDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	_, err := Load()
	assert.ErrorContains(t, err, "DATABASE_URL")
}

func TestEnsureJWTSecret(t *testing.T) {
	dir := t.TempDir()
	c := &Config{DataDir: filepath.Join(dir, "data")}
	require.NoError(t, c.EnsureJWTSecret())
	first := string(c.JWTSecret)
	assert.Len(t, first, 64)
	info, err := os.Stat(filepath.Join(dir, "data", "jwt-secret"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again := &Config{DataDir: c.DataDir}
	require.NoError(t, again.EnsureJWTSecret())
	assert.Equal(t, first, string(again.JWTSecret), "the secret survives restarts")
}
