package payment_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ordergraph/ordergraph/internal/payment"
)

func TestBackoffIsCappedExponentialWithJitter(t *testing.T) {
	t.Parallel()
	p := payment.RetryPolicy{Base: 10 * time.Millisecond, Cap: 200 * time.Millisecond, Budget: 2 * time.Second}
	for attempt, step := range map[int]time.Duration{
		0: 10 * time.Millisecond, 1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond,
		5: 160 * time.Millisecond, 6: 200 * time.Millisecond, 60: 200 * time.Millisecond, 1 << 30: 200 * time.Millisecond,
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.Backoff(attempt)
			assert.GreaterOrEqual(t, d, step/2, "attempt %d", attempt)
			assert.LessOrEqual(t, d, step, "attempt %d", attempt)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 10, "attempt %d: jitter spreads the waits", attempt)
	}
}

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	p := payment.RetryPolicy{Base: 10 * time.Millisecond, Cap: 40 * time.Millisecond, Budget: 100 * time.Millisecond}
	first := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at, ok := p.Next(first, first, 1)
	assert.True(t, ok)
	assert.WithinRange(t, at, first.Add(5*time.Millisecond), first.Add(10*time.Millisecond))
	_, ok = p.Next(first, first.Add(95*time.Millisecond), 4)
	assert.False(t, ok, "the next attempt would start past the budget")
	assert.False(t, p.Exhausted(first, first.Add(100*time.Millisecond)))
	assert.True(t, p.Exhausted(first, first.Add(101*time.Millisecond)))

	// The shortest waits, 5, 10, 20, 20, 20 and 20 ms, fit in the budget; a
	// seventh does not: seven attempts at most.
	assert.Equal(t, 7, p.MaxAttempts())
}

func TestDefaultRetryPolicyStaysInsideStripesKeyWindow(t *testing.T) {
	t.Parallel()
	p := payment.DefaultRetryPolicy
	assert.Equal(t, time.Hour, p.Budget)
	assert.Less(t, p.Budget+p.Cap, payment.IdempotencyWindow/2, "the last retry starts long before Stripe forgets the key")
	assert.Equal(t, 24*time.Hour, payment.IdempotencyWindow)
	assert.Equal(t, time.Second, p.Base)
	assert.Equal(t, 5*time.Minute, p.Cap)
	assert.LessOrEqual(t, payment.Backoff(1), time.Second)
	assert.LessOrEqual(t, payment.Backoff(100), 5*time.Minute)
	assert.Greater(t, p.MaxAttempts(), 10)
	assert.Less(t, p.MaxAttempts(), 40, "River's MaxAttempts for payment jobs can be set from this")
}
