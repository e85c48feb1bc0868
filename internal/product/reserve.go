package product

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

// Demand asks for Quantity units of one product, named by ID or by SKU. Field names
// the input that named it, for errors.
type Demand struct {
	ID       uuid.UUID
	SKU      string
	Quantity int
	Field    string
}

// Reserve reserves stock for demands inside the caller's transaction and returns the
// product each demand resolved to (same order). It locks the products in id order, so
// concurrent orders cannot deadlock, and reserves only when every product has enough
// available: a short product fails the whole call with INSUFFICIENT_STOCK naming every
// short SKU. The table's CHECK (stock_reserved <= stock_on_hand) backs this up.
func Reserve(ctx context.Context, tx pgx.Tx, storeID uuid.UUID, demands []Demand) ([]Product, error) {
	var ids []uuid.UUID
	var skus []string
	for _, d := range demands {
		if d.ID != uuid.Nil {
			ids = append(ids, d.ID)
		} else {
			skus = append(skus, d.SKU)
		}
	}
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM products
		WHERE store_id = $1 AND (id = ANY($2) OR sku = ANY($3)) ORDER BY id FOR UPDATE`, storeID, ids, skus)
	if err != nil {
		return nil, fmt.Errorf("lock products: %w", err)
	}
	found, err := scanRows(rows)
	if err != nil {
		return nil, fmt.Errorf("lock products: %w", err)
	}
	byID := make(map[uuid.UUID]*Product, len(found))
	bySKU := make(map[string]*Product, len(found))
	for i := range found {
		byID[found[i].ID], bySKU[found[i].SKU] = &found[i], &found[i]
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

	resIDs := make([]uuid.UUID, 0, len(want))
	resQty := make([]int32, 0, len(want))
	for id, q := range want {
		resIDs, resQty = append(resIDs, id), append(resQty, int32(q))
	}
	_, err = tx.Exec(ctx, `UPDATE products p SET stock_reserved = p.stock_reserved + r.qty, updated_at = now()
		FROM unnest($2::uuid[], $3::int[]) AS r(id, qty) WHERE p.store_id = $1 AND p.id = r.id`, storeID, resIDs, resQty)
	if err != nil {
		return nil, fmt.Errorf("reserve stock: %w", err)
	}
	return out, nil
}
