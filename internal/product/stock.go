package product

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/alert"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Quantities are units per product (an order's lines, summed by product).
type Quantities map[uuid.UUID]int

// lock locks q's products in id order (intake's order: no deadlock between them) in
// tx, and returns their ids and quantities in that order.
func (q Quantities) lock(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID) ([]uuid.UUID, []int32, error) {
	ids := slices.SortedFunc(maps.Keys(q), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	qty := make([]int32, len(ids))
	for i, id := range ids {
		qty[i] = int32(q[id])
	}
	if err := queries.ProductLockByIDs(ctx, tx, dbsqlc.ProductLockByIDsParams{StoreID: storeID, Ids: ids}); err != nil {
		return nil, nil, fmt.Errorf("lock products: %w", err)
	}
	return ids, qty, nil
}

// Release gives an order's reserved stock back, in the caller's transaction (the order
// was cancelled before it shipped).
func Release(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, q Quantities) error {
	ids, qty, err := q.lock(ctx, tx, storeID)
	if err != nil {
		return err
	}
	if err := queries.ProductRelease(ctx, tx, dbsqlc.ProductReleaseParams{StoreID: storeID, Ids: ids, Quantities: qty}); err != nil {
		return fmt.Errorf("release stock: %w", err)
	}
	return nil
}

// Ship takes an order's units off hand (and out of reservation) when it ships and
// records the movements, in the caller's transaction. It returns the products as they
// now are, for the low-stock check.
func Ship(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID, reason string, q Quantities) ([]Product, error) {
	ids, qty, err := q.lock(ctx, tx, storeID)
	if err != nil {
		return nil, err
	}
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

// SyncLowStockAlerts opens a LOW_STOCK alert for each of products at or below its
// threshold and resolves it for the others, in the caller's transaction.
func SyncLowStockAlerts(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, products []Product) error {
	for _, p := range products {
		if !p.LowStock() {
			if err := alert.ResolveSubject(ctx, tx, storeID, alert.KindLowStock, p.ID); err != nil {
				return err
			}
			continue
		}
		if err := alert.Open(ctx, tx, storeID, alert.Params{Kind: alert.KindLowStock, SubjectID: p.ID,
			Message: fmt.Sprintf("%s (%s) is low on stock: %d available, threshold %d", p.Name, p.SKU,
				p.StockAvailable(), p.LowStockThreshold),
			Data: map[string]any{"sku": p.SKU, "available": p.StockAvailable(), "threshold": p.LowStockThreshold}}); err != nil {
			return err
		}
	}
	return nil
}

// SweepLowStock brings storeID's LOW_STOCK alerts in line with its stock, in the
// caller's transaction: one open alert per product at or below its threshold, none for
// the others. It returns how many products are low.
func SweepLowStock(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID) (int, error) {
	low, err := ListLowStock(ctx, tx, storeID)
	if err != nil {
		return 0, err
	}
	if err := SyncLowStockAlerts(ctx, tx, storeID, low); err != nil {
		return 0, err
	}
	isLow := make(map[uuid.UUID]bool, len(low))
	for _, p := range low {
		isLow[p.ID] = true
	}
	open, err := queries.AlertListOpenByKind(ctx, tx, dbsqlc.AlertListOpenByKindParams{StoreID: storeID, Kind: string(alert.KindLowStock)})
	if err != nil {
		return 0, fmt.Errorf("open low-stock alerts: %w", err)
	}
	for _, a := range open {
		if !isLow[a.SubjectID] {
			if err := alert.ResolveSubject(ctx, tx, storeID, alert.KindLowStock, a.SubjectID); err != nil {
				return 0, err
			}
		}
	}
	return len(low), nil
}
