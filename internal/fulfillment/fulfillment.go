// Package fulfillment owns shipping an order: its fulfillment record from picking to
// delivery. The transitions arrive with the orchestration work; today this package
// reads fulfillments for the API.
package fulfillment

import (
	"context"
	"time"

	"github.com/google/uuid"

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
	Status         string
	Carrier        *string
	TrackingNumber *string
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// FromRow maps a fulfillments row to a Fulfillment.
func FromRow(r dbsqlc.Fulfillment) Fulfillment {
	return Fulfillment{ID: r.ID, StoreID: r.StoreID, OrderID: r.OrderID, Status: r.Status, Carrier: r.Carrier,
		TrackingNumber: r.TrackingNumber, ShippedAt: r.ShippedAt, DeliveredAt: r.DeliveredAt, CreatedAt: r.CreatedAt}
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
