package mockbank

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults are the bank's failure modes, changed at run time through /admin/faults.
// Rates are probabilities per request, from 0 to 1.
type Faults struct {
	// DeclineRate declines a charge that its payment method would let through, with
	// Stripe's generic_decline. The decline is final and saved under the key.
	DeclineRate float64 `json:"declineRate"`
	// TransientErrorRate answers 500 api_error before the request reaches the API:
	// nothing is charged and nothing is saved under the idempotency key, so a retry
	// with the same key runs afresh (Stripe-Should-Retry: true).
	TransientErrorRate float64 `json:"transientErrorRate"`
	// RateLimitRate answers 429 before the request reaches the API.
	RateLimitRate float64 `json:"rateLimitRate"`
	// LatencyMs is how long the bank works on each API request, in
	// milliseconds. A POST holds its idempotency key meanwhile and completes even
	// if the client gives up waiting.
	LatencyMs int `json:"latencyMs"`
	// Outage answers every API request with 503 until it is switched off.
	Outage bool `json:"outage"`
	// LostResponseRate executes a POST, records it in the ledger and under its
	// idempotency key, then closes the connection without answering.
	LostResponseRate float64 `json:"lostResponseRate"`
	// StoredErrorRate fails a POST with a 500 after the endpoint began: nothing is
	// charged, but Stripe saves that 500 under the idempotency key and replays it to
	// every retry with the key (Stripe-Should-Retry: false), so only a new key
	// gets past it.
	StoredErrorRate float64 `json:"storedErrorRate"`
}

// Validate reports rates outside [0, 1] and negative latency.
func (f Faults) Validate() error {
	var errs []error
	for _, r := range []struct {
		name string
		p    float64
	}{
		{"declineRate", f.DeclineRate}, {"transientErrorRate", f.TransientErrorRate},
		{"rateLimitRate", f.RateLimitRate}, {"lostResponseRate", f.LostResponseRate},
		{"storedErrorRate", f.StoredErrorRate},
	} {
		if !(r.p >= 0 && r.p <= 1) { // also refuses NaN
			errs = append(errs, fmt.Errorf("%s: want a probability between 0 and 1, got %v", r.name, r.p))
		}
	}
	if f.LatencyMs < 0 {
		errs = append(errs, fmt.Errorf("latencyMs: want 0 or more, got %d", f.LatencyMs))
	}
	return errors.Join(errs...)
}

// dice are one request's fault decisions. Every request draws all of them, in the
// same order, whatever path it then takes, so that with a fixed seed the same
// sequence of requests meets the same faults.
type dice struct {
	rateLimit, transient, stored, decline, lost bool
	latency                                     time.Duration
	outage                                      bool
}

// faultSource holds the current faults and the random source they are drawn from.
type faultSource struct {
	mu     sync.Mutex
	faults Faults
	rnd    *rand.Rand
}

func newFaultSource(f Faults, seed uint64) *faultSource {
	return &faultSource{faults: f, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (s *faultSource) get() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

func (s *faultSource) set(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

func (s *faultSource) roll() dice {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	return dice{
		rateLimit: s.rnd.Float64() < f.RateLimitRate,
		transient: s.rnd.Float64() < f.TransientErrorRate,
		stored:    s.rnd.Float64() < f.StoredErrorRate,
		decline:   s.rnd.Float64() < f.DeclineRate,
		lost:      s.rnd.Float64() < f.LostResponseRate,
		latency:   time.Duration(f.LatencyMs) * time.Millisecond,
		outage:    f.Outage,
	}
}
