package product

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Quantities are units per product (an order's lines, summed by product).
type Quantities map[uuid.UUID]int

func (q Quantities) arrays() ([]uuid.UUID, []int32) {
	ids, qty := make([]uuid.UUID, 0, len(q)), make([]int32, 0, len(q))
	for id, n := range q {
		ids, qty = append(ids, id), append(qty, int32(n))
	}
	return ids, qty
}

// Release gives an order's reserved stock back, in the caller's transaction (the order
// was cancelled before it shipped).
func Release(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, q Quantities) error {
	ids, qty := q.arrays()
	if err := queries.ProductRelease(ctx, tx, dbsqlc.ProductReleaseParams{StoreID: storeID, Ids: ids, Quantities: qty}); err != nil {
		return fmt.Errorf("release stock: %w", err)
	}
	return nil
}

// Ship takes an order's units off hand (and out of reservation) when it ships and
// records the movements, in the caller's transaction. It returns the products as they
// now are, for the low-stock check.
func Ship(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID, reason string, q Quantities) ([]Product, error) {
	ids, qty := q.arrays()
	rows, err := queries.ProductShip(ctx, tx, dbsqlc.ProductShipParams{StoreID: storeID, Ids: ids, Quantities: qty})
	if err != nil {
		return nil, fmt.Errorf("ship stock: %w", err)
	}
	deltas := make([]int32, len(qty))
	for i, n := range qty {
		deltas[i] = -n
	}
	if err := queries.StockMovementCreateMany(ctx, tx, dbsqlc.StockMovementCreateManyParams{StoreID: storeID,
		Reason: reason, OrderID: &orderID, ProductIds: ids, Deltas: deltas}); err != nil {
		return nil, fmt.Errorf("record stock movements: %w", err)
	}
	return fromRows(rows), nil
}

// ListLowStock returns storeID's products whose available stock is at or below their
// threshold, read in the caller's transaction.
func ListLowStock(ctx context.Context, q db.Querier, storeID tenant.StoreID) ([]Product, error) {
	rows, err := queries.ProductListLowStock(ctx, q, storeID)
	if err != nil {
		return nil, fmt.Errorf("low stock: %w", err)
	}
	return fromRows(rows), nil
}
