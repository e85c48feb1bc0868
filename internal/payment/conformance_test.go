package payment_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/payment"
)

// startStripeMock runs Stripe's own mock server, github.com/stripe/stripe-mock,
// pinned as a tool in go.mod. It validates every request against Stripe's
// OpenAPI spec, so a request it accepts is one Stripe would parse. It returns
// the base URL.
func startStripeMock(t *testing.T) string {
	t.Helper()
	// `go tool -n` builds the pinned version (or finds it in the build cache)
	// and prints the binary's path without running it.
	var stderr bytes.Buffer
	build := exec.Command("go", "tool", "-n", "stripe-mock")
	build.Stderr = &stderr
	out, err := build.Output()
	if err != nil {
		t.Fatalf("conformance needs stripe-mock, the Go tool pinned in go.mod, and it could not be built "+
			"(go tool -n stripe-mock): %v\n%s", err, stderr.String())
	}
	bin := strings.TrimSpace(string(out))

	// Port 0 lets the system choose free ports; HTTPS is given one too, or
	// stripe-mock would also claim its fixed default port.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), "start stripe-mock")
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(time.Minute):
		t.Fatal("stripe-mock did not report its HTTP address within a minute")
		return ""
	}
}

// accepted fails the test unless stripe-mock took the request. Its canned
// PaymentIntent may be in a status other than succeeded, which the client
// reports as a decline with HTTP 200: still an accepted request.
func accepted(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	ge := gatewayError(t, err)
	require.Equal(t, http.StatusOK, ge.StatusCode, "stripe-mock refused the %s request: %v", what, err)
}

func TestStripeMockAcceptsEveryRequestTheClientSends(t *testing.T) {
	t.Parallel()
	url := startStripeMock(t)
	gw := payment.NewGateway(payment.GatewayConfig{URL: url, Key: "sk_test_conformance"})
	ctx := context.Background()

	c, err := gw.Charge(ctx, chargeParams("conformance-charge", "pm_card_visa"))
	accepted(t, "charge", err)
	require.NotEmpty(t, c.IntentID)

	got, err := gw.PaymentIntent(ctx, c.IntentID)
	require.NoError(t, err, "get payment intent")
	assert.Equal(t, c.IntentID, got.IntentID)

	// The search a worker makes for a charge whose answer was lost.
	_, _, err = gw.FindCharge(ctx, "5f0c4b57-5b8e-4a3d-9f5e-0e0f4f3b6c11")
	require.NoError(t, err, "search payment intents")

	_, err = gw.Refund(ctx, payment.RefundParams{
		IdempotencyKey: "conformance-refund-1", IntentID: c.IntentID, AmountMinor: 1000,
		Reason: "requested_by_customer", Metadata: map[string]string{"order_id": "ord_1"},
	})
	require.NoError(t, err, "partial refund")
	_, err = gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "conformance-refund-2", IntentID: c.IntentID})
	require.NoError(t, err, "full refund")

	// The check has teeth: a value outside Stripe's spec, or a parameter it
	// does not know, is refused.
	_, err = gw.Refund(ctx, payment.RefundParams{IdempotencyKey: "conformance-bad", IntentID: c.IntentID, Reason: "because"})
	if assert.Error(t, err) {
		assert.Equal(t, http.StatusBadRequest, gatewayError(t, err).StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/payment_intents",
		strings.NewReader("amount=100&currency=eur&colour=blue"))
	req.Header.Set("Authorization", "Bearer sk_test_conformance")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "stripe-mock validates parameters")
}
