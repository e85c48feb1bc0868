package store

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// APIKeyCacheTTL is how long a process trusts an API key it has checked without asking
// the database again. Store back-ends send every request with their key, and reading
// it costs a database round trip per request; with the cache it costs one per key every
// two seconds. The price: a key revoked through another API process keeps working there
// for up to this long (the process that revokes it forgets it at once).
const APIKeyCacheTTL = 2 * time.Second

// apiKeyCacheMax bounds the cache; past it the cache starts afresh. Only keys that
// authenticated are kept, so guessing secrets cannot fill it.
const apiKeyCacheMax = 10_000

// keyCache remembers recently authenticated API keys by the hash of their secret.
type keyCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]cachedKey
}

type cachedKey struct {
	key     APIKey
	checked time.Time
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, entries: make(map[string]cachedKey)}
}

// get returns the key with this hash if it was checked less than ttl ago.
func (c *keyCache) get(hash []byte, now time.Time) (APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok || now.Sub(e.checked) >= c.ttl {
		return APIKey{}, false
	}
	return e.key, true
}

// put remembers key, checked at now (unless keys are never trusted: a ttl of 0).
func (c *keyCache) put(hash []byte, key APIKey, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= apiKeyCacheMax {
		clear(c.entries)
	}
	c.entries[string(hash)] = cachedKey{key: key, checked: now}
}

// forget drops key id.
func (c *keyCache) forget(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if e.key.ID == id {
			delete(c.entries, h)
		}
	}
}
