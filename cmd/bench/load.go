package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// result is one scenario's measurement.
type result struct {
	Name            string        `json:"name"`
	Requests        int           `json:"requests"`
	Failed          int           `json:"failed"`
	Throughput      float64       `json:"throughput_per_s"`
	P50             time.Duration `json:"p50_ns"`
	P99             time.Duration `json:"p99_ns"`
	Max             time.Duration `json:"max_ns"`
	ServerPeakRSSMB float64       `json:"server_peak_rss_mb,omitempty"`
	FirstError      string        `json:"first_error,omitempty"`
}

const readQuery = `query { orders(first: 50) { edges { node { id number status createdAt
  total { amount currencyCode } customer { id email name }
  lines { quantity unitPrice { amount } total { amount } product { id sku name } }
  payments { status amount { amount } } invoice { number status } } } } }`

const writeQuery = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { id number status total { amount } } }`

// readTargeter rotates the read over the stores' API keys.
func (d *dataset) readTargeter() vegeta.Targeter {
	body, _ := json.Marshal(map[string]any{"query": readQuery})
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		i := int(n.Add(1)) % len(d.stores)
		t.Method, t.Body = http.MethodPost, body
		t.Header = http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + d.stores[i].Secret}}
		return nil
	}
}

// writeTargeter places 3-line orders of random products for random customers, each
// with a new idempotency key, rotating over the stores.
func (d *dataset) writeTargeter() vegeta.Targeter {
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		seq := n.Add(1)
		s := d.stores[int(seq)%len(d.stores)]
		lines := make([]map[string]any, 3)
		for i, p := range pick3(s.Products) {
			lines[i] = map[string]any{"productId": "gid://ordergraph/Product/" + p.String(), "quantity": 1 + rand.IntN(3)}
		}
		body, err := json.Marshal(map[string]any{"query": writeQuery, "variables": map[string]any{"in": map[string]any{
			"idempotencyKey": uuid.NewString(),
			"customer":       map[string]any{"email": fmt.Sprintf("shopper%d@bench.test", rand.IntN(5000)), "name": "Shopper"},
			"lines":          lines,
			"shippingAddress": map[string]any{"line1": "1 Bench Street", "city": "Berlin", "postalCode": "10115",
				"countryCode": "DE"},
		}}})
		if err != nil {
			return err
		}
		t.Method, t.Body = http.MethodPost, body
		t.Header = http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + s.Secret}}
		return nil
	}
}

// pick3 returns three distinct random elements.
func pick3(ids []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, 3)
	for len(out) < 3 {
		if id := ids[rand.IntN(len(ids))]; !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// attack runs vegeta with a fixed number of workers sending as fast as answers come
// back (closed loop, like concurrent clients), and checks every response: a request
// fails unless it is HTTP 200 with no GraphQL errors.
func attack(ctx context.Context, baseURL string, tr vegeta.Targeter, concurrency int, d time.Duration) (result, error) {
	url := baseURL + "/graphql"
	target := func(t *vegeta.Target) error {
		t.URL = url
		return tr(t)
	}
	a := vegeta.NewAttacker(vegeta.Workers(uint64(concurrency)), vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var lat []time.Duration
	var res result
	start := time.Now()
	for r := range a.Attack(target, vegeta.ConstantPacer{}, d, "bench") {
		if ctx.Err() != nil {
			a.Stop()
		}
		res.Requests++
		lat = append(lat, r.Latency)
		if msg := failure(r); msg != "" {
			res.Failed++
			if res.FirstError == "" {
				res.FirstError = msg
			}
		}
	}
	res.summarize(lat, time.Since(start))
	return res, ctx.Err()
}

func failure(r *vegeta.Result) string {
	if r.Error != "" {
		return r.Error
	}
	if r.Code != http.StatusOK {
		return fmt.Sprintf("HTTP %d: %.200s", r.Code, r.Body)
	}
	var body struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return "invalid JSON: " + err.Error()
	}
	if len(body.Errors) > 0 {
		return fmt.Sprintf("GraphQL error: %.200s", body.Errors[0])
	}
	if !bytes.Contains(r.Body, []byte(`"data"`)) {
		return "no data"
	}
	return ""
}

// rawLoop runs op from concurrency goroutines for d and measures each call.
func rawLoop(ctx context.Context, concurrency int, d time.Duration, op func(ctx context.Context, worker, i int) error) (result, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var res result
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			failed, first := 0, ""
			for i := 0; ctx.Err() == nil; i++ {
				t := time.Now()
				err := op(ctx, w, i)
				if ctx.Err() != nil {
					break // cut off by the deadline: not a result
				}
				mine = append(mine, time.Since(t))
				if err != nil {
					failed++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.Failed += failed
			if res.FirstError == "" {
				res.FirstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Requests = len(lat)
	res.summarize(lat, time.Since(start))
	return res, nil
}

func (r *result) summarize(lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	r.Throughput = float64(len(lat)) / elapsed.Seconds()
	r.P50 = lat[len(lat)/2]
	r.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	r.Max = lat[len(lat)-1]
}
