// Package fulfillment owns shipping an order: its fulfillment record from picking to
// delivery. The transitions arrive with the orchestration work; today this package
// reads fulfillments for the API.
package fulfillment

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/gid"
)

// Fulfillment is an order's shipment.
type Fulfillment struct {
	ID             uuid.UUID
	StoreID        uuid.UUID
	OrderID        uuid.UUID
	Status         string
	Carrier        *string
	TrackingNumber *string
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

const columns = `id, store_id, order_id, status, carrier, tracking_number, shipped_at, delivered_at, created_at`

// Service reads fulfillments.
type Service struct{ db *db.DB }

// NewService returns the fulfillment service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

func (s *Service) where(ctx context.Context, storeID uuid.UUID, cond string, arg any) ([]Fulfillment, error) {
	return db.Query(ctx, s.db, db.StoreScope(storeID), db.StructsByPos[Fulfillment],
		`SELECT `+columns+` FROM fulfillments WHERE store_id = $1 AND `+cond, storeID, arg)
}

// ByOrders returns the fulfillments of the given orders, by order id.
func (s *Service) ByOrders(ctx context.Context, storeID uuid.UUID, orderIDs []uuid.UUID) (map[uuid.UUID]Fulfillment, error) {
	fs, err := s.where(ctx, storeID, "order_id = ANY($2)", orderIDs)
	out := make(map[uuid.UUID]Fulfillment, len(fs))
	for _, f := range fs {
		out[f.OrderID] = f
	}
	return out, err
}

// Get returns fulfillment id of storeID, or nil.
func (s *Service) Get(ctx context.Context, storeID, id uuid.UUID) (*Fulfillment, error) {
	fs, err := s.where(ctx, storeID, "id = $2", id)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	return &fs[0], nil
}

// GID is f's global id in the API.
func (f Fulfillment) GID() string { return gid.Encode("Fulfillment", f.ID) }
