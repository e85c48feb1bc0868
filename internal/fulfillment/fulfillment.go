// Package fulfillment owns shipping an order: its fulfillment record from picking
// through packing and shipping to delivery, one step at a time (Advance).
package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Fulfillment is an order's shipment.
type Fulfillment struct {
	ID             uuid.UUID
	StoreID        tenant.StoreID
	OrderID        uuid.UUID
	Status         Status
	Carrier        *string
	TrackingNumber *string
	PickedAt       *time.Time
	PackedAt       *time.Time
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
	CancelledAt    *time.Time
	CreatedAt      time.Time
}

// Status is a fulfillment's step.
type Status string

// The steps of a fulfillment, in order; CANCELLED ends it before shipping.
const (
	StatusPending   Status = "PENDING"
	StatusPicked    Status = "PICKED"
	StatusPacked    Status = "PACKED"
	StatusShipped   Status = "SHIPPED"
	StatusDelivered Status = "DELIVERED"
	StatusCancelled Status = "CANCELLED"
)

// Next is the step after s, and false at the end.
func (s Status) Next() (Status, bool) {
	switch s {
	case StatusPending:
		return StatusPicked, true
	case StatusPicked:
		return StatusPacked, true
	case StatusPacked:
		return StatusShipped, true
	case StatusShipped:
		return StatusDelivered, true
	}
	return "", false
}

// Begin creates an order's fulfillment (PENDING) in the caller's transaction.
func Begin(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID) (Fulfillment, error) {
	row, err := queries.FulfillmentCreate(ctx, tx, dbsqlc.FulfillmentCreateParams{StoreID: storeID, OrderID: orderID})
	if err != nil {
		return Fulfillment{}, fmt.Errorf("begin fulfillment: %w", err)
	}
	return FromRow(row), nil
}

// Shipment is what shipping records: the carrier and its tracking number.
type Shipment struct {
	Carrier        string
	TrackingNumber string
}

// Advance moves an order's fulfillment from status from to to in the caller's
// transaction (a shipment's details go with SHIPPED); ok is false when it was no
// longer at from (a retried step, or cancelled).
func Advance(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID, from, to Status, ship *Shipment) (Fulfillment, bool, error) {
	arg := dbsqlc.FulfillmentAdvanceParams{StoreID: storeID, OrderID: orderID, FromStatus: string(from), ToStatus: string(to)}
	if ship != nil {
		arg.Carrier, arg.TrackingNumber = &ship.Carrier, &ship.TrackingNumber
	}
	row, err := queries.FulfillmentAdvance(ctx, tx, arg)
	if db.IsNoRows(err) {
		return Fulfillment{}, false, nil
	}
	if err != nil {
		return Fulfillment{}, false, fmt.Errorf("fulfillment %s -> %s: %w", from, to, err)
	}
	return FromRow(row), true, nil
}

// FromRow maps a fulfillments row to a Fulfillment.
func FromRow(r dbsqlc.Fulfillment) Fulfillment {
	return Fulfillment{ID: r.ID, StoreID: r.StoreID, OrderID: r.OrderID, Status: Status(r.Status), Carrier: r.Carrier,
		TrackingNumber: r.TrackingNumber, PickedAt: r.PickedAt, PackedAt: r.PackedAt, ShippedAt: r.ShippedAt,
		DeliveredAt: r.DeliveredAt, CancelledAt: r.CancelledAt, CreatedAt: r.CreatedAt}
}

var queries = dbsqlc.New()

// Service reads fulfillments.
type Service struct{ db *db.DB }

// NewService returns the fulfillment service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// ListByOrders returns the fulfillments of the given orders, by order id.
func (s *Service) ListByOrders(ctx context.Context, storeID tenant.StoreID, orderIDs []uuid.UUID) (map[uuid.UUID]Fulfillment, error) {
	out := make(map[uuid.UUID]Fulfillment, len(orderIDs))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.FulfillmentListByOrders(ctx, q, dbsqlc.FulfillmentListByOrdersParams{StoreID: storeID, OrderIds: orderIDs})
		for _, r := range rows {
			out[r.OrderID] = FromRow(r)
		}
		return err
	})
	return out, err
}

// Get returns fulfillment id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Fulfillment, error) {
	var f Fulfillment
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.FulfillmentGetByID(ctx, q, dbsqlc.FulfillmentGetByIDParams{StoreID: storeID, ID: id})
		f = FromRow(row)
		return db.NotFound(err, "fulfillment")
	})
	return f, err
}

// GID is f's global id in the API.
func (f Fulfillment) GID() string { return gid.Encode("Fulfillment", f.ID) }
