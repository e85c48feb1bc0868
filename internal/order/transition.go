package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
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

// errStale reports that the order was no longer in the expected state.
var errStale = errors.New("order is no longer in the expected state")

// transitionTx moves order id from one status to another inside tx and appends the
// event that explains it. It returns errStale when the order has moved on meanwhile
// (a concurrent step won), CONFLICT for an edge the state machine does not have.
func transitionTx(ctx context.Context, tx pgx.Tx, storeID, id uuid.UUID, from, to Status, event, message string, data map[string]any) (Order, error) {
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
	// The move and its event in one statement (one round trip): no row moved, no event.
	o, err := scan(tx.QueryRow(ctx, `WITH moved AS (
			UPDATE orders SET status = $4, updated_at = now()
			WHERE store_id = $1 AND id = $2 AND status = $3 RETURNING `+columns+`),
		event AS (
			INSERT INTO order_events (store_id, order_id, type, message, data)
			SELECT $1, $2, $5, $6, $7 FROM moved)
		SELECT `+columns+` FROM moved`, storeID, id, from, to, event, message, b))
	if errors.Is(err, apperr.ErrNotFound) {
		return Order{}, errStale
	}
	if err != nil {
		return Order{}, fmt.Errorf("order %s %s -> %s: %w", id, from, to, err)
	}
	return o, nil
}
