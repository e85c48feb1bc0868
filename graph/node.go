package graph

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/graph/model"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// node resolves a global id within the request's store. Another store's object is
// reported exactly like a missing one: null.
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	typ, uid, ok := gid.Parse(id)
	if !ok {
		return nil, apperr.Invalid("id", "%q is not a global id (gid://ordergraph/<Type>/<uuid>)", id)
	}
	sid := storeID(ctx)
	switch typ {
	case "Store":
		if tenant.StoreID(uid) != sid {
			return nil, nil
		}
		st, err := r.Svc.Stores.Get(ctx, sid)
		return nilIfNotFound(&st, err)
	case "ApiKey":
		if !principal(ctx).Role.AtLeast(store.RoleAdmin) {
			return nil, nil
		}
		keys, err := r.Svc.Stores.ListAPIKeys(ctx, sid)
		for i := range keys {
			if keys[i].ID == uid {
				return &keys[i], err
			}
		}
		return nil, err
	case "User":
		m, err := r.Svc.Stores.Member(ctx, sid, uid)
		if err != nil {
			return nilIfNotFound[auth.User](nil, err)
		}
		return &auth.User{ID: m.UserID, Email: m.Email, Name: m.Name, CreatedAt: m.CreatedAt}, nil
	}
	return r.catalogNode(ctx, sid, typ, uid)
}

// nilIfNotFound turns NOT_FOUND into a null node.
func nilIfNotFound[T any](v *T, err error) (model.Node, error) {
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// catalogNode resolves the node types of the catalog and order domains.
func (r *Resolver) catalogNode(ctx context.Context, storeID tenant.StoreID, typ string, id uuid.UUID) (model.Node, error) {
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
		p, err := r.Svc.Payments.Get(ctx, storeID, id)
		return nilIfNotFound(&p, err)
	case "Invoice":
		inv, err := r.Svc.Invoices.Get(ctx, storeID, id)
		return nilIfNotFound(&inv, err)
	case "Fulfillment":
		f, err := r.Svc.Fulfillments.Get(ctx, storeID, id)
		return nilIfNotFound(&f, err)
	}
	return nil, nil
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
