package payment

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy spaces a payment's attempts: capped exponential backoff with
// jitter, inside a time budget measured from the first attempt. The budget must
// end well before the gateway forgets the payment's idempotency key (Stripe
// keeps keys 24 h): a retry after that could charge a second time.
type RetryPolicy struct {
	// Base is the wait after the first failed attempt.
	Base time.Duration
	// Cap is the longest wait between two attempts.
	Cap time.Duration
	// Budget is how long after the first attempt the last one may start; after
	// it the payment fails and the order is compensated.
	Budget time.Duration
}

// IdempotencyWindow is how long Stripe keeps an idempotency key's result. A
// retry after it could charge a second time, so every budget stays well inside.
const IdempotencyWindow = 24 * time.Hour

// The production retry policy's settings. Waits grow from a second to a few
// minutes, so a blip costs seconds and a long outage only a few calls per
// payment; the budget gives an outage a fair chance to end while the order
// waits, and ends most of a day before the gateway forgets the key.
const (
	DefaultRetryBase   = time.Second
	DefaultRetryCap    = 5 * time.Minute
	DefaultRetryBudget = time.Hour
)

// DefaultRetryPolicy is the production policy; tests and the chaos run use
// their own with milliseconds.
var DefaultRetryPolicy = RetryPolicy{Base: DefaultRetryBase, Cap: DefaultRetryCap, Budget: DefaultRetryBudget}

// Backoff is DefaultRetryPolicy.Backoff.
func Backoff(attempt int) time.Duration { return DefaultRetryPolicy.Backoff(attempt) }

// Backoff returns how long to wait after failed attempt number attempt (1 for
// the first): the exponential step min(Cap, Base·2^(attempt-1)), of which the
// upper half is random. Keeping half of the step spaces retries out however the
// dice fall; randomising the rest spreads payments that failed together, so
// they do not return together.
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	step := p.step(attempt)
	half := step / 2
	if half <= 0 {
		return step
	}
	return step - half + rand.N(half+1)
}

// step is the un-jittered wait after attempt.
func (p RetryPolicy) step(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := p.Base
	for i := 1; i < attempt && d < p.Cap; i++ {
		d *= 2
	}
	return min(d, p.Cap)
}

// Next returns when attempt number attempt+1 may run after attempt failed at
// failedAt, for a payment first attempted at first; ok is false when that time
// falls outside the budget and the payment should fail instead.
func (p RetryPolicy) Next(first, failedAt time.Time, attempt int) (at time.Time, ok bool) {
	at = failedAt.Add(p.Backoff(attempt))
	return at, at.Sub(first) <= p.Budget
}

// Exhausted reports whether a payment first attempted at first is out of budget
// at now.
func (p RetryPolicy) Exhausted(first, now time.Time) bool { return now.Sub(first) > p.Budget }

// MaxAttempts is the most attempts the budget can hold when every wait is at its
// shortest, ignoring the calls' own duration: a job queue's attempt limit set
// at least this high never cuts a payment short of its time budget.
func (p RetryPolicy) MaxAttempts() int {
	var elapsed time.Duration
	n := 1
	for {
		s := p.step(n)
		wait := s - s/2
		if wait <= 0 || elapsed+wait > p.Budget {
			return n
		}
		elapsed += wait
		n++
	}
}
