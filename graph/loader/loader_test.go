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

// counting returns a loader whose values are the keys' strings, and its fetch log.
func counting() (*Loader[string], *atomic.Int32, *[][]uuid.UUID) {
	var calls atomic.Int32
	var mu sync.Mutex
	var batches [][]uuid.UUID
	l := newLoader(func(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
		calls.Add(1)
		mu.Lock()
		batches = append(batches, ids)
		mu.Unlock()
		out := map[uuid.UUID]string{}
		for _, id := range ids {
			out[id] = id.String()
		}
		return out, nil
	})
	return l, &calls, &batches
}

func loadAll(t *testing.T, l *Loader[string], ids []uuid.UUID) {
	t.Helper()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := l.Load(context.Background(), id)
			assert.NoError(t, err)
			assert.Equal(t, id.String(), v)
		}()
	}
	wg.Wait()
}

func newIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	return ids
}

func TestAnnouncedKeysAreFetchedOnce(t *testing.T) {
	t.Parallel()
	l, calls, batches := counting()
	ids := newIDs(50)
	l.Expect(ids...)
	loadAll(t, l, ids)
	loadAll(t, l, ids[:5]) // answered from memory
	assert.EqualValues(t, 1, calls.Load())
	assert.Len(t, (*batches)[0], 50)
}

func TestUnannouncedKeysAreBatched(t *testing.T) {
	t.Parallel()
	l, calls, _ := counting()
	loadAll(t, l, newIDs(30))
	assert.LessOrEqual(t, calls.Load(), int32(3), "concurrent loads share batches")
}

func TestFetchErrorReachesEveryLoad(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	l := newLoader(func(context.Context, []uuid.UUID) (map[uuid.UUID]int, error) { return nil, boom })
	ids := newIDs(3)
	l.Expect(ids...)
	_, err := l.Load(context.Background(), ids[0])
	require.ErrorIs(t, err, boom)
	_, err = l.Load(context.Background(), uuid.New())
	require.ErrorIs(t, err, boom)
}
