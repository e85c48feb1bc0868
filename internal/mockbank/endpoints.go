package mockbank

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// formValues is a Stripe form-encoded body: scalars, hashes as name[key] and
// arrays as name[0], name[1] ….
type formValues url.Values

func (f formValues) get(name string) (string, bool) {
	v, ok := f[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// checkKnown refuses parameters the endpoint does not take, as Stripe does.
// scalars are plain names; hashes are names whose name[…] forms are accepted.
func (f formValues) checkKnown(scalars, hashes []string) *apiError {
next:
	for name := range f {
		for _, s := range scalars {
			if name == s {
				continue next
			}
		}
		for _, h := range hashes {
			if strings.HasPrefix(name, h+"[") && strings.HasSuffix(name, "]") {
				continue next
			}
		}
		return invalidRequest(name, "parameter_unknown", "Received unknown parameter: "+name)
	}
	return nil
}

// hash returns the name[key] entries of a hash parameter such as metadata.
func (f formValues) hash(name string) map[string]string {
	out := map[string]string{}
	for k, v := range f {
		if inner, ok := strings.CutPrefix(k, name+"["); ok && strings.HasSuffix(inner, "]") && len(v) > 0 {
			out[strings.TrimSuffix(inner, "]")] = v[len(v)-1]
		}
	}
	return out
}

// array returns the values of name[0], name[1] … (and name[]), in index order.
func (f formValues) array(name string) []string {
	var out []string
	out = append(out, f[name+"[]"]...)
	for i := 0; ; i++ {
		v, ok := f.get(fmt.Sprintf("%s[%d]", name, i))
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// amount reads a required positive amount in the currency's smallest unit.
func (f formValues) amount(name string, required bool) (int64, bool, *apiError) {
	s, ok := f.get(name)
	if !ok {
		if required {
			return 0, false, invalidRequest(name, "parameter_missing", "Missing required param: "+name+".")
		}
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, invalidRequest(name, "parameter_invalid_integer", "Invalid integer: "+s)
	}
	if n < 1 {
		return 0, false, invalidRequest(name, "parameter_invalid_integer", "This value must be greater than or equal to 1.")
	}
	if n > 99999999 {
		return 0, false, invalidRequest(name, "amount_too_large", "Amount must be no more than 99999999.")
	}
	return n, true, nil
}

func (f formValues) boolean(name string) (bool, *apiError) {
	s, ok := f.get(name)
	if !ok {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, invalidRequest(name, "parameter_invalid_boolean", "Invalid boolean: "+s)
	}
	return v, nil
}

// metadata reads and checks the metadata hash against Stripe's limits.
func (f formValues) metadata() (map[string]string, *apiError) {
	md := f.hash("metadata")
	if len(md) > 50 {
		return nil, invalidRequest("metadata", "parameter_invalid_string", "Invalid metadata: metadata cannot have more than 50 keys.")
	}
	for k, v := range md {
		if len(k) > 40 {
			return nil, invalidRequest("metadata["+k+"]", "parameter_invalid_string", "Metadata keys can have at most 40 characters.")
		}
		if len(v) > 500 {
			return nil, invalidRequest("metadata["+k+"]", "parameter_invalid_string", "Metadata values can have at most 500 characters.")
		}
	}
	return md, nil
}

var currencyCode = regexp.MustCompile(`^[a-z]{3}$`)

// createPaymentIntent is POST /v1/payment_intents. With confirm=true it charges
// the payment method at once, the one flow server-side integrations use.
func (b *Bank) createPaymentIntent(form formValues, key string, d dice, now time.Time) outcome {
	if aerr := form.checkKnown(
		[]string{"amount", "currency", "payment_method", "confirm", "description", "capture_method", "confirmation_method",
			"off_session", "return_url", "receipt_email", "statement_descriptor", "statement_descriptor_suffix", "setup_future_usage"},
		[]string{"metadata", "payment_method_types", "automatic_payment_methods", "expand"},
	); aerr != nil {
		return failed(aerr)
	}
	amount, _, aerr := form.amount("amount", true)
	if aerr != nil {
		return failed(aerr)
	}
	currency, _ := form.get("currency")
	currency = strings.ToLower(currency)
	if currency == "" {
		return failed(invalidRequest("currency", "parameter_missing", "Missing required param: currency."))
	}
	if !currencyCode.MatchString(currency) {
		return failed(invalidRequest("currency", "parameter_invalid_string", "Invalid currency: "+currency+"."))
	}
	confirm, aerr := form.boolean("confirm")
	if aerr != nil {
		return failed(aerr)
	}
	if _, aerr := form.boolean("off_session"); aerr != nil {
		return failed(aerr)
	}
	if cm, ok := form.get("capture_method"); ok && cm != "automatic" && cm != "automatic_async" {
		return failed(invalidRequest("capture_method", "parameter_invalid_string",
			"The mock bank supports capture_method=automatic only."))
	}
	types := form.array("payment_method_types")
	for _, t := range types {
		if t != "card" {
			return failed(invalidRequest("payment_method_types", "payment_method_invalid_parameter",
				"The payment method type provided: "+t+" is invalid. The mock bank accepts card only."))
		}
	}
	if len(types) == 0 {
		types = []string{"card"}
	}
	md, aerr := form.metadata()
	if aerr != nil {
		return failed(aerr)
	}
	pm, hasPM := form.get("payment_method")
	var card testCard
	if hasPM {
		c, ok := testCards[pm]
		if !ok {
			return failed(invalidRequest("payment_method", "resource_missing", fmt.Sprintf("No such PaymentMethod: '%s'", pm)))
		}
		card = c
	}
	if confirm && !hasPM {
		return failed(invalidRequest("payment_method", "payment_intent_unexpected_state",
			"You cannot confirm this PaymentIntent because it's missing a payment method. "+
				"To confirm the PaymentIntent with a payment method, provide the payment_method parameter."))
	}

	id := newID("pi")
	pi := &PaymentIntent{
		ID: id, Object: "payment_intent", Amount: amount, CaptureMethod: "automatic",
		ClientSecret: id + "_secret_" + newID("s")[2:], ConfirmationMethod: "automatic", Created: now.Unix(),
		Currency: currency, Metadata: md, PaymentMethodTypes: types, Status: "requires_payment_method",
	}
	if desc, ok := form.get("description"); ok {
		pi.Description = &desc
	}
	if hasPM {
		pi.PaymentMethod = &pm
		pi.Status = "requires_confirmation"
	}
	if !confirm {
		return outcome{status: http.StatusOK, body: clone(pi), executed: true, commit: commit{intents: []*PaymentIntent{pi}}}
	}

	charge := newID("ch")
	pi.LatestCharge = &charge
	entry := LedgerEntry{
		ID: charge, Kind: "charge", PaymentIntent: id, Amount: amount, Currency: currency,
		IdempotencyKey: key, Metadata: cloneMap(md), Time: now,
	}
	if card.declineCode == "" && d.decline {
		card = testCards["pm_card_chargeDeclined"]
	}
	if card.declineCode != "" {
		// Stripe keeps the declined intent, ready for another payment method, and
		// answers 402 with the intent inside the error.
		e := cardError(card, nil)
		lastErr := e.body
		pi.LastPaymentError = &lastErr
		pi.PaymentMethod = nil
		pi.Status = "requires_payment_method"
		entry.Status, entry.DeclineCode = "failed", card.declineCode
		e.body.PaymentIntent = clone(pi)
		out := failed(e)
		out.executed = true
		out.commit = commit{intents: []*PaymentIntent{pi}, entries: []LedgerEntry{entry}}
		return out
	}
	pi.Status = "succeeded"
	pi.AmountReceived = amount
	entry.Status = "succeeded"
	return outcome{status: http.StatusOK, body: clone(pi), executed: true,
		commit: commit{intents: []*PaymentIntent{pi}, entries: []LedgerEntry{entry}}}
}

// createRefund is POST /v1/refunds: all of what remains of a succeeded payment
// intent's charge, or the given part of it.
func (b *Bank) createRefund(form formValues, key string, _ dice, now time.Time) outcome {
	if aerr := form.checkKnown([]string{"payment_intent", "amount", "reason"}, []string{"metadata", "expand"}); aerr != nil {
		return failed(aerr)
	}
	piID, ok := form.get("payment_intent")
	if !ok || piID == "" {
		return failed(invalidRequest("payment_intent", "parameter_missing", "Missing required param: payment_intent."))
	}
	amount, hasAmount, aerr := form.amount("amount", false)
	if aerr != nil {
		return failed(aerr)
	}
	var reason *string
	if r, ok := form.get("reason"); ok {
		if r != "duplicate" && r != "fraudulent" && r != "requested_by_customer" {
			return failed(invalidRequest("reason", "parameter_invalid_string",
				"Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer"))
		}
		reason = &r
	}
	md, aerr := form.metadata()
	if aerr != nil {
		return failed(aerr)
	}
	pi, ok := b.intents[piID]
	if !ok {
		return failed(invalidRequest("payment_intent", "resource_missing", fmt.Sprintf("No such payment_intent: '%s'", piID)))
	}
	if pi.Status != "succeeded" || pi.LatestCharge == nil {
		return failed(invalidRequest("payment_intent", "payment_intent_unexpected_state",
			fmt.Sprintf("This PaymentIntent (%s) does not have a successful charge to refund.", piID)))
	}
	remaining := pi.AmountReceived - b.refunded[piID]
	if remaining <= 0 {
		return failed(invalidRequest("", "charge_already_refunded", fmt.Sprintf("Charge %s has already been refunded.", *pi.LatestCharge)))
	}
	if !hasAmount {
		amount = remaining
	}
	if amount > remaining {
		return failed(invalidRequest("amount", "amount_too_large", fmt.Sprintf(
			"Refund amount (%d %s) is greater than unrefunded amount on charge (%d %s)", amount, pi.Currency, remaining, pi.Currency)))
	}
	re := &Refund{
		ID: newID("re"), Object: "refund", Amount: amount, Charge: *pi.LatestCharge, Created: now.Unix(),
		Currency: pi.Currency, Metadata: md, PaymentIntent: piID, Reason: reason, Status: "succeeded",
	}
	entry := LedgerEntry{
		ID: re.ID, Kind: "refund", Status: "succeeded", PaymentIntent: piID, Amount: amount, Currency: pi.Currency,
		IdempotencyKey: key, Metadata: cloneMap(md), Time: now,
	}
	return outcome{status: http.StatusOK, body: re, executed: true, commit: commit{entries: []LedgerEntry{entry}}}
}
