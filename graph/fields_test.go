package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/graph/exec"
)

// fieldRecorder is a field interceptor, as tracing (e.g. OpenTelemetry's gqlgen
// extension) registers one and as srv.AroundFields wraps a function: it counts the
// fields it sees by response path. Fields resolve concurrently, hence the lock.
type fieldRecorder struct {
	mu    sync.Mutex
	paths map[string]int
}

func (*fieldRecorder) ExtensionName() string                   { return "fieldRecorder" }
func (*fieldRecorder) Validate(graphql.ExecutableSchema) error { return nil }

func (r *fieldRecorder) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	path := graphql.GetFieldContext(ctx).Path().String()
	r.mu.Lock()
	r.paths[path]++
	r.mu.Unlock()
	return next(ctx)
}

// TestFieldInterceptorSeesEveryField runs a page of orders with their relations
// through a field interceptor: it must see every field of the response exactly once —
// resolver fields, fields with directives and plain struct fields, nulls included.
func TestFieldInterceptorSeesEveryField(t *testing.T) {
	t.Parallel()
	rec := &fieldRecorder{paths: map[string]int{}}
	e := newEnv(t, graphql.HandlerExtension(rec))
	_, c := e.owner(t)
	e.newProduct(t, c, "F1", "2.50", 10)
	e.newProduct(t, c, "F2", "4.00", 10)
	for i := range 2 {
		e.ok(t, c, nil, createOrder, map[string]any{"in": orderInput(fmt.Sprintf("fields-%d", i), line("F1", 1), line("F2", 2))})
	}
	rec.mu.Lock()
	clear(rec.paths) // the setup's operations
	rec.mu.Unlock()

	r := e.do(t, c, `{
		orders(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
			id number status createdAt note total { amount currencyCode } shippingAddress { line1 line2 city }
			customer { id email name } invoice { number } payments { status }
			lines { lineNumber sku quantity unitPrice { amount } product { id sku name stockAvailable } }
			events { type message }
			... on Order { number sameNumber: number }
		} } }
		products(first: 1) { edges { node { sku price { amount } } } } }`, nil)
	require.Empty(t, r.Errors)

	want := map[string]int{}
	responsePaths(t, r.Data, want)
	require.Contains(t, want, "orders.edges[1].node.lines[1].product.sku", "the query's shape")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Empty(t, diffKeys(want, rec.paths), "fields the interceptor missed or saw more than once")
}

// responsePaths counts into paths every field of a response's data by its path,
// written as gqlgen writes a field context's path (orders.edges[0].node.id).
func responsePaths(t *testing.T, data json.RawMessage, paths map[string]int) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				paths[p]++
				walk(p, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s[%d]", prefix, i), child)
			}
		}
	}
	walk("", v)
}

// diffKeys lists the paths whose counts differ between want and got.
func diffKeys(want, got map[string]int) []string {
	var d []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			d = append(d, fmt.Sprintf("%s: seen %d times", k, got[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: seen, not in the response", k))
		}
	}
	return d
}

// leanProbe records, per operation, whether the executor takes its lean path
// (exec.Lean): an operation interceptor, which leaves the field middleware alone.
type leanProbe struct {
	mu   sync.Mutex
	seen []bool
}

func (*leanProbe) ExtensionName() string                   { return "leanProbe" }
func (*leanProbe) Validate(graphql.ExecutableSchema) error { return nil }

func (p *leanProbe) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	lean := exec.Lean(graphql.GetOperationContext(ctx))
	p.mu.Lock()
	p.seen = append(p.seen, lean)
	p.mu.Unlock()
	return next(ctx)
}

// TestServerRunsLeanUnlessAFieldInterceptor: the server as configured (introspection,
// persisted queries, depth and complexity limits, metrics, loaders) leaves gqlgen's
// pass-through field middleware in place, so the generated executor's lean path runs;
// a field interceptor turns it off (and then sees every field: see above).
func TestServerRunsLeanUnlessAFieldInterceptor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		exts []any
		want bool
	}{
		{"server as configured", nil, true},
		{"with a field interceptor", []any{graphql.HandlerExtension(&fieldRecorder{paths: map[string]int{}})}, false},
	} {
		probe := &leanProbe{}
		e := newEnv(t, append(c.exts, graphql.HandlerExtension(probe))...)
		_, cr := e.owner(t)
		r := e.do(t, cr, `{ orders(first: 1) { totalCount } }`, nil)
		require.Empty(t, r.Errors, c.name)
		probe.mu.Lock()
		require.NotEmpty(t, probe.seen, c.name)
		assert.Equal(t, c.want, probe.seen[len(probe.seen)-1], c.name)
		probe.mu.Unlock()
	}
}
