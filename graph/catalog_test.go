package graph_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProducts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	p := e.newProduct(t, c, "MUG-1", "12.50", 10)
	assert.Equal(t, "12.50", p.Price.Amount)
	assert.Equal(t, "EUR", p.Price.CurrencyCode)
	assert.Equal(t, 10, p.StockAvailable)

	create := `mutation($in: CreateProductInput!) { createProduct(input: $in) { id } }`
	for _, tc := range []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"duplicate sku", map[string]any{"sku": "MUG-1", "name": "x", "price": "1", "stockOnHand": 1}, "CONFLICT", "input.sku"},
		{"negative price", map[string]any{"sku": "A", "name": "x", "price": "-1", "stockOnHand": 1}, "BAD_USER_INPUT", "input.price"},
		{"too many decimals", map[string]any{"sku": "A", "name": "x", "price": "1.999", "stockOnHand": 1}, "BAD_USER_INPUT", "input.price"},
		{"float-ish price", map[string]any{"sku": "A", "name": "x", "price": "1e3", "stockOnHand": 1}, "BAD_USER_INPUT", "input.price"},
		{"negative stock", map[string]any{"sku": "A", "name": "x", "price": "1", "stockOnHand": -1}, "BAD_USER_INPUT", "input.stockOnHand"},
		{"blank sku", map[string]any{"sku": " ", "name": "x", "price": "1", "stockOnHand": 1}, "BAD_USER_INPUT", "input.sku"},
		{"blank name", map[string]any{"sku": "A", "name": "", "price": "1", "stockOnHand": 1}, "BAD_USER_INPUT", "input.name"},
	} {
		r := e.do(t, c, create, map[string]any{"in": tc.in})
		assert.Equal(t, tc.code, r.code(), tc.name)
		assert.Equal(t, tc.field, r.field(), tc.name)
	}

	var upd struct {
		UpdateProduct struct {
			Name  string
			Price struct{ Amount string }
		}
	}
	e.ok(t, c, &upd, `mutation($id: ID!) { updateProduct(id: $id, input: {name: "Big mug", price: "14"}) { name price { amount } } }`,
		map[string]any{"id": p.ID})
	assert.Equal(t, "Big mug", upd.UpdateProduct.Name)
	assert.Equal(t, "14.00", upd.UpdateProduct.Price.Amount)

	var adj struct {
		AdjustStock struct{ StockOnHand, StockAvailable int }
	}
	e.ok(t, c, &adj, `mutation($id: ID!) { adjustStock(productId: $id, delta: -7, reason: "breakage") { stockOnHand stockAvailable } }`,
		map[string]any{"id": p.ID})
	assert.Equal(t, 3, adj.AdjustStock.StockOnHand)
	r := e.do(t, c, `mutation($id: ID!) { adjustStock(productId: $id, delta: -4) { stockOnHand } }`, map[string]any{"id": p.ID})
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "delta", r.field())
	var movements int
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM stock_movements`).Scan(&movements))
	assert.Zero(t, movements, "no store scope, no rows: RLS")

	// Reserved stock cannot be adjusted away.
	e.ok(t, c, nil, createOrder, map[string]any{"in": orderInput("k1", map[string]any{"sku": "MUG-1", "quantity": 2})})
	r = e.do(t, c, `mutation($id: ID!) { adjustStock(productId: $id, delta: -2) { stockOnHand } }`, map[string]any{"id": p.ID})
	assert.Equal(t, "BAD_USER_INPUT", r.code())

	// A VIEWER cannot change the catalog.
	viewer := e.signUp(t)
	e.ok(t, c, nil, `mutation($e: String!) { addMember(email: $e, role: VIEWER) { role } }`, map[string]any{"e": viewer.Email})
	r = e.do(t, creds{Bearer: viewer.Token, StoreID: c.StoreID}, create,
		map[string]any{"in": map[string]any{"sku": "V", "name": "x", "price": "1", "stockOnHand": 1}})
	assert.Equal(t, "FORBIDDEN", r.code())
}

func TestProductListing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	for i := range 7 {
		e.newProduct(t, c, fmt.Sprintf("TEA-%d", i), "3.00", i) // threshold 2: TEA-0..2 are low
	}
	e.newProduct(t, c, "COFFEE", "9.00", 50)

	type page struct {
		Products struct {
			TotalCount int
			Edges      []struct{ Node struct{ SKU string } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	list := `query($f: ProductFilter, $after: String) { products(first: 3, after: $after, filter: $f) {
		totalCount edges { node { sku } } pageInfo { hasNextPage endCursor } } }`
	var seen []string
	var after *string
	for {
		var pg page
		e.ok(t, c, &pg, list, map[string]any{"f": map[string]any{"search": "tea"}, "after": after})
		assert.Equal(t, 7, pg.Products.TotalCount)
		for _, ed := range pg.Products.Edges {
			seen = append(seen, ed.Node.SKU)
		}
		if !pg.Products.PageInfo.HasNextPage {
			break
		}
		after = pg.Products.PageInfo.EndCursor
	}
	assert.Equal(t, []string{"TEA-6", "TEA-5", "TEA-4", "TEA-3", "TEA-2", "TEA-1", "TEA-0"}, seen)

	var low page
	e.ok(t, c, &low, list, map[string]any{"f": map[string]any{"lowStock": true}})
	assert.Equal(t, 3, low.Products.TotalCount)

	r := e.do(t, c, `{ products(first: 1000) { totalCount } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "first", r.field())
	r = e.do(t, c, `{ products(after: "garbage") { totalCount } }`, nil)
	assert.Equal(t, "after", r.field())
	// SQL wildcards in a search are literal.
	var none page
	e.ok(t, c, &none, list, map[string]any{"f": map[string]any{"search": "%"}})
	assert.Zero(t, none.Products.TotalCount)
}
