package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ordergraph/ordergraph/graph/loader"
	"github.com/ordergraph/ordergraph/graph/model"
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
	os, more, err := r.Svc.Orders.List(ctx, storeID(ctx), p, args)
	if err != nil {
		return nil, err
	}
	l := loader.From(ctx)
	l.ExpectOrders(os)
	if err := l.PrefetchOrders(ctx, selectedRelations(ctx)); err != nil {
		return nil, err
	}
	conn := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(os)), Params: p}
	conn.PageInfo = pageInfo(os, more, func(o order.Order) string { return p.Cursor(o).Encode() })
	for i := range os {
		conn.Edges[i] = &model.OrderEdge{Cursor: p.Cursor(os[i]).Encode(), Node: &os[i]}
	}
	return conn, nil
}

// selectedRelations are the relations the current orders connection field selects on
// its orders (edges.node), for PrefetchOrders.
func selectedRelations(ctx context.Context) loader.Relations {
	var rel loader.Relations
	oc, fc := graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx)
	if fc == nil {
		return rel
	}
	nodes := selectionOf(oc, selectionOf(oc, fc.Field.Selections, "edges", "OrderConnection"), "node", "OrderEdge")
	for _, f := range graphql.CollectFields(oc, nodes, []string{"Order", "Node"}) {
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
