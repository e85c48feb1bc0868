package graph_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deferDrain is a response interceptor that takes an operation's incremental
// (@defer) payloads as well: the POST transport sends only the first response, so the
// test collects the rest here.
type deferDrain struct {
	mu    sync.Mutex
	later []*graphql.Response
}

func (*deferDrain) ExtensionName() string                   { return "deferDrain" }
func (*deferDrain) Validate(graphql.ExecutableSchema) error { return nil }

func (d *deferDrain) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	first := next(ctx)
	for r := first; r != nil && r.HasNext != nil && *r.HasNext; {
		r = next(ctx)
		if r == nil {
			break
		}
		// The data's buffer is the executor's to recycle: keep a copy.
		r.Data = append(json.RawMessage(nil), r.Data...)
		d.mu.Lock()
		d.later = append(d.later, r)
		d.mu.Unlock()
	}
	return first
}

// TestDeferredFieldArrivesLater runs @defer through the generated executor, whose
// objects create their @defer group only when a field is deferred: the initial payload
// has the field null and announces more, and the incremental payload carries it with
// its label and path.
func TestDeferredFieldArrivesLater(t *testing.T) {
	t.Parallel()
	drain := &deferDrain{}
	e := newEnv(t, graphql.HandlerExtension(drain))
	_, c := e.owner(t)
	e.newProduct(t, c, "D1", "1.00", 10)
	e.ok(t, c, nil, createOrder, map[string]any{"in": orderInput("defer-1", line("D1", 1))})

	r := e.do(t, c, `{ orders(first: 1) { edges { node {
		number
		... @defer(label: "who") { customer { email } }
	} } } }`, nil)
	require.Empty(t, r.Errors)
	var first struct {
		Orders struct {
			Edges []struct {
				Node map[string]json.RawMessage `json:"node"`
			} `json:"edges"`
		} `json:"orders"`
	}
	require.NoError(t, json.Unmarshal(r.Data, &first))
	require.Len(t, first.Orders.Edges, 1)
	node := first.Orders.Edges[0].Node
	assert.NotEmpty(t, node["number"])
	assert.JSONEq(t, `null`, string(node["customer"]), "deferred: null in the initial payload")

	drain.mu.Lock()
	defer drain.mu.Unlock()
	require.Len(t, drain.later, 1, "one incremental payload")
	p := drain.later[0]
	assert.Equal(t, "who", p.Label)
	assert.Equal(t, "orders.edges[0].node", p.Path.String())
	assert.Empty(t, p.Errors)
	assert.JSONEq(t, `{"customer":{"email":"ada@example.com"}}`, string(p.Data))
	require.NotNil(t, p.HasNext)
	assert.False(t, *p.HasNext)
}
