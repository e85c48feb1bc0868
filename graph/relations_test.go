package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// bareID is the uuid in a global id.
func bareID(t *testing.T, gid string) uuid.UUID {
	id, err := uuid.Parse(gid[strings.LastIndexByte(gid, '/')+1:])
	require.NoError(t, err)
	return id
}

// TestOrderRelations reads an order's payment, invoice and fulfillment, the invoices
// connection and node(id) for each. Their workflows are not built yet, so the rows are
// written here directly, inside the store's scope.
func TestOrderRelations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	_, other := e.owner(t)
	e.newProduct(t, c, "R", "12.34", 10)
	var out struct{ CreateOrder placedOrder }
	e.ok(t, c, &out, createOrder, map[string]any{"in": orderInput("rel", line("R", 2))})
	storeID, orderID := bareID(t, c.StoreID), bareID(t, out.CreateOrder.ID)

	ctx := context.Background()
	require.NoError(t, db.New(e.pool).Tx(ctx, db.Store(tenant.StoreID(storeID)), func(tx pgx.Tx) error {
		for _, stmt := range []string{
			`INSERT INTO payments (store_id, order_id, status, amount_minor, currency_code, attempts, idempotency_key)
				VALUES ($1, $2, 'CAPTURED', 2468, 'EUR', 2, gen_random_uuid()::text)`,
			`INSERT INTO invoices (store_id, order_id, number, status, total_minor, currency_code) VALUES ($1, $2, 1, 'ISSUED', 2468, 'EUR')`,
			`INSERT INTO fulfillments (store_id, order_id, status, carrier) VALUES ($1, $2, 'PENDING', 'DHL')`,
		} {
			if _, err := tx.Exec(ctx, stmt, storeID, orderID); err != nil {
				return err
			}
		}
		return nil
	}))

	var got struct {
		Order struct {
			Payments []struct {
				ID, Status string
				Attempts   int
				Amount     struct{ Amount string }
			}
			Invoice struct {
				ID     string
				Number int
				Total  struct{ Amount string }
				Order  struct{ Number int }
			}
			Fulfillment struct{ ID, Status, Carrier string }
		}
		Invoices struct {
			TotalCount int
			Edges      []struct{ Node struct{ Number int } }
		}
	}
	e.ok(t, c, &got, `query($id: ID!) {
		order(id: $id) { payments { id status attempts amount { amount } } invoice { id number total { amount } order { number } }
			fulfillment { id status carrier } }
		invoices(filter: {status: [ISSUED]}) { totalCount edges { node { number } } } }`, map[string]any{"id": out.CreateOrder.ID})
	require.Len(t, got.Order.Payments, 1)
	assert.Equal(t, "CAPTURED", got.Order.Payments[0].Status)
	assert.Equal(t, "24.68", got.Order.Payments[0].Amount.Amount)
	assert.Equal(t, "24.68", got.Order.Invoice.Total.Amount)
	assert.Equal(t, out.CreateOrder.Number, got.Order.Invoice.Order.Number)
	assert.Equal(t, "DHL", got.Order.Fulfillment.Carrier)
	assert.Equal(t, 1, got.Invoices.TotalCount)

	for _, id := range []string{got.Order.Payments[0].ID, got.Order.Invoice.ID, got.Order.Fulfillment.ID} {
		var n struct{ Node *struct{ ID string } }
		e.ok(t, c, &n, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		if assert.NotNil(t, n.Node, id) {
			assert.Equal(t, id, n.Node.ID)
		}
		e.ok(t, other, &n, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		assert.Nil(t, n.Node, "another store resolved %s", id)
	}
	var none struct{ Invoices struct{ TotalCount int } }
	e.ok(t, other, &none, `{ invoices { totalCount } }`, nil)
	assert.Zero(t, none.Invoices.TotalCount)
}

// Fragments that select the same response key merge, aliases stay apart, and the
// shipping address (decoded only when selected) reads back with its nulls.
func TestResponseShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "S", "1.00", 10)
	e.ok(t, c, nil, createOrder, map[string]any{"in": orderInput("shape", line("S", 1))})

	r := e.do(t, c, `query { orders(first: 1) { edges { node {
		number ...on Order { number customer { email } } n2: number
		lines { sku } ...on Order { status }
	} } } }`, nil)
	require.Empty(t, r.Errors)
	var data struct {
		Orders struct {
			Edges []struct{ Node map[string]any }
		}
	}
	require.NoError(t, json.Unmarshal(r.Data, &data))
	node := data.Orders.Edges[0].Node
	assert.EqualValues(t, 1, node["number"])
	assert.EqualValues(t, 1, node["n2"])
	assert.Equal(t, map[string]any{"email": "ada@example.com"}, node["customer"])
	assert.Equal(t, []any{map[string]any{"sku": "S"}}, node["lines"])
	assert.Equal(t, "PENDING", node["status"])
	assert.Len(t, node, 5)

	r = e.do(t, c, `query { orders(first: 1) { edges { node { shippingAddress { name line1 line2 city postalCode countryCode } } } } }`, nil)
	require.Empty(t, r.Errors)
	assert.JSONEq(t, `{"orders":{"edges":[{"node":{"shippingAddress":{"name":null,"line1":"1 Analytical Way","line2":null,
		"city":"London","postalCode":"N1 9GU","countryCode":"GB"}}}]}}`, string(r.Data))
}

// Root fields run concurrently and share the request's loaders: two lists of orders
// and their relations in one operation (make test runs it under the race detector).
func TestConcurrentRootFieldsShareLoaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "C", "3.00", 100)
	for i := range 3 {
		e.ok(t, c, nil, createOrder, map[string]any{"in": orderInput(fmt.Sprintf("root-%d", i), line("C", 1))})
	}
	var out struct {
		A, B struct {
			Edges []struct {
				Node struct {
					Customer struct{ Email string }
					Lines    []struct{ Product struct{ SKU string } }
				}
			}
		}
	}
	e.ok(t, c, &out, `{ a: orders(first: 3) { edges { node { customer { email } lines { product { sku } } } } }
		b: orders(first: 2) { edges { node { customer { email } lines { product { sku } } } } } }`, nil)
	require.Len(t, out.A.Edges, 3)
	require.Len(t, out.B.Edges, 2)
	for _, ed := range append(out.A.Edges, out.B.Edges...) {
		assert.Equal(t, "ada@example.com", ed.Node.Customer.Email)
		assert.Equal(t, "C", ed.Node.Lines[0].Product.SKU)
	}
}
