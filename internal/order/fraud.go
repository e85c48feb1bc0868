package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/alert"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Event types of the fraud check.
const (
	EventFraudCleared = "order.fraud_cleared"
	EventFlagged      = "order.flagged"
)

// Screening is what the fraud rules look at besides the order and its lines.
type Screening struct {
	Rules store.Settings
	// RecentOrders is how many orders the customer placed in the past hour, this one
	// included.
	RecentOrders int
}

// ReviewReasons returns the reasons to hold an order for review under the store's
// rules; none means it may proceed. The rules are deliberately simple and
// deterministic; a scoring service can replace them behind this function.
func ReviewReasons(o Order, lines []Line, sc Screening) []string {
	var reasons []string
	if o.TotalMinor >= sc.Rules.ReviewTotalMinor {
		reasons = append(reasons, fmt.Sprintf("total %s %s is at or above the review limit of %s",
			money.FormatMinor(o.TotalMinor, o.CurrencyCode), o.CurrencyCode,
			money.FormatMinor(sc.Rules.ReviewTotalMinor, o.CurrencyCode)))
	}
	for _, l := range lines {
		if l.Quantity >= sc.Rules.ReviewLineQuantity {
			reasons = append(reasons, fmt.Sprintf("line %d orders %d × %s", l.LineNo, l.Quantity, l.SKU))
		}
	}
	if sc.RecentOrders > sc.Rules.MaxOrdersPerEmailHour {
		reasons = append(reasons, fmt.Sprintf("the customer placed %d orders in the past hour (at most %d)",
			sc.RecentOrders, sc.Rules.MaxOrdersPerEmailHour))
	}
	if len(sc.Rules.AllowedCountries) > 0 {
		if a, err := o.ShippingAddress(); err == nil && !slices.Contains(sc.Rules.AllowedCountries, a.CountryCode) {
			reasons = append(reasons, fmt.Sprintf("shipping to %s, outside the store's countries (%s)",
				a.CountryCode, strings.Join(sc.Rules.AllowedCountries, ", ")))
		}
	}
	return reasons
}

// Screen runs the fraud check on a PENDING order inside tx: the order moves to
// AWAITING_PAYMENT and its payment is requested, or it moves to ON_HOLD with the
// reasons on its timeline and an ORDER_ON_HOLD alert. It returns the order as it now
// is. An order that is no longer PENDING (cancelled meanwhile, or a retried job) is
// left as it is.
func (s *Service) Screen(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID) (Order, error) {
	o, err := lockOrder(ctx, tx, storeID, id) // so that it stays PENDING until it moves
	if err != nil || o.Status != StatusPending {
		return o, err
	}
	lines, err := orderLines(ctx, tx, storeID, id)
	if err != nil {
		return Order{}, err
	}
	sc := Screening{}
	if sc.Rules, err = store.GetSettings(ctx, tx, storeID); err != nil {
		return Order{}, err
	}
	n, err := queries.OrderCountRecentByCustomer(ctx, tx, dbsqlc.OrderCountRecentByCustomerParams{StoreID: storeID,
		CustomerID: o.CustomerID})
	if err != nil {
		return Order{}, fmt.Errorf("count recent orders: %w", err)
	}
	sc.RecentOrders = int(n)
	if reasons := ReviewReasons(o, lines, sc); len(reasons) > 0 {
		msg := "Held for review: " + strings.Join(reasons, "; ")
		moved, err := Transition(ctx, tx, storeID, id, StatusPending, StatusOnHold, EventFlagged, msg,
			map[string]any{"reasons": reasons})
		if err != nil {
			return Order{}, err
		}
		return moved, alert.Open(ctx, tx, storeID, alert.Params{Kind: alert.KindOrderOnHold, SubjectID: id, OrderID: &id,
			Message: fmt.Sprintf("Order #%d is on hold: %s", o.Number, strings.Join(reasons, "; ")),
			Data:    map[string]any{"reasons": reasons}})
	}
	moved, err := Transition(ctx, tx, storeID, id, StatusPending, StatusAwaitingPayment, EventFraudCleared,
		"Fraud check passed; awaiting payment", nil)
	if err != nil {
		return Order{}, err
	}
	return moved, s.requestPayment(ctx, tx, moved)
}

// lockOrder reads order id of storeID in tx and locks it until tx ends, or NOT_FOUND.
func lockOrder(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID) (Order, error) {
	row, err := queries.OrderGetByIDForUpdate(ctx, tx, dbsqlc.OrderGetByIDForUpdateParams{StoreID: storeID, ID: id})
	if err != nil {
		return Order{}, db.NotFound(err, "order")
	}
	return fromRow(row), nil
}

// orderLines reads the lines of order id in tx.
func orderLines(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID) ([]Line, error) {
	rows, err := queries.OrderLineListByOrders(ctx, tx, dbsqlc.OrderLineListByOrdersParams{StoreID: storeID,
		OrderIds: []uuid.UUID{id}})
	if err != nil {
		return nil, fmt.Errorf("read lines: %w", err)
	}
	ls := make([]Line, len(rows))
	for i, l := range rows {
		ls[i] = lineFromRow(l)
	}
	return ls, nil
}
