package graph_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStringInputsRefuseNUL: a NUL character in any string input — in a variable at
// any depth or in a literal argument — is BAD_USER_INPUT naming it, never INTERNAL
// (PostgreSQL text cannot hold it). The field is the argument path, whether the value
// was written in the document or passed in a variable.
func TestStringInputsRefuseNUL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, c := e.owner(t)
	p := e.newProduct(t, c, "NUL-1", "1.00", 10)
	const nul = "a\x00b"
	product := func(edit func(in map[string]any)) map[string]any {
		in := map[string]any{"sku": "NUL-2", "name": "Mug", "price": "1.00", "stockOnHand": 1}
		edit(in)
		return map[string]any{"in": in}
	}
	order := func(edit func(in map[string]any)) map[string]any {
		in := orderInput("nul-order", line("NUL-1", 1))
		edit(in)
		return map[string]any{"in": in}
	}
	address := func(field string) map[string]any {
		return order(func(in map[string]any) { in["shippingAddress"].(map[string]any)[field] = nul })
	}
	createProduct := `mutation($in: CreateProductInput!) { createProduct(input: $in) { id } }`
	for _, tc := range []struct {
		name  string
		who   creds
		query string
		vars  map[string]any
		field string
	}{
		{"product sku", c, createProduct, product(func(in map[string]any) { in["sku"] = nul }), "input.sku"},
		{"product name", c, createProduct, product(func(in map[string]any) { in["name"] = nul }), "input.name"},
		{"product name literal", c, `mutation { createProduct(input: {sku: "L", name: "a\u0000b", price: "1.00", stockOnHand: 1}) { id } }`, nil, "input.name"},
		{"variable in a literal", c, `mutation($s: String!) { createProduct(input: {sku: "V", name: "V", price: "1.00", stockOnHand: 1}) { id }
			other: createProduct(input: {sku: $s, name: "N", price: "1.00", stockOnHand: 1}) { id } }`, map[string]any{"s": nul}, "input.sku"},
		{"variable in a list literal", c, `mutation($s: String!) { createOrder(input: {idempotencyKey: "k", customer: {email: "a@example.com"},
			lines: [{sku: "NUL-1", quantity: 1}, {sku: $s, quantity: 1}], shippingAddress: {line1: "1", city: "B", postalCode: "1", countryCode: "DE"}}) { id } }`,
			map[string]any{"s": nul}, "input.lines.1.sku"},
		{"update name", c, `mutation($id: ID!, $in: UpdateProductInput!) { updateProduct(id: $id, input: $in) { id } }`,
			map[string]any{"id": p.ID, "in": map[string]any{"name": nul}}, "input.name"},
		{"adjustStock reason", c, `mutation($id: ID!, $r: String) { adjustStock(productId: $id, delta: 1, reason: $r) { id } }`,
			map[string]any{"id": p.ID, "r": nul}, "reason"},
		{"adjustStock reason literal", c, `mutation($id: ID!) { adjustStock(productId: $id, delta: 1, reason: "x\u0000") { id } }`,
			map[string]any{"id": p.ID}, "reason"},
		{"product id", c, `mutation($id: ID!) { adjustStock(productId: $id, delta: 1) { id } }`, map[string]any{"id": nul}, "productId"},
		{"idempotency key", c, createOrder, order(func(in map[string]any) { in["idempotencyKey"] = nul }), "input.idempotencyKey"},
		{"customer name", c, createOrder, order(func(in map[string]any) {
			in["customer"] = map[string]any{"email": "ada@example.com", "name": nul}
		}), "input.customer.name"},
		{"customer email", c, createOrder, order(func(in map[string]any) {
			in["customer"] = map[string]any{"email": "ada\x00@example.com"}
		}), "input.customer.email"},
		{"line sku", c, createOrder, order(func(in map[string]any) { in["lines"] = []any{line("NUL-1", 1), line(nul, 1)} }), "input.lines.1.sku"},
		{"address name", c, createOrder, address("name"), "input.shippingAddress.name"},
		{"address line1", c, createOrder, address("line1"), "input.shippingAddress.line1"},
		{"address line2", c, createOrder, address("line2"), "input.shippingAddress.line2"},
		{"address city", c, createOrder, address("city"), "input.shippingAddress.city"},
		{"postal code", c, createOrder, address("postalCode"), "input.shippingAddress.postalCode"},
		{"note", c, createOrder, order(func(in map[string]any) { in["note"] = nul }), "input.note"},
		{"product search", c, `query($s: String) { products(filter: {search: $s}) { totalCount } }`, map[string]any{"s": nul}, "filter.search"},
		{"variable default", c, `query($s: String = "\u0000") { products(filter: {search: $s}) { totalCount } }`, nil, "filter.search"},
		{"directive argument", c, `query($s: String) { products(filter: {search: $s}) @skip(if: false) { totalCount } }`, map[string]any{"s": nul}, "filter.search"},
		{"product search literal", c, `{ products(filter: {search: "\u0000"}) { totalCount } }`, nil, "filter.search"},
		{"customer search literal", c, `{ customers(filter: {search: "x\u0000"}) { totalCount } }`, nil, "filter.search"},
		{"order email filter", c, `query($f: OrderFilter) { orders(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"customerEmail": nul}}, "filter.customerEmail"},
		{"cursor", c, `{ orders(after: "\u0000") { totalCount } }`, nil, "after"},
		{"fragment literal", c, `{ ...F } fragment F on Query { products(filter: {search: "\u0000"}) { totalCount } }`, nil, "filter.search"},
		{"store name", creds{Bearer: a.Token}, `mutation($n: String!) { createStore(name: $n, slug: "nul-shop", currencyCode: "EUR") { id } }`,
			map[string]any{"n": nul}, "name"},
		{"store slug", creds{Bearer: a.Token}, `mutation { createStore(name: "Shop", slug: "nul\u0000", currencyCode: "EUR") { id } }`, nil, "slug"},
		{"api key name", c, `mutation($n: String!) { createApiKey(name: $n, role: STAFF) { secret } }`, map[string]any{"n": nul}, "name"},
		{"member email", c, `mutation($e: String!) { addMember(email: $e, role: STAFF) { role } }`, map[string]any{"e": nul}, "email"},
		{"signUp name", creds{}, `mutation($n: String!) { signUp(email: "nul@example.com", password: "correct-horse-1", name: $n) { token } }`,
			map[string]any{"n": nul}, "name"},
		{"login email", creds{}, `mutation { login(email: "\u0000", password: "x") { token } }`, nil, "email"},
	} {
		r := e.do(t, tc.who, tc.query, tc.vars)
		assert.Equal(t, "BAD_USER_INPUT", r.code(), "%s: %v", tc.name, r.Errors)
		assert.Equal(t, tc.field, r.field(), tc.name)
	}
	// Nothing was written.
	var out struct{ Products struct{ TotalCount int } }
	e.ok(t, c, &out, `{ products { totalCount } }`, nil)
	assert.Equal(t, 1, out.Products.TotalCount)
}

// TestStringInputsRefuseInvalidUTF8: JSON decoding replaces invalid UTF-8, but a query
// by GET carries raw bytes into a literal.
func TestStringInputsRefuseInvalidUTF8(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	q := url.Values{"query": {`{ products(filter: {search: "` + "\xff\xfe" + `"}) { totalCount } }`}}
	res, body := get(t, e.srv.URL+"/graphql?"+q.Encode(), "Authorization", "Bearer "+c.Bearer, "X-Store-ID", c.StoreID)
	assert.Equal(t, 200, res.StatusCode)
	assert.Contains(t, body, `"code":"BAD_USER_INPUT"`)
	assert.Contains(t, body, `"field":"filter.search"`)
}

// TestDecimalInputs: a Decimal is a decimal string. Any other JSON type — object, list,
// boolean and also number (money is never a float) — and any other literal is
// BAD_USER_INPUT naming the field.
func TestDecimalInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	p := e.newProduct(t, c, "DEC-1", "19.99", 10)
	create := `mutation($in: CreateProductInput!) { createProduct(input: $in) { price { amount } } }`
	update := `mutation($id: ID!, $in: UpdateProductInput!) { updateProduct(id: $id, input: $in) { price { amount } } }`
	for name, price := range map[string]any{
		"object": map[string]any{"amount": "1.00"}, "list": []any{"1.00"}, "empty list": []any{},
		"number": 19.99, "integer": 19, "boolean": true,
	} {
		r := e.do(t, c, create, map[string]any{"in": map[string]any{"sku": unique("D"), "name": "D", "price": price, "stockOnHand": 1}})
		assert.Equal(t, "BAD_USER_INPUT", r.code(), "create: %s: %v", name, r.Errors)
		assert.Equal(t, "input.price", r.field(), name)
		r = e.do(t, c, update, map[string]any{"id": p.ID, "in": map[string]any{"price": price}})
		assert.Equal(t, "BAD_USER_INPUT", r.code(), "update: %s: %v", name, r.Errors)
		assert.Equal(t, "input.price", r.field(), name)
	}
	for name, lit := range map[string]string{
		"object": `{amount: "1.00"}`, "list": `["1.00"]`, "float": `19.99`, "int": `19`, "boolean": `true`, "enum": `EUR`,
	} {
		r := e.do(t, c, `mutation { createProduct(input: {sku: "L", name: "L", price: `+lit+`, stockOnHand: 1}) { id } }`, nil)
		assert.Equal(t, "BAD_USER_INPUT", r.code(), "literal %s: %v", name, r.Errors)
		assert.Equal(t, "input.price", r.field(), name)
	}
	r := e.do(t, c, `{ orders(filter: {totalMin: 5}) { totalCount } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "filter.totalMin", r.field())
	r = e.do(t, c, `query($f: OrderFilter) { orders(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"totalMax": map[string]any{}}})
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "filter.totalMax", r.field())

	// Strings still work, as variables and as literals.
	var out struct {
		UpdateProduct struct{ Price struct{ Amount string } }
	}
	e.ok(t, c, &out, update, map[string]any{"id": p.ID, "in": map[string]any{"price": "5.50"}})
	assert.Equal(t, "5.50", out.UpdateProduct.Price.Amount)
	e.ok(t, c, nil, `mutation { createProduct(input: {sku: "LIT", name: "L", price: "2.00", stockOnHand: 1}) { id } }`, nil)
	e.ok(t, c, nil, `{ orders(filter: {totalMin: "1.00", totalMax: """9.99"""}) { totalCount } }`, nil)
	require.False(t, strings.Contains(out.UpdateProduct.Price.Amount, "e"))
}
