package page

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

func TestArgs(t *testing.T) {
	t.Parallel()
	a, err := NewArgs(nil, nil, "s")
	require.NoError(t, err)
	assert.Equal(t, DefaultSize, a.First)
	assert.Nil(t, a.After)

	for _, n := range []int{-1, MaxSize + 1} {
		_, err := NewArgs(&n, nil, "s")
		e, ok := apperr.As(err)
		require.True(t, ok)
		assert.Equal(t, "first", e.Field)
	}

	ts, id := time.Date(2026, 11, 22, 9, 0, 0, 123, time.UTC), uuid.New()
	enc := TimeCursor("s", ts, id).Encode()
	a, err = NewArgs(nil, &enc, "s")
	require.NoError(t, err)
	gotT, gotID, err := a.After.TimeID()
	require.NoError(t, err)
	assert.True(t, ts.Equal(gotT))
	assert.Equal(t, id, gotID)

	_, err = NewArgs(nil, &enc, "other")
	assert.ErrorContains(t, err, "another ordering")
	garbage := "!!"
	_, err = NewArgs(nil, &garbage, "s")
	assert.Error(t, err)
}
