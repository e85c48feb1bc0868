package graph

import (
	"context"

	"github.com/ordergraph/ordergraph/graph/generated"
	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/product"
)

func (r *customerResolver) ID(ctx context.Context, obj *customer.Customer) (string, error) {
	return gid.Encode("Customer", obj.ID), nil
}

func (r *customerResolver) Orders(ctx context.Context, obj *customer.Customer, first *int, after *string) (*model.OrderConnection, error) {
	return r.listOrders(ctx, order.ListParams{CustomerID: obj.ID, Desc: true}, first, after)
}

func (r *customerConnectionResolver) TotalCount(ctx context.Context, obj *model.CustomerConnection) (int, error) {
	return r.Svc.Customers.Count(ctx, storeID(ctx), obj.Search)
}

func (r *mutationResolver) CreateProduct(ctx context.Context, input model.CreateProductInput) (*product.Product, error) {
	p, err := r.Svc.Products.Create(ctx, storeID(ctx), product.CreateParams{
		SKU: input.Sku, Name: input.Name, Price: input.Price, StockOnHand: input.StockOnHand,
		LowStockThreshold: input.LowStockThreshold,
	})
	return &p, err
}

func (r *mutationResolver) UpdateProduct(ctx context.Context, id string, input model.UpdateProductInput) (*product.Product, error) {
	pid, err := gid.Decode("id", "Product", id)
	if err != nil {
		return nil, err
	}
	p, err := r.Svc.Products.Update(ctx, storeID(ctx), pid, product.UpdateParams{
		Name: input.Name, Price: input.Price, LowStockThreshold: input.LowStockThreshold,
	})
	return &p, err
}

func (r *mutationResolver) AdjustStock(ctx context.Context, productID string, delta int, reason *string) (*product.Product, error) {
	pid, err := gid.Decode("productId", "Product", productID)
	if err != nil {
		return nil, err
	}
	var why string
	if reason != nil {
		why = *reason
	}
	p, err := r.Svc.Products.AdjustStock(ctx, storeID(ctx), pid, delta, why)
	return &p, err
}

func (r *productResolver) ID(ctx context.Context, obj *product.Product) (string, error) {
	return gid.Encode("Product", obj.ID), nil
}

func (r *productResolver) Price(ctx context.Context, obj *product.Product) (*model.Money, error) {
	return moneyOf(obj.PriceMinor, obj.CurrencyCode), nil
}

func (r *productConnectionResolver) TotalCount(ctx context.Context, obj *model.ProductConnection) (int, error) {
	return r.Svc.Products.Count(ctx, storeID(ctx), obj.Filter)
}

func (r *queryResolver) Products(ctx context.Context, first *int, after *string, filter *model.ProductFilter) (*model.ProductConnection, error) {
	args, err := page.NewArgs(first, after, product.Sort)
	if err != nil {
		return nil, err
	}
	var f product.ListFilter
	if filter != nil {
		f.Search = deref(filter.Search)
		f.LowStock = filter.LowStock != nil && *filter.LowStock
	}
	ps, more, err := r.Svc.Products.List(ctx, storeID(ctx), f, args)
	if err != nil {
		return nil, err
	}
	conn := &model.ProductConnection{Edges: make([]*model.ProductEdge, len(ps)), Filter: f}
	conn.PageInfo = pageInfo(ps, more, func(p product.Product) string { return product.Cursor(p).Encode() })
	for i := range ps {
		conn.Edges[i] = &model.ProductEdge{Cursor: product.Cursor(ps[i]).Encode(), Node: &ps[i]}
	}
	return conn, nil
}

func (r *queryResolver) Product(ctx context.Context, id string) (*product.Product, error) {
	pid, err := gid.Decode("id", "Product", id)
	if err != nil {
		return nil, err
	}
	p, err := r.Svc.Products.Get(ctx, storeID(ctx), pid)
	return nilIfMissing(&p, err)
}

func (r *queryResolver) Customers(ctx context.Context, first *int, after *string, filter *model.CustomerFilter) (*model.CustomerConnection, error) {
	args, err := page.NewArgs(first, after, customer.Sort)
	if err != nil {
		return nil, err
	}
	var search string
	if filter != nil {
		search = deref(filter.Search)
	}
	cs, more, err := r.Svc.Customers.List(ctx, storeID(ctx), search, args)
	if err != nil {
		return nil, err
	}
	conn := &model.CustomerConnection{Edges: make([]*model.CustomerEdge, len(cs)), Search: search}
	conn.PageInfo = pageInfo(cs, more, func(c customer.Customer) string { return customer.Cursor(c).Encode() })
	for i := range cs {
		conn.Edges[i] = &model.CustomerEdge{Cursor: customer.Cursor(cs[i]).Encode(), Node: &cs[i]}
	}
	return conn, nil
}

// Customer returns generated.CustomerResolver implementation.
func (r *Resolver) Customer() generated.CustomerResolver { return &customerResolver{r} }

// CustomerConnection returns generated.CustomerConnectionResolver implementation.
func (r *Resolver) CustomerConnection() generated.CustomerConnectionResolver {
	return &customerConnectionResolver{r}
}

// Product returns generated.ProductResolver implementation.
func (r *Resolver) Product() generated.ProductResolver { return &productResolver{r} }

// ProductConnection returns generated.ProductConnectionResolver implementation.
func (r *Resolver) ProductConnection() generated.ProductConnectionResolver {
	return &productConnectionResolver{r}
}

type customerResolver struct{ *Resolver }
type customerConnectionResolver struct{ *Resolver }
type productResolver struct{ *Resolver }
type productConnectionResolver struct{ *Resolver }
