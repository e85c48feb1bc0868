package order

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Service places and reads orders.
type Service struct {
	db   *db.DB
	jobs *river.Client[pgx.Tx]
}

// NewService returns the order service. jobs inserts the jobs orders enqueue; an
// insert-only River client is enough.
func NewService(d *db.DB, jobs *river.Client[pgx.Tx]) *Service {
	return &Service{db: d, jobs: jobs}
}

var queries = dbsqlc.New()

// Create places an order in one transaction: idempotency check, stock reservation,
// customer upsert, per-store number, order and lines, the first timeline event and
// the first job. It returns replayed=true when the key was seen before with the same
// input (and the original order).
func (s *Service) Create(ctx context.Context, storeID tenant.StoreID, p CreateParams) (Order, bool, error) {
	if err := p.normalize(); err != nil {
		return Order{}, false, err
	}
	hash := p.hash()
	var err error
	for range 2 {
		var o Order
		var replayed bool
		err = s.db.TxCommitWith(ctx, db.Store(storeID), func(tx pgx.Tx, last db.Querier) error {
			o, replayed, err = s.create(ctx, tx, last, storeID, &p, hash)
			return err
		})
		if c, ok := db.IsUniqueViolation(err); ok && c == "orders_store_id_idempotency_key_key" {
			continue // a concurrent request with the same key committed first: a replay now
		}
		if err != nil {
			return Order{}, false, err
		}
		return o, replayed, nil
	}
	return Order{}, false, err
}

// create is Create's transaction. Its last statement, on last, numbers the order and
// inserts it: it goes with the COMMIT (db.TxCommitWith), because the store's counter
// row it locks serialises the store's intake until commit — the shorter the stretch
// from numbering to COMMIT, the more orders a store takes in parallel.
func (s *Service) create(ctx context.Context, tx pgx.Tx, last db.Querier, storeID tenant.StoreID, p *CreateParams, hash []byte) (Order, bool, error) {
	prev, err := queries.OrderGetByIdempotencyKey(ctx, tx, dbsqlc.OrderGetByIdempotencyKeyParams{
		StoreID: storeID, IdempotencyKey: p.IdempotencyKey})
	switch {
	case err == nil && string(prev.RequestHash) != string(hash):
		return Order{}, false, &apperr.Error{Code: apperr.Conflict, Field: "idempotencyKey",
			Message: "this idempotencyKey was already used for an order with different input"}
	case err == nil:
		return fromRow(prev), true, nil
	case !db.IsNoRows(err):
		return Order{}, false, fmt.Errorf("idempotency lookup: %w", err)
	}

	demands := make([]product.Demand, len(p.Lines))
	for i, l := range p.Lines {
		d := product.Demand{ID: l.Product, Quantity: l.Quantity, Field: fmt.Sprintf("lines.%d.productId", i)}
		if l.SKU != nil {
			d.SKU, d.Field = *l.SKU, fmt.Sprintf("lines.%d.sku", i)
		}
		demands[i] = d
	}
	products, err := product.Reserve(ctx, tx, storeID, demands)
	if err != nil {
		return Order{}, false, err
	}
	arg := dbsqlc.OrderInsertNumberedParams{StoreID: storeID, ID: uuid.New(), Status: string(StatusPending),
		CurrencyCode: products[0].CurrencyCode, Note: p.Note, IdempotencyKey: p.IdempotencyKey, RequestHash: hash,
		EventType: EventCreated}
	for i, pr := range products {
		q := p.Lines[i].Quantity
		total, ok := money.Mul(pr.PriceMinor, int64(q))
		if ok {
			arg.SubtotalMinor, ok = money.Add(arg.SubtotalMinor, total)
		}
		if !ok {
			return Order{}, false, apperr.Invalid(fmt.Sprintf("lines.%d.quantity", i),
				"the order total would exceed %s", money.FormatMinor(money.MaxMinor, pr.CurrencyCode))
		}
		arg.LineNos = append(arg.LineNos, int32(i+1))
		arg.ProductIds = append(arg.ProductIds, pr.ID)
		arg.Skus, arg.Names = append(arg.Skus, pr.SKU), append(arg.Names, pr.Name)
		arg.Quantities = append(arg.Quantities, int32(q))
		arg.UnitPricesMinor, arg.TotalsMinor = append(arg.UnitPricesMinor, pr.PriceMinor), append(arg.TotalsMinor, total)
	}
	arg.TotalMinor = arg.SubtotalMinor
	arg.MessageFormat = fmt.Sprintf("Order #%%s placed: %d line(s), total %s %s", len(products),
		money.FormatMinor(arg.TotalMinor, arg.CurrencyCode), arg.CurrencyCode)
	if arg.ShippingAddress, err = json.Marshal(p.ShippingAddress); err != nil {
		return Order{}, false, err
	}
	if arg.EventData, err = json.Marshal(map[string]any{"idempotencyKey": p.IdempotencyKey}); err != nil {
		return Order{}, false, err
	}
	if arg.CustomerID, err = customer.Upsert(ctx, tx, storeID, p.CustomerEmail, p.CustomerName); err != nil {
		return Order{}, false, err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, CheckFraudArgs{StoreID: storeID, OrderID: arg.ID}, nil); err != nil {
		return Order{}, false, fmt.Errorf("enqueue fraud check: %w", err)
	}
	row, err := queries.OrderInsertNumbered(ctx, last, arg)
	if err != nil {
		return Order{}, false, fmt.Errorf("insert order: %w", err)
	}
	return fromRow(dbsqlc.Order(row)), false, nil
}
