package mockbank

import (
	"crypto/rand"
	"net/http"
)

// PaymentIntent is Stripe's payment_intent object, reduced to the fields a
// create-and-confirm integration reads.
type PaymentIntent struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Amount             int64             `json:"amount"`
	AmountCapturable   int64             `json:"amount_capturable"`
	AmountReceived     int64             `json:"amount_received"`
	CaptureMethod      string            `json:"capture_method"`
	ClientSecret       string            `json:"client_secret"`
	ConfirmationMethod string            `json:"confirmation_method"`
	Created            int64             `json:"created"`
	Currency           string            `json:"currency"`
	Description        *string           `json:"description"`
	LastPaymentError   *StripeError      `json:"last_payment_error"`
	LatestCharge       *string           `json:"latest_charge"`
	Livemode           bool              `json:"livemode"`
	Metadata           map[string]string `json:"metadata"`
	PaymentMethod      *string           `json:"payment_method"`
	PaymentMethodTypes []string          `json:"payment_method_types"`
	Status             string            `json:"status"`
}

// Refund is Stripe's refund object.
type Refund struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Charge        string            `json:"charge"`
	Created       int64             `json:"created"`
	Currency      string            `json:"currency"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent string            `json:"payment_intent"`
	Reason        *string           `json:"reason"`
	Status        string            `json:"status"`
}

// StripeError is the body of Stripe's error answers, inside {"error": …}.
type StripeError struct {
	Type          string         `json:"type"`
	Code          string         `json:"code,omitempty"`
	DeclineCode   string         `json:"decline_code,omitempty"`
	Message       string         `json:"message"`
	Param         string         `json:"param,omitempty"`
	DocURL        string         `json:"doc_url,omitempty"`
	PaymentIntent *PaymentIntent `json:"payment_intent,omitempty"`
}

// apiError is a StripeError with the HTTP status it is sent with and whether a
// client should try again (Stripe's Stripe-Should-Retry header).
type apiError struct {
	status      int
	shouldRetry string
	body        StripeError
}

func (e *apiError) Error() string { return e.body.Type + ": " + e.body.Message }

func invalidRequest(param, code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, body: StripeError{
		Type: "invalid_request_error", Code: code, Param: param, Message: msg,
	}}
}

func notFound(param, msg string) *apiError {
	e := invalidRequest(param, "resource_missing", msg)
	e.status = http.StatusNotFound
	return e
}

func unauthorized(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, body: StripeError{Type: "invalid_request_error", Message: msg}}
}

// Stripe answers a rate-limited request with a 429 whose type is
// invalid_request_error and whose code is rate_limit; clients key on the status.
func rateLimited() *apiError {
	return &apiError{status: http.StatusTooManyRequests, shouldRetry: "true", body: StripeError{
		Type: "invalid_request_error", Code: "rate_limit",
		Message: "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
	}}
}

func serverError(status int, shouldRetry, msg string) *apiError {
	return &apiError{status: status, shouldRetry: shouldRetry, body: StripeError{Type: "api_error", Message: msg}}
}

// testCard is one of Stripe's test payment methods and what confirming it does.
type testCard struct {
	// declineCode and code are empty for a card that succeeds.
	code, declineCode, message string
}

// testCards are Stripe's documented test PaymentMethods
// (https://docs.stripe.com/testing#declined-payments).
var testCards = map[string]testCard{
	"pm_card_visa":                                {},
	"pm_card_visa_debit":                          {},
	"pm_card_mastercard":                          {},
	"pm_card_mastercard_debit":                    {},
	"pm_card_amex":                                {},
	"pm_card_discover":                            {},
	"pm_card_jcb":                                 {},
	"pm_card_unionpay":                            {},
	"pm_card_us":                                  {},
	"pm_card_chargeDeclined":                      {"card_declined", "generic_decline", "Your card was declined."},
	"pm_card_chargeDeclinedInsufficientFunds":     {"card_declined", "insufficient_funds", "Your card has insufficient funds."},
	"pm_card_chargeDeclinedFraudulent":            {"card_declined", "fraudulent", "Your card was declined."},
	"pm_card_chargeDeclinedLostCard":              {"card_declined", "lost_card", "Your card was declined."},
	"pm_card_chargeDeclinedStolenCard":            {"card_declined", "stolen_card", "Your card was declined."},
	"pm_card_chargeDeclinedExpiredCard":           {"expired_card", "expired_card", "Your card has expired."},
	"pm_card_chargeDeclinedIncorrectCvc":          {"incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."},
	"pm_card_chargeDeclinedProcessingError":       {"processing_error", "processing_error", "An error occurred while processing your card. Try again in a little bit."},
	"pm_card_chargeDeclinedVelocityLimitExceeded": {"card_declined", "card_velocity_exceeded", "Your card was declined."},
}

// TestPaymentMethods lists the payment methods the bank knows, for docs and tests.
func TestPaymentMethods() map[string]string {
	out := make(map[string]string, len(testCards))
	for pm, c := range testCards {
		if c.declineCode == "" {
			out[pm] = "succeeded"
		} else {
			out[pm] = c.declineCode
		}
	}
	return out
}

func cardError(c testCard, pi *PaymentIntent) *apiError {
	return &apiError{status: http.StatusPaymentRequired, body: StripeError{
		Type: "card_error", Code: c.code, DeclineCode: c.declineCode, Message: c.message,
		DocURL: "https://stripe.com/docs/error-codes/" + c.code, PaymentIntent: pi,
	}}
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID returns a Stripe-looking object id such as pi_3PqZ…. Ids come from
// crypto/rand, not from the seeded fault source, so that a bank restarted with the
// same -seed over a state file never reissues an id.
func newID(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + "_" + string(b)
}
