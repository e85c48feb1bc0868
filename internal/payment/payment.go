// Package payment owns an order's payments: the charge attempts against the gateway
// and their outcome. The charging itself arrives with the orchestration work; today
// this package reads payments for the API.
package payment

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Payment is one payment of an order.
type Payment struct {
	ID             uuid.UUID
	StoreID        tenant.StoreID
	OrderID        uuid.UUID
	Status         string
	AmountMinor    int64
	RefundedMinor  int64
	CurrencyCode   string
	PaymentMethod  string
	Attempts       int
	LastError      *string
	DeclineCode    *string
	NextAttemptAt  *time.Time
	DeadlineAt     time.Time
	IdempotencyKey string
	// GatewayID is the gateway's PaymentIntent id once captured.
	GatewayID *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FromRow maps a payments row to a Payment.
func FromRow(r dbsqlc.Payment) Payment {
	return Payment{ID: r.ID, StoreID: r.StoreID, OrderID: r.OrderID, Status: r.Status, AmountMinor: r.AmountMinor,
		RefundedMinor: r.RefundedMinor, CurrencyCode: r.CurrencyCode, PaymentMethod: r.PaymentMethod,
		Attempts: int(r.Attempts), LastError: r.LastError, DeclineCode: r.DeclineCode, NextAttemptAt: r.NextAttemptAt,
		DeadlineAt: r.DeadlineAt, IdempotencyKey: r.IdempotencyKey, GatewayID: r.GatewayChargeID,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

var queries = dbsqlc.New()

// Service reads payments.
type Service struct{ db *db.DB }

// NewService returns the payment service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// ListByOrders returns the payments of the given orders, oldest first per order.
func (s *Service) ListByOrders(ctx context.Context, storeID tenant.StoreID, orderIDs []uuid.UUID) (map[uuid.UUID][]Payment, error) {
	out := make(map[uuid.UUID][]Payment, len(orderIDs))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.PaymentListByOrders(ctx, q, dbsqlc.PaymentListByOrdersParams{StoreID: storeID, OrderIds: orderIDs})
		for _, r := range rows {
			out[r.OrderID] = append(out[r.OrderID], FromRow(r))
		}
		return err
	})
	return out, err
}

// Get returns payment id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Payment, error) {
	var p Payment
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.PaymentGetByID(ctx, q, dbsqlc.PaymentGetByIDParams{StoreID: storeID, ID: id})
		p = FromRow(row)
		return db.NotFound(err, "payment")
	})
	return p, err
}

// GID is p's global id in the API.
func (p Payment) GID() string { return gid.Encode("Payment", p.ID) }

// Amount is what the payment charges.
func (p Payment) Amount() money.Money { return money.Of(p.AmountMinor, p.CurrencyCode) }
