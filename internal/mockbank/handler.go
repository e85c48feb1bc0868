package mockbank

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxBodyBytes = 1 << 20

// ServeHTTP routes Stripe's API under /v1, the operator endpoints under /admin and
// a health check at /healthz.
func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/healthz":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	case strings.HasPrefix(r.URL.Path, "/admin/"):
		b.serveAdmin(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1/"):
		b.serveAPI(w, r)
	default:
		writeError(w, r, unrecognized(r))
	}
}

func unrecognized(r *http.Request) *apiError {
	return notFound("", fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", r.Method, r.URL.Path))
}

var intentPath = regexp.MustCompile(`^/v1/payment_intents/([A-Za-z0-9_]+)$`)

func (b *Bank) serveAPI(w http.ResponseWriter, r *http.Request) {
	d := b.faults.roll()
	// The front door: an outage, a missing key, the rate limiter and a transient
	// failure all answer before any endpoint runs, so none of them is saved under
	// the idempotency key.
	if d.outage {
		writeError(w, r, serverError(http.StatusServiceUnavailable, "true", "The bank is unavailable (simulated outage). Please try again later."))
		return
	}
	if aerr := b.authenticate(r); aerr != nil {
		writeError(w, r, aerr)
		return
	}
	if d.rateLimit {
		writeError(w, r, rateLimited())
		return
	}
	if d.transient {
		writeError(w, r, serverError(http.StatusInternalServerError, "true", "An unknown error occurred (simulated transient failure)."))
		return
	}

	switch m := intentPath.FindStringSubmatch(r.URL.Path); {
	case r.URL.Path == "/v1/payment_intents/search" && r.Method == http.MethodGet:
		b.searchPaymentIntents(w, r)
	case r.URL.Path == "/v1/payment_intents" && r.Method == http.MethodPost:
		b.servePost(w, r, d, b.createPaymentIntent)
	case r.URL.Path == "/v1/refunds" && r.Method == http.MethodPost:
		b.servePost(w, r, d, b.createRefund)
	case m != nil && r.Method == http.MethodGet:
		if d.latency > 0 {
			t := time.NewTimer(d.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		b.getPaymentIntent(w, r, m[1])
	default:
		writeError(w, r, unrecognized(r))
	}
}

// authenticate accepts the secret key as Stripe does: as a bearer token, or as
// the user name of basic auth (curl -u sk_test_…:).
func (b *Bank) authenticate(r *http.Request) *apiError {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		key, _, ok = r.BasicAuth()
	}
	if !ok || key == "" {
		return unauthorized("You did not provide an API key. You need to provide your API key in the Authorization header, " +
			"using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(b.cfg.SecretKey)) != 1 {
		return unauthorized("Invalid API Key provided: " + redactKey(key))
	}
	return nil
}

// redactKey shows a key the way Stripe's error messages do: prefix and last four.
func redactKey(k string) string {
	if len(k) <= 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:8] + strings.Repeat("*", len(k)-12) + k[len(k)-4:]
}

// outcome is what an endpoint decided: the answer, and whether it began executing
// (then its answer is saved under the idempotency key and the commit applied).
type outcome struct {
	status      int
	shouldRetry string
	body        any
	executed    bool
	commit      commit
}

func failed(e *apiError) outcome {
	return outcome{status: e.status, shouldRetry: e.shouldRetry, body: map[string]any{"error": e.body}}
}

// endpoint runs a POST whose form is parsed and validated for unknown parameters;
// it is called with b.mu held.
type endpoint func(form formValues, key string, d dice, now time.Time) outcome

// servePost wraps a POST endpoint in Stripe's idempotency layer and the
// lost-response fault.
func (b *Bank) servePost(w http.ResponseWriter, r *http.Request, d dice, run endpoint) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, r, invalidRequest("", "", "Invalid request body: "+err.Error()))
		return
	}
	form := formValues(r.PostForm)
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(key) > 255 {
		writeError(w, r, invalidRequest("", "", "Idempotency-Key must be at most 255 characters long."))
		return
	}
	fp := r.Method + " " + r.URL.Path + "?" + r.PostForm.Encode()
	now := time.Now().UTC()
	requestID := newID("req")
	w.Header().Set("Request-Id", requestID)
	if key != "" {
		saved, aerr := b.idem.begin(key, fp, now)
		if aerr != nil {
			writeError(w, r, aerr)
			return
		}
		if saved != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			if saved.RequestID != "" {
				w.Header().Set("Original-Request", saved.RequestID)
			}
			writeRaw(w, r, saved.Status, saved.ShouldRetry, saved.Body)
			return
		}
	}

	// Latency is the bank at work: it holds the key (a concurrent request with
	// it gets a 409) and, like a real bank, finishes even if the client has
	// stopped waiting — a timeout is a lost answer, not a cancelled charge.
	if d.latency > 0 {
		time.Sleep(d.latency)
	}
	b.mu.Lock()
	out := run(form, key, d, now)
	var body json.RawMessage
	var err error
	if out.executed {
		// A stored 500 replaces whatever the endpoint would have done: it fails
		// after starting, so its answer is saved but nothing moves.
		if d.stored {
			out = failed(serverError(http.StatusInternalServerError, "false", "An unknown error occurred (simulated stored failure)."))
			out.executed = true
		}
		body = mustJSON(out.body)
		if key != "" {
			out.commit.saved = &savedResult{Key: key, Fingerprint: fp, Status: out.status, ShouldRetry: out.shouldRetry,
				RequestID: requestID, Body: body, Created: now}
		}
		err = b.apply(out.commit)
	}
	b.mu.Unlock()

	if key != "" && (!out.executed || err != nil) {
		b.idem.release(key)
	}
	if err != nil {
		b.log.Error("mockbank: cannot record a commit", "error", err)
		writeError(w, r, serverError(http.StatusInternalServerError, "true", "The bank could not record the request."))
		return
	}
	if !out.executed {
		body = mustJSON(out.body)
	}
	if out.executed && d.lost {
		b.dropConnection(w, r)
		return
	}
	writeRaw(w, r, out.status, out.shouldRetry, body)
}

// dropConnection closes the client's connection without an answer: the request
// took effect, the client cannot know.
func (b *Bank) dropConnection(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hand over its connection; abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
	b.log.Info("mockbank: response dropped", "path", r.URL.Path, "idempotency_key", r.Header.Get("Idempotency-Key"))
}

func (b *Bank) getPaymentIntent(w http.ResponseWriter, r *http.Request, id string) {
	b.mu.Lock()
	pi, ok := b.intents[id]
	if ok {
		pi = clone(pi)
	}
	b.mu.Unlock()
	if !ok {
		writeError(w, r, notFound("id", fmt.Sprintf("No such payment_intent: '%s'", id)))
		return
	}
	writeRaw(w, r, http.StatusOK, "", mustJSON(pi))
}

// searchQuery is the one form of Stripe's search query language the bank answers:
// a metadata field equal to a value, metadata['key']:'value'.
var searchQuery = regexp.MustCompile(`^\s*metadata\['([^']+)'\]:'([^']*)'\s*$`)

// searchPaymentIntents is GET /v1/payment_intents/search for metadata queries: every
// intent whose metadata has the value, oldest first, as Stripe's search_result.
// (Stripe's search index lags writes by up to a minute; the bank's does not.)
func (b *Bank) searchPaymentIntents(w http.ResponseWriter, r *http.Request) {
	m := searchQuery.FindStringSubmatch(r.URL.Query().Get("query"))
	if m == nil {
		writeError(w, r, invalidRequest("query", "parameter_invalid_string", "The mock bank searches by metadata only: metadata['key']:'value'."))
		return
	}
	b.mu.Lock()
	found := []*PaymentIntent{}
	for _, pi := range b.intents {
		if v, ok := pi.Metadata[m[1]]; ok && v == m[2] {
			found = append(found, clone(pi))
		}
	}
	b.mu.Unlock()
	slices.SortFunc(found, func(a, c *PaymentIntent) int { return cmp.Compare(a.Created, c.Created) })
	writeRaw(w, r, http.StatusOK, "", mustJSON(map[string]any{"object": "search_result", "data": found,
		"has_more": false, "next_page": nil, "url": "/v1/payment_intents/search"}))
}

func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	writeRaw(w, r, e.status, e.shouldRetry, mustJSON(map[string]any{"error": e.body}))
}

func writeRaw(w http.ResponseWriter, r *http.Request, status int, shouldRetry string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Request-Id") == "" {
		h.Set("Request-Id", newID("req"))
	}
	if v := r.Header.Get("Stripe-Version"); v != "" {
		h.Set("Stripe-Version", v)
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && r.Method == http.MethodPost {
		h.Set("Idempotency-Key", k)
	}
	if shouldRetry != "" {
		h.Set("Stripe-Should-Retry", shouldRetry)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
