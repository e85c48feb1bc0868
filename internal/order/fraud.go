package order

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Fraud screening thresholds: orders at or above them are held for a person to review.
const (
	// ReviewTotalMajor is the order total, in major units of the order's currency.
	ReviewTotalMajor = 5_000
	// ReviewLineQuantity is the quantity of a single line.
	ReviewLineQuantity = 100
)

// Event types of the fraud check.
const (
	EventFraudCleared = "order.fraud_cleared"
	EventFlagged      = "order.flagged"
)

// ReviewReasons returns the reasons to hold an order for review; none means it may proceed.
// The rules are deliberately simple and deterministic; a scoring service can replace
// them behind this function.
func ReviewReasons(o Order, lines []Line) []string {
	var reasons []string
	limit := int64(ReviewTotalMajor)
	for range money.Exponent(o.CurrencyCode) {
		limit *= 10
	}
	if o.TotalMinor >= limit {
		reasons = append(reasons, fmt.Sprintf("total %s %s is at or above the review limit of %d",
			money.FormatMinor(o.TotalMinor, o.CurrencyCode), o.CurrencyCode, ReviewTotalMajor))
	}
	for _, l := range lines {
		if l.Quantity >= ReviewLineQuantity {
			reasons = append(reasons, fmt.Sprintf("line %d orders %d × %s", l.LineNo, l.Quantity, l.SKU))
		}
	}
	return reasons
}

// Screen runs the fraud check on a PENDING order inside tx: the order moves to
// AWAITING_PAYMENT, or to ON_HOLD with the reasons on its timeline. It returns the
// order as it now is. An order that is no longer PENDING (cancelled meanwhile, or a
// retried job) is left as it is.
func (s *Service) Screen(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID) (Order, error) {
	// Locked, so that it stays PENDING until it moves.
	row, err := queries.OrderGetByIDForUpdate(ctx, tx, dbsqlc.OrderGetByIDForUpdateParams{StoreID: storeID, ID: id})
	if err != nil {
		return Order{}, db.NotFound(err, "order")
	}
	o := fromRow(row)
	if o.Status != StatusPending {
		return o, nil
	}
	lines, err := queries.OrderLineListByOrders(ctx, tx, dbsqlc.OrderLineListByOrdersParams{StoreID: storeID,
		OrderIds: []uuid.UUID{id}})
	if err != nil {
		return Order{}, fmt.Errorf("read lines: %w", err)
	}
	ls := make([]Line, len(lines))
	for i, l := range lines {
		ls[i] = lineFromRow(l)
	}
	if reasons := ReviewReasons(o, ls); len(reasons) > 0 {
		return Transition(ctx, tx, storeID, id, StatusPending, StatusOnHold, EventFlagged,
			"Held for review: "+strings.Join(reasons, "; "), map[string]any{"reasons": reasons})
	}
	return Transition(ctx, tx, storeID, id, StatusPending, StatusAwaitingPayment, EventFraudCleared,
		"Fraud check passed; awaiting payment", nil)
}
