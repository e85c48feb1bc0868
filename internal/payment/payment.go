// Package payment owns an order's payments: the charge attempts against the gateway
// and their outcome. The charging itself arrives with the orchestration work; today
// this package reads payments for the API.
package payment

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
)

// Payment is one payment of an order.
type Payment struct {
	ID           uuid.UUID
	StoreID      uuid.UUID
	OrderID      uuid.UUID
	Status       string
	AmountMinor  int64
	CurrencyCode string
	Attempts     int
	LastError    *string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const columns = `id, store_id, order_id, status, amount_minor, currency_code, attempts, last_error,
	created_at, updated_at`

// Service reads payments.
type Service struct{ db *db.DB }

// NewService returns the payment service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// ByOrders returns the payments of the given orders, oldest first per order.
func (s *Service) ByOrders(ctx context.Context, storeID uuid.UUID, orderIDs []uuid.UUID) (map[uuid.UUID][]Payment, error) {
	out := make(map[uuid.UUID][]Payment, len(orderIDs))
	err := s.db.ReadAll(ctx, db.StoreScope(storeID), ByOrdersQuery(storeID, orderIDs, out))
	return out, err
}

// ByOrdersQuery is ByOrders' query for a db.ReadAll: it puts the payments into out.
func ByOrdersQuery(storeID uuid.UUID, orderIDs []uuid.UUID, out map[uuid.UUID][]Payment) db.Queued {
	return db.Into(`SELECT `+columns+` FROM payments WHERE store_id = $1 AND order_id = ANY($2) ORDER BY created_at, id`,
		[]any{storeID, orderIDs}, db.StructsByPos[Payment], func(ps []Payment) {
			for _, p := range ps {
				out[p.OrderID] = append(out[p.OrderID], p)
			}
		})
}

// Get returns payment id of storeID, or nil.
func (s *Service) Get(ctx context.Context, storeID, id uuid.UUID) (*Payment, error) {
	ps, err := db.Query(ctx, s.db, db.StoreScope(storeID), db.StructsByPos[Payment],
		`SELECT `+columns+` FROM payments WHERE store_id = $1 AND id = $2`, storeID, id)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

// GID is p's global id in the API.
func (p Payment) GID() string { return gid.Encode("Payment", p.ID) }

// Amount is what the payment charges.
func (p Payment) Amount() money.Money { return money.Of(p.AmountMinor, p.CurrencyCode) }
