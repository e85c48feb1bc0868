package loader

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counting returns a loader whose values are the keys' strings, and its fetch count.
func counting() (*Loader[string], *atomic.Int32) {
	var calls atomic.Int32
	l := newLoader(func(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
		calls.Add(1)
		out := map[uuid.UUID]string{}
		for _, id := range ids {
			out[id] = id.String()
		}
		return out, nil
	})
	return l, &calls
}

func newIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	return ids
}

func TestPrimedKeysAreNotFetched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, calls := counting()
	ids := newIDs(20)
	for _, id := range ids {
		l.Prime(ctx, id, "primed")
	}
	for _, id := range ids {
		v, err := l.Load(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "primed", v)
	}
	assert.Zero(t, calls.Load())
}

// Loads made at once (as gqlgen makes them for the elements of a list) share one
// fetch; a key found missing is the zero value.
func TestConcurrentLoadsShareAFetch(t *testing.T) {
	t.Parallel()
	l, calls := counting()
	ids := newIDs(30)
	var wg sync.WaitGroup
	var start sync.WaitGroup
	start.Add(1)
	for _, id := range ids {
		wg.Go(func() {
			start.Wait()
			v, err := l.Load(context.Background(), id)
			assert.NoError(t, err)
			assert.Equal(t, id.String(), v)
		})
	}
	start.Done()
	wg.Wait()
	assert.LessOrEqual(t, calls.Load(), int32(2), "loads within one batch window share a fetch")
}

func TestFetchErrorReachesEveryLoad(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	l := newLoader(func(context.Context, []uuid.UUID) (map[uuid.UUID]int, error) { return nil, boom })
	_, err := l.Load(context.Background(), uuid.New())
	require.ErrorIs(t, err, boom)
}
