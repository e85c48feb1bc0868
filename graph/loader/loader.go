// Package loader holds the per-request dataloaders: one per relation a list can
// reach (order → customer, lines, line → product, payments, invoice, fulfillment,
// events; invoice → order). They are built per request after authentication, bound
// to the request's store.
//
// Batching alone (graph-gophers/dataloader) depends on timing: a Load that arrives
// after the batch window opens a second query, and every batch waits for its window.
// So each loader also prefetches: a resolver that knows which keys its children will
// ask for (the orders resolver knows the page's order ids) announces them with Expect,
// and the first Load of an announced key fetches them all at once. Every relation then
// costs exactly one query per request, however large the page and however busy the
// machine, and no announced load waits for a batch window.
package loader

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
)

// Services are what the loaders read from.
type Services struct {
	DB           *db.DB // for PrefetchOrders' combined read
	Orders       *order.Service
	Products     *product.Service
	Customers    *customer.Service
	Payments     *payment.Service
	Invoices     *invoice.Service
	Fulfillments *fulfillment.Service
}

// Loaders are one request's dataloaders.
type Loaders struct {
	Order       *Loader[*order.Order]
	Customer    *Loader[*customer.Customer]
	Product     *Loader[*product.Product]
	Lines       *Loader[[]order.Line]
	Events      *Loader[[]order.Event]
	Payments    *Loader[[]payment.Payment]
	Invoice     *Loader[*invoice.Invoice]
	Fulfillment *Loader[*fulfillment.Fulfillment]

	db      *db.DB
	storeID uuid.UUID
}

// New builds the loaders for one request in storeID.
func New(s Services, storeID uuid.UUID) *Loaders {
	l := &Loaders{db: s.DB, storeID: storeID}
	l.Order = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*order.Order, error) {
		orders, err := s.Orders.GetMany(ctx, storeID, ids)
		// The orders' relations are the next level's loads (an invoice's order's lines).
		for _, o := range orders {
			l.expectOrder(o)
		}
		return pointerMap(orders, err)
	})
	l.Customer = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*customer.Customer, error) {
		return pointerMap(s.Customers.GetMany(ctx, storeID, ids))
	})
	l.Product = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*product.Product, error) {
		return pointerMap(s.Products.GetMany(ctx, storeID, ids))
	})
	l.Lines = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]order.Line, error) {
		lines, err := s.Orders.LinesByOrders(ctx, storeID, ids)
		l.expectProducts(lines)
		return lines, err
	})
	l.Events = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]order.Event, error) {
		return s.Orders.EventsByOrders(ctx, storeID, ids)
	})
	l.Payments = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]payment.Payment, error) {
		return s.Payments.ByOrders(ctx, storeID, ids)
	})
	l.Invoice = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*invoice.Invoice, error) {
		return pointerMap(s.Invoices.ByOrders(ctx, storeID, ids))
	})
	l.Fulfillment = newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*fulfillment.Fulfillment, error) {
		return pointerMap(s.Fulfillments.ByOrders(ctx, storeID, ids))
	})
	return l
}

// ExpectOrders announces the orders whose relations the request will load.
func (l *Loaders) ExpectOrders(orders []order.Order) {
	for _, o := range orders {
		l.expectOrder(o)
	}
}

// expectProducts announces the products loaded lines name: the next level's loads.
func (l *Loaders) expectProducts(lines map[uuid.UUID][]order.Line) {
	for _, ls := range lines {
		for _, line := range ls {
			l.Product.Expect(line.ProductID)
		}
	}
}

func (l *Loaders) expectOrder(o order.Order) {
	l.Customer.Expect(o.CustomerID)
	l.Lines.Expect(o.ID)
	l.Events.Expect(o.ID)
	l.Payments.Expect(o.ID)
	l.Invoice.Expect(o.ID)
	l.Fulfillment.Expect(o.ID)
}

// Relations are the relations of a page of orders a request selects.
type Relations struct {
	Customer, Lines, Products, Payments, Invoice bool
}

// PrefetchOrders reads the selected relations of the announced orders in one round
// trip (one db.ReadAll: the customers, the lines with their products, the payments and
// the invoices behind one set_config) and hands them to the loaders, so that the
// executor finds every relation of a page in memory. Without it each relation is a
// read of its own when the first order asks for it: four more round trips per page.
func (l *Loaders) PrefetchOrders(ctx context.Context, rel Relations) error {
	var qs []db.Queued
	var prime []func()
	if ids := pending(l.Customer, rel.Customer); len(ids) > 0 {
		got := make(map[uuid.UUID]customer.Customer, len(ids))
		qs = append(qs, customer.ManyQuery(l.storeID, ids, got))
		prime = append(prime, func() { l.Customer.prime(ids, pointers(got)) })
	}
	if ids := pending(l.Lines, rel.Lines); len(ids) > 0 {
		got := make(map[uuid.UUID][]order.Line, len(ids))
		if rel.Products {
			products := make(map[uuid.UUID]product.Product, 2*len(ids)) // about two per order
			qs = append(qs, order.LinesWithProductsQuery(l.storeID, ids, got, products))
			// Primed before the lines announce their products, which then find them fetched.
			prime = append(prime, func() { l.Product.prime(keys(products), pointers(products)) })
		} else {
			qs = append(qs, order.LinesQuery(l.storeID, ids, got))
		}
		prime = append(prime, func() {
			l.Lines.prime(ids, got)
			l.expectProducts(got)
		})
	}
	if ids := pending(l.Payments, rel.Payments); len(ids) > 0 {
		got := make(map[uuid.UUID][]payment.Payment, len(ids))
		qs = append(qs, payment.ByOrdersQuery(l.storeID, ids, got))
		prime = append(prime, func() { l.Payments.prime(ids, got) })
	}
	if ids := pending(l.Invoice, rel.Invoice); len(ids) > 0 {
		got := make(map[uuid.UUID]invoice.Invoice, len(ids))
		qs = append(qs, invoice.ByOrdersQuery(l.storeID, ids, got))
		prime = append(prime, func() { l.Invoice.prime(ids, pointers(got)) })
	}
	if len(qs) == 0 {
		return nil
	}
	if err := l.db.ReadAll(ctx, db.StoreScope(l.storeID), qs...); err != nil {
		return fmt.Errorf("prefetch the orders' relations: %w", err)
	}
	for _, f := range prime {
		f()
	}
	return nil
}

// pending is the keys announced to l and not fetched yet, when want.
func pending[V any](l *Loader[V], want bool) []uuid.UUID {
	if !want {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]uuid.UUID, 0, len(l.expected))
	for id := range l.expected {
		if _, done := l.fetched[id]; !done {
			ids = append(ids, id)
		}
	}
	return ids
}

// prime records values fetched for ids (the zero value for an id without one).
func (l *Loader[V]) prime(ids []uuid.UUID, got map[uuid.UUID]V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.fetched[id] = got[id]
		delete(l.expected, id)
	}
}

func keys[V any](m map[uuid.UUID]V) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func pointers[V any](m map[uuid.UUID]V) map[uuid.UUID]*V {
	out, _ := pointerMap(m, nil)
	return out
}

func pointerMap[V any](m map[uuid.UUID]V, err error) (map[uuid.UUID]*V, error) {
	out := make(map[uuid.UUID]*V, len(m))
	for k := range m {
		v := m[k]
		out[k] = &v
	}
	return out, err
}

// Loader loads values of type V by uuid, batching and prefetching (see the package doc).
type Loader[V any] struct {
	dl    *dataloader.Loader[uuid.UUID, V]
	fetch func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]V, error)

	mu       sync.Mutex // held across a fetch: one loader fetches one batch at a time
	expected map[uuid.UUID]struct{}
	fetched  map[uuid.UUID]V
}

// batchWait is how long a batch of unannounced keys collects siblings.
const batchWait = 500 * time.Microsecond

func newLoader[V any](fetch func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]V, error)) *Loader[V] {
	l := &Loader[V]{fetch: fetch, expected: map[uuid.UUID]struct{}{}, fetched: map[uuid.UUID]V{}}
	l.dl = dataloader.NewBatchedLoader(l.batch, dataloader.WithWait[uuid.UUID, V](batchWait),
		dataloader.WithInputCapacity[uuid.UUID, V](64))
	return l
}

// Expect announces keys that will be loaded, so the next batch fetches them too.
func (l *Loader[V]) Expect(ids ...uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if _, ok := l.fetched[id]; !ok {
			l.expected[id] = struct{}{}
		}
	}
}

// Load returns the value for id (the zero value when there is none). An announced
// key is fetched at once, together with every other announced key, without waiting
// for a batch window; later loads of those keys are answered from memory. Keys nobody
// announced go through the dataloader's batching.
func (l *Loader[V]) Load(ctx context.Context, id uuid.UUID) (V, error) {
	l.mu.Lock()
	if v, ok := l.fetched[id]; ok {
		l.mu.Unlock()
		return v, nil
	}
	if _, ok := l.expected[id]; ok {
		err := l.fetchLocked(ctx, nil)
		v := l.fetched[id]
		l.mu.Unlock()
		return v, err
	}
	l.mu.Unlock()
	return l.dl.Load(ctx, id)()
}

// batch is the dataloader's batch function.
func (l *Loader[V]) batch(ctx context.Context, ids []uuid.UUID) []*dataloader.Result[V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.fetchLocked(ctx, ids)
	out := make([]*dataloader.Result[V], len(ids))
	for i, id := range ids {
		out[i] = &dataloader.Result[V]{Data: l.fetched[id], Error: err}
	}
	return out
}

// fetchLocked fetches ids and every announced key not fetched yet, in one query.
func (l *Loader[V]) fetchLocked(ctx context.Context, ids []uuid.UUID) error {
	need := make([]uuid.UUID, 0, len(ids)+len(l.expected))
	seen := make(map[uuid.UUID]bool, len(ids)+len(l.expected))
	add := func(id uuid.UUID) {
		if _, done := l.fetched[id]; !done && !seen[id] {
			seen[id] = true
			need = append(need, id)
		}
	}
	for _, id := range ids {
		add(id)
	}
	for id := range l.expected {
		add(id)
	}
	clear(l.expected)
	if len(need) == 0 {
		return nil
	}
	got, err := l.fetch(ctx, need)
	if err != nil {
		return err
	}
	for _, id := range need {
		l.fetched[id] = got[id]
	}
	return nil
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the request's loaders.
func From(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}
