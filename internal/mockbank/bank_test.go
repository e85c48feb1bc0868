package mockbank_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/mockbank"
)

const key = "sk_test_mockbank_tests"

// bundle is one test's bank, served over real HTTP.
type bundle struct {
	bank *mockbank.Bank
	url  string
	// client opens a connection per request, so a dropped connection is seen as
	// such instead of being retried by the transport on a fresh one.
	client *http.Client
}

func setup(t *testing.T, cfg mockbank.Config) *bundle {
	t.Helper()
	if cfg.SecretKey == "" {
		cfg.SecretKey = key
	}
	b, err := mockbank.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(b)
	t.Cleanup(func() { srv.Close(); b.Close() })
	return &bundle{bank: b, url: srv.URL, client: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// response is an answer as a test reads it.
type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (r response) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func (r response) num(name string) float64 {
	f, _ := r.body[name].(float64)
	return f
}

// do sends a request; idemKey may be empty. It fails the test on a transport
// error; use send to see one.
func (b *bundle) do(t *testing.T, method, path, idemKey string, form url.Values) response {
	t.Helper()
	r, err := b.send(method, path, key, idemKey, form)
	require.NoError(t, err)
	return r
}

func (b *bundle) send(method, path, secret, idemKey string, form url.Values) (response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.url+path, body)
	if err != nil {
		return response{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode, header: res.Header}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		return response{}, fmt.Errorf("body %q: %w", raw, err)
	}
	return out, nil
}

func (b *bundle) setFaults(t *testing.T, f mockbank.Faults) {
	t.Helper()
	require.NoError(t, b.bank.SetFaults(f))
}

func charge(pm string) url.Values {
	return url.Values{
		"amount": {"1999"}, "currency": {"usd"}, "payment_method": {pm}, "confirm": {"true"},
		"metadata[order_id]": {"ord_1"}, "payment_method_types[0]": {"card"},
	}
}

func TestTestPaymentMethods(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	for pm, want := range mockbank.TestPaymentMethods() {
		t.Run(pm, func(t *testing.T) {
			t.Parallel()
			r := b.do(t, "POST", "/v1/payment_intents", "key-"+pm, charge(pm))
			if want == "succeeded" {
				require.Equal(t, http.StatusOK, r.status, r.body)
				assert.True(t, strings.HasPrefix(r.str("id"), "pi_"))
				assert.Equal(t, "payment_intent", r.str("object"))
				assert.Equal(t, "succeeded", r.str("status"))
				assert.Equal(t, 1999.0, r.num("amount_received"))
				assert.True(t, strings.HasPrefix(r.str("latest_charge"), "ch_"))
				assert.Equal(t, "ord_1", r.str("metadata", "order_id"))
				got := b.do(t, "GET", "/v1/payment_intents/"+r.str("id"), "", nil)
				assert.Equal(t, "succeeded", got.str("status"))
				return
			}
			require.Equal(t, http.StatusPaymentRequired, r.status, r.body)
			assert.Equal(t, "card_error", r.str("error", "type"))
			assert.Equal(t, want, r.str("error", "decline_code"))
			assert.NotEmpty(t, r.str("error", "code"))
			assert.NotEmpty(t, r.str("error", "message"))
			pi := r.str("error", "payment_intent", "id")
			require.True(t, strings.HasPrefix(pi, "pi_"), r.body)
			assert.Equal(t, "requires_payment_method", r.str("error", "payment_intent", "status"))
			got := b.do(t, "GET", "/v1/payment_intents/"+pi, "", nil)
			assert.Equal(t, "requires_payment_method", got.str("status"))
			assert.Equal(t, 0.0, got.num("amount_received"))
			assert.Equal(t, want, got.str("last_payment_error", "decline_code"))
		})
	}
}

func TestTheThreeDeclinesTheIssueNames(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	for pm, code := range map[string]string{
		"pm_card_chargeDeclined":                  "generic_decline",
		"pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
		"pm_card_chargeDeclinedFraudulent":        "fraudulent",
	} {
		r := b.do(t, "POST", "/v1/payment_intents", "", charge(pm))
		assert.Equal(t, http.StatusPaymentRequired, r.status)
		assert.Equal(t, "card_declined", r.str("error", "code"))
		assert.Equal(t, code, r.str("error", "decline_code"))
	}
}

func TestErrorsHaveStripesShapeAndStatus(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	missingAmount := charge("pm_card_visa")
	missingAmount.Del("amount")
	unknownParam := charge("pm_card_visa")
	unknownParam.Set("colour", "blue")
	noPM := charge("pm_card_visa")
	noPM.Del("payment_method")
	badAmount := charge("pm_card_visa")
	badAmount.Set("amount", "-5")
	for _, tc := range []struct {
		name, method, path, secret string
		form                       url.Values
		status                     int
		typ, code, param           string
	}{
		{"no key", "POST", "/v1/payment_intents", "", charge("pm_card_visa"), 401, "invalid_request_error", "", ""},
		{"wrong key", "POST", "/v1/payment_intents", "sk_test_wrong", charge("pm_card_visa"), 401, "invalid_request_error", "", ""},
		{"wrong key on GET", "GET", "/v1/payment_intents/pi_x", "sk_test_wrong", nil, 401, "invalid_request_error", "", ""},
		{"missing amount", "POST", "/v1/payment_intents", key, missingAmount, 400, "invalid_request_error", "parameter_missing", "amount"},
		{"negative amount", "POST", "/v1/payment_intents", key, badAmount, 400, "invalid_request_error", "parameter_invalid_integer", "amount"},
		{"unknown parameter", "POST", "/v1/payment_intents", key, unknownParam, 400, "invalid_request_error", "parameter_unknown", "colour"},
		{"unknown payment method", "POST", "/v1/payment_intents", key, charge("pm_nope"), 400, "invalid_request_error", "resource_missing", "payment_method"},
		{"confirm without payment method", "POST", "/v1/payment_intents", key, noPM, 400, "invalid_request_error", "payment_intent_unexpected_state", "payment_method"},
		{"missing intent", "GET", "/v1/payment_intents/pi_missing", key, nil, 404, "invalid_request_error", "resource_missing", "id"},
		{"unknown URL", "GET", "/v1/charges", key, nil, 404, "invalid_request_error", "resource_missing", ""},
		{"decline", "POST", "/v1/payment_intents", key, charge("pm_card_chargeDeclined"), 402, "card_error", "card_declined", ""},
	} {
		r, err := b.send(tc.method, tc.path, tc.secret, "", tc.form)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.status, r.status, tc.name)
		assert.Equal(t, tc.typ, r.str("error", "type"), tc.name)
		assert.Equal(t, tc.code, r.str("error", "code"), tc.name)
		assert.Equal(t, tc.param, r.str("error", "param"), tc.name)
		assert.NotEmpty(t, r.str("error", "message"), tc.name)
	}
	assert.Len(t, b.bank.Ledger(), 1, "only the decline reached the ledger")
}

func TestBasicAuthIsAcceptedLikeStripe(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	req, _ := http.NewRequest("POST", b.url+"/v1/payment_intents", strings.NewReader(charge("pm_card_visa").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(key, "")
	res, err := b.client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestFrontDoorFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		faults      mockbank.Faults
		status      int
		typ, code   string
		shouldRetry string
	}{
		{"rate limit", mockbank.Faults{RateLimitRate: 1}, 429, "invalid_request_error", "rate_limit", "true"},
		{"transient error", mockbank.Faults{TransientErrorRate: 1}, 500, "api_error", "", "true"},
		{"outage", mockbank.Faults{Outage: true}, 503, "api_error", "", "true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, mockbank.Config{Faults: tc.faults})
			r := b.do(t, "POST", "/v1/payment_intents", "k1", charge("pm_card_visa"))
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.typ, r.str("error", "type"))
			assert.Equal(t, tc.code, r.str("error", "code"))
			assert.Equal(t, tc.shouldRetry, r.header.Get("Stripe-Should-Retry"))
			assert.Empty(t, b.bank.Ledger())

			// Nothing ran, so nothing was saved under the key: once the fault
			// clears, the same key charges.
			b.setFaults(t, mockbank.Faults{})
			r = b.do(t, "POST", "/v1/payment_intents", "k1", charge("pm_card_visa"))
			assert.Equal(t, http.StatusOK, r.status)
			assert.Empty(t, r.header.Get("Idempotent-Replayed"))
			assert.Len(t, b.bank.Ledger(), 1)
		})
	}
}

func TestIdempotencyReplaysTheFirstResult(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})

	first := b.do(t, "POST", "/v1/payment_intents", "charge-1", charge("pm_card_visa"))
	require.Equal(t, http.StatusOK, first.status)
	assert.Empty(t, first.header.Get("Idempotent-Replayed"))
	again := b.do(t, "POST", "/v1/payment_intents", "charge-1", charge("pm_card_visa"))
	assert.Equal(t, http.StatusOK, again.status)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, first.header.Get("Request-Id"), again.header.Get("Original-Request"))
	assert.NotEqual(t, first.header.Get("Request-Id"), again.header.Get("Request-Id"))
	assert.Equal(t, first.body, again.body)

	declined := b.do(t, "POST", "/v1/payment_intents", "charge-2", charge("pm_card_chargeDeclined"))
	replayed := b.do(t, "POST", "/v1/payment_intents", "charge-2", charge("pm_card_chargeDeclined"))
	assert.Equal(t, http.StatusPaymentRequired, replayed.status)
	assert.Equal(t, "true", replayed.header.Get("Idempotent-Replayed"))
	assert.Equal(t, declined.body, replayed.body)

	assert.Len(t, b.bank.Ledger(), 2, "one charge and one decline, however often replayed")
}

func TestIdempotencyReplaysAStored500(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{Faults: mockbank.Faults{StoredErrorRate: 1}})
	first := b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	require.Equal(t, http.StatusInternalServerError, first.status)
	assert.Equal(t, "api_error", first.str("error", "type"))
	assert.Equal(t, "false", first.header.Get("Stripe-Should-Retry"))

	b.setFaults(t, mockbank.Faults{})
	again := b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	assert.Equal(t, http.StatusInternalServerError, again.status)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, "false", again.header.Get("Stripe-Should-Retry"))
	assert.Equal(t, first.body, again.body)
	assert.Empty(t, b.bank.Ledger(), "a stored 500 moves no money")

	other := b.do(t, "POST", "/v1/payment_intents", "k2", charge("pm_card_visa"))
	assert.Equal(t, http.StatusOK, other.status, "a new key gets past it")
}

func TestIdempotencyKeyWithOtherParameters(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	require.Equal(t, 200, b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa")).status)

	other := charge("pm_card_visa")
	other.Set("amount", "2000")
	r := b.do(t, "POST", "/v1/payment_intents", "k", other)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "idempotency_error", r.str("error", "type"))
	assert.Contains(t, r.str("error", "message"), "same parameters")

	// The same key on another endpoint is another request too.
	pi := b.bank.Ledger()[0].PaymentIntent
	r = b.do(t, "POST", "/v1/refunds", "k", url.Values{"payment_intent": {pi}})
	assert.Equal(t, "idempotency_error", r.str("error", "type"))
	assert.Len(t, b.bank.Ledger(), 1)
}

func TestValidationErrorsAreNotSaved(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	bad := charge("pm_card_visa")
	bad.Del("currency")
	require.Equal(t, http.StatusBadRequest, b.do(t, "POST", "/v1/payment_intents", "k", bad).status)
	// Stripe saves nothing for a request that failed validation, so the corrected
	// request may reuse its key.
	r := b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	assert.Equal(t, http.StatusOK, r.status)
}

func TestConcurrentRequestWithAKeyInFlightIs409(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{Faults: mockbank.Faults{LatencyMs: 400}})
	first := make(chan response, 1)
	go func() {
		r, err := b.send("POST", "/v1/payment_intents", key, "k", charge("pm_card_visa"))
		if err != nil {
			r.status = -1
		}
		first <- r
	}()
	time.Sleep(100 * time.Millisecond)
	b.setFaults(t, mockbank.Faults{})
	r := b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "idempotency_key_in_use", r.str("error", "code"))
	assert.Equal(t, http.StatusOK, (<-first).status)

	r = b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	assert.Len(t, b.bank.Ledger(), 1)
}

func TestLostResponseChargesOnceAndTheRetryGetsTheResult(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{Faults: mockbank.Faults{LostResponseRate: 1}})
	_, err := b.send("POST", "/v1/payment_intents", key, "k", charge("pm_card_visa"))
	require.Error(t, err, "the connection closes without an answer")

	l := b.bank.Ledger()
	require.Len(t, l, 1, "the charge happened")
	assert.Equal(t, "succeeded", l[0].Status)
	assert.Equal(t, "k", l[0].IdempotencyKey)

	b.setFaults(t, mockbank.Faults{})
	r := b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	assert.Equal(t, l[0].PaymentIntent, r.str("id"))
	assert.Len(t, b.bank.Ledger(), 1)
}

func TestDeclineRate(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{Faults: mockbank.Faults{DeclineRate: 1}})
	r := b.do(t, "POST", "/v1/payment_intents", "", charge("pm_card_visa"))
	assert.Equal(t, http.StatusPaymentRequired, r.status)
	assert.Equal(t, "generic_decline", r.str("error", "decline_code"))
	assert.Equal(t, "failed", b.bank.Ledger()[0].Status)
}

func TestRefunds(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	pi := b.do(t, "POST", "/v1/payment_intents", "", charge("pm_card_visa")).str("id")

	partial := b.do(t, "POST", "/v1/refunds", "r1", url.Values{"payment_intent": {pi}, "amount": {"500"}, "metadata[reason]": {"damaged"}})
	require.Equal(t, http.StatusOK, partial.status, partial.body)
	assert.True(t, strings.HasPrefix(partial.str("id"), "re_"))
	assert.Equal(t, "refund", partial.str("object"))
	assert.Equal(t, "succeeded", partial.str("status"))
	assert.Equal(t, 500.0, partial.num("amount"))
	assert.Equal(t, pi, partial.str("payment_intent"))

	replay := b.do(t, "POST", "/v1/refunds", "r1", url.Values{"payment_intent": {pi}, "amount": {"500"}, "metadata[reason]": {"damaged"}})
	assert.Equal(t, partial.body, replay.body)

	over := b.do(t, "POST", "/v1/refunds", "r2", url.Values{"payment_intent": {pi}, "amount": {"1500"}})
	assert.Equal(t, http.StatusBadRequest, over.status)
	assert.Equal(t, "invalid_request_error", over.str("error", "type"))
	assert.Equal(t, "amount_too_large", over.str("error", "code"))

	rest := b.do(t, "POST", "/v1/refunds", "r3", url.Values{"payment_intent": {pi}})
	require.Equal(t, http.StatusOK, rest.status, rest.body)
	assert.Equal(t, 1499.0, rest.num("amount"), "no amount refunds what remains")

	done := b.do(t, "POST", "/v1/refunds", "r4", url.Values{"payment_intent": {pi}, "amount": {"1"}})
	assert.Equal(t, http.StatusBadRequest, done.status)
	assert.Equal(t, "charge_already_refunded", done.str("error", "code"))

	declined := b.do(t, "POST", "/v1/payment_intents", "", charge("pm_card_chargeDeclined")).str("error", "payment_intent", "id")
	r := b.do(t, "POST", "/v1/refunds", "", url.Values{"payment_intent": {declined}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = b.do(t, "POST", "/v1/refunds", "", url.Values{"payment_intent": {"pi_missing"}})
	assert.Equal(t, "resource_missing", r.str("error", "code"))

	var refunds []mockbank.LedgerEntry
	for _, e := range b.bank.Ledger() {
		if e.Kind == "refund" {
			refunds = append(refunds, e)
		}
	}
	require.Len(t, refunds, 2)
	assert.Equal(t, int64(500), refunds[0].Amount)
	assert.Equal(t, "damaged", refunds[0].Metadata["reason"])
	assert.Equal(t, "r1", refunds[0].IdempotencyKey)
}

func TestConcurrentRefundsNeverExceedTheCharge(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	pi := b.do(t, "POST", "/v1/payment_intents", "", charge("pm_card_visa")).str("id")
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			_, _ = b.send("POST", "/v1/refunds", key, fmt.Sprint("r", i), url.Values{"payment_intent": {pi}, "amount": {"700"}})
		})
	}
	wg.Wait()
	var total int64
	for _, e := range b.bank.Ledger() {
		if e.Kind == "refund" {
			total += e.Amount
		}
	}
	assert.Equal(t, int64(1400), total, "two of 700 fit in 1999, a third does not")
}

func TestAdminEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{})
	b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))

	getJSON := func(path string, v any) int {
		res, err := b.client.Get(b.url + path)
		require.NoError(t, err)
		defer res.Body.Close()
		require.NoError(t, json.NewDecoder(res.Body).Decode(v))
		return res.StatusCode
	}
	var page mockbank.LedgerPage
	require.Equal(t, 200, getJSON("/admin/ledger", &page))
	require.Equal(t, 1, page.Count)
	e := page.Data[0]
	assert.Equal(t, "charge", e.Kind)
	assert.Equal(t, int64(1999), e.Amount)
	assert.Equal(t, "usd", e.Currency)
	assert.Equal(t, "k", e.IdempotencyKey)
	assert.Equal(t, "ord_1", e.Metadata["order_id"])
	assert.False(t, e.Time.IsZero())
	require.Equal(t, 200, getJSON("/admin/ledger?kind=refund", &page))
	assert.Equal(t, 0, page.Count)
	assert.NotNil(t, page.Data)

	var f mockbank.Faults
	require.Equal(t, 200, getJSON("/admin/faults", &f))
	assert.Equal(t, mockbank.Faults{}, f)

	post := func(body string) (int, map[string]any) {
		res, err := b.client.Post(b.url+"/admin/faults", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer res.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&m))
		return res.StatusCode, m
	}
	status, _ := post(`{"declineRate":0.25,"latencyMs":5}`)
	assert.Equal(t, 200, status)
	status, _ = post(`{"outage":true}`)
	assert.Equal(t, 200, status)
	assert.Equal(t, mockbank.Faults{DeclineRate: 0.25, LatencyMs: 5, Outage: true}, b.bank.Faults(), "fields left out keep their value")

	for _, bad := range []string{`{"declineRate":1.5}`, `{"latencyMs":-1}`, `{"nonsense":1}`, `not json`} {
		status, m := post(bad)
		assert.Equal(t, 400, status, bad)
		assert.Contains(t, m, "error", bad)
	}
	assert.Equal(t, mockbank.Faults{DeclineRate: 0.25, LatencyMs: 5, Outage: true}, b.bank.Faults())
}

func TestAdminToken(t *testing.T) {
	t.Parallel()
	b := setup(t, mockbank.Config{AdminToken: "operator"})
	res, err := b.client.Get(b.url + "/admin/ledger")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)

	req, _ := http.NewRequest("GET", b.url+"/admin/ledger", nil)
	req.Header.Set("Authorization", "Bearer operator")
	res, err = b.client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	// The Stripe key is not an operator credential.
	req.Header.Set("Authorization", "Bearer "+key)
	res, err = b.client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
}

// statuses runs the same sequence of charges and returns the statuses seen.
func statuses(t *testing.T, seed uint64) []int {
	b := setup(t, mockbank.Config{Seed: seed, Faults: mockbank.Faults{
		DeclineRate: 0.2, TransientErrorRate: 0.2, RateLimitRate: 0.2, StoredErrorRate: 0.1,
	}})
	var out []int
	for i := range 60 {
		out = append(out, b.do(t, "POST", "/v1/payment_intents", fmt.Sprint("k", i), charge("pm_card_visa")).status)
	}
	return out
}

func TestSeedMakesFaultsReproducible(t *testing.T) {
	t.Parallel()
	a, again, other := statuses(t, 42), statuses(t, 42), statuses(t, 43)
	assert.Equal(t, a, again)
	assert.NotEqual(t, a, other)
	seen := map[int]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range []int{200, 402, 429, 500} {
		assert.True(t, seen[s], "status %d among %v", s, a)
	}
}

func TestStateFileSurvivesRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bank.jsonl")
	b := setup(t, mockbank.Config{StatePath: path})
	first := b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	pi := first.str("id")
	b.do(t, "POST", "/v1/refunds", "r", url.Values{"payment_intent": {pi}, "amount": {"999"}})
	require.NoError(t, b.bank.Close())

	restarted := setup(t, mockbank.Config{StatePath: path})
	assert.Equal(t, b.bank.Ledger(), restarted.bank.Ledger())
	again := restarted.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, first.body, again.body)
	assert.Equal(t, "succeeded", restarted.do(t, "GET", "/v1/payment_intents/"+pi, "", nil).str("status"))
	over := restarted.do(t, "POST", "/v1/refunds", "r2", url.Values{"payment_intent": {pi}, "amount": {"1001"}})
	assert.Equal(t, "amount_too_large", over.str("error", "code"), "earlier refunds still count")
	assert.Equal(t, 200, restarted.do(t, "POST", "/v1/refunds", "r3", url.Values{"payment_intent": {pi}, "amount": {"1000"}}).status)
}

func TestStateFileWithATornLastLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bank.jsonl")
	b := setup(t, mockbank.Config{StatePath: path})
	b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa"))
	require.NoError(t, b.bank.Close())
	appendFile(t, path, `{"entries":[{"id":"ch_torn"`)

	restarted := setup(t, mockbank.Config{StatePath: path})
	assert.Len(t, restarted.bank.Ledger(), 1)
	restarted.do(t, "POST", "/v1/payment_intents", "k2", charge("pm_card_visa"))
	require.NoError(t, restarted.bank.Close())
	third := setup(t, mockbank.Config{StatePath: path})
	assert.Len(t, third.bank.Ledger(), 2, "the torn line was cut, not glued to the next")
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, s...), 0o600))
}

func TestRunServesOnARealPortAndStopsWithItsContext(t *testing.T) {
	t.Parallel()
	// Reserve a free port, then let Run listen on it as `ordergraph gateway` does.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	var mu sync.Mutex
	done := make(chan error, 1)
	go func() {
		done <- mockbank.Run(ctx, addr, mockbank.Config{SecretKey: key, Seed: 7}, lockedWriter{&mu, &out})
	}()
	b := &bundle{url: "http://" + addr, client: &http.Client{Timeout: 5 * time.Second}}
	require.Eventually(t, func() bool {
		res, err := b.client.Get(b.url + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, 200, b.do(t, "POST", "/v1/payment_intents", "k", charge("pm_card_visa")).status)
	mu.Lock()
	assert.Contains(t, out.String(), "http://"+addr)
	assert.Contains(t, out.String(), "seed=7")
	mu.Unlock()

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
