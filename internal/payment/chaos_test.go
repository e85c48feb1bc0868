package payment_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/mockbank"
	"github.com/ordergraph/ordergraph/internal/payment"
)

// TestChaosEveryPaymentIsChargedExactlyOnce is the charge worker's loop in
// miniature, against the bank at its worst: transient errors, rate limits, lost
// answers and an outage in the middle. Retrying each payment with its one key,
// as the errors say, charges every payment exactly once.
func TestChaosEveryPaymentIsChargedExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{TransientErrorRate: 0.3, LostResponseRate: 0.1, RateLimitRate: 0.05},
		payment.GatewayConfig{Breaker: payment.BreakerConfig{ConsecutiveFailures: 5, OpenFor: 20 * time.Millisecond}})
	policy := payment.RetryPolicy{Base: time.Millisecond, Cap: 20 * time.Millisecond, Budget: 20 * time.Second}
	const payments = 60

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the outage
		time.Sleep(30 * time.Millisecond)
		f := b.bank.Faults()
		f.Outage = true
		_ = b.bank.SetFaults(f)
		time.Sleep(150 * time.Millisecond)
		f.Outage = false
		_ = b.bank.SetFaults(f)
	}()

	var mu sync.Mutex
	intents := map[string]string{}
	var opened int
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				key := fmt.Sprintf("payment:%d", i)
				first := time.Now()
				for attempt := 1; ; attempt++ {
					res, err := b.gw.Charge(ctx, payment.ChargeParams{IdempotencyKey: key, AmountMinor: int64(100 + i),
						Currency: "USD", PaymentMethod: "pm_card_visa"})
					if err == nil {
						mu.Lock()
						intents[key] = res.IntentID
						mu.Unlock()
						break
					}
					// No require here: FailNow must not run outside the test's goroutine.
					var ge *payment.GatewayError
					if !errors.As(err, &ge) {
						t.Errorf("payment %s: not a *GatewayError: %v", key, err)
						break
					}
					if errors.Is(err, payment.ErrCircuitOpen) {
						mu.Lock()
						opened++
						mu.Unlock()
						attempt-- // waiting for the breaker spends no attempt
						time.Sleep(ge.RetryAfter)
						continue
					}
					if !errors.Is(err, payment.ErrTransient) || ge.KeySpent {
						t.Errorf("payment %s: only transient failures are expected, got %v", key, err)
						break
					}
					next, ok := policy.Next(first, time.Now(), attempt)
					if !ok {
						t.Errorf("payment %s out of budget after %d attempts", key, attempt)
						break
					}
					time.Sleep(time.Until(next))
				}
			}
		})
	}
	for i := range payments {
		work <- i
	}
	close(work)
	wg.Wait()

	require.Len(t, intents, payments)
	perKey := map[string]int{}
	for _, e := range b.bank.Ledger() {
		require.Equal(t, "charge", e.Kind)
		require.Equal(t, "succeeded", e.Status)
		perKey[e.IdempotencyKey]++
		assert.Equal(t, intents[e.IdempotencyKey], e.PaymentIntent, "the client learned the intent the bank charged")
	}
	assert.Len(t, perKey, payments)
	for k, n := range perKey {
		assert.Equal(t, 1, n, "payment %s charged %d times", k, n)
	}
	assert.Positive(t, opened, "the outage opened the breaker")
}
