package order

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/money"
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

// Screen returns the reasons to hold an order for review; none means it may proceed.
// The rules are deliberately simple and deterministic; a scoring service can replace
// them behind this function.
func Screen(o Order, lines []Line) []string {
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

// ScreenTx runs the fraud check on a PENDING order inside tx, which it locks. It returns
// the statement that moves the order to AWAITING_PAYMENT, or to ON_HOLD with the reasons
// on its timeline, for the caller to run last, with the COMMIT (db.TxCommitting); o is
// the order, and becomes the moved order when that statement has run. An order that is
// no longer PENDING (cancelled meanwhile, or a retried job) is left as it is: no
// statement.
func (s *Service) ScreenTx(ctx context.Context, tx pgx.Tx, storeID, orderID uuid.UUID) (move []db.Queued, o *Order, err error) {
	// The order (locked, so that it stays PENDING until the move) and its lines in one
	// round trip.
	o = &Order{}
	var found bool
	var lines []Line
	err = db.Send(ctx, tx,
		db.MaybeRow(&found, `SELECT `+columns+` FROM orders WHERE store_id = $1 AND id = $2 FOR UPDATE`,
			[]any{storeID, orderID}, o.scanTargets()...),
		db.Into(`SELECT `+lineColumns+` FROM order_lines WHERE store_id = $1 AND order_id = $2 ORDER BY line_no`,
			[]any{storeID, orderID}, db.StructsByPos[Line], func(ls []Line) { lines = ls }))
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, apperr.NotFoundf("order not found")
	}
	if o.Status != StatusPending {
		return nil, o, nil
	}
	var q db.Queued
	if reasons := Screen(*o, lines); len(reasons) > 0 {
		q, err = transition(storeID, orderID, StatusPending, StatusOnHold, EventFlagged,
			"Held for review: "+strings.Join(reasons, "; "), map[string]any{"reasons": reasons}, o)
	} else {
		q, err = transition(storeID, orderID, StatusPending, StatusAwaitingPayment, EventFraudCleared,
			"Fraud check passed; awaiting payment", nil, o)
	}
	if err != nil {
		return nil, nil, err
	}
	return []db.Queued{q}, o, nil
}
