package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

func line(sku string, qty int) map[string]any { return map[string]any{"sku": sku, "quantity": qty} }

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	mug := e.newProduct(t, c, "MUG", "12.50", 10)
	e.newProduct(t, c, "TEA", "3.99", 100)

	var out struct{ CreateOrder placedOrder }
	in := orderInput("order-1", map[string]any{"productId": mug.ID, "quantity": 2}, line("TEA", 3))
	e.ok(t, c, &out, createOrder, map[string]any{"in": in})
	o := out.CreateOrder
	assert.Equal(t, 1, o.Number)
	assert.Equal(t, "PENDING", o.Status)
	assert.Equal(t, "36.97", o.Total.Amount) // 2 × 12.50 + 3 × 3.99, in cents, no floats
	assert.Equal(t, "EUR", o.Total.CurrencyCode)
	require.Len(t, o.Lines, 2)
	assert.Equal(t, "25.00", o.Lines[0].Total.Amount)
	assert.Equal(t, "ada@example.com", o.Customer.Email)
	require.Len(t, o.Events, 1)
	assert.Equal(t, "order.created", o.Events[0].Type)
	assert.Equal(t, "Order #1 placed: 2 line(s), total 36.97 EUR", o.Events[0].Message)

	var p struct{ Product product }
	e.ok(t, c, &p, `query($id: ID!) { product(id: $id) { stockOnHand stockReserved stockAvailable } }`, map[string]any{"id": mug.ID})
	assert.Equal(t, product{StockOnHand: 10, StockReserved: 2, StockAvailable: 8}, p.Product)

	// The first job was enqueued in the order's transaction.
	owner := dbtest.OwnerPool(t)
	var args []byte
	require.NoError(t, owner.QueryRow(t.Context(), `SELECT args FROM river_job WHERE kind = 'order_check_fraud'
		AND args->>'order_id' = $1`, o.ID[strings.LastIndexByte(o.ID, '/')+1:]).Scan(&args))
	assert.Contains(t, string(args), c.StoreID[strings.LastIndexByte(c.StoreID, '/')+1:])

	// A replay returns the same order and reserves nothing more.
	var again struct{ CreateOrder placedOrder }
	e.ok(t, c, &again, createOrder, map[string]any{"in": in})
	assert.Equal(t, o.ID, again.CreateOrder.ID)
	assert.Equal(t, o.Number, again.CreateOrder.Number)
	e.ok(t, c, &p, `query($id: ID!) { product(id: $id) { stockReserved } }`, map[string]any{"id": mug.ID})
	assert.Equal(t, 2, p.Product.StockReserved)

	// The same key with other input is a conflict.
	other := orderInput("order-1", line("TEA", 1))
	r := e.do(t, c, createOrder, map[string]any{"in": other})
	assert.Equal(t, "CONFLICT", r.code())
	assert.Equal(t, "input.idempotencyKey", r.field())

	// Failed orders use no number: numbers stay gap-free.
	r = e.do(t, c, createOrder, map[string]any{"in": orderInput("order-2", line("MUG", 999))})
	assert.Equal(t, "INSUFFICIENT_STOCK", r.code())
	assert.Equal(t, []any{"MUG"}, r.Errors[0].Extensions["skus"])
	e.ok(t, c, &out, createOrder, map[string]any{"in": orderInput("order-3", line("TEA", 1))})
	assert.Equal(t, 2, out.CreateOrder.Number)
	assert.Equal(t, o.Customer.ID, out.CreateOrder.Customer.ID, "the customer is found by email")

	// Several short SKUs are all named; nothing is reserved.
	r = e.do(t, c, createOrder, map[string]any{"in": orderInput("order-4", line("TEA", 500), line("MUG", 9))})
	assert.Equal(t, "INSUFFICIENT_STOCK", r.code())
	assert.Equal(t, []any{"MUG", "TEA"}, r.Errors[0].Extensions["skus"])
	assert.Contains(t, r.Errors[0].Message, "MUG, TEA")
}

func TestCreateOrderValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "MUG", "12.50", 10)
	_, other := e.owner(t)
	foreign := e.newProduct(t, other, "MUG", "1.00", 10)

	tooMany := make([]map[string]any, 101)
	for i := range tooMany {
		tooMany[i] = line("MUG", 1)
	}
	for _, tc := range []struct {
		name  string
		edit  func(in map[string]any)
		code  string
		field string
	}{
		{"no lines", func(in map[string]any) { in["lines"] = []any{} }, "BAD_USER_INPUT", "input.lines"},
		{"too many lines", func(in map[string]any) { in["lines"] = tooMany }, "BAD_USER_INPUT", "input.lines"},
		{"zero quantity", func(in map[string]any) { in["lines"] = []any{line("MUG", 1), line("MUG", 0)} }, "BAD_USER_INPUT", "input.lines.1.quantity"},
		{"negative quantity", func(in map[string]any) { in["lines"] = []any{line("MUG", -3)} }, "BAD_USER_INPUT", "input.lines.0.quantity"},
		{"huge quantity", func(in map[string]any) { in["lines"] = []any{line("MUG", 1_000_000)} }, "BAD_USER_INPUT", "input.lines.0.quantity"},
		{"unknown sku", func(in map[string]any) { in["lines"] = []any{line("MUG", 1), line("NOPE", 1)} }, "BAD_USER_INPUT", "input.lines.1.sku"},
		{"another store's product", func(in map[string]any) {
			in["lines"] = []any{map[string]any{"productId": foreign.ID, "quantity": 1}}
		}, "BAD_USER_INPUT", "input.lines.0.productId"},
		{"malformed product id", func(in map[string]any) {
			in["lines"] = []any{map[string]any{"productId": "42", "quantity": 1}}
		}, "BAD_USER_INPUT", "input.lines.0.productId"},
		{"both productId and sku", func(in map[string]any) {
			in["lines"] = []any{map[string]any{"productId": foreign.ID, "sku": "MUG", "quantity": 1}}
		}, "BAD_USER_INPUT", "input.lines.0"},
		{"malformed email", func(in map[string]any) { in["customer"] = map[string]any{"email": "ada@"} }, "BAD_USER_INPUT", "input.customer.email"},
		{"missing city", func(in map[string]any) { in["shippingAddress"].(map[string]any)["city"] = " " }, "BAD_USER_INPUT", "input.shippingAddress.city"},
		{"missing postal code", func(in map[string]any) { in["shippingAddress"].(map[string]any)["postalCode"] = "" }, "BAD_USER_INPUT", "input.shippingAddress.postalCode"},
		{"invalid country", func(in map[string]any) { in["shippingAddress"].(map[string]any)["countryCode"] = "XX" }, "BAD_USER_INPUT", "input.shippingAddress.countryCode"},
		{"empty idempotency key", func(in map[string]any) { in["idempotencyKey"] = "" }, "BAD_USER_INPUT", "input.idempotencyKey"},
	} {
		in := orderInput("v-"+tc.name, line("MUG", 1))
		tc.edit(in)
		r := e.do(t, c, createOrder, map[string]any{"in": in})
		assert.Equal(t, tc.code, r.code(), tc.name)
		assert.Equal(t, tc.field, r.field(), tc.name)
	}
	// Values that do not fit the schema's types are named by their variable path.
	in := orderInput("typed", line("MUG", 1))
	in["lines"] = []any{map[string]any{"sku": "MUG", "quantity": "two"}}
	r := e.do(t, c, createOrder, map[string]any{"in": in})
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "in.lines.0.quantity", r.field())

	// Nothing was half-written.
	var n struct{ Orders struct{ TotalCount int } }
	e.ok(t, c, &n, `{ orders { totalCount } }`, nil)
	assert.Zero(t, n.Orders.TotalCount)
}

// TestCreateOrderConcurrency: 50 concurrent orders for a product with 20 in stock.
func TestCreateOrderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	p := e.newProduct(t, c, "HOT", "5.00", 20)

	var ok, short atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(t, c, createOrder, map[string]any{"in": orderInput(fmt.Sprintf("rush-%d", i), line("HOT", 1))})
			switch r.code() {
			case "":
				ok.Add(1)
			case "INSUFFICIENT_STOCK":
				short.Add(1)
			default:
				t.Errorf("unexpected error: %+v", r.Errors)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 20, ok.Load())
	assert.EqualValues(t, 30, short.Load())

	var got struct {
		Product product
		Orders  struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Number int
					Lines  []struct{ Quantity int }
				}
			}
		}
	}
	e.ok(t, c, &got, `query($id: ID!) { product(id: $id) { stockOnHand stockReserved stockAvailable }
		orders(first: 100, orderBy: {field: NUMBER, direction: ASC}) { totalCount edges { node { number lines { quantity } } } } }`,
		map[string]any{"id": p.ID})
	assert.Equal(t, 20, got.Product.StockReserved)
	assert.Equal(t, 0, got.Product.StockAvailable)
	assert.GreaterOrEqual(t, got.Product.StockAvailable, 0)
	reserved := 0
	for i, ed := range got.Orders.Edges {
		assert.Equal(t, i+1, ed.Node.Number, "order numbers are gap-free")
		for _, l := range ed.Node.Lines {
			reserved += l.Quantity
		}
	}
	assert.Equal(t, got.Product.StockReserved, reserved)
}

func TestOrderListing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "A", "10.00", 1000)
	for i := 1; i <= 6; i++ {
		in := orderInput(fmt.Sprintf("l-%d", i), line("A", i))
		if i%2 == 0 {
			in["customer"] = map[string]any{"email": "grace@example.com"}
		}
		e.ok(t, c, nil, createOrder, map[string]any{"in": in})
	}
	type result struct {
		Orders struct {
			TotalCount int
			Edges      []struct{ Node struct{ Number int } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	numbers := func(r result) []int {
		var out []int
		for _, ed := range r.Orders.Edges {
			out = append(out, ed.Node.Number)
		}
		return out
	}
	q := `query($f: OrderFilter, $o: OrderOrder, $first: Int, $after: String) {
		orders(first: $first, after: $after, filter: $f, orderBy: $o) { totalCount edges { node { number } } pageInfo { hasNextPage endCursor } } }`
	for _, tc := range []struct {
		name  string
		f     map[string]any
		o     map[string]any
		want  []int
		total int
	}{
		{"newest first", nil, nil, []int{6, 5, 4, 3, 2, 1}, 6},
		{"number asc", nil, map[string]any{"field": "NUMBER", "direction": "ASC"}, []int{1, 2, 3, 4, 5, 6}, 6},
		{"total desc", nil, map[string]any{"field": "TOTAL", "direction": "DESC"}, []int{6, 5, 4, 3, 2, 1}, 6},
		{"by customer", map[string]any{"customerEmail": "GRACE@example.com"}, nil, []int{6, 4, 2}, 3},
		{"by number", map[string]any{"number": 4}, nil, []int{4}, 1},
		{"total range", map[string]any{"totalMin": "20", "totalMax": "40.00"}, map[string]any{"field": "TOTAL", "direction": "ASC"}, []int{2, 3, 4}, 3},
		{"status", map[string]any{"status": []string{"PENDING"}}, nil, []int{6, 5, 4, 3, 2, 1}, 6},
		{"no match", map[string]any{"status": []string{"SHIPPED"}}, nil, nil, 0},
		{"created window", map[string]any{"createdFrom": "2000-01-01T00:00:00Z", "createdTo": "2001-01-01T00:00:00Z"}, nil, nil, 0},
	} {
		var r result
		e.ok(t, c, &r, q, map[string]any{"f": tc.f, "o": tc.o, "first": 50})
		assert.Equal(t, tc.want, numbers(r), tc.name)
		assert.Equal(t, tc.total, r.Orders.TotalCount, tc.name)
	}

	// A customer's orders, newest first; customers are searchable.
	var cs struct {
		Customers struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Email  string
					Orders struct {
						TotalCount int
						Edges      []struct{ Node struct{ Number int } }
					}
				}
			}
		}
	}
	e.ok(t, c, &cs, `{ customers(filter: {search: "grace"}) { totalCount edges { node { email
		orders(first: 2) { totalCount edges { node { number } } } } } } }`, nil)
	require.Equal(t, 1, cs.Customers.TotalCount)
	grace := cs.Customers.Edges[0].Node
	assert.Equal(t, "grace@example.com", grace.Email)
	assert.Equal(t, 3, grace.Orders.TotalCount)
	require.Len(t, grace.Orders.Edges, 2)
	assert.Equal(t, 6, grace.Orders.Edges[0].Node.Number)

	// Paging by total, two at a time, visits every order once.
	var seen []int
	var after *string
	order := map[string]any{"field": "TOTAL", "direction": "ASC"}
	for {
		var r result
		e.ok(t, c, &r, q, map[string]any{"o": order, "first": 2, "after": after})
		seen = append(seen, numbers(r)...)
		if !r.Orders.PageInfo.HasNextPage {
			break
		}
		after = r.Orders.PageInfo.EndCursor
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6}, seen)

	// A cursor from one ordering is refused by another.
	r := e.do(t, c, q, map[string]any{"first": 2, "after": after})
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "after", r.field())
	r = e.do(t, c, q, map[string]any{"f": map[string]any{"totalMin": "abc"}})
	assert.Equal(t, "filter.totalMin", r.field())
	r = e.do(t, c, q, map[string]any{"f": map[string]any{"createdFrom": "yesterday"}})
	assert.Equal(t, "BAD_USER_INPUT", r.code(), "a malformed DateTime is the client's mistake")
	assert.Equal(t, "createdFrom", r.field())
}

// queryCounter counts the SQL statements a pool sends, alone or in batches.
type queryCounter struct {
	n atomic.Int64
}

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *queryCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *queryCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (c *queryCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TestNoNPlusOne: listing 50 orders with every relation costs as many statements as
// listing 5.
func TestNoNPlusOne(t *testing.T) {
	t.Parallel()
	counter := &queryCounter{}
	e := newEnv(t, pgx.QueryTracer(counter))
	_, c := e.owner(t)
	for i := range 5 {
		e.newProduct(t, c, fmt.Sprintf("P%d", i), "2.50", 10_000)
	}
	for i := range 55 {
		lines := []map[string]any{}
		for j := 0; j <= i%5; j++ {
			lines = append(lines, line(fmt.Sprintf("P%d", j), 1+j))
		}
		e.ok(t, c, nil, createOrder, map[string]any{"in": orderInput(fmt.Sprintf("n-%d", i), lines...)})
	}
	q := `query($n: Int) { orders(first: $n) { edges { node { id number status total { amount }
		customer { email } lines { quantity product { sku stockAvailable } }
		payments { status amount { amount } } invoice { number } fulfillment { status }
		events { type } } } } }`
	// statements counts what run sends to PostgreSQL.
	statements := func(run func()) int64 {
		before := counter.n.Load()
		run()
		return counter.n.Load() - before
	}
	count := func(n int) int64 {
		var out struct {
			Orders struct {
				Edges []struct {
					Node struct {
						Lines []struct{ Product struct{ SKU string } }
					}
				}
			}
		}
		sent := statements(func() { e.ok(t, c, &out, q, map[string]any{"n": n}) })
		require.Len(t, out.Orders.Edges, n)
		for _, ed := range out.Orders.Edges {
			require.NotEmpty(t, ed.Node.Lines)
			require.NotEmpty(t, ed.Node.Lines[0].Product.SKU)
		}
		return sent
	}
	for range 3 { // every time, not just on a lucky run
		big, small := count(50), count(5)
		t.Logf("statements: orders(first: 50) %d, orders(first: 5) %d", big, small)
		assert.Equal(t, small, big, "statements for 50 orders vs 5")
		// Auth and the page (2 scoped reads of set_config + query), then one pipeline
		// of every relation: customers, lines, products, payments, invoices,
		// fulfillments and events (set_config + 7): 12.
		assert.Equal(t, int64(12), big)
	}

	// Some relations only: the combined read covers what is selected.
	q = `query($n: Int) { orders(first: $n) { edges { node { id lines { quantity } invoice { number } } } } }`
	partial := func(n int) int64 {
		return statements(func() { e.ok(t, c, nil, q, map[string]any{"n": n}) })
	}
	assert.Equal(t, int64(2+2+3), partial(50), "auth, page, one read of lines and invoices")
	assert.Equal(t, partial(5), partial(50))

	// Through another list: invoices, each with its order and the order's relations.
	storeID := bareID(t, c.StoreID)
	require.NoError(t, db.New(e.pool).Tx(context.Background(), db.Store(tenant.StoreID(storeID)), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO invoices (store_id, order_id, number, status, total_minor, currency_code)
			SELECT store_id, id, number, 'ISSUED', total_minor, currency_code FROM orders WHERE store_id = $1`, storeID)
		return err
	}))
	iq := `query($n: Int) { invoices(first: $n) { edges { node { number order { number customer { email }
		lines { quantity product { sku } } payments { status } } } } } }`
	countInvoices := func(n int) int64 {
		var out struct {
			Invoices struct {
				Edges []struct {
					Node struct {
						Order struct {
							Lines []struct{ Product struct{ SKU string } }
						}
					}
				}
			}
		}
		sent := statements(func() { e.ok(t, c, &out, iq, map[string]any{"n": n}) })
		require.Len(t, out.Invoices.Edges, n)
		require.NotEmpty(t, out.Invoices.Edges[n-1].Node.Order.Lines[0].Product.SKU)
		return sent
	}
	big, small := countInvoices(50), countInvoices(5)
	t.Logf("statements: invoices(first: 50) %d, invoices(first: 5) %d", big, small)
	assert.Equal(t, small, big, "statements for 50 invoices vs 5")
}

// TestCatalogIsolation: store B's credentials never read or change store A's objects.
func TestCatalogIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, a := e.owner(t)
	_, b := e.owner(t)
	p := e.newProduct(t, a, "SECRET", "1.00", 5)
	var out struct{ CreateOrder placedOrder }
	e.ok(t, a, &out, createOrder, map[string]any{"in": orderInput("iso", line("SECRET", 1))})
	o := out.CreateOrder

	for _, id := range []string{p.ID, o.ID, o.Customer.ID, a.StoreID} {
		var n struct{ Node *struct{ ID string } }
		e.ok(t, b, &n, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		assert.Nil(t, n.Node, "B resolved A's %s", id)
		e.ok(t, a, &n, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		if assert.NotNil(t, n.Node, "A cannot resolve its own %s", id) {
			assert.Equal(t, id, n.Node.ID)
		}
	}
	var got struct {
		Product   *struct{ ID string }
		Order     *struct{ ID string }
		Products  struct{ TotalCount int }
		Orders    struct{ TotalCount int }
		Customers struct{ TotalCount int }
	}
	e.ok(t, b, &got, `query($p: ID!, $o: ID!) { product(id: $p) { id } order(id: $o) { id }
		products { totalCount } orders { totalCount } customers { totalCount } }`, map[string]any{"p": p.ID, "o": o.ID})
	assert.Nil(t, got.Product)
	assert.Nil(t, got.Order)
	assert.Zero(t, got.Products.TotalCount+got.Orders.TotalCount+got.Customers.TotalCount)

	for _, m := range []string{
		`mutation($id: ID!) { updateProduct(id: $id, input: {name: "pwned"}) { id } }`,
		`mutation($id: ID!) { adjustStock(productId: $id, delta: 100) { id } }`,
	} {
		r := e.do(t, b, m, map[string]any{"id": p.ID})
		assert.Equal(t, "NOT_FOUND", r.code(), m)
	}
	r := e.do(t, b, createOrder, map[string]any{"in": orderInput("iso", map[string]any{"productId": p.ID, "quantity": 1})})
	assert.Equal(t, "BAD_USER_INPUT", r.code(), "B cannot order A's product")

	var after struct{ Product product }
	e.ok(t, a, &after, `query($id: ID!) { product(id: $id) { stockOnHand stockReserved } }`, map[string]any{"id": p.ID})
	assert.Equal(t, product{StockOnHand: 5, StockReserved: 1}, after.Product)
}

// TestConcurrentReplays: the same order sent ten times at once is placed once.
func TestConcurrentReplays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	p := e.newProduct(t, c, "ONCE", "1.00", 100)
	ids := make(chan string, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct{ CreateOrder placedOrder }
			e.ok(t, c, &out, createOrder, map[string]any{"in": orderInput("same-key", line("ONCE", 3))})
			ids <- out.CreateOrder.ID
		}()
	}
	wg.Wait()
	close(ids)
	first := <-ids
	for id := range ids {
		assert.Equal(t, first, id)
	}
	var got struct{ Product product }
	e.ok(t, c, &got, `query($id: ID!) { product(id: $id) { stockReserved } }`, map[string]any{"id": p.ID})
	assert.Equal(t, 3, got.Product.StockReserved, "reserved once")
}
