package order

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
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

// transition is the statement that moves order id from one status to another and
// appends the event that explains it; into receives the moved order. No row moved (the
// order was no longer in status from: a concurrent step won) fails it with errStale; an
// edge the state machine does not have is CONFLICT before anything is sent. Sent with the
// COMMIT, its Scan runs after the commit: a caller doing that must hold the order's row
// lock since reading its status (ScreenTx does: FOR UPDATE), so that it cannot go stale.
func transition(storeID, id uuid.UUID, from, to Status, event, message string, data map[string]any, into *Order) (db.Queued, error) {
	if !CanTransition(from, to) {
		return db.Queued{}, apperr.Conflictf("an order cannot go from %s to %s", from, to)
	}
	if data == nil {
		data = map[string]any{}
	}
	data["from"], data["to"] = from, to
	b, err := json.Marshal(data)
	if err != nil {
		return db.Queued{}, err
	}
	// The move and its event in one statement: no row moved, no event.
	return db.Queued{SQL: `WITH moved AS (
			UPDATE orders SET status = $4, updated_at = now()
			WHERE store_id = $1 AND id = $2 AND status = $3 RETURNING ` + columns + `),
		event AS (
			INSERT INTO order_events (store_id, order_id, type, message, data)
			SELECT $1, $2, $5, $6, $7 FROM moved)
		SELECT ` + columns + ` FROM moved`,
		Args: []any{storeID, id, from, to, event, message, b},
		Scan: func(rows pgx.Rows) error {
			moved, err := scanRows(rows)
			switch {
			case err != nil:
				return fmt.Errorf("order %s %s -> %s: %w", id, from, to, err)
			case len(moved) == 0:
				return errStale
			}
			*into = moved[0]
			return nil
		}}, nil
}
