package graph

import (
	"context"
	"fmt"

	"github.com/ordergraph/ordergraph/graph/generated"
	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
)

func (r *fulfillmentResolver) ID(ctx context.Context, obj *fulfillment.Fulfillment) (string, error) {
	return gid.Encode("Fulfillment", obj.ID), nil
}

func (r *invoiceResolver) ID(ctx context.Context, obj *invoice.Invoice) (string, error) {
	return gid.Encode("Invoice", obj.ID), nil
}

func (r *invoiceResolver) Total(ctx context.Context, obj *invoice.Invoice) (*model.Money, error) {
	return moneyOf(obj.TotalMinor, obj.CurrencyCode), nil
}

func (r *invoiceResolver) Order(ctx context.Context, obj *invoice.Invoice) (*order.Order, error) {
	return required(loader.From(ctx).Order.Load(ctx, obj.OrderID))
}

func (r *invoiceConnectionResolver) TotalCount(ctx context.Context, obj *model.InvoiceConnection) (int, error) {
	return r.Svc.Invoices.Count(ctx, storeID(ctx), obj.Statuses)
}

func (r *mutationResolver) CreateOrder(ctx context.Context, input model.CreateOrderInput) (*order.Order, error) {
	p := order.CreateParams{
		IdempotencyKey: input.IdempotencyKey,
		CustomerEmail:  input.Customer.Email,
		CustomerName:   input.Customer.Name,
		Lines:          make([]order.LineParams, len(input.Lines)),
		Note:           input.Note,
		ShippingAddress: order.Address{
			Name: input.ShippingAddress.Name, Line1: input.ShippingAddress.Line1, Line2: input.ShippingAddress.Line2,
			City: input.ShippingAddress.City, PostalCode: input.ShippingAddress.PostalCode,
			CountryCode: input.ShippingAddress.CountryCode,
		},
	}
	for i, l := range input.Lines {
		p.Lines[i] = order.LineParams{SKU: l.Sku, Quantity: l.Quantity}
		if l.ProductID != nil {
			id, err := gid.Decode(fmt.Sprintf("input.lines.%d.productId", i), "Product", *l.ProductID)
			if err != nil {
				return nil, err
			}
			p.Lines[i].Product = id
		}
	}
	o, _, err := r.Svc.Orders.Create(ctx, storeID(ctx), p)
	return &o, err
}

func (r *orderResolver) ID(ctx context.Context, obj *order.Order) (string, error) {
	return gid.Encode("Order", obj.ID), nil
}

func (r *orderResolver) Customer(ctx context.Context, obj *order.Order) (*customer.Customer, error) {
	return required(loader.From(ctx).Customer.Load(ctx, obj.CustomerID))
}

func (r *orderResolver) Lines(ctx context.Context, obj *order.Order) ([]*order.Line, error) {
	lines, err := loader.From(ctx).Lines.Load(ctx, obj.ID)
	return pointers(lines), err
}

func (r *orderResolver) Subtotal(ctx context.Context, obj *order.Order) (*model.Money, error) {
	return moneyOf(obj.SubtotalMinor, obj.CurrencyCode), nil
}

func (r *orderResolver) Total(ctx context.Context, obj *order.Order) (*model.Money, error) {
	return moneyOf(obj.TotalMinor, obj.CurrencyCode), nil
}

func (r *orderResolver) Payments(ctx context.Context, obj *order.Order) ([]*payment.Payment, error) {
	ps, err := loader.From(ctx).Payments.Load(ctx, obj.ID)
	return pointers(ps), err
}

func (r *orderResolver) Invoice(ctx context.Context, obj *order.Order) (*invoice.Invoice, error) {
	return loader.From(ctx).Invoice.Load(ctx, obj.ID)
}

func (r *orderResolver) Fulfillment(ctx context.Context, obj *order.Order) (*fulfillment.Fulfillment, error) {
	return loader.From(ctx).Fulfillment.Load(ctx, obj.ID)
}

func (r *orderResolver) Events(ctx context.Context, obj *order.Order) ([]*order.Event, error) {
	evs, err := loader.From(ctx).Events.Load(ctx, obj.ID)
	return pointers(evs), err
}

func (r *orderConnectionResolver) TotalCount(ctx context.Context, obj *model.OrderConnection) (int, error) {
	return r.Svc.Orders.Count(ctx, storeID(ctx), obj.Params)
}

func (r *orderEventResolver) Data(ctx context.Context, obj *order.Event) (string, error) {
	return string(obj.Data), nil
}

func (r *orderLineResolver) Product(ctx context.Context, obj *order.Line) (*product.Product, error) {
	return required(loader.From(ctx).Product.Load(ctx, obj.ProductID))
}

func (r *orderLineResolver) UnitPrice(ctx context.Context, obj *order.Line) (*model.Money, error) {
	return moneyOf(obj.UnitPriceMinor, obj.CurrencyCode), nil
}

func (r *orderLineResolver) Total(ctx context.Context, obj *order.Line) (*model.Money, error) {
	return moneyOf(obj.TotalMinor, obj.CurrencyCode), nil
}

func (r *paymentResolver) ID(ctx context.Context, obj *payment.Payment) (string, error) {
	return gid.Encode("Payment", obj.ID), nil
}

func (r *paymentResolver) Amount(ctx context.Context, obj *payment.Payment) (*model.Money, error) {
	return moneyOf(obj.AmountMinor, obj.CurrencyCode), nil
}

func (r *queryResolver) Orders(ctx context.Context, first *int, after *string, filter *model.OrderFilter, orderBy *model.OrderOrder) (*model.OrderConnection, error) {
	p := order.ListParams{Desc: true}
	if orderBy != nil {
		p.SortBy = orderBy.Field
		p.Desc = orderBy.Direction == nil || *orderBy.Direction == model.SortDirectionDesc
	}
	if f := filter; f != nil {
		p.Statuses, p.CreatedFrom, p.CreatedTo, p.TotalMin, p.TotalMax = f.Status, f.CreatedFrom, f.CreatedTo, f.TotalMin, f.TotalMax
		p.CustomerEmail = deref(f.CustomerEmail)
		if f.Number != nil {
			n := int64(*f.Number)
			p.Number = &n
		}
	}
	return r.listOrders(ctx, p, first, after)
}

func (r *queryResolver) Order(ctx context.Context, id string) (*order.Order, error) {
	oid, err := gid.Decode("id", "Order", id)
	if err != nil {
		return nil, err
	}
	o, err := r.Svc.Orders.Get(ctx, storeID(ctx), oid)
	return nilIfMissing(&o, err)
}

func (r *queryResolver) Invoices(ctx context.Context, first *int, after *string, filter *model.InvoiceFilter) (*model.InvoiceConnection, error) {
	args, err := page.NewArgs(first, after, invoice.Sort)
	if err != nil {
		return nil, err
	}
	var statuses []string
	if filter != nil {
		statuses = filter.Status
	}
	invs, more, err := r.Svc.Invoices.List(ctx, storeID(ctx), statuses, args)
	if err != nil {
		return nil, err
	}
	conn := &model.InvoiceConnection{Edges: make([]*model.InvoiceEdge, len(invs)), Statuses: statuses}
	conn.PageInfo = pageInfo(invs, more, func(inv invoice.Invoice) string { return invoice.Cursor(inv).Encode() })
	for i := range invs {
		conn.Edges[i] = &model.InvoiceEdge{Cursor: invoice.Cursor(invs[i]).Encode(), Node: &invs[i]}
	}
	return conn, nil
}

// listOrders serves orders and Customer.orders: one page, and the page's order ids
// announced to the loaders so each relation below costs one query.
func (r *Resolver) listOrders(ctx context.Context, p order.ListParams, first *int, after *string) (*model.OrderConnection, error) {
	args, err := page.NewArgs(first, after, p.SortKey())
	if err != nil {
		return nil, err
	}
	os, more, err := r.Svc.Orders.List(ctx, storeID(ctx), p, args)
	if err != nil {
		return nil, err
	}
	loader.From(ctx).ExpectOrders(os)
	conn := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(os)), Params: p}
	conn.PageInfo = pageInfo(os, more, func(o order.Order) string { return p.Cursor(o).Encode() })
	for i := range os {
		conn.Edges[i] = &model.OrderEdge{Cursor: p.Cursor(os[i]).Encode(), Node: &os[i]}
	}
	return conn, nil
}

// required turns a relation that must exist but does not into an error (it would be
// a broken foreign key, which the schema prevents).
func required[T any](v *T, err error) (*T, error) {
	if err == nil && v == nil {
		return nil, apperr.New(apperr.Internal, "related object is missing")
	}
	return v, err
}

// Fulfillment returns generated.FulfillmentResolver implementation.
func (r *Resolver) Fulfillment() generated.FulfillmentResolver { return &fulfillmentResolver{r} }

// Invoice returns generated.InvoiceResolver implementation.
func (r *Resolver) Invoice() generated.InvoiceResolver { return &invoiceResolver{r} }

// InvoiceConnection returns generated.InvoiceConnectionResolver implementation.
func (r *Resolver) InvoiceConnection() generated.InvoiceConnectionResolver {
	return &invoiceConnectionResolver{r}
}

// Order returns generated.OrderResolver implementation.
func (r *Resolver) Order() generated.OrderResolver { return &orderResolver{r} }

// OrderConnection returns generated.OrderConnectionResolver implementation.
func (r *Resolver) OrderConnection() generated.OrderConnectionResolver {
	return &orderConnectionResolver{r}
}

// OrderEvent returns generated.OrderEventResolver implementation.
func (r *Resolver) OrderEvent() generated.OrderEventResolver { return &orderEventResolver{r} }

// OrderLine returns generated.OrderLineResolver implementation.
func (r *Resolver) OrderLine() generated.OrderLineResolver { return &orderLineResolver{r} }

// Payment returns generated.PaymentResolver implementation.
func (r *Resolver) Payment() generated.PaymentResolver { return &paymentResolver{r} }

type fulfillmentResolver struct{ *Resolver }
type invoiceResolver struct{ *Resolver }
type invoiceConnectionResolver struct{ *Resolver }
type orderResolver struct{ *Resolver }
type orderConnectionResolver struct{ *Resolver }
type orderEventResolver struct{ *Resolver }
type orderLineResolver struct{ *Resolver }
type paymentResolver struct{ *Resolver }
