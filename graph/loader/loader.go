// Package loader holds the per-request dataloaders (graph-gophers/dataloader): one per
// relation a query can reach (order → customer, lines, line → product, payments,
// invoice, fulfillment, events; invoice → order). They are built per request after
// authentication, bound to the request's store, and each turns the loads of one
// request into batched calls of a domain service.
//
// A page of orders is read with its relations in one round trip by
// order.Service.Page; PrimePage hands its result to the loaders, which then answer
// every relation of the page from memory.
package loader

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Services are what the loaders read from.
type Services struct {
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
}

// New builds the loaders for one request in storeID.
func New(s Services, storeID tenant.StoreID) *Loaders {
	return &Loaders{
		Order: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*order.Order, error) {
			return pointers(s.Orders.GetMany(ctx, storeID, ids))
		}),
		Customer: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*customer.Customer, error) {
			return pointers(s.Customers.GetMany(ctx, storeID, ids))
		}),
		Product: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*product.Product, error) {
			return pointers(s.Products.GetMany(ctx, storeID, ids))
		}),
		Lines: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]order.Line, error) {
			return s.Orders.LinesByOrders(ctx, storeID, ids)
		}),
		Events: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]order.Event, error) {
			return s.Orders.EventsByOrders(ctx, storeID, ids)
		}),
		Payments: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]payment.Payment, error) {
			return s.Payments.ListByOrders(ctx, storeID, ids)
		}),
		Invoice: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*invoice.Invoice, error) {
			return pointers(s.Invoices.ListByOrders(ctx, storeID, ids))
		}),
		Fulfillment: newLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*fulfillment.Fulfillment, error) {
			return pointers(s.Fulfillments.ListByOrders(ctx, storeID, ids))
		}),
	}
}

// PrimeOrders primes the order loader with orders.
func (l *Loaders) PrimeOrders(ctx context.Context, orders []order.Order) {
	for i := range orders {
		l.Order.Prime(ctx, orders[i].ID, &orders[i])
	}
}

// PrimePage primes the loaders with a page of orders and the relations it read: a
// relation the page did not include is left to load on demand.
func (l *Loaders) PrimePage(ctx context.Context, pg order.Page) {
	l.PrimeOrders(ctx, pg.Orders)
	for _, o := range pg.Orders {
		if pg.Customers != nil {
			l.Customer.Prime(ctx, o.CustomerID, pointer(pg.Customers, o.CustomerID))
		}
		if pg.Lines != nil {
			l.Lines.Prime(ctx, o.ID, pg.Lines[o.ID])
		}
		if pg.Payments != nil {
			l.Payments.Prime(ctx, o.ID, pg.Payments[o.ID])
		}
		if pg.Invoices != nil {
			l.Invoice.Prime(ctx, o.ID, pointer(pg.Invoices, o.ID))
		}
		if pg.Fulfillments != nil {
			l.Fulfillment.Prime(ctx, o.ID, pointer(pg.Fulfillments, o.ID))
		}
		if pg.Events != nil {
			l.Events.Prime(ctx, o.ID, pg.Events[o.ID])
		}
	}
	for id := range pg.Products {
		l.Product.Prime(ctx, id, pointer(pg.Products, id))
	}
}

// pointer is a pointer to a copy of m[id], or nil when there is none.
func pointer[V any](m map[uuid.UUID]V, id uuid.UUID) *V {
	v, ok := m[id]
	if !ok {
		return nil
	}
	return &v
}

func pointers[V any](m map[uuid.UUID]V, err error) (map[uuid.UUID]*V, error) {
	out := make(map[uuid.UUID]*V, len(m))
	for k := range m {
		v := m[k]
		out[k] = &v
	}
	return out, err
}

// Loader loads values of type V by uuid for one request: a dataloader whose batch
// function reads a map of the found keys (a missing key gets V's zero value).
type Loader[V any] struct {
	dl *dataloader.Loader[uuid.UUID, V]
}

// batchWait is how long a batch collects the loads of sibling fields.
const batchWait = time.Millisecond

func newLoader[V any](fetch func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]V, error)) *Loader[V] {
	batch := func(ctx context.Context, ids []uuid.UUID) []*dataloader.Result[V] {
		got, err := fetch(ctx, ids)
		out := make([]*dataloader.Result[V], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[V]{Data: got[id], Error: err}
		}
		return out
	}
	return &Loader[V]{dl: dataloader.NewBatchedLoader(batch, dataloader.WithWait[uuid.UUID, V](batchWait))}
}

// Load returns the value for id (the zero value when there is none).
func (l *Loader[V]) Load(ctx context.Context, id uuid.UUID) (V, error) {
	return l.dl.Load(ctx, id)()
}

// Prime records v as id's value, unless id was loaded already.
func (l *Loader[V]) Prime(ctx context.Context, id uuid.UUID, v V) {
	l.dl.Prime(ctx, id, v)
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
