package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/product"
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

const columns = `id, store_id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
	shipping_address, note, idempotency_key, created_at, updated_at`

const lineColumns = `order_id, line_no, product_id, sku, name, quantity, unit_price_minor, total_minor, currency_code`

// scanTargets are the destinations of columns, in order.
func (o *Order) scanTargets() []any {
	return []any{&o.ID, &o.StoreID, &o.Number, &o.Status, &o.CustomerID, &o.CurrencyCode, &o.SubtotalMinor,
		&o.TotalMinor, &o.ShippingAddressJSON, &o.Note, &o.IdempotencyKey, &o.CreatedAt, &o.UpdatedAt}
}

func scan(row pgx.Row) (Order, error) {
	var o Order
	err := row.Scan(o.scanTargets()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, apperr.NotFoundf("order not found")
	}
	return o, err
}

func scanRows(rows pgx.Rows) ([]Order, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scan(r) })
}

// Create places an order in one transaction: idempotency check, stock reservation,
// customer upsert, per-store number, order and lines, the first timeline event and
// the first job. It returns replayed=true when the key was seen before with the same
// input (and the original order).
func (s *Service) Create(ctx context.Context, storeID uuid.UUID, p CreateParams) (Order, bool, error) {
	if err := p.normalize(); err != nil {
		return Order{}, false, err
	}
	hash := p.hash()
	var err error
	for range 2 {
		var created *Order // completed by the final statements, which run after create returns
		var replayed bool
		err = s.db.TxCommitting(ctx, db.StoreScope(storeID), func(tx pgx.Tx) (final []db.Queued, err error) {
			created, replayed, final, err = s.create(ctx, tx, storeID, &p, hash)
			return final, err
		})
		if c, ok := db.IsUniqueViolation(err); ok && c == "orders_store_id_idempotency_key_key" {
			continue // a concurrent request with the same key committed first: a replay now
		}
		if err != nil {
			return Order{}, false, err
		}
		return *created, replayed, nil
	}
	return Order{}, false, err
}

// create runs the order's transaction up to its last statements, which it returns:
// numbering, order, lines and event go with the COMMIT (db.TxCommitting).
func (s *Service) create(ctx context.Context, tx pgx.Tx, storeID uuid.UUID, p *CreateParams, hash []byte) (*Order, bool, []db.Queued, error) {
	demands := make([]product.Demand, len(p.Lines))
	for i, l := range p.Lines {
		d := product.Demand{ID: l.Product, Quantity: l.Quantity, Field: fmt.Sprintf("input.lines.%d.productId", i)}
		if l.SKU != nil {
			d.SKU, d.Field = *l.SKU, fmt.Sprintf("input.lines.%d.sku", i)
		}
		demands[i] = d
	}
	reservation := product.NewReservation(storeID, demands)

	// The idempotency check (reading the earlier order whole, for a replay) and the
	// product locks share a round trip; a replay then merely held the locks until its
	// (empty) commit.
	var replay bool
	var prev Order
	var prevHash []byte
	err := db.Send(ctx, tx, db.MaybeRow(&replay, `SELECT `+columns+`, request_hash FROM orders
		WHERE store_id = $1 AND idempotency_key = $2`,
		[]any{storeID, p.IdempotencyKey}, append(prev.scanTargets(), &prevHash)...), reservation.Lock())
	if err != nil {
		return nil, false, nil, err
	}
	if replay {
		if string(prevHash) != string(hash) {
			return nil, false, nil, &apperr.Error{Code: apperr.Conflict, Field: "input.idempotencyKey",
				Message: "this idempotencyKey was already used for an order with different input"}
		}
		return &prev, true, nil, nil
	}

	products, reserve, err := reservation.Check()
	if err != nil {
		return nil, false, nil, err
	}
	addr, err := json.Marshal(p.ShippingAddress)
	if err != nil {
		return nil, false, nil, err
	}
	o := Order{ID: uuid.New(), StoreID: storeID, Status: StatusPending, ShippingAddressJSON: addr,
		Note: p.Note, IdempotencyKey: p.IdempotencyKey, CurrencyCode: products[0].CurrencyCode}
	lines := make([]Line, len(p.Lines))
	for i, pr := range products {
		q := p.Lines[i].Quantity
		total, ok := money.Mul(pr.PriceMinor, int64(q))
		if !ok {
			return nil, false, nil, apperr.Invalid(fmt.Sprintf("input.lines.%d.quantity", i), "the line total is too large")
		}
		lines[i] = Line{OrderID: o.ID, LineNo: i + 1, ProductID: pr.ID, SKU: pr.SKU, Name: pr.Name,
			Quantity: q, UnitPriceMinor: pr.PriceMinor, TotalMinor: total, CurrencyCode: pr.CurrencyCode}
		if o.SubtotalMinor, ok = money.Add(o.SubtotalMinor, total); !ok {
			return nil, false, nil, apperr.Invalid("input.lines", "the order total is too large")
		}
	}
	if o.SubtotalMinor > money.MaxMinor {
		return nil, false, nil, apperr.Invalid("input.lines", "the order total is too large")
	}
	o.TotalMinor = o.SubtotalMinor

	// Reserving the stock and finding the customer share the next round trip.
	if err := db.Send(ctx, tx, reserve, customer.Upsert(storeID, p.CustomerEmail, p.CustomerName, &o.CustomerID)); err != nil {
		return nil, false, nil, err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, CheckFraudArgs{StoreID: storeID, OrderID: o.ID}, nil); err != nil {
		return nil, false, nil, fmt.Errorf("enqueue fraud check: %w", err)
	}
	final, err := insertNumbered(&o, lines, hash)
	return &o, false, final, err
}

// insertNumbered is the order's last statement: the store's next order number with
// the order, its lines and its first event. It goes last on purpose, with the COMMIT:
// the counter row serialises a store's intake until commit, so the shorter the stretch
// from numbering to COMMIT, the more orders a store takes in parallel.
func insertNumbered(o *Order, lines []Line, hash []byte) ([]db.Queued, error) {
	n := len(lines)
	nos, products, qtys := make([]int32, n), make([]uuid.UUID, n), make([]int32, n)
	skus, names := make([]string, n), make([]string, n)
	unit, total := make([]int64, n), make([]int64, n)
	for i, l := range lines {
		nos[i], products[i], qtys[i] = int32(l.LineNo), l.ProductID, int32(l.Quantity)
		skus[i], names[i], unit[i], total[i] = l.SKU, l.Name, l.UnitPriceMinor, l.TotalMinor
	}
	data, err := json.Marshal(map[string]any{"idempotencyKey": o.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	// One statement, so that the counter row is held for as little as possible: the
	// lines' foreign key is checked at its end, when the order exists. It runs with the
	// COMMIT, so whatever must hold is a database error, which turns the COMMIT into a
	// rollback: a store without a counter row fails on the order's NOT NULL number
	// instead of committing the reservation without an order.
	return []db.Queued{db.Row(`WITH n AS (
			UPDATE store_counters SET last_order_number = last_order_number + 1
			WHERE store_id = $1 RETURNING last_order_number),
		o AS (
			INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
				shipping_address, note, idempotency_key, request_hash)
			VALUES ($1, $2, (SELECT last_order_number FROM n), $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING number, created_at, updated_at),
		l AS (
			INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity,
				unit_price_minor, total_minor, currency_code)
			SELECT $1, $2, u.*, $5 FROM o,
				unnest($12::int[], $13::uuid[], $14::text[], $15::text[], $16::int[], $17::bigint[], $18::bigint[]) u),
		e AS (
			INSERT INTO order_events (store_id, order_id, type, message, data)
			SELECT $1, $2, $19, format($20, o.number), $21 FROM o)
		SELECT number, created_at, updated_at FROM o`,
		[]any{o.StoreID, o.ID, o.Status, o.CustomerID, o.CurrencyCode, o.SubtotalMinor, o.TotalMinor,
			o.ShippingAddressJSON, o.Note, o.IdempotencyKey, hash,
			nos, products, skus, names, qtys, unit, total,
			EventCreated, fmt.Sprintf("Order #%%s placed: %d line(s), total %s %s", n,
				money.FormatMinor(o.TotalMinor, o.CurrencyCode), o.CurrencyCode), data},
		&o.Number, &o.CreatedAt, &o.UpdatedAt)}, nil
}
