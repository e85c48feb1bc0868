package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uuids and lists of them go to PostgreSQL and come back unchanged, through the
// encoders registerUUID installs.
func TestUUIDsRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := appDB(t, 1)

	a, b, c := uuid.New(), uuid.New(), uuid.New()
	for name, ids := range map[string][]uuid.UUID{"three": {a, b, c}, "one": {a}, "empty": {}} {
		var got []uuid.UUID
		var n int
		var texts []string
		require.NoError(t, pool.QueryRow(ctx, `SELECT $1::uuid[], cardinality($1::uuid[]), $1::uuid[]::text[]`, ids).
			Scan(&got, &n, &texts), name)
		assert.Equal(t, ids, got, name)
		assert.Equal(t, len(ids), n, name)
		for i, id := range ids {
			assert.Equal(t, id.String(), texts[i], name)
		}
	}

	var null bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT $1::uuid[] IS NULL`, []uuid.UUID(nil)).Scan(&null))
	assert.True(t, null, "a nil slice is NULL")

	var found bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT $1::uuid = ANY($2)`, b, []uuid.UUID{a, b}).Scan(&found))
	assert.True(t, found)

	var one uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, `SELECT $1::uuid`, c).Scan(&one))
	assert.Equal(t, c, one)
}
