package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/stripe/stripe-go/v82"
)

// Defaults of GatewayConfig: the local mock bank and the key it accepts.
const (
	DefaultGatewayURL = "http://127.0.0.1:8081"
	DefaultGatewayKey = "sk_test_ordergraph_local"
	// DefaultGatewayTimeout bounds one call. Stripe's own libraries allow 80 s;
	// a worker holding a job slot wants an answer sooner, and a timed-out charge
	// is simply retried with its key.
	DefaultGatewayTimeout = 30 * time.Second
)

// GatewayConfig configures a Gateway.
type GatewayConfig struct {
	// URL is the API's base URL: the mock bank, stripe-mock, or
	// https://api.stripe.com for a real account.
	URL string
	// Key is the secret key (sk_test_… or sk_live_…).
	Key string
	// Timeout bounds each call; zero means DefaultGatewayTimeout.
	Timeout time.Duration
	// HTTPClient, when set, replaces the default client (and Timeout).
	HTTPClient *http.Client
	// Breaker configures the circuit breaker.
	Breaker BreakerConfig
}

// LoadGatewayConfig reads PAYMENT_GATEWAY_URL and PAYMENT_GATEWAY_KEY, falling
// back to the local mock bank, with the default breaker.
func LoadGatewayConfig() GatewayConfig {
	c := GatewayConfig{URL: os.Getenv("PAYMENT_GATEWAY_URL"), Key: os.Getenv("PAYMENT_GATEWAY_KEY")}
	if c.URL == "" {
		c.URL = DefaultGatewayURL
	}
	if c.Key == "" {
		c.Key = DefaultGatewayKey
	}
	c.Breaker = DefaultBreakerConfig
	return c
}

// BreakerConfig configures the circuit breaker around gateway calls. Only
// transient failures count against the bank; declines and refused requests show
// it working.
type BreakerConfig struct {
	// ConsecutiveFailures transient failures in a row open the breaker.
	ConsecutiveFailures uint32
	// OpenFor is how long it stays open, failing calls at once, before letting
	// probes through (half-open).
	OpenFor time.Duration
	// HalfOpenProbes calls may run while half-open; that many successes close it
	// again, one failure reopens it.
	HalfOpenProbes uint32
	// OnStateChange, when set, is told of every transition ("closed", "open",
	// "half-open"), for logs and metrics.
	OnStateChange func(from, to string)
}

// DefaultBreakerConfig is the production setting (docs/gateway.md gives the
// reasoning): enough failures in a row that noise alone rarely trips it, yet few
// enough that an outage trips it within seconds when many payments wait; open
// for a fraction of the backoff cap, so the end of an outage is noticed within
// one retry step.
var DefaultBreakerConfig = BreakerConfig{ConsecutiveFailures: 5, OpenFor: 30 * time.Second, HalfOpenProbes: 1}

// Gateway charges and refunds through Stripe's API with stripe-go. stripe-go's
// own network retries are off: the job queue owns retries, so that each attempt
// is recorded and bounded by the payment's retry budget. It is safe for
// concurrent use; its circuit breaker is shared by every caller in the process.
type Gateway struct {
	sc      *stripe.Client
	cb      *gobreaker.CircuitBreaker[any]
	openFor time.Duration

	mu       sync.Mutex
	openedAt time.Time
}

// NewGateway returns a client for cfg.
func NewGateway(cfg GatewayConfig) *Gateway {
	if cfg.URL == "" {
		cfg.URL = DefaultGatewayURL
	}
	if cfg.Key == "" {
		cfg.Key = DefaultGatewayKey
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := cfg.Timeout
		if t == 0 {
			t = DefaultGatewayTimeout
		}
		hc = &http.Client{Timeout: t}
	}
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(cfg.URL),
		HTTPClient:        hc,
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	g := &Gateway{
		sc: stripe.NewClient(cfg.Key, stripe.WithBackends(&stripe.Backends{
			API: backend, Connect: backend, Uploads: backend, MeterEvents: backend,
		})),
	}
	b := cfg.Breaker
	if b.ConsecutiveFailures == 0 {
		b.ConsecutiveFailures = DefaultBreakerConfig.ConsecutiveFailures
	}
	if b.OpenFor == 0 {
		b.OpenFor = DefaultBreakerConfig.OpenFor
	}
	if b.HalfOpenProbes == 0 {
		b.HalfOpenProbes = DefaultBreakerConfig.HalfOpenProbes
	}
	g.openFor = b.OpenFor
	g.cb = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        "payment-gateway",
		MaxRequests: b.HalfOpenProbes,
		Timeout:     b.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= b.ConsecutiveFailures },
		IsSuccessful: func(err error) bool {
			return err == nil || !countsAsFailure(err)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				g.mu.Lock()
				g.openedAt = time.Now()
				g.mu.Unlock()
			}
			if b.OnStateChange != nil {
				b.OnStateChange(from.String(), to.String())
			}
		},
	})
	return g
}

// BreakerState returns "closed", "open" or "half-open".
func (g *Gateway) BreakerState() string { return g.cb.State().String() }

// call runs fn through the circuit breaker and classifies its error.
func call[T any](g *Gateway, op string, fn func() (T, error)) (T, error) {
	res, err := g.cb.Execute(func() (any, error) {
		v, err := fn()
		if err != nil {
			return nil, classify(op, err)
		}
		return v, nil
	})
	if err != nil {
		var zero T
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return zero, &GatewayError{Kind: KindCircuitOpen, Op: op, RetryAfter: g.retryAfter(), Err: err}
		}
		return zero, err
	}
	return res.(T), nil
}

// retryAfter estimates when the open breaker lets a probe through; while it is
// half-open with its probes busy, waiting a short while is enough.
func (g *Gateway) retryAfter() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := time.Until(g.openedAt.Add(g.openFor)); d > 0 {
		return d
	}
	return min(g.openFor, time.Second)
}

// ChargeParams is one charge: a PaymentIntent created and confirmed at once.
type ChargeParams struct {
	// IdempotencyKey must be stable for the payment across every retry, so that
	// a retry after a lost answer gets the first result instead of a second
	// charge. Required.
	IdempotencyKey string
	// AmountMinor is the amount in the currency's smallest unit (cents).
	AmountMinor int64
	// Currency is an ISO 4217 code, either case.
	Currency string
	// PaymentMethod is a gateway token such as pm_card_visa.
	PaymentMethod string
	// Description appears on the bank's side; optional.
	Description string
	// Metadata is stored with the charge (order and payment ids, store id).
	Metadata map[string]string
}

// ChargeResult is the bank's PaymentIntent after a charge.
type ChargeResult struct {
	// IntentID is the PaymentIntent's id (pi_…): the gateway id to store and to
	// refund against.
	IntentID string
	// ChargeID is the latest charge's id (ch_…).
	ChargeID string
	// Status is the PaymentIntent's status; "succeeded" once captured.
	Status         string
	AmountMinor    int64
	AmountReceived int64
	Currency       string
	// Replayed is true when the bank answered from its idempotency store: an
	// earlier attempt with this key already charged.
	Replayed bool
}

// Charge charges p.PaymentMethod. A nil error means the money was captured
// (Status "succeeded"); every failure is a *GatewayError. A PaymentIntent that
// ends in another status comes back with its result and a KindDeclined error.
func (g *Gateway) Charge(ctx context.Context, p ChargeParams) (ChargeResult, error) {
	const op = "charge"
	if p.IdempotencyKey == "" || p.AmountMinor <= 0 || p.PaymentMethod == "" || len(p.Currency) != 3 {
		return ChargeResult{}, &GatewayError{Kind: KindInvalid, Op: op, Message: "charge needs an idempotency key, a positive amount, a currency and a payment method",
			Err: fmt.Errorf("invalid charge params: key %q, amount %d, currency %q, payment method %q", p.IdempotencyKey, p.AmountMinor, p.Currency, p.PaymentMethod)}
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:        stripe.Int64(p.AmountMinor),
		Currency:      stripe.String(strings.ToLower(p.Currency)),
		PaymentMethod: stripe.String(p.PaymentMethod),
		Confirm:       stripe.Bool(true),
		// A card-only intent confirms server-side without a return_url; Stripe's
		// default (automatic payment methods) would demand one for redirects.
		PaymentMethodTypes: []*string{stripe.String("card")},
		Metadata:           p.Metadata,
	}
	if p.Description != "" {
		params.Description = stripe.String(p.Description)
	}
	params.SetIdempotencyKey(p.IdempotencyKey)
	res, err := call(g, op, func() (ChargeResult, error) {
		pi, err := g.sc.V1PaymentIntents.Create(ctx, params)
		if err != nil {
			return ChargeResult{}, err
		}
		return chargeResult(pi), nil
	})
	if err == nil && res.Status != "succeeded" {
		// A card that needs the customer (3-D Secure: requires_action) cannot be
		// completed by a server; for the order it is as final as a decline.
		return res, &GatewayError{Kind: KindDeclined, Op: op, StatusCode: http.StatusOK, Code: "payment_intent_" + res.Status,
			Message: "the payment intent ended in status " + res.Status + ", not succeeded", Replayed: res.Replayed}
	}
	return res, err
}

// FindCharge searches the gateway for the charge of payment paymentID (by the
// payment_id metadata every charge carries) and returns the one that succeeded, if
// any: what an attempt whose answer was lost did. (Stripe's search index may lag a
// charge by up to a minute; the caller looks again later before concluding.)
func (g *Gateway) FindCharge(ctx context.Context, paymentID string) (ChargeResult, bool, error) {
	const op = "search payment intents"
	params := &stripe.PaymentIntentSearchParams{}
	params.Query = "metadata['payment_id']:'" + paymentID + "'"
	return call2(g, op, func() (ChargeResult, bool, error) {
		for pi, err := range g.sc.V1PaymentIntents.Search(ctx, params) {
			if err != nil {
				return ChargeResult{}, false, err
			}
			if pi.Status == stripe.PaymentIntentStatusSucceeded {
				return chargeResult(pi), true, nil
			}
		}
		return ChargeResult{}, false, nil
	})
}

// call2 is call for a result with a found flag.
func call2[T any](g *Gateway, op string, fn func() (T, bool, error)) (T, bool, error) {
	type found struct {
		v  T
		ok bool
	}
	r, err := call(g, op, func() (found, error) {
		v, ok, err := fn()
		return found{v, ok}, err
	})
	return r.v, r.ok, err
}

// PaymentIntent reads a PaymentIntent, e.g. to confirm what a charge did.
func (g *Gateway) PaymentIntent(ctx context.Context, intentID string) (ChargeResult, error) {
	const op = "get payment intent"
	if intentID == "" {
		return ChargeResult{}, &GatewayError{Kind: KindInvalid, Op: op, Message: "no payment intent id", Err: errors.New("empty payment intent id")}
	}
	params := &stripe.PaymentIntentRetrieveParams{}
	return call(g, op, func() (ChargeResult, error) {
		pi, err := g.sc.V1PaymentIntents.Retrieve(ctx, intentID, params)
		if err != nil {
			return ChargeResult{}, err
		}
		return chargeResult(pi), nil
	})
}

func chargeResult(pi *stripe.PaymentIntent) ChargeResult {
	r := ChargeResult{
		IntentID: pi.ID, Status: string(pi.Status), AmountMinor: pi.Amount,
		AmountReceived: pi.AmountReceived, Currency: strings.ToUpper(string(pi.Currency)),
	}
	if pi.LatestCharge != nil {
		r.ChargeID = pi.LatestCharge.ID
	}
	if pi.LastResponse != nil {
		r.Replayed = pi.LastResponse.Header.Get("Idempotent-Replayed") == "true"
	}
	return r
}

// RefundParams is one refund of a captured charge.
type RefundParams struct {
	// IdempotencyKey must be stable for the refund across every retry. Required.
	IdempotencyKey string
	// IntentID is the PaymentIntent to refund (pi_…).
	IntentID string
	// AmountMinor is the amount to refund; zero refunds all that remains.
	AmountMinor int64
	// Reason is empty or one of Stripe's: duplicate, fraudulent,
	// requested_by_customer.
	Reason   string
	Metadata map[string]string
}

// RefundResult is the bank's refund object.
type RefundResult struct {
	// ID is the refund's id (re_…).
	ID          string
	IntentID    string
	Status      string
	AmountMinor int64
	Currency    string
	// Replayed is true when an earlier attempt with this key already refunded.
	Replayed bool
}

// Refund refunds part or all of a captured charge. A refund above what remains
// is a KindInvalid error (Stripe's amount_too_large or charge_already_refunded).
func (g *Gateway) Refund(ctx context.Context, p RefundParams) (RefundResult, error) {
	const op = "refund"
	if p.IdempotencyKey == "" || p.IntentID == "" || p.AmountMinor < 0 {
		return RefundResult{}, &GatewayError{Kind: KindInvalid, Op: op, Message: "refund needs an idempotency key, a payment intent and a non-negative amount",
			Err: fmt.Errorf("invalid refund params: key %q, intent %q, amount %d", p.IdempotencyKey, p.IntentID, p.AmountMinor)}
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(p.IntentID), Metadata: p.Metadata}
	if p.AmountMinor > 0 {
		params.Amount = stripe.Int64(p.AmountMinor)
	}
	if p.Reason != "" {
		params.Reason = stripe.String(p.Reason)
	}
	params.SetIdempotencyKey(p.IdempotencyKey)
	return call(g, op, func() (RefundResult, error) {
		re, err := g.sc.V1Refunds.Create(ctx, params)
		if err != nil {
			return RefundResult{}, err
		}
		r := RefundResult{
			ID: re.ID, Status: string(re.Status), AmountMinor: re.Amount, Currency: strings.ToUpper(string(re.Currency)),
		}
		if re.PaymentIntent != nil {
			r.IntentID = re.PaymentIntent.ID
		}
		if re.LastResponse != nil {
			r.Replayed = re.LastResponse.Header.Get("Idempotent-Replayed") == "true"
		}
		return r, nil
	})
}
