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

// errReplayRace reports that a concurrent request with the same idempotency key
// committed first; Create then answers as a replay.
var errReplayRace = errors.New("idempotency key committed concurrently")

// Create places an order in one transaction: idempotency check, stock reservation,
// customer upsert, per-store number, order and lines, the first timeline event and
// the first job. It returns replayed=true when the key was seen before with the same
// input (and the original order).
func (s *Service) Create(ctx context.Context, storeID uuid.UUID, p CreateParams) (o Order, replayed bool, err error) {
	if err := p.normalize(); err != nil {
		return Order{}, false, err
	}
	hash := p.hash()
	for range 2 {
		err = s.db.Tx(ctx, db.StoreScope(storeID), func(tx pgx.Tx) error {
			var err error
			o, replayed, err = s.create(ctx, tx, storeID, &p, hash)
			return err
		})
		if !errors.Is(err, errReplayRace) {
			return o, replayed, err
		}
	}
	return o, replayed, err
}

func (s *Service) create(ctx context.Context, tx pgx.Tx, storeID uuid.UUID, p *CreateParams, hash []byte) (Order, bool, error) {
	demands := make([]product.Demand, len(p.Lines))
	for i, l := range p.Lines {
		d := product.Demand{ID: l.Product, Quantity: l.Quantity, Field: fmt.Sprintf("input.lines.%d.productId", i)}
		if l.SKU != nil {
			d.SKU, d.Field = *l.SKU, fmt.Sprintf("input.lines.%d.sku", i)
		}
		demands[i] = d
	}
	reservation := product.NewReservation(storeID, demands)

	// The idempotency check and the product locks share a round trip; a replay then
	// merely held the locks until its (empty) commit.
	var replay bool
	var prevID uuid.UUID
	var prevHash []byte
	err := db.Send(ctx, tx, db.MaybeRow(&replay, `SELECT id, request_hash FROM orders WHERE store_id = $1 AND idempotency_key = $2`,
		[]any{storeID, p.IdempotencyKey}, &prevID, &prevHash), reservation.Lock())
	if err != nil {
		return Order{}, false, err
	}
	if replay {
		if string(prevHash) != string(hash) {
			return Order{}, false, &apperr.Error{Code: apperr.Conflict, Field: "input.idempotencyKey",
				Message: "this idempotencyKey was already used for an order with different input"}
		}
		o, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM orders WHERE store_id = $1 AND id = $2`, storeID, prevID))
		return o, true, err
	}

	products, reserve, err := reservation.Check()
	if err != nil {
		return Order{}, false, err
	}
	addr, err := json.Marshal(p.ShippingAddress)
	if err != nil {
		return Order{}, false, err
	}
	o := Order{ID: uuid.New(), StoreID: storeID, Status: StatusPending, ShippingAddressJSON: addr,
		Note: p.Note, IdempotencyKey: p.IdempotencyKey, CurrencyCode: products[0].CurrencyCode}
	lines := make([]Line, len(p.Lines))
	for i, pr := range products {
		q := p.Lines[i].Quantity
		lines[i] = Line{OrderID: o.ID, LineNo: i + 1, ProductID: pr.ID, SKU: pr.SKU, Name: pr.Name,
			Quantity: q, UnitPriceMinor: pr.PriceMinor, TotalMinor: pr.PriceMinor * int64(q), CurrencyCode: pr.CurrencyCode}
		o.SubtotalMinor += lines[i].TotalMinor
	}
	if o.SubtotalMinor > money.MaxMinor {
		return Order{}, false, apperr.Invalid("input.lines", "the order total is too large")
	}
	o.TotalMinor = o.SubtotalMinor

	// Reserving the stock and finding the customer share the next round trip.
	if err := db.Send(ctx, tx, reserve, customer.Upsert(storeID, p.CustomerEmail, p.CustomerName, &o.CustomerID)); err != nil {
		return Order{}, false, err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, CheckFraudArgs{StoreID: storeID, OrderID: o.ID}, nil); err != nil {
		return Order{}, false, fmt.Errorf("enqueue fraud check: %w", err)
	}
	err = insertNumbered(ctx, tx, &o, lines, hash)
	if c, ok := db.IsUniqueViolation(err); ok && c == "orders_store_id_idempotency_key_key" {
		return Order{}, false, errReplayRace
	}
	return o, false, err
}

// insertNumbered takes the store's next order number and writes the order, its lines
// and its first event, in one round trip. It comes last on purpose: the counter row
// serialises a store's intake until commit, so the shorter the stretch from here to
// COMMIT, the more orders a store takes in parallel.
func insertNumbered(ctx context.Context, tx pgx.Tx, o *Order, lines []Line, hash []byte) error {
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
		return err
	}

	b := &pgx.Batch{}
	b.Queue(`WITH n AS (
			UPDATE store_counters SET last_order_number = last_order_number + 1
			WHERE store_id = $1 RETURNING last_order_number)
		INSERT INTO orders (store_id, id, number, status, customer_id, currency_code, subtotal_minor, total_minor,
			shipping_address, note, idempotency_key, request_hash)
		SELECT $1, $2, n.last_order_number, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM n
		RETURNING number, created_at, updated_at`,
		o.StoreID, o.ID, o.Status, o.CustomerID, o.CurrencyCode, o.SubtotalMinor, o.TotalMinor, o.ShippingAddressJSON,
		o.Note, o.IdempotencyKey, hash).QueryRow(func(row pgx.Row) error {
		return row.Scan(&o.Number, &o.CreatedAt, &o.UpdatedAt)
	})
	b.Queue(`INSERT INTO order_lines (store_id, order_id, line_no, product_id, sku, name, quantity,
			unit_price_minor, total_minor, currency_code)
		SELECT $1, $2, *, $10 FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::bigint[])`,
		o.StoreID, o.ID, nos, products, skus, names, qtys, unit, total, o.CurrencyCode)
	b.Queue(`INSERT INTO order_events (store_id, order_id, type, message, data)
		SELECT $1, $2, $3, format($4, o.number), $5 FROM orders o WHERE o.store_id = $1 AND o.id = $2`,
		o.StoreID, o.ID, EventCreated, fmt.Sprintf("Order #%%s placed: %d line(s), total %s %s", n,
			money.FormatMinor(o.TotalMinor, o.CurrencyCode), o.CurrencyCode), data)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	return nil
}
