package graph

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/money"
)

// catalogNode resolves the node types of the catalog and order domains.
func (r *Resolver) catalogNode(ctx context.Context, storeID uuid.UUID, typ string, id uuid.UUID) (model.Node, error) {
	switch typ {
	case "Product":
		p, err := r.Svc.Products.Get(ctx, storeID, id)
		return nilIfNotFound(&p, err)
	case "Customer":
		c, err := r.Svc.Customers.Get(ctx, storeID, id)
		return nilIfNotFound(&c, err)
	case "Order":
		o, err := r.Svc.Orders.Get(ctx, storeID, id)
		return nilIfNotFound(&o, err)
	case "Payment":
		return nodeOrNil(r.Svc.Payments.Get(ctx, storeID, id))
	case "Invoice":
		return nodeOrNil(r.Svc.Invoices.Get(ctx, storeID, id))
	case "Fulfillment":
		return nodeOrNil(r.Svc.Fulfillments.Get(ctx, storeID, id))
	}
	return nil, nil
}

// nodeOrNil returns a typed nil pointer as an untyped nil node.
func nodeOrNil[T any](v *T, err error) (model.Node, error) {
	if v == nil || err != nil {
		return nil, err
	}
	return v, nil
}

// nilIfMissing answers a missing (or another store's) object with null.
func nilIfMissing[T any](v *T, err error) (*T, error) {
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

func moneyOf(minor int64, currency string) *model.Money {
	return &model.Money{Amount: money.FormatMinor(minor, currency), CurrencyCode: currency}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// pageInfo builds a connection's PageInfo from its rows.
func pageInfo[T any](rows []T, more bool, cursor func(T) string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: more}
	if len(rows) > 0 {
		c := cursor(rows[len(rows)-1])
		pi.EndCursor = &c
	}
	return pi
}
