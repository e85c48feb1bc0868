package payment_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/mockbank"
	"github.com/ordergraph/ordergraph/internal/payment"
)

const testKey = "sk_test_payment_tests"

// bundle is one test's mock bank, served over real HTTP, and a client for it.
type bundle struct {
	bank *mockbank.Bank
	url  string
	gw   *payment.Gateway
	// calls counts the requests that reached the bank.
	calls *atomic.Int64
}

func setup(t *testing.T, faults mockbank.Faults, cfg payment.GatewayConfig) *bundle {
	t.Helper()
	bank, err := mockbank.New(mockbank.Config{SecretKey: testKey, Faults: faults})
	require.NoError(t, err)
	calls := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		bank.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); bank.Close() })
	cfg.URL = srv.URL
	if cfg.Key == "" {
		cfg.Key = testKey
	}
	return &bundle{bank: bank, url: srv.URL, gw: payment.NewGateway(cfg), calls: calls}
}

func chargeParams(key, pm string) payment.ChargeParams {
	return payment.ChargeParams{
		IdempotencyKey: key, AmountMinor: 4250, Currency: "EUR", PaymentMethod: pm,
		Description: "order #1001", Metadata: map[string]string{"order_id": "ord_1", "payment_id": "pay_1"},
	}
}

func gatewayError(t *testing.T, err error) *payment.GatewayError {
	t.Helper()
	var ge *payment.GatewayError
	require.ErrorAs(t, err, &ge)
	return ge
}

func TestChargeSucceeds(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{}, payment.GatewayConfig{})
	ctx := context.Background()
	for _, pm := range []string{"pm_card_visa", "pm_card_mastercard", "pm_card_amex"} {
		c, err := b.gw.Charge(ctx, chargeParams("pay-"+pm, pm))
		require.NoError(t, err, pm)
		assert.Regexp(t, `^pi_`, c.IntentID)
		assert.Regexp(t, `^ch_`, c.ChargeID)
		assert.Equal(t, "succeeded", c.Status)
		assert.Equal(t, int64(4250), c.AmountReceived)
		assert.Equal(t, "EUR", c.Currency)
		assert.False(t, c.Replayed)

		got, err := b.gw.PaymentIntent(ctx, c.IntentID)
		require.NoError(t, err)
		assert.Equal(t, c.IntentID, got.IntentID)
		assert.Equal(t, "succeeded", got.Status)
	}
	l := b.bank.Ledger()
	require.Len(t, l, 3)
	assert.Equal(t, "eur", l[0].Currency)
	assert.Equal(t, "pay_1", l[0].Metadata["payment_id"])
	assert.Equal(t, "pay-pm_card_visa", l[0].IdempotencyKey)
}

func TestDeclinesAreFinal(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{}, payment.GatewayConfig{})
	for pm, code := range map[string]string{
		"pm_card_chargeDeclined":                  "generic_decline",
		"pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
		"pm_card_chargeDeclinedFraudulent":        "fraudulent",
		"pm_card_chargeDeclinedExpiredCard":       "expired_card",
	} {
		_, err := b.gw.Charge(context.Background(), chargeParams("pay-"+pm, pm))
		require.ErrorIs(t, err, payment.ErrDeclined, pm)
		assert.NotErrorIs(t, err, payment.ErrTransient)
		ge := gatewayError(t, err)
		assert.Equal(t, payment.KindDeclined, ge.Kind)
		assert.Equal(t, http.StatusPaymentRequired, ge.StatusCode)
		assert.Equal(t, code, ge.DeclineCode)
		assert.NotEmpty(t, ge.Message)
		assert.False(t, ge.Retryable())
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		faults   mockbank.Faults
		key      string
		pm       string
		want     error
		status   int
		keySpent bool
	}{
		{"wrong key", mockbank.Faults{}, "sk_test_wrong", "pm_card_visa", payment.ErrInvalidRequest, 401, false},
		{"unknown payment method", mockbank.Faults{}, "", "pm_card_nope", payment.ErrInvalidRequest, 400, false},
		{"rate limited", mockbank.Faults{RateLimitRate: 1}, "", "pm_card_visa", payment.ErrTransient, 429, false},
		{"transient 500", mockbank.Faults{TransientErrorRate: 1}, "", "pm_card_visa", payment.ErrTransient, 500, false},
		{"stored 500", mockbank.Faults{StoredErrorRate: 1}, "", "pm_card_visa", payment.ErrTransient, 500, true},
		{"outage", mockbank.Faults{Outage: true}, "", "pm_card_visa", payment.ErrTransient, 503, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tc.faults, payment.GatewayConfig{Key: tc.key})
			_, err := b.gw.Charge(context.Background(), chargeParams("k", tc.pm))
			require.ErrorIs(t, err, tc.want)
			ge := gatewayError(t, err)
			assert.Equal(t, tc.status, ge.StatusCode)
			assert.Equal(t, tc.keySpent, ge.KeySpent)
			assert.Equal(t, errors.Is(tc.want, payment.ErrTransient), ge.Retryable())
			assert.NotErrorIs(t, err, payment.ErrCircuitOpen)
		})
	}
}

func TestIdempotencyMismatchIsInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{}, payment.GatewayConfig{})
	_, err := b.gw.Charge(context.Background(), chargeParams("k", "pm_card_visa"))
	require.NoError(t, err)
	other := chargeParams("k", "pm_card_visa")
	other.AmountMinor++
	_, err = b.gw.Charge(context.Background(), other)
	require.ErrorIs(t, err, payment.ErrInvalidRequest)
	assert.Equal(t, "idempotency_error", gatewayError(t, err).Type)
}

func TestKeyInFlightIsTransient(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{LatencyMs: 400}, payment.GatewayConfig{})
	done := make(chan error, 1)
	go func() {
		_, err := b.gw.Charge(context.Background(), chargeParams("k", "pm_card_visa"))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, b.bank.SetFaults(mockbank.Faults{}))
	_, err := b.gw.Charge(context.Background(), chargeParams("k", "pm_card_visa"))
	require.ErrorIs(t, err, payment.ErrTransient)
	ge := gatewayError(t, err)
	assert.Equal(t, http.StatusConflict, ge.StatusCode)
	assert.Equal(t, "idempotency_key_in_use", ge.Code)
	require.NoError(t, <-done)
}

func TestUnreachableAndTimeoutAreTransient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	gw := payment.NewGateway(payment.GatewayConfig{URL: url, Key: testKey})
	_, err := gw.Charge(context.Background(), chargeParams("k", "pm_card_visa"))
	require.ErrorIs(t, err, payment.ErrTransient)
	assert.Zero(t, gatewayError(t, err).StatusCode)

	b := setup(t, mockbank.Faults{LatencyMs: 300}, payment.GatewayConfig{Timeout: 50 * time.Millisecond})
	_, err = b.gw.Charge(context.Background(), chargeParams("k", "pm_card_visa"))
	require.ErrorIs(t, err, payment.ErrTransient)
	// The bank finished the charge after the client stopped waiting: the retry
	// with the same key must find it rather than charge again.
	require.Eventually(t, func() bool { return len(b.bank.Ledger()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, b.bank.SetFaults(mockbank.Faults{}))
	c, err := b.gw.Charge(context.Background(), chargeParams("k", "pm_card_visa"))
	require.NoError(t, err)
	assert.True(t, c.Replayed)
	assert.Len(t, b.bank.Ledger(), 1)
}

func TestLostResponseThenRetryWithTheSameKey(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{LostResponseRate: 1}, payment.GatewayConfig{})
	_, err := b.gw.Charge(context.Background(), chargeParams("pay_1", "pm_card_visa"))
	require.ErrorIs(t, err, payment.ErrTransient, "a dropped connection is a transient failure")
	assert.Zero(t, gatewayError(t, err).StatusCode)
	l := b.bank.Ledger()
	require.Len(t, l, 1, "yet the bank charged")

	require.NoError(t, b.bank.SetFaults(mockbank.Faults{}))
	c, err := b.gw.Charge(context.Background(), chargeParams("pay_1", "pm_card_visa"))
	require.NoError(t, err)
	assert.True(t, c.Replayed)
	assert.Equal(t, l[0].PaymentIntent, c.IntentID)
	assert.Equal(t, "succeeded", c.Status)
	assert.Len(t, b.bank.Ledger(), 1, "exactly one charge")
}

func TestRefunds(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{}, payment.GatewayConfig{})
	ctx := context.Background()
	c, err := b.gw.Charge(ctx, chargeParams("pay", "pm_card_visa"))
	require.NoError(t, err)

	r, err := b.gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "ref-1", IntentID: c.IntentID, AmountMinor: 1000,
		Reason: "requested_by_customer", Metadata: map[string]string{"order_id": "ord_1"}})
	require.NoError(t, err)
	assert.Regexp(t, `^re_`, r.ID)
	assert.Equal(t, c.IntentID, r.IntentID)
	assert.Equal(t, "succeeded", r.Status)
	assert.Equal(t, int64(1000), r.AmountMinor)
	assert.Equal(t, "EUR", r.Currency)

	again, err := b.gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "ref-1", IntentID: c.IntentID, AmountMinor: 1000,
		Reason: "requested_by_customer", Metadata: map[string]string{"order_id": "ord_1"}})
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, r.ID, again.ID)

	_, err = b.gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "ref-2", IntentID: c.IntentID, AmountMinor: 3251})
	require.ErrorIs(t, err, payment.ErrInvalidRequest)
	assert.Equal(t, "amount_too_large", gatewayError(t, err).Code)

	rest, err := b.gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "ref-3", IntentID: c.IntentID})
	require.NoError(t, err)
	assert.Equal(t, int64(3250), rest.AmountMinor, "no amount refunds what remains")

	_, err = b.gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "ref-4", IntentID: c.IntentID})
	require.ErrorIs(t, err, payment.ErrInvalidRequest)
	assert.Equal(t, "charge_already_refunded", gatewayError(t, err).Code)
}

func TestParamsAreCheckedBeforeCalling(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{}, payment.GatewayConfig{})
	p := chargeParams("", "pm_card_visa")
	_, err := b.gw.Charge(context.Background(), p)
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "no idempotency key: never charge without one")
	_, err = b.gw.Refund(context.Background(), payment.RefundParams{IntentID: "pi_x"})
	require.ErrorIs(t, err, payment.ErrInvalidRequest)
	assert.Zero(t, b.calls.Load())
}

func TestCircuitBreakerOpensOnOutageAndClosesAfter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var transitions []string
	b := setup(t, mockbank.Faults{Outage: true}, payment.GatewayConfig{Breaker: payment.BreakerConfig{
		ConsecutiveFailures: 3, OpenFor: 200 * time.Millisecond, HalfOpenProbes: 1,
		OnStateChange: func(from, to string) {
			mu.Lock()
			defer mu.Unlock()
			transitions = append(transitions, to)
		},
	}})
	ctx := context.Background()
	for i := range 3 {
		_, err := b.gw.Charge(ctx, chargeParams("k", "pm_card_visa"))
		require.ErrorIs(t, err, payment.ErrTransient, "call %d", i)
		require.NotErrorIs(t, err, payment.ErrCircuitOpen, "call %d", i)
	}
	assert.Equal(t, "open", b.gw.BreakerState())
	assert.Equal(t, int64(3), b.calls.Load())

	_, err := b.gw.Charge(ctx, chargeParams("k", "pm_card_visa"))
	require.ErrorIs(t, err, payment.ErrCircuitOpen)
	require.ErrorIs(t, err, payment.ErrTransient, "callers that know only transient errors still retry")
	ge := gatewayError(t, err)
	assert.Equal(t, payment.KindCircuitOpen, ge.Kind)
	assert.Greater(t, ge.RetryAfter, time.Duration(0))
	assert.LessOrEqual(t, ge.RetryAfter, 200*time.Millisecond)
	_, err = b.gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "r", IntentID: "pi_x"})
	require.ErrorIs(t, err, payment.ErrCircuitOpen, "one breaker guards every call")
	assert.Equal(t, int64(3), b.calls.Load(), "an open breaker sends nothing")

	// Still down at the probe: it opens again.
	time.Sleep(250 * time.Millisecond)
	_, err = b.gw.Charge(ctx, chargeParams("k", "pm_card_visa"))
	require.ErrorIs(t, err, payment.ErrTransient)
	assert.Equal(t, "open", b.gw.BreakerState())

	// The outage ends; the next probe succeeds and closes it.
	require.NoError(t, b.bank.SetFaults(mockbank.Faults{}))
	time.Sleep(250 * time.Millisecond)
	assert.Equal(t, "half-open", b.gw.BreakerState())
	c, err := b.gw.Charge(ctx, chargeParams("k", "pm_card_visa"))
	require.NoError(t, err)
	assert.Equal(t, "succeeded", c.Status)
	assert.Equal(t, "closed", b.gw.BreakerState())
	mu.Lock()
	assert.Equal(t, []string{"open", "half-open", "open", "half-open", "closed"}, transitions)
	mu.Unlock()
	assert.Len(t, b.bank.Ledger(), 1)
}

func TestDeclinesAndInvalidRequestsDoNotOpenTheBreaker(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{}, payment.GatewayConfig{Breaker: payment.BreakerConfig{ConsecutiveFailures: 2, OpenFor: time.Minute}})
	for i := range 5 {
		_, err := b.gw.Charge(context.Background(), chargeParams(string(rune('a'+i)), "pm_card_chargeDeclined"))
		require.ErrorIs(t, err, payment.ErrDeclined)
		_, err = b.gw.Charge(context.Background(), chargeParams(string(rune('A'+i)), "pm_card_unknown"))
		require.ErrorIs(t, err, payment.ErrInvalidRequest)
	}
	assert.Equal(t, "closed", b.gw.BreakerState())
}

func TestCanceledCallsDoNotOpenTheBreaker(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Faults{LatencyMs: 200}, payment.GatewayConfig{Breaker: payment.BreakerConfig{ConsecutiveFailures: 1, OpenFor: time.Minute}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := b.gw.PaymentIntent(ctx, "pi_x")
	require.ErrorIs(t, err, payment.ErrTransient)
	// A deadline is the bank being slow and counts; a cancellation is the caller
	// leaving (a worker shutting down) and does not.
	assert.Equal(t, "open", b.gw.BreakerState())

	b2 := setup(t, mockbank.Faults{LatencyMs: 200}, payment.GatewayConfig{Breaker: payment.BreakerConfig{ConsecutiveFailures: 1, OpenFor: time.Minute}})
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel2)
	_, err = b2.gw.PaymentIntent(ctx2, "pi_x")
	require.ErrorIs(t, err, payment.ErrTransient)
	assert.Equal(t, "closed", b2.gw.BreakerState())
}

func TestLoadGatewayConfig(t *testing.T) {
	t.Setenv("PAYMENT_GATEWAY_URL", "")
	t.Setenv("PAYMENT_GATEWAY_KEY", "")
	c := payment.LoadGatewayConfig()
	assert.Equal(t, "http://127.0.0.1:8081", c.URL)
	assert.Equal(t, mockbank.DefaultSecretKey, c.Key, "the bank and the client agree out of the box")
	assert.Equal(t, payment.DefaultBreakerConfig.ConsecutiveFailures, c.Breaker.ConsecutiveFailures)

	t.Setenv("PAYMENT_GATEWAY_URL", "https://api.stripe.com")
	t.Setenv("PAYMENT_GATEWAY_KEY", "sk_test_real")
	c = payment.LoadGatewayConfig()
	assert.Equal(t, "https://api.stripe.com", c.URL)
	assert.Equal(t, "sk_test_real", c.Key)
}
