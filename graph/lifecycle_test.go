package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The lifecycle's API without workers: what may be done to an order in each state, by
// whom, and the refusals' codes. (The workers' side runs in jobs/ against the bank.)
func TestOrderActionsThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "MUG", "12.50", 10)
	var placed struct{ CreateOrder placedOrder }
	in := orderInput("lc-1", line("MUG", 3))
	in["paymentMethod"] = "pm_card_chargeDeclined"
	e.ok(t, c, &placed, createOrder, map[string]any{"in": in})
	id := placed.CreateOrder.ID

	var got struct {
		Order struct {
			Status, PaymentMethod string
			AvailableActions      []string
		}
	}
	e.ok(t, c, &got, `query($id: ID!) { order(id: $id) { status paymentMethod availableActions } }`, map[string]any{"id": id})
	assert.Equal(t, "pm_card_chargeDeclined", got.Order.PaymentMethod)
	assert.Equal(t, []string{"CANCEL"}, got.Order.AvailableActions, "a PENDING order can be cancelled, not approved")

	_, viewerKey := e.apiKey(t, c, "VIEWER")
	viewer := creds{Bearer: viewerKey}
	e.ok(t, viewer, &got, `query($id: ID!) { order(id: $id) { status paymentMethod availableActions } }`, map[string]any{"id": id})
	assert.Empty(t, got.Order.AvailableActions, "a viewer may do nothing")
	r := e.do(t, viewer, `mutation($id: ID!) { cancelOrder(id: $id) { status } }`, map[string]any{"id": id})
	assert.Equal(t, "FORBIDDEN", r.code())

	r = e.do(t, c, `mutation($id: ID!) { approveOrder(id: $id) { status } }`, map[string]any{"id": id})
	assert.Equal(t, "CONFLICT", r.code())
	assert.Contains(t, r.Errors[0].Message, "PENDING")

	var cancelled struct {
		CancelOrder struct {
			Status           string
			AvailableActions []string
			Lines            []struct{ Product struct{ StockReserved int } }
			Events           []struct{ Type, Message string }
		}
	}
	e.ok(t, c, &cancelled, `mutation($id: ID!) { cancelOrder(id: $id, reason: "duplicate") {
		status availableActions lines { product { stockReserved } } events { type message } } }`, map[string]any{"id": id})
	assert.Equal(t, "CANCELLED", cancelled.CancelOrder.Status)
	assert.Empty(t, cancelled.CancelOrder.AvailableActions)
	assert.Zero(t, cancelled.CancelOrder.Lines[0].Product.StockReserved, "the reservation is released")
	last := cancelled.CancelOrder.Events[len(cancelled.CancelOrder.Events)-1]
	assert.Equal(t, "order.cancelled", last.Type)
	assert.Contains(t, last.Message, "duplicate")

	r = e.do(t, c, `mutation($id: ID!) { cancelOrder(id: $id) { status } }`, map[string]any{"id": id})
	assert.Equal(t, "CONFLICT", r.code())
	assert.Contains(t, r.Errors[0].Message, "CANCELLED")
	r = e.do(t, c, `mutation { cancelOrder(id: "gid://ordergraph/Order/00000000-0000-0000-0000-000000000000") { status } }`, nil)
	assert.Equal(t, "NOT_FOUND", r.code())
}

func TestStoreSettingsThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	type settings struct {
		ReviewTotal              struct{ Amount, CurrencyCode string }
		ReviewLineQuantity       int
		MaxOrdersPerEmailPerHour int
		AllowedCountries         []string
	}
	var got struct{ Store struct{ Settings settings } }
	e.ok(t, c, &got, `{ store { settings { reviewTotal { amount currencyCode } reviewLineQuantity maxOrdersPerEmailPerHour allowedCountries } } }`, nil)
	assert.Equal(t, settings{ReviewTotal: struct{ Amount, CurrencyCode string }{"5000.00", "EUR"}, ReviewLineQuantity: 100,
		MaxOrdersPerEmailPerHour: 20, AllowedCountries: []string{}}, got.Store.Settings)

	const update = `mutation($in: StoreSettingsInput!) { updateStoreSettings(input: $in) { settings {
		reviewTotal { amount currencyCode } reviewLineQuantity maxOrdersPerEmailPerHour allowedCountries } } }`
	var updated struct{ UpdateStoreSettings struct{ Settings settings } }
	e.ok(t, c, &updated, update, map[string]any{"in": map[string]any{"reviewTotal": "250.00", "allowedCountries": []string{"de", "AT", "DE"}}})
	s := updated.UpdateStoreSettings.Settings
	assert.Equal(t, "250.00", s.ReviewTotal.Amount)
	assert.Equal(t, []string{"AT", "DE"}, s.AllowedCountries)
	assert.Equal(t, 100, s.ReviewLineQuantity, "left out, unchanged")

	r := e.do(t, c, update, map[string]any{"in": map[string]any{"allowedCountries": []string{"DEU"}}})
	assert.Equal(t, "BAD_USER_INPUT", r.code())
	assert.Equal(t, "input.allowedCountries.0", r.field())
	r = e.do(t, c, update, map[string]any{"in": map[string]any{"reviewLineQuantity": 0}})
	assert.Equal(t, "input.reviewLineQuantity", r.field())

	_, staffKey := e.apiKey(t, c, "STAFF")
	r = e.do(t, creds{Bearer: staffKey}, update, map[string]any{"in": map[string]any{"reviewLineQuantity": 5}})
	assert.Equal(t, "FORBIDDEN", r.code())
	r = e.do(t, creds{Bearer: staffKey}, `{ store { settings { reviewLineQuantity } } }`, nil)
	assert.Equal(t, "FORBIDDEN", r.code())

	var alerts struct {
		Alerts struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	e.ok(t, c, &alerts, `{ alerts(first: 5, filter: {status: [OPEN]}) { totalCount edges { node { id } } } }`, nil)
	require.Zero(t, alerts.Alerts.TotalCount)
}

// TestTransitionsThroughTheAPI puts an order in every status (behind the trigger's
// back, as the owner) and asks the API to approve and to cancel it: each is allowed
// exactly where the state machine has the edge, and refused with CONFLICT naming the
// status everywhere else. (TestStateMachineCodeAndDatabaseAgree does the same against
// the trigger.)
func TestTransitionsThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "MUG", "12.50", 1000)
	storeID := bareID(t, c.StoreID)
	ctx := context.Background()
	owner := db.New(dbtest.OwnerPool(t))
	statuses := []order.Status{order.StatusPending, order.StatusOnHold, order.StatusAwaitingPayment,
		order.StatusPaid, order.StatusFulfilling, order.StatusShipped, order.StatusDelivered,
		order.StatusPaymentFailed, order.StatusCancelled}
	for i, st := range statuses {
		for _, action := range []string{"approveOrder", "cancelOrder"} {
			var placed struct{ CreateOrder placedOrder }
			e.ok(t, c, &placed, createOrder, map[string]any{"in": orderInput(fmt.Sprintf("tr-%d-%s", i, action), line("MUG", 1))})
			id := placed.CreateOrder.ID
			require.NoError(t, owner.Tx(ctx, db.Store(tenant.StoreID(storeID)), func(tx pgx.Tx) error {
				for _, stmt := range []string{`ALTER TABLE orders DISABLE TRIGGER orders_status_transition`,
					`UPDATE orders SET status = '` + string(st) + `' WHERE id = '` + bareID(t, id).String() + `'`,
					`ALTER TABLE orders ENABLE TRIGGER orders_status_transition`} {
					if _, err := tx.Exec(ctx, stmt); err != nil {
						return err
					}
				}
				return nil
			}))
			want := order.StatusAwaitingPayment
			allowed := st == order.StatusOnHold
			if action == "cancelOrder" {
				want, allowed = order.StatusCancelled, order.CanTransition(st, order.StatusCancelled)
			}
			r := e.do(t, c, `mutation($id: ID!) { `+action+`(id: $id) { status } }`, map[string]any{"id": id})
			if allowed {
				require.Empty(t, r.Errors, "%s from %s", action, st)
				var out map[string]struct{ Status string }
				require.NoError(t, json.Unmarshal(r.Data, &out))
				assert.Equal(t, string(want), out[action].Status, "%s from %s", action, st)
				continue
			}
			assert.Equal(t, "CONFLICT", r.code(), "%s from %s", action, st)
			if len(r.Errors) > 0 {
				assert.Contains(t, r.Errors[0].Message, string(st), "%s from %s names the status", action, st)
			}
		}
	}
}
