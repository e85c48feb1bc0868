package product

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
)

// Demand asks for Quantity units of one product, named by ID or by SKU. Field names
// the input that named it, for errors.
type Demand struct {
	ID       uuid.UUID
	SKU      string
	Quantity int
	Field    string
}

// Reservation reserves stock for an order's demands inside the caller's transaction, in
// steps the caller pipelines with statements of its own (db.Send):
//
//	r := product.NewReservation(storeID, demands)
//	db.Send(ctx, tx, …, r.Lock())          // lock the products
//	products, reserve, err := r.Check()    // does each exist, with enough available?
//	db.Send(ctx, tx, reserve, …)           // reserve the stock
//
// The products are locked in id order, so concurrent orders cannot deadlock, and stock
// is reserved only when every product has enough available: a short product fails the
// whole order with INSUFFICIENT_STOCK naming every short SKU. The table's CHECK
// (stock_reserved <= stock_on_hand) backs this up.
type Reservation struct {
	storeID uuid.UUID
	demands []Demand
	locked  []Product
}

// NewReservation prepares the reservation of demands in storeID.
func NewReservation(storeID uuid.UUID, demands []Demand) *Reservation {
	return &Reservation{storeID: storeID, demands: demands}
}

// Lock is the statement that locks the demanded products, in id order.
func (r *Reservation) Lock() db.Queued {
	var ids []uuid.UUID
	var skus []string
	for _, d := range r.demands {
		if d.ID != uuid.Nil {
			ids = append(ids, d.ID)
		} else {
			skus = append(skus, d.SKU)
		}
	}
	return db.Queued{SQL: `SELECT ` + columns + ` FROM products
		WHERE store_id = $1 AND (id = ANY($2) OR sku = ANY($3)) ORDER BY id FOR UPDATE`,
		Args: []any{r.storeID, ids, skus},
		Scan: func(rows pgx.Rows) (err error) {
			if r.locked, err = scanRows(rows); err != nil {
				return fmt.Errorf("lock products: %w", err)
			}
			return nil
		}}
}

// Check checks the locked products against the demands. It returns the product each
// demand resolved to (same order) and the statement that reserves their stock, or
// BAD_USER_INPUT for a product that does not exist and INSUFFICIENT_STOCK.
func (r *Reservation) Check() ([]Product, db.Queued, error) {
	byID := make(map[uuid.UUID]*Product, len(r.locked))
	bySKU := make(map[string]*Product, len(r.locked))
	for i := range r.locked {
		byID[r.locked[i].ID], bySKU[r.locked[i].SKU] = &r.locked[i], &r.locked[i]
	}

	out := make([]Product, len(r.demands))
	want := map[uuid.UUID]int{}
	for i, d := range r.demands {
		p := byID[d.ID]
		if d.ID == uuid.Nil {
			p = bySKU[d.SKU]
		}
		if p == nil {
			what := fmt.Sprintf("sku %q", d.SKU)
			if d.ID != uuid.Nil {
				what = "product " + d.ID.String()
			}
			return nil, db.Queued{}, apperr.Invalid(d.Field, "%s does not exist in this store", what)
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
		return nil, db.Queued{}, &apperr.Error{Code: apperr.InsufficientStock,
			Message: "not enough stock for " + strings.Join(short, ", "),
			Details: map[string]any{"skus": short, "shortages": details}}
	}

	resIDs := make([]uuid.UUID, 0, len(want))
	resQty := make([]int32, 0, len(want))
	for id, q := range want {
		resIDs, resQty = append(resIDs, id), append(resQty, int32(q))
	}
	return out, db.Exec(`UPDATE products p SET stock_reserved = p.stock_reserved + r.qty, updated_at = now()
		FROM unnest($2::uuid[], $3::int[]) AS r(id, qty) WHERE p.store_id = $1 AND p.id = r.id`,
		r.storeID, resIDs, resQty), nil
}
