package payment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The statuses of a payment.
const (
	StatusPending   = "PENDING"   // created, not charged yet
	StatusRetrying  = "RETRYING"  // an attempt failed transiently; another is scheduled
	StatusCaptured  = "CAPTURED"  // the money is taken
	StatusDeclined  = "DECLINED"  // the bank refused the payment method: final
	StatusFailed    = "FAILED"    // no answer within the retry budget, or a refused request: final
	StatusRefunded  = "REFUNDED"  // captured, then refunded in full
	StatusCancelled = "CANCELLED" // the order was cancelled before it was charged
)

// ErrSettled reports that a payment was no longer being charged: another step
// recorded its outcome first.
var ErrSettled = apperr.Conflictf("the payment has already been settled")

// Open creates the payment of an order in the caller's transaction: one idempotency
// key for every attempt to charge it, and a deadline budget from now after which it
// stops retrying.
func Open(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID, amountMinor int64,
	currency, method string, budget time.Duration) (Payment, error) {
	row, err := queries.PaymentCreate(ctx, tx, dbsqlc.PaymentCreateParams{StoreID: storeID, OrderID: orderID,
		AmountMinor: amountMinor, CurrencyCode: currency, PaymentMethod: method,
		IdempotencyKey: "ordergraph-payment-" + uuid.NewString(),
		Budget:         pgtype.Interval{Microseconds: budget.Microseconds(), Valid: true}})
	if err != nil {
		return Payment{}, fmt.Errorf("open payment: %w", err)
	}
	return FromRow(row), nil
}

// OpenOf returns the order's open payment (pending, retrying or captured), if any.
func OpenOf(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID) (Payment, bool, error) {
	row, err := queries.PaymentGetOpenByOrder(ctx, tx, dbsqlc.PaymentGetOpenByOrderParams{StoreID: storeID, OrderID: orderID})
	if db.IsNoRows(err) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, fmt.Errorf("read the order's payment: %w", err)
	}
	return FromRow(row), true, nil
}

// Outcome is how an attempt to charge a payment ended.
type Outcome struct {
	Status      string // StatusCaptured, StatusDeclined, StatusFailed or StatusCancelled
	GatewayID   string // the PaymentIntent's id, when captured
	Error       string
	DeclineCode string
	// Attempted says a call to the gateway was made (it counts as an attempt).
	Attempted bool
}

// Settle records the final outcome of payment id in the caller's transaction. A
// payment no longer being charged is ErrSettled.
func Settle(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID, o Outcome) (Payment, error) {
	arg := dbsqlc.PaymentSettleParams{StoreID: storeID, ID: id, Status: o.Status,
		GatewayChargeID: nonEmpty(o.GatewayID), LastError: nonEmpty(o.Error), DeclineCode: nonEmpty(o.DeclineCode)}
	if o.Attempted {
		arg.AttemptsSpent = 1
	}
	row, err := queries.PaymentSettle(ctx, tx, arg)
	if db.IsNoRows(err) {
		return Payment{}, ErrSettled
	}
	if err != nil {
		return Payment{}, fmt.Errorf("settle payment: %w", err)
	}
	return FromRow(row), nil
}

// RecordRetry records a transiently failed attempt of payment id and when the next
// one runs, in the caller's transaction.
func RecordRetry(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID, msg string, next time.Time) (Payment, error) {
	row, err := queries.PaymentRecordRetry(ctx, tx, dbsqlc.PaymentRecordRetryParams{StoreID: storeID, ID: id,
		LastError: &msg, NextAttemptAt: &next})
	if db.IsNoRows(err) {
		return Payment{}, ErrSettled
	}
	if err != nil {
		return Payment{}, fmt.Errorf("record payment retry: %w", err)
	}
	return FromRow(row), nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarkCapturedLate records, in the caller's transaction, that payment id, given up as
// FAILED or CANCELLED, had charged after all (gatewayID). Any other is ErrSettled.
func MarkCapturedLate(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID, gatewayID string) (Payment, error) {
	row, err := queries.PaymentMarkCapturedLate(ctx, tx, dbsqlc.PaymentMarkCapturedLateParams{StoreID: storeID, ID: id,
		GatewayChargeID: &gatewayID})
	if db.IsNoRows(err) {
		return Payment{}, ErrSettled
	}
	if err != nil {
		return Payment{}, fmt.Errorf("record late capture: %w", err)
	}
	return FromRow(row), nil
}
