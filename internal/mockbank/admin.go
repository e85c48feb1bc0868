package mockbank

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// LedgerPage is the answer of GET /admin/ledger.
type LedgerPage struct {
	Data  []LedgerEntry `json:"data"`
	Count int           `json:"count"`
}

// serveAdmin serves the operator endpoints. Their errors use the same
// {"error": {…}} shape as the API so that one decoder reads both.
func (b *Bank) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if b.cfg.AdminToken != "" {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(tok), []byte(b.cfg.AdminToken)) != 1 {
			writeError(w, r, unauthorized("The operator endpoints need the admin token (Authorization: Bearer …)."))
			return
		}
	}
	switch {
	case r.URL.Path == "/admin/ledger" && r.Method == http.MethodGet:
		l := b.Ledger()
		q := r.URL.Query()
		l = filterLedger(l, q.Get("kind"), q.Get("status"), q.Get("paymentIntent"), q.Get("idempotencyKey"))
		writeRaw(w, r, http.StatusOK, "", mustJSON(LedgerPage{Data: l, Count: len(l)}))
	case r.URL.Path == "/admin/faults" && r.Method == http.MethodGet:
		writeRaw(w, r, http.StatusOK, "", mustJSON(b.Faults()))
	case r.URL.Path == "/admin/faults" && r.Method == http.MethodPost:
		// Fields left out keep their current value, so one switch can be flipped
		// without restating the others.
		f := b.Faults()
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			writeError(w, r, invalidRequest("", "", "Invalid faults: "+err.Error()))
			return
		}
		if err := b.SetFaults(f); err != nil {
			writeError(w, r, invalidRequest("", "", "Invalid faults: "+err.Error()))
			return
		}
		writeRaw(w, r, http.StatusOK, "", mustJSON(f))
	default:
		writeError(w, r, unrecognized(r))
	}
}

// filterLedger keeps the entries that match every non-empty filter.
func filterLedger(l []LedgerEntry, kind, status, pi, key string) []LedgerEntry {
	out := l[:0:0]
	for _, e := range l {
		if (kind == "" || e.Kind == kind) && (status == "" || e.Status == status) &&
			(pi == "" || e.PaymentIntent == pi) && (key == "" || e.IdempotencyKey == key) {
			out = append(out, e)
		}
	}
	if out == nil {
		out = []LedgerEntry{}
	}
	return out
}

// compactJSON is used by the command to print the faults on one line.
func compactJSON(v any) string {
	var buf bytes.Buffer
	_ = json.Compact(&buf, mustJSON(v))
	return buf.String()
}
