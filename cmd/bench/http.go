package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/ordergraph/ordergraph/internal/gid"
)

// readQuery is the READ scenario: a page of 50 orders with every relation.
const readQuery = `query { orders(first: 50) { edges { node { id number status createdAt
	total { amount currencyCode } customer { id email name }
	lines { quantity unitPrice { amount } total { amount } product { id sku name } }
	payments { status amount { amount } } invoice { number status } } } } }`

// writeQuery is the WRITE scenario: createOrder.
const writeQuery = `mutation ($input: CreateOrderInput!) {
	createOrder(input: $input) { id number status total { amount currencyCode } } }`

// graphQLRequest is the body of a GraphQL request.
type graphQLRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// readTargeter sends readQuery, rotating over the stores' API keys.
func (d *dataset) readTargeter(endpoint string) (vegeta.Targeter, error) {
	body, err := json.Marshal(graphQLRequest{Query: readQuery})
	if err != nil {
		return nil, err
	}
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		s := d.stores[n.Add(1)%uint64(len(d.stores))]
		*t = vegeta.Target{Method: http.MethodPost, URL: endpoint, Body: body, Header: headers(s)}
		return nil
	}, nil
}

// writeTargeter places an order of 3 distinct random products (quantity 1–3 each) for a
// random customer of the store's pool, with a new idempotency key, rotating over the
// stores.
func (d *dataset) writeTargeter(endpoint string) vegeta.Targeter {
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		s := d.stores[n.Add(1)%uint64(len(d.stores))]
		c := rand.IntN(customerPool)
		lines := make([]map[string]any, 3)
		for i, p := range pick3(s.Products) {
			lines[i] = map[string]any{"productId": gid.Encode("Product", p), "quantity": 1 + rand.IntN(3)}
		}
		body, err := json.Marshal(graphQLRequest{Query: writeQuery, Variables: map[string]any{"input": map[string]any{
			"idempotencyKey": uuid.NewString(),
			"customer":       map[string]any{"email": customerEmail(s.No, c), "name": customerName(c)},
			"lines":          lines,
			"shippingAddress": map[string]any{"name": customerName(c), "line1": "Hauptstraße 1", "city": "Berlin",
				"postalCode": "10115", "countryCode": "DE"},
		}}})
		if err != nil {
			return err
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: endpoint, Body: body, Header: headers(s)}
		return nil
	}
}

func headers(s benchStore) http.Header {
	return http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + s.Secret}}
}

// pick3 returns three distinct random elements of ids.
func pick3(ids []uuid.UUID) [3]uuid.UUID {
	var out [3]uuid.UUID
	for n := 0; n < len(out); {
		if id := ids[rand.IntN(len(ids))]; !slices.Contains(out[:n], id) {
			out[n] = id
			n++
		}
	}
	return out
}

// attack runs vegeta for d with a fixed number of workers and no rate limit: each
// worker sends its next request as soon as the previous one is answered, like
// concurrent clients. Every response is checked (see failure).
func attack(ctx context.Context, name string, tr vegeta.Targeter, concurrency int, d time.Duration) (result, error) {
	a := vegeta.NewAttacker(vegeta.Workers(uint64(concurrency)), vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var rec recorder
	start := time.Now()
	for r := range a.Attack(tr, vegeta.ConstantPacer{}, d, name) {
		if ctx.Err() != nil {
			a.Stop()
		}
		rec.add(r.Latency, failure(r))
	}
	return rec.result(name, time.Since(start)), ctx.Err()
}

// failure says why a response failed, or "" if it did not: it fails unless it is HTTP
// 200 with a JSON object holding non-null data and no errors. The server writes a
// response's errors before its data (graphql.Response), so a body that opens with an
// object for data has no errors. Checking that, instead of decoding every READ response
// (≈ 150 kB), keeps the load generator's CPU — taken from the two cores the server and
// PostgreSQL run on — to a minimum: decoding cost a third of a core at 400 requests/s.
func failure(r *vegeta.Result) string {
	if r.Error != "" && r.Code == 0 {
		return r.Error
	}
	if r.Code != http.StatusOK {
		return fmt.Sprintf("HTTP %d: %.300s", r.Code, r.Body)
	}
	body := bytes.TrimSpace(r.Body)
	if !bytes.HasPrefix(body, []byte(`{"data":{`)) || !bytes.HasSuffix(body, []byte("}")) {
		return fmt.Sprintf("response with errors or without data: %.300s", r.Body)
	}
	return ""
}
