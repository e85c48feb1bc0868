package mockbank

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultIdempotencyTTL is how long Stripe keeps an idempotency key's result.
const DefaultIdempotencyTTL = 24 * time.Hour

// savedResult is the first answer given for an idempotency key, replayed verbatim.
type savedResult struct {
	Key         string `json:"key"`
	Fingerprint string `json:"fingerprint"`
	Status      int    `json:"status"`
	ShouldRetry string `json:"shouldRetry,omitempty"`
	// RequestID is the first request's Request-Id, sent back on replays as
	// Stripe's Original-Request header.
	RequestID string          `json:"requestId,omitempty"`
	Body      json.RawMessage `json:"body"`
	Created   time.Time       `json:"created"`
}

// idempotencyStore implements Stripe's idempotency layer: a key's first finished
// result is replayed for the TTL; the key with other parameters is refused; a key
// whose first request is still running is refused with a 409.
type idempotencyStore struct {
	mu       sync.Mutex
	ttl      time.Duration
	saved    map[string]savedResult
	inFlight map[string]bool
}

func newIdempotencyStore(ttl time.Duration) *idempotencyStore {
	return &idempotencyStore{ttl: ttl, saved: map[string]savedResult{}, inFlight: map[string]bool{}}
}

// begin claims key for a request with fingerprint fp. It returns the saved result
// to replay, or an error to answer with, or neither: then the caller owns the key
// until it saves a result or calls release.
func (s *idempotencyStore) begin(key, fp string, now time.Time) (*savedResult, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.saved[key]; ok {
		if now.Sub(r.Created) < s.ttl {
			if r.Fingerprint != fp {
				return nil, &apiError{status: http.StatusBadRequest, body: StripeError{
					Type: "idempotency_error",
					Message: fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. "+
						"Try using a key other than '%s' if you meant to execute a different request.", key),
				}}
			}
			return &r, nil
		}
		delete(s.saved, key)
	}
	if s.inFlight[key] {
		return nil, &apiError{status: http.StatusConflict, shouldRetry: "true", body: StripeError{
			Type: "invalid_request_error", Code: "idempotency_key_in_use",
			Message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted " +
				"twice, and the other request is still going through): " + key + ". Please try again later.",
		}}
	}
	s.inFlight[key] = true
	return nil, nil
}

// release gives up the claim without saving: Stripe saves nothing for a request
// that failed validation, because no endpoint began executing.
func (s *idempotencyStore) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, key)
}

// save stores the key's result, from a request or from the state file, and
// releases any claim on the key.
func (s *idempotencyStore) save(r savedResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, r.Key)
	s.saved[r.Key] = r
}
