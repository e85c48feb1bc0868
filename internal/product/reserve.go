package product

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Demand asks for Quantity units of one product, named by ID or by SKU. Field names
// the input that named it, for errors.
type Demand struct {
	ID       uuid.UUID
	SKU      string
	Quantity int
	Field    string
}

// Reserve reserves stock for an order's demands inside the caller's transaction and
// returns the product each demand resolved to (in the same order).
//
// The products are locked in id order, so concurrent orders cannot deadlock, and stock
// is reserved only when every product has enough available: a demand naming no product
// of the store is BAD_USER_INPUT at its Field, and a short product fails the whole order
// with INSUFFICIENT_STOCK naming every short SKU. The table's CHECK (stock_reserved <=
// stock_on_hand) backs this up.
func Reserve(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, demands []Demand) ([]Product, error) {
	var ids []uuid.UUID
	var skus []string
	for _, d := range demands {
		if d.ID != uuid.Nil {
			ids = append(ids, d.ID)
		} else {
			skus = append(skus, d.SKU)
		}
	}
	rows, err := queries.ProductLockForOrder(ctx, tx, dbsqlc.ProductLockForOrderParams{StoreID: storeID, Ids: ids, Skus: skus})
	if err != nil {
		return nil, fmt.Errorf("lock products: %w", err)
	}
	locked := fromRows(rows)
	byID := make(map[uuid.UUID]*Product, len(locked))
	bySKU := make(map[string]*Product, len(locked))
	for i := range locked {
		byID[locked[i].ID], bySKU[locked[i].SKU] = &locked[i], &locked[i]
	}

	out := make([]Product, len(demands))
	want := map[uuid.UUID]int{}
	for i, d := range demands {
		p := byID[d.ID]
		if d.ID == uuid.Nil {
			p = bySKU[d.SKU]
		}
		if p == nil {
			what := fmt.Sprintf("sku %q", d.SKU)
			if d.ID != uuid.Nil {
				what = "product " + d.ID.String()
			}
			return nil, apperr.Invalid(d.Field, "%s does not exist in this store", what)
		}
		out[i] = *p
		want[p.ID] += d.Quantity
	}

	var short []string
	var details []map[string]any
	for id, qty := range want {
		if p := byID[id]; p.StockAvailable() < qty {
			short = append(short, p.SKU)
			details = append(details, map[string]any{"sku": p.SKU, "requested": qty, "available": p.StockAvailable()})
		}
	}
	if len(short) > 0 {
		sort.Strings(short)
		sort.Slice(details, func(i, j int) bool { return details[i]["sku"].(string) < details[j]["sku"].(string) })
		return nil, &apperr.Error{Code: apperr.InsufficientStock,
			Message: "not enough stock for " + strings.Join(short, ", "),
			Details: map[string]any{"skus": short, "shortages": details}}
	}

	arg := dbsqlc.ProductReserveParams{StoreID: storeID}
	for id, q := range want {
		arg.Ids, arg.Quantities = append(arg.Ids, id), append(arg.Quantities, int32(q))
	}
	if err := queries.ProductReserve(ctx, tx, arg); err != nil {
		return nil, fmt.Errorf("reserve stock: %w", err)
	}
	return out, nil
}
