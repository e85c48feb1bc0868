package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/alert"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/mockbank"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/jobs"
)

const bankKey = "sk_test_pipeline"

// pipeline is a store, a database of its own, the real mock bank over HTTP and a
// running River client working every job: orders walk their whole lifecycle.
type pipeline struct {
	d        *db.DB
	pool     *pgxpool.Pool
	bank     *mockbank.Bank
	orders   *order.Service
	payments *payment.Service
	store    store.Store
}

type pipelineOpts struct {
	faults    mockbank.Faults
	budget    time.Duration // the payment retry budget; default 20s
	stepDelay time.Duration // between fulfillment steps; default 0
	breaker   payment.BreakerConfig
}

func newPipeline(t *testing.T, o pipelineOpts) *pipeline {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.Own(t).Pool(t)
	d := db.New(pool)
	bank, err := mockbank.New(mockbank.Config{SecretKey: bankKey, Seed: 7, Faults: o.faults})
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	if o.budget == 0 {
		o.budget = 20 * time.Second
	}
	if o.breaker.ConsecutiveFailures == 0 {
		o.breaker = payment.BreakerConfig{ConsecutiveFailures: 5, OpenFor: 200 * time.Millisecond, HalfOpenProbes: 1}
	}
	gw := payment.NewGateway(payment.GatewayConfig{URL: srv.URL, Key: bankKey, Timeout: 2 * time.Second, Breaker: o.breaker})
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	orders := order.NewService(d, inserter, order.Config{PaymentBudget: o.budget, FulfillmentStepDelay: o.stepDelay})
	workers := river.NewWorkers()
	payments := payment.NewService(d)
	jobs.AddWorkers(workers, jobs.Deps{DB: d, Orders: orders, Payments: payments, Stores: store.NewService(d), Gateway: gw,
		Retry: payment.RetryPolicy{Base: 10 * time.Millisecond, Cap: 100 * time.Millisecond, Budget: o.budget}})
	client, err := jobs.NewWorkerClient(pool, workers, jobs.Config{MaxWorkers: 4, LowStockEvery: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Stop(stop)
	})
	st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
	dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "A", Price: "10.00", Stock: 100})
	dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "GOLD", Price: "3000.00", Stock: 100})
	dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "LOW", Price: "1.00", Stock: 10, LowStockThreshold: 5})
	return &pipeline{d: d, pool: pool, bank: bank, orders: orders, payments: payments, store: st}
}

func (p *pipeline) place(t *testing.T, o dbtest.OrderOpts) order.Order {
	t.Helper()
	if o.Lines == nil {
		o.Lines = map[string]int{"A": 2}
	}
	return dbtest.NewOrder(t, p.d, p.store.ID, o)
}

// wait waits for order id to reach want, and returns it.
func (p *pipeline) wait(t *testing.T, id uuid.UUID, want order.Status) order.Order {
	t.Helper()
	var o order.Order
	require.Eventually(t, func() bool {
		var err error
		o, err = p.orders.Get(context.Background(), p.store.ID, id)
		require.NoError(t, err)
		return o.Status == want
	}, 90*time.Second, 20*time.Millisecond, "order never reached %s", want)
	return o
}

func (p *pipeline) events(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	evs, err := p.orders.ListEventsByOrders(context.Background(), p.store.ID, []uuid.UUID{id})
	require.NoError(t, err)
	var types []string
	for _, e := range evs[id] {
		types = append(types, e.Type)
	}
	return types
}

func (p *pipeline) payment(t *testing.T, orderID uuid.UUID) payment.Payment {
	t.Helper()
	ps, err := p.payments.ListByOrders(context.Background(), p.store.ID, []uuid.UUID{orderID})
	require.NoError(t, err)
	require.Len(t, ps[orderID], 1)
	return ps[orderID][0]
}

func (p *pipeline) product(t *testing.T, sku string) product.Product {
	t.Helper()
	ps, _, err := product.NewService(p.d).List(context.Background(), p.store.ID, product.ListFilter{Search: sku}, page.Args{First: 10})
	require.NoError(t, err)
	for _, pr := range ps {
		if pr.SKU == sku {
			return pr
		}
	}
	t.Fatalf("no product %s", sku)
	return product.Product{}
}

// charges are the bank's ledger entries of kind for key.
func (p *pipeline) ledger(kind, status, key string) int {
	n := 0
	for _, e := range p.bank.Ledger() {
		if e.Kind == kind && e.Status == status && (key == "" || e.IdempotencyKey == key) {
			n++
		}
	}
	return n
}

func (p *pipeline) openAlerts(t *testing.T, kind alert.Kind) []alert.Alert {
	t.Helper()
	as, _, err := alert.NewService(p.d).List(context.Background(), p.store.ID,
		alert.Filter{Statuses: []alert.Status{alert.StatusOpen}, Kinds: []alert.Kind{kind}}, page.Args{First: 100})
	require.NoError(t, err)
	return as
}

func TestOrderWalksToDelivered(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{})
	ctx := context.Background()
	placed := p.place(t, dbtest.OrderOpts{})
	o := p.wait(t, placed.ID, order.StatusDelivered)

	pay := p.payment(t, o.ID)
	assert.Equal(t, payment.StatusCaptured, pay.Status)
	require.NotNil(t, pay.GatewayID)
	assert.Equal(t, 1, p.ledger("charge", "succeeded", pay.IdempotencyKey), "one charge in the bank's ledger")
	invs, err := invoice.NewService(p.d).ListByOrders(ctx, p.store.ID, []uuid.UUID{o.ID})
	require.NoError(t, err)
	inv := invs[o.ID]
	assert.Equal(t, int64(1), inv.Number)
	assert.Equal(t, invoice.StatusIssued, inv.Status)
	assert.Equal(t, o.TotalMinor, inv.TotalMinor)
	lines, err := invoice.NewService(p.d).ListLinesByInvoices(ctx, p.store.ID, []uuid.UUID{inv.ID})
	require.NoError(t, err)
	require.Len(t, lines[inv.ID], 1)
	assert.Equal(t, 2, lines[inv.ID][0].Quantity)
	fs, err := fulfillment.NewService(p.d).ListByOrders(ctx, p.store.ID, []uuid.UUID{o.ID})
	require.NoError(t, err)
	f := fs[o.ID]
	assert.Equal(t, fulfillment.StatusDelivered, f.Status)
	for _, at := range []*time.Time{f.PickedAt, f.PackedAt, f.ShippedAt, f.DeliveredAt} {
		assert.NotNil(t, at)
	}
	require.NotNil(t, f.TrackingNumber)
	a := p.product(t, "A")
	assert.Equal(t, []int{98, 0}, []int{a.StockOnHand, a.StockReserved}, "shipped units left stock on hand and reserved")
	assert.Equal(t, []string{order.EventCreated, order.EventFraudCleared, order.EventPaymentRequested,
		order.EventPaymentCaptured, order.EventInvoiceIssued, order.EventFulfillmentStep, order.EventFulfillmentStep,
		order.EventFulfillmentStep, order.EventShipped, order.EventDelivered}, p.events(t, o.ID))

	// From SHIPPED on, an order can no longer be cancelled.
	_, err = p.orders.Cancel(ctx, p.store.ID, o.ID, "too late", "staff@example.com")
	require.ErrorContains(t, err, "an order that is DELIVERED cannot be cancelled")
}

func TestDeclinedPaymentIsCompensated(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{})
	placed := p.place(t, dbtest.OrderOpts{PaymentMethod: "pm_card_chargeDeclinedInsufficientFunds"})
	o := p.wait(t, placed.ID, order.StatusCancelled)
	pay := p.payment(t, o.ID)
	assert.Equal(t, payment.StatusDeclined, pay.Status)
	require.NotNil(t, pay.DeclineCode)
	assert.Equal(t, "insufficient_funds", *pay.DeclineCode)
	assert.Equal(t, 0, p.ledger("charge", "succeeded", ""))
	a := p.product(t, "A")
	assert.Equal(t, []int{100, 0}, []int{a.StockOnHand, a.StockReserved}, "the reservation was released")
	assert.Len(t, p.openAlerts(t, alert.KindPaymentFailed), 1)
	assert.Subset(t, p.events(t, o.ID), []string{order.EventPaymentFailed, order.EventStockReleased, order.EventCancelled})
}

// Transient errors and answers lost after the charge: the payment retries with its one
// key until it goes through, and the bank holds exactly one charge for it.
func TestTransientFailuresThenCapture(t *testing.T) {
	t.Parallel()
	// A retry is a scheduled job, which River's scheduler makes available within
	// seconds: a budget of minutes leaves room for several.
	p := newPipeline(t, pipelineOpts{faults: mockbank.Faults{TransientErrorRate: 0.3, LostResponseRate: 0.3, RateLimitRate: 0.1},
		budget: 2 * time.Minute, breaker: payment.BreakerConfig{ConsecutiveFailures: 50, OpenFor: 50 * time.Millisecond, HalfOpenProbes: 1}})
	var placed []order.Order
	for range 6 {
		placed = append(placed, p.place(t, dbtest.OrderOpts{Lines: map[string]int{"A": 1}}))
	}
	retried := 0
	for _, o := range placed {
		p.wait(t, o.ID, order.StatusDelivered)
		pay := p.payment(t, o.ID)
		assert.Equal(t, 1, p.ledger("charge", "succeeded", pay.IdempotencyKey), "exactly one charge per payment")
		if pay.Attempts > 1 {
			retried++
			assert.Contains(t, p.events(t, o.ID), order.EventPaymentAttempt, "every failed attempt is on the timeline")
		}
	}
	assert.Positive(t, retried, "some payments needed more than one attempt")
	assert.Empty(t, p.openAlerts(t, alert.KindPaymentRetrying), "PAYMENT_RETRYING alerts resolve when the payment settles")
}

// An outage longer than the retry budget: the payment fails without a charge, the order
// is compensated, and the bank was not hammered (the breaker held calls back).
func TestOutageLongerThanTheBudget(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{faults: mockbank.Faults{Outage: true}, budget: 2 * time.Second})
	placed := p.place(t, dbtest.OrderOpts{})
	o := p.wait(t, placed.ID, order.StatusCancelled)
	pay := p.payment(t, o.ID)
	assert.Equal(t, payment.StatusFailed, pay.Status)
	assert.Equal(t, 0, p.ledger("charge", "succeeded", ""))
	assert.Less(t, pay.Attempts, 40, "the breaker kept the payment from calling on every backoff")
	a := p.product(t, "A")
	assert.Equal(t, 0, a.StockReserved)
	assert.Len(t, p.openAlerts(t, alert.KindPaymentFailed), 1)
	assert.Empty(t, p.openAlerts(t, alert.KindPaymentRetrying))
}

// The breaker opens during an outage and closes after it: payments waiting meanwhile
// go through once the bank is back.
func TestBreakerOpensAndCloses(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{faults: mockbank.Faults{Outage: true}, budget: time.Minute})
	placed := p.place(t, dbtest.OrderOpts{})
	require.Eventually(t, func() bool {
		return slices.Contains(p.events(t, placed.ID), order.EventPaymentAttempt)
	}, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return len(p.openAlerts(t, alert.KindPaymentRetrying)) == 1 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, p.bank.SetFaults(mockbank.Faults{}))
	p.wait(t, placed.ID, order.StatusDelivered)
	assert.Equal(t, 1, p.ledger("charge", "succeeded", p.payment(t, placed.ID).IdempotencyKey))
	assert.Empty(t, p.openAlerts(t, alert.KindPaymentRetrying))
}

func TestCancelAfterPaymentRefunds(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{stepDelay: time.Hour}) // stays FULFILLING
	ctx := context.Background()
	placed := p.place(t, dbtest.OrderOpts{})
	p.wait(t, placed.ID, order.StatusFulfilling)
	cancelled, err := p.orders.Cancel(ctx, p.store.ID, placed.ID, "customer changed their mind", "staff@example.com")
	require.NoError(t, err)
	assert.Equal(t, order.StatusCancelled, cancelled.Status)
	require.Eventually(t, func() bool {
		return p.payment(t, placed.ID).Status == payment.StatusRefunded
	}, 20*time.Second, 20*time.Millisecond)
	pay := p.payment(t, placed.ID)
	assert.Equal(t, pay.AmountMinor, pay.RefundedMinor)
	assert.Equal(t, 1, p.ledger("charge", "succeeded", pay.IdempotencyKey))
	assert.Equal(t, 1, p.ledger("refund", "succeeded", ""))
	invs, err := invoice.NewService(p.d).ListByOrders(ctx, p.store.ID, []uuid.UUID{placed.ID})
	require.NoError(t, err)
	assert.Equal(t, invoice.StatusVoid, invs[placed.ID].Status)
	a := p.product(t, "A")
	assert.Equal(t, []int{100, 0}, []int{a.StockOnHand, a.StockReserved}, "restocked")
	assert.Subset(t, p.events(t, placed.ID), []string{order.EventInvoiceVoided, order.EventRefundRequested, order.EventRefunded})
}

func TestHoldThenApproveOrReject(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{})
	ctx := context.Background()
	big := p.place(t, dbtest.OrderOpts{Lines: map[string]int{"GOLD": 2}}) // 6,000.00: held
	p.wait(t, big.ID, order.StatusOnHold)
	require.Len(t, p.openAlerts(t, alert.KindOrderOnHold), 1)
	_, err := p.orders.Approve(ctx, p.store.ID, big.ID, "staff@example.com")
	require.NoError(t, err)
	p.wait(t, big.ID, order.StatusDelivered)
	assert.Empty(t, p.openAlerts(t, alert.KindOrderOnHold))
	_, err = p.orders.Approve(ctx, p.store.ID, big.ID, "staff@example.com")
	require.ErrorContains(t, err, "DELIVERED")

	rejected := p.place(t, dbtest.OrderOpts{Lines: map[string]int{"GOLD": 2}})
	p.wait(t, rejected.ID, order.StatusOnHold)
	_, err = p.orders.Cancel(ctx, p.store.ID, rejected.ID, "looks fraudulent", "staff@example.com")
	require.NoError(t, err)
	o := p.wait(t, rejected.ID, order.StatusCancelled)
	assert.Equal(t, order.StatusCancelled, o.Status)
	assert.Empty(t, p.openAlerts(t, alert.KindOrderOnHold))
	gold := p.product(t, "GOLD")
	assert.Equal(t, []int{98, 0}, []int{gold.StockOnHand, gold.StockReserved}, "the approved order shipped, the rejected one released")
	_, err = p.orders.Cancel(ctx, p.store.ID, rejected.ID, "", "x")
	require.ErrorContains(t, err, "CANCELLED")
}

// A product whose available stock falls to its threshold gets one LOW_STOCK alert —
// from the periodic sweep for a reservation, at once for a shipment — which resolves
// when it is restocked.
func TestLowStockAlerts(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, pipelineOpts{stepDelay: time.Hour}) // orders stay FULFILLING: reserved, not shipped
	ctx := context.Background()
	placed := p.place(t, dbtest.OrderOpts{Lines: map[string]int{"LOW": 6}}) // 4 available, threshold 5
	p.wait(t, placed.ID, order.StatusFulfilling)
	require.Eventually(t, func() bool { return len(p.openAlerts(t, alert.KindLowStock)) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the sweep opens an alert")
	time.Sleep(600 * time.Millisecond) // more sweeps
	as := p.openAlerts(t, alert.KindLowStock)
	require.Len(t, as, 1, "one open alert per product, however many sweeps")
	assert.Contains(t, as[0].Message, "LOW")

	low := p.product(t, "LOW")
	_, err := product.NewService(p.d).AdjustStock(ctx, p.store.ID, low.ID, 20, "restock")
	require.NoError(t, err)
	assert.Empty(t, p.openAlerts(t, alert.KindLowStock), "adjustStock resolves it at once")

	_, err = product.NewService(p.d).AdjustStock(ctx, p.store.ID, low.ID, -19, "shrinkage")
	require.NoError(t, err)
	assert.Len(t, p.openAlerts(t, alert.KindLowStock), 1, "and opens it at once")
}
