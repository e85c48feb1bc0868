package graph_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/jobs"
)

// TestFraudCheckWorker runs the real job workers against orders placed over the API:
// an ordinary order goes on to AWAITING_PAYMENT, a large one is held for review.
//
// Not parallel: the workers would also screen the orders of the other tests, which
// assert PENDING. Sequential tests finish (cleanup included) before parallel ones start.
func TestFraudCheckWorker(t *testing.T) {
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "GOLD", "2500.00", 10)
	e.newProduct(t, c, "PIN", "1.00", 10)

	var small, big struct{ CreateOrder placedOrder }
	e.ok(t, c, &small, createOrder, map[string]any{"in": orderInput("w-small", line("PIN", 1))})
	e.ok(t, c, &big, createOrder, map[string]any{"in": orderInput("w-big", line("GOLD", 2))})

	client, err := jobs.NewWorkerClient(e.pool, jobs.Config{MaxWorkers: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() { _ = client.Stop(context.Background()) })

	type status struct {
		Order struct {
			Status string
			Events []struct{ Type, Message string }
		}
	}
	wait := func(id, want string) status {
		var s status
		require.Eventually(t, func() bool {
			e.ok(t, c, &s, `query($id: ID!) { order(id: $id) { status events { type message } } }`, map[string]any{"id": id})
			return s.Order.Status == want
		}, 15*time.Second, 50*time.Millisecond, "order %s never reached %s", id, want)
		return s
	}
	s := wait(small.CreateOrder.ID, "AWAITING_PAYMENT")
	require.Len(t, s.Order.Events, 2)
	assert.Equal(t, "order.fraud_cleared", s.Order.Events[1].Type)
	s = wait(big.CreateOrder.ID, "ON_HOLD")
	require.Len(t, s.Order.Events, 2)
	assert.Equal(t, "order.flagged", s.Order.Events[1].Type)
	assert.Contains(t, s.Order.Events[1].Message, "5000.00 EUR")

	// Each job completed on its first attempt.
	owner := dbtest.OwnerPool(t)
	for _, id := range []string{small.CreateOrder.ID, big.CreateOrder.ID} {
		var state string
		var attempt int
		require.NoError(t, owner.QueryRow(t.Context(), `SELECT state, attempt FROM river_job
			WHERE kind = 'order_check_fraud' AND args->>'order_id' = $1`, id[strings.LastIndexByte(id, '/')+1:]).Scan(&state, &attempt))
		assert.Equal(t, "completed", state)
		assert.Equal(t, 1, attempt)
	}
}
