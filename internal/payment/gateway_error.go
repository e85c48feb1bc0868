package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v82"
)

// ErrorKind says what a charge or refund worker should do about a gateway error.
type ErrorKind string

const (
	// KindDeclined: the bank refused the payment method. Final: retrying the same
	// card changes nothing; the order needs another payment method.
	KindDeclined ErrorKind = "declined"
	// KindTransient: the outcome is unknown or the bank was briefly unable
	// (5xx, 429, 409 key in use, timeout, connection refused or dropped). Retry
	// later with the same idempotency key: if the first try took effect, the
	// bank replays its result instead of charging again.
	KindTransient ErrorKind = "transient"
	// KindInvalid: the bank refused the request itself (400, 401, 403, 404,
	// idempotency_error). Final: a bug or a configuration error, which a retry
	// would only repeat.
	KindInvalid ErrorKind = "invalid"
	// KindCircuitOpen: the client did not call the bank because recent calls
	// failed transiently in a row. Nothing was sent; wait (GatewayError.RetryAfter)
	// without counting an attempt.
	KindCircuitOpen ErrorKind = "circuit_open"
)

// Sentinels for errors.Is on a *GatewayError. ErrCircuitOpen errors also match
// ErrTransient, so a caller that only knows about transient errors still
// retries; check ErrCircuitOpen first to avoid spending an attempt.
var (
	ErrDeclined       = errors.New("payment declined")
	ErrTransient      = errors.New("payment gateway temporarily failed")
	ErrInvalidRequest = errors.New("payment gateway refused the request")
	ErrCircuitOpen    = errors.New("payment gateway circuit breaker open")
)

// GatewayError is every error the Gateway returns: the classification plus what
// Stripe (or the mock bank) said.
type GatewayError struct {
	Kind ErrorKind
	// Op is the call: "charge", "get payment intent" or "refund".
	Op string
	// StatusCode is the HTTP status; zero when no answer arrived.
	StatusCode int
	// Type, Code, DeclineCode, Message and Param are Stripe's error object.
	Type        string
	Code        string
	DeclineCode string
	Message     string
	Param       string
	// RequestID is Stripe's Request-Id, for support.
	RequestID string
	// Replayed is true when the bank answered from its idempotency store.
	Replayed bool
	// KeySpent is true when the failure is saved under the idempotency key (a
	// 500 the bank marked Stripe-Should-Retry: false, or a replayed one): every
	// retry with that key gets the same answer for as long as the bank keeps
	// keys. Only a new key gets past it, and a new key is only safe once the
	// caller knows the old one charged nothing.
	KeySpent bool
	// RetryAfter is, for KindCircuitOpen, how long until the breaker lets a
	// probe through.
	RetryAfter time.Duration
	// Err is the underlying error (a network error, or stripe-go's *stripe.Error).
	Err error
}

// Error describes the failure in one line.
func (e *GatewayError) Error() string {
	switch {
	case e.Kind == KindCircuitOpen:
		return fmt.Sprintf("payment gateway %s: circuit breaker open", e.Op)
	case e.StatusCode == 0:
		return fmt.Sprintf("payment gateway %s: %s: %v", e.Op, e.Kind, e.Err)
	}
	msg := fmt.Sprintf("payment gateway %s: %s (HTTP %d", e.Op, e.Kind, e.StatusCode)
	for _, s := range []string{e.Type, e.Code, e.DeclineCode} {
		if s != "" {
			msg += " " + s
		}
	}
	return msg + "): " + e.Message
}

// Unwrap returns the underlying error.
func (e *GatewayError) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind.
func (e *GatewayError) Is(target error) bool {
	switch target {
	case ErrDeclined:
		return e.Kind == KindDeclined
	case ErrTransient:
		return e.Kind == KindTransient || e.Kind == KindCircuitOpen
	case ErrInvalidRequest:
		return e.Kind == KindInvalid
	case ErrCircuitOpen:
		return e.Kind == KindCircuitOpen
	}
	return false
}

// Retryable reports whether trying again later can succeed.
func (e *GatewayError) Retryable() bool {
	return e.Kind == KindTransient || e.Kind == KindCircuitOpen
}

// classify turns what stripe-go returned into a *GatewayError.
func classify(op string, err error) *GatewayError {
	var se *stripe.Error
	if !errors.As(err, &se) {
		// No Stripe answer: the request may or may not have reached the bank
		// (refused, timed out, or the connection dropped before the answer). The
		// same key makes trying again safe either way.
		return &GatewayError{Kind: KindTransient, Op: op, Err: err}
	}
	ge := &GatewayError{
		Op: op, StatusCode: se.HTTPStatusCode, Type: string(se.Type), Code: string(se.Code),
		DeclineCode: string(se.DeclineCode), Message: se.Msg, Param: se.Param, RequestID: se.RequestID, Err: err,
	}
	shouldRetry := ""
	if r := se.LastResponse; r != nil {
		ge.Replayed = r.Header.Get("Idempotent-Replayed") == "true"
		shouldRetry = r.Header.Get("Stripe-Should-Retry")
	}
	switch s := se.HTTPStatusCode; {
	case se.Type == stripe.ErrorTypeCard || s == http.StatusPaymentRequired:
		ge.Kind = KindDeclined
	case s == http.StatusTooManyRequests || s == http.StatusConflict || s >= 500:
		ge.Kind = KindTransient
		ge.KeySpent = s >= 500 && (shouldRetry == "false" || ge.Replayed)
	case s == 0:
		// A body stripe-go could not read as an answer.
		ge.Kind = KindTransient
	default:
		ge.Kind = KindInvalid
	}
	return ge
}

// countsAsFailure tells the circuit breaker which outcomes show the bank is
// unwell: transient failures only. A decline or a refused request is the bank
// working; a caller that gave up (context canceled) says nothing about it.
func countsAsFailure(err error) bool {
	var ge *GatewayError
	return errors.As(err, &ge) && ge.Kind == KindTransient && !errors.Is(ge.Err, context.Canceled)
}
