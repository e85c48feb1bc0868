package order

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// transitions is the state machine; migration 00003 holds the same edges and the
// database refuses any other.
var transitions = map[Status][]Status{
	StatusPending:         {StatusAwaitingPayment, StatusOnHold, StatusCancelled},
	StatusOnHold:          {StatusAwaitingPayment, StatusCancelled},
	StatusAwaitingPayment: {StatusPaid, StatusPaymentFailed, StatusCancelled},
	StatusPaymentFailed:   {StatusCancelled},
	StatusPaid:            {StatusFulfilling, StatusCancelled},
	StatusFulfilling:      {StatusShipped, StatusCancelled},
	StatusShipped:         {StatusDelivered},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition moves order id of storeID from one status to another inside tx and
// appends the event that explains it, and returns the moved order. An edge the state
// machine does not have is CONFLICT before anything is sent; an order no longer in
// status from (a concurrent step won) is CONFLICT naming the status it is in.
func Transition(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID, from, to Status,
	event, message string, data map[string]any) (Order, error) {
	if !CanTransition(from, to) {
		return Order{}, apperr.Conflictf("an order cannot go from %s to %s", from, to)
	}
	if data == nil {
		data = map[string]any{}
	}
	data["from"], data["to"] = from, to
	b, err := json.Marshal(data)
	if err != nil {
		return Order{}, err
	}
	row, err := queries.OrderUpdateStatus(ctx, tx, dbsqlc.OrderUpdateStatusParams{StoreID: storeID, ID: id,
		FromStatus: string(from), ToStatus: string(to), EventType: event, Message: message, Data: b})
	if db.IsNoRows(err) {
		cur, err := queries.OrderGetByID(ctx, tx, dbsqlc.OrderGetByIDParams{StoreID: storeID, ID: id})
		if err != nil {
			return Order{}, db.NotFound(err, "order")
		}
		return Order{}, apperr.Conflictf("the order is %s, no longer %s", cur.Status, from)
	}
	if err != nil {
		return Order{}, fmt.Errorf("order %s %s -> %s: %w", id, from, to, err)
	}
	return fromRow(dbsqlc.Order(row)), nil
}
