package db_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sqlcInputsHash fingerprints what sqlc generates internal/db/dbsqlc from: its
// configuration, the queries and the migrations.
func sqlcInputsHash(t *testing.T) string {
	t.Helper()
	files := []string{"../../sqlc.yaml"}
	for _, pattern := range []string{"queries/*.sql", "../../migrations/*.sql"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		h.Write([]byte(filepath.ToSlash(f) + "\n"))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The generated code is committed; `make generate` records the fingerprint of its
// inputs next to it. A query or migration changed without regenerating fails here
// (running sqlc itself in the suite would first build it: minutes, with cgo).
// UPDATE_SQLC_HASH=1 rewrites the record (make generate sets it).
func TestSQLCGeneratedCodeIsCurrent(t *testing.T) {
	const record = "dbsqlc/inputs.sha256"
	got := sqlcInputsHash(t)
	if os.Getenv("UPDATE_SQLC_HASH") == "1" {
		require.NoError(t, os.WriteFile(record, []byte(got+"\n"), 0o644))
	}
	want, err := os.ReadFile(record)
	require.NoError(t, err, "run make generate")
	require.Equal(t, strings.TrimSpace(string(want)), got,
		"internal/db/queries, sqlc.yaml or migrations changed since sqlc last ran: run make generate")
}
