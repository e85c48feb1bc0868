package payment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The statuses of a refund.
const (
	RefundPending   = "PENDING"
	RefundRetrying  = "RETRYING"
	RefundSucceeded = "SUCCEEDED"
	RefundFailed    = "FAILED"
)

// Refund gives a captured payment's money back.
type Refund struct {
	ID             uuid.UUID
	StoreID        tenant.StoreID
	PaymentID      uuid.UUID
	OrderID        uuid.UUID
	AmountMinor    int64
	CurrencyCode   string
	Status         string
	Reason         string
	Attempts       int
	LastError      *string
	NextAttemptAt  *time.Time
	IdempotencyKey string
	GatewayID      *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RefundFromRow maps a refunds row to a Refund.
func RefundFromRow(r dbsqlc.Refund) Refund {
	return Refund{ID: r.ID, StoreID: r.StoreID, PaymentID: r.PaymentID, OrderID: r.OrderID, AmountMinor: r.AmountMinor,
		CurrencyCode: r.CurrencyCode, Status: r.Status, Reason: r.Reason, Attempts: int(r.Attempts),
		LastError: r.LastError, NextAttemptAt: r.NextAttemptAt, IdempotencyKey: r.IdempotencyKey,
		GatewayID: r.GatewayRefundID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// OpenRefund creates the refund of what remains of captured payment p, in the
// caller's transaction, with one idempotency key for every attempt.
func OpenRefund(ctx context.Context, tx pgx.Tx, p Payment, reason string) (Refund, error) {
	row, err := queries.RefundCreate(ctx, tx, dbsqlc.RefundCreateParams{StoreID: p.StoreID, PaymentID: p.ID,
		OrderID: p.OrderID, AmountMinor: p.AmountMinor - p.RefundedMinor, CurrencyCode: p.CurrencyCode, Reason: reason,
		IdempotencyKey: "ordergraph-refund-" + uuid.NewString()})
	if err != nil {
		return Refund{}, fmt.Errorf("open refund: %w", err)
	}
	return RefundFromRow(row), nil
}

// GetRefund reads refund id in the caller's transaction, or NOT_FOUND.
func GetRefund(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID) (Refund, error) {
	row, err := queries.RefundGetByID(ctx, tx, dbsqlc.RefundGetByIDParams{StoreID: storeID, ID: id})
	return RefundFromRow(row), db.NotFound(err, "refund")
}

// RefundOutcome is how an attempt to refund ended.
type RefundOutcome struct {
	Status    string // RefundSucceeded, RefundFailed or RefundRetrying
	GatewayID string
	Error     string
	Next      *time.Time // when retrying
}

// SettleRefund records an attempt of refund r in the caller's transaction; a
// succeeded refund adds to its payment's refunded amount (REFUNDED when all of it).
// A refund no longer in progress is ErrSettled.
func SettleRefund(ctx context.Context, tx pgx.Tx, r Refund, o RefundOutcome) (Refund, error) {
	row, err := queries.RefundSettle(ctx, tx, dbsqlc.RefundSettleParams{StoreID: r.StoreID, ID: r.ID, Status: o.Status,
		GatewayRefundID: nonEmpty(o.GatewayID), LastError: nonEmpty(o.Error), NextAttemptAt: o.Next})
	if db.IsNoRows(err) {
		return Refund{}, ErrSettled
	}
	if err != nil {
		return Refund{}, fmt.Errorf("settle refund: %w", err)
	}
	if o.Status == RefundSucceeded {
		if _, err := queries.PaymentAddRefunded(ctx, tx, dbsqlc.PaymentAddRefundedParams{StoreID: r.StoreID,
			ID: r.PaymentID, AmountMinor: r.AmountMinor}); err != nil {
			return Refund{}, fmt.Errorf("record refunded amount: %w", err)
		}
	}
	return RefundFromRow(row), nil
}

// ListRefundsByOrders returns the refunds of the given orders, oldest first per order.
func (s *Service) ListRefundsByOrders(ctx context.Context, storeID tenant.StoreID, orderIDs []uuid.UUID) (map[uuid.UUID][]Refund, error) {
	out := make(map[uuid.UUID][]Refund, len(orderIDs))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.RefundListByOrders(ctx, q, dbsqlc.RefundListByOrdersParams{StoreID: storeID, OrderIds: orderIDs})
		for _, r := range rows {
			out[r.OrderID] = append(out[r.OrderID], RefundFromRow(r))
		}
		return err
	})
	return out, err
}
