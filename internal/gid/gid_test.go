package gid

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	s := Encode("Order", id)
	assert.Equal(t, "gid://ordergraph/Order/"+id.String(), s)
	got, err := Decode("id", "Order", s)
	require.NoError(t, err)
	assert.Equal(t, id, got)

	_, err = Decode("id", "Product", s)
	assert.ErrorContains(t, err, "not a valid Product id")
	for _, bad := range []string{"", id.String(), "gid://ordergraph/Order/", "gid://ordergraph//" + id.String(), "gid://other/Order/" + id.String()} {
		_, _, ok := Parse(bad)
		assert.False(t, ok, bad)
	}
}

func TestEncodeAllocatesOnce(t *testing.T) {
	id := uuid.New()
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = Encode("Product", id) }))
}
