package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/page"
)

// pageInfo builds a connection's PageInfo from its rows.
func pageInfo[T any](rows []T, more bool, cursor func(T) string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: more}
	if len(rows) > 0 {
		c := cursor(rows[len(rows)-1])
		pi.EndCursor = &c
	}
	return pi
}

// listOrders serves orders and Customer.orders: one page, and the page's order ids
// announced to the loaders so each relation below costs one query.
func (r *Resolver) listOrders(ctx context.Context, p order.ListParams, first *int, after *string) (*model.OrderConnection, error) {
	args, err := page.NewArgs(first, after, p.SortKey())
	if err != nil {
		return nil, err
	}
	pg, err := r.Svc.Orders.Page(ctx, storeID(ctx), p, args, selectedRelations(ctx, "edges", "OrderConnection", "node", "OrderEdge"))
	var e *apperr.Error
	if errors.As(err, &e) && e.Field != order.FieldAfter {
		return nil, inField("filter", err) // a filter's bound
	}
	if err != nil {
		return nil, err
	}
	loader.From(ctx).PrimePage(ctx, pg)
	os, more := pg.Orders, pg.More
	conn := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(os)), Params: p}
	conn.PageInfo = pageInfo(os, more, func(o order.Order) string { return p.Cursor(o).Encode() })
	for i := range os {
		conn.Edges[i] = &model.OrderEdge{Cursor: p.Cursor(os[i]).Encode(), Node: &os[i]}
	}
	return conn, nil
}

// selectedRelations are the relations of Order that the current field selects on the
// orders it reaches through path (pairs of a field name and the type it is selected
// on: "edges", "OrderConnection", "node", "OrderEdge"), for order.Service.Page.
func selectedRelations(ctx context.Context, path ...string) order.Include {
	var rel order.Include
	oc, fc := graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx)
	if fc == nil {
		return rel
	}
	orders := fc.Field.Selections
	for i := 0; i+1 < len(path); i += 2 {
		orders = selectionOf(oc, orders, path[i], path[i+1])
	}
	for _, f := range graphql.CollectFields(oc, orders, []string{"Order", "Node"}) {
		switch f.Name {
		case "customer":
			rel.Customer = true
		case "lines":
			rel.Lines = true
			rel.Products = rel.Products || len(selectionOf(oc, f.Selections, "product", "OrderLine")) > 0
		case "payments":
			rel.Payments = true
		case "invoice":
			rel.Invoice = true
		case "fulfillment":
			rel.Fulfillment = true
		case "events":
			rel.Events = true
		}
	}
	return rel
}

// selectionOf is what sel, on an object of type typ, selects under the field name.
func selectionOf(oc *graphql.OperationContext, sel ast.SelectionSet, name, typ string) ast.SelectionSet {
	var out ast.SelectionSet
	for _, f := range graphql.CollectFields(oc, sel, []string{typ}) {
		if f.Name == name {
			out = append(out, f.Selections...)
		}
	}
	return out
}
