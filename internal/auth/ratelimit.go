package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter rate-limits by key (a client IP, an email). It is per process: each API
// replica limits on its own, which bounds guessing well enough without shared state.
type Limiter struct {
	mu      sync.Mutex
	perMin  int
	entries map[string]*limiterEntry
	sweep   time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows perMin events a minute per key, in bursts of up to perMin.
// perMin <= 0 disables limiting.
func NewLimiter(perMin int) *Limiter {
	return &Limiter{perMin: perMin, entries: map[string]*limiterEntry{}}
}

func (l *Limiter) entry(key string) *rate.Limiter {
	now := time.Now()
	if now.Sub(l.sweep) > time.Minute {
		for k, e := range l.entries {
			if now.Sub(e.seen) > 2*time.Minute {
				delete(l.entries, k)
			}
		}
		l.sweep = now
	}
	e, ok := l.entries[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)}
		l.entries[key] = e
	}
	e.seen = now
	return e.lim
}

// Allow spends one event for key and reports whether it was within the limit.
func (l *Limiter) Allow(key string) bool {
	if l.perMin <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.entry(key).Allow()
}
