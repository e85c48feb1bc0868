package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/internal/alert"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Config tunes the lifecycle's timing.
type Config struct {
	// PaymentBudget bounds how long a payment keeps retrying after it is requested;
	// zero is payment.DefaultRetryPolicy's budget.
	PaymentBudget time.Duration
	// FulfillmentStepDelay is the time between two fulfillment steps (picked, packed,
	// shipped, delivered); zero runs them at once.
	FulfillmentStepDelay time.Duration
}

func (c Config) paymentBudget() time.Duration {
	if c.PaymentBudget <= 0 {
		return payment.DefaultRetryPolicy.Budget
	}
	return c.PaymentBudget
}

// Event types of the lifecycle after the fraud check.
const (
	EventApproved          = "order.approved"
	EventPaymentRequested  = "payment.requested"
	EventPaymentAttempt    = "payment.attempt_failed"
	EventPaymentCaptured   = "payment.captured"
	EventPaymentFailed     = "payment.failed"
	EventInvoiceIssued     = "invoice.issued"
	EventInvoiceVoided     = "invoice.voided"
	EventFulfillmentStep   = "fulfillment.step"
	EventShipped           = "order.shipped"
	EventDelivered         = "order.delivered"
	EventCancelled         = "order.cancelled"
	EventRefundRequested   = "refund.requested"
	EventRefundAttempt     = "refund.attempt_failed"
	EventRefunded          = "refund.succeeded"
	EventRefundFailed      = "refund.failed"
	EventStockReleased     = "stock.released"
	EventPaymentLateCharge = "payment.captured_after_cancel"
)

// appendEvent adds a step to order id's timeline that does not move its status.
func appendEvent(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID, typ, msg string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil || data == nil {
		b = []byte("{}")
	}
	if err := queries.OrderEventCreate(ctx, tx, dbsqlc.OrderEventCreateParams{StoreID: storeID, OrderID: id,
		Type: typ, Message: msg, Data: b}); err != nil {
		return fmt.Errorf("order event %s: %w", typ, err)
	}
	return nil
}

// requestPayment opens the payment of an order awaiting it and enqueues its first
// charge.
func (s *Service) requestPayment(ctx context.Context, tx pgx.Tx, o Order) error {
	p, err := payment.Open(ctx, tx, o.StoreID, o.ID, o.TotalMinor, o.CurrencyCode, o.PaymentMethod, s.cfg.paymentBudget())
	if err != nil {
		return err
	}
	if err := appendEvent(ctx, tx, o.StoreID, o.ID, EventPaymentRequested,
		fmt.Sprintf("Payment of %s %s requested (%s)", money.FormatMinor(p.AmountMinor, p.CurrencyCode), p.CurrencyCode, p.PaymentMethod),
		map[string]any{"paymentId": p.ID}); err != nil {
		return err
	}
	_, err = s.jobs.InsertTx(ctx, tx, ChargePaymentArgs{StoreID: o.StoreID, OrderID: o.ID, PaymentID: p.ID}, nil)
	if err != nil {
		return fmt.Errorf("enqueue charge: %w", err)
	}
	return nil
}

// Approve releases order id of storeID from review: ON_HOLD becomes AWAITING_PAYMENT
// and its payment is requested. Any other status is CONFLICT naming it.
func (s *Service) Approve(ctx context.Context, storeID tenant.StoreID, id uuid.UUID, by string) (Order, error) {
	var out Order
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		o, err := lockOrder(ctx, tx, storeID, id)
		if err != nil {
			return err
		}
		if o.Status != StatusOnHold {
			return apperr.Conflictf("only an order on hold can be approved; this one is %s", o.Status)
		}
		if out, err = Transition(ctx, tx, storeID, id, StatusOnHold, StatusAwaitingPayment, EventApproved,
			"Approved by "+by+"; awaiting payment", map[string]any{"by": by}); err != nil {
			return err
		}
		if err := alert.ResolveSubject(ctx, tx, storeID, alert.KindOrderOnHold, id); err != nil {
			return err
		}
		return s.requestPayment(ctx, tx, out)
	})
	return out, err
}

// Cancel cancels order id of storeID, with what it takes for its status:
//   - before payment (PENDING, ON_HOLD, AWAITING_PAYMENT, PAYMENT_FAILED): its stock
//     reservation is released; a payment still being charged is left to its charge
//     job, which, finding the order cancelled, charges nothing — or refunds what it
//     had already taken;
//   - after payment (PAID, FULFILLING): its reservation is released, its fulfillment
//     cancelled, its invoice voided and its payment refunded (a refund job);
//   - from SHIPPED on, and when already cancelled: CONFLICT naming the status.
//
// The order is locked first, so a worker's step on it either happened before (and
// Cancel sees its result) or finds the order cancelled.
func (s *Service) Cancel(ctx context.Context, storeID tenant.StoreID, id uuid.UUID, reason, by string) (Order, error) {
	var out Order
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		o, err := lockOrder(ctx, tx, storeID, id)
		if err != nil {
			return err
		}
		if !CanTransition(o.Status, StatusCancelled) {
			return apperr.Conflictf("an order that is %s cannot be cancelled", o.Status)
		}
		if reason == "" {
			reason = "cancelled by " + by
		}
		if err := s.releaseStock(ctx, tx, o); err != nil {
			return err
		}
		if o.Status == StatusPaid || o.Status == StatusFulfilling {
			if err := s.unwindPayment(ctx, tx, o, reason); err != nil {
				return err
			}
		}
		if o.Status == StatusOnHold {
			if err := alert.ResolveSubject(ctx, tx, storeID, alert.KindOrderOnHold, id); err != nil {
				return err
			}
		}
		out, err = Transition(ctx, tx, storeID, id, o.Status, StatusCancelled, EventCancelled,
			"Cancelled: "+reason, map[string]any{"reason": reason, "by": by})
		return err
	})
	return out, err
}

// releaseStock gives an unshipped order's reserved stock back.
func (s *Service) releaseStock(ctx context.Context, tx pgx.Tx, o Order) error {
	lines, err := orderLines(ctx, tx, o.StoreID, o.ID)
	if err != nil {
		return err
	}
	q := product.Quantities{}
	for _, l := range lines {
		q[l.ProductID] += l.Quantity
	}
	if err := product.Release(ctx, tx, o.StoreID, q); err != nil {
		return err
	}
	return appendEvent(ctx, tx, o.StoreID, o.ID, EventStockReleased, "Reserved stock released", nil)
}

// unwindPayment undoes a paid order's payment side: fulfillment cancelled, invoice
// voided, the payment refunded.
func (s *Service) unwindPayment(ctx context.Context, tx pgx.Tx, o Order, reason string) error {
	for _, from := range []fulfillment.Status{fulfillment.StatusPending, fulfillment.StatusPicked, fulfillment.StatusPacked} {
		if _, ok, err := fulfillment.Advance(ctx, tx, o.StoreID, o.ID, from, fulfillment.StatusCancelled, nil); err != nil || ok {
			if err != nil {
				return err
			}
			break
		}
	}
	if inv, ok, err := invoice.Void(ctx, tx, o.StoreID, o.ID, reason); err != nil {
		return err
	} else if ok {
		if err := appendEvent(ctx, tx, o.StoreID, o.ID, EventInvoiceVoided,
			fmt.Sprintf("Invoice #%d voided", inv.Number), map[string]any{"invoiceId": inv.ID}); err != nil {
			return err
		}
	}
	p, ok, err := payment.OpenOf(ctx, tx, o.StoreID, o.ID)
	if err != nil || !ok || p.Status != payment.StatusCaptured {
		return err
	}
	return s.refund(ctx, tx, o, p, reason)
}

// refund opens the refund of captured payment p and enqueues it.
func (s *Service) refund(ctx context.Context, tx pgx.Tx, o Order, p payment.Payment, reason string) error {
	r, err := payment.OpenRefund(ctx, tx, p, reason)
	if err != nil {
		return err
	}
	if err := appendEvent(ctx, tx, o.StoreID, o.ID, EventRefundRequested,
		fmt.Sprintf("Refund of %s %s requested", money.FormatMinor(r.AmountMinor, r.CurrencyCode), r.CurrencyCode),
		map[string]any{"refundId": r.ID, "paymentId": p.ID}); err != nil {
		return err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, RefundPaymentArgs{StoreID: o.StoreID, OrderID: o.ID, RefundID: r.ID}, nil); err != nil {
		return fmt.Errorf("enqueue refund: %w", err)
	}
	return nil
}

// ChargeResult is what one attempt to charge a payment came to.
type ChargeResult struct {
	// Status is payment.StatusCaptured, StatusDeclined, StatusFailed (no answer in
	// time, or a refused request), StatusCancelled (not charged: the order was
	// cancelled) or StatusRetrying (a transient failure; Next is the next attempt).
	Status      string
	GatewayID   string
	Error       string
	DeclineCode string
	Next        time.Time
	// ReconcileAt, for a payment given up with its last answer unknown, is when to
	// look at the gateway for a charge it made after all.
	ReconcileAt time.Time
}

// ErrNothingToDo reports a step that found nothing to do: its order or payment had
// moved on (a retried job, or a cancellation that won the race).
var ErrNothingToDo = errors.New("nothing to do")

// RecordCharge records the outcome of an attempt to charge payment paymentID of
// order orderID, in tx, with everything it leads to:
//   - captured: the order PAID, its invoice issued, FULFILLING with the first
//     fulfillment step enqueued — or, if the order was cancelled meanwhile, a refund;
//   - declined or failed: compensation — stock released, PAYMENT_FAILED then
//     CANCELLED, a PAYMENT_FAILED alert;
//   - retrying: the attempt on the timeline, a PAYMENT_RETRYING alert, the next
//     attempt enqueued at r.Next;
//   - cancelled: the payment closed without a charge.
//
// A payment already settled is ErrNothingToDo.
func (s *Service) RecordCharge(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID, paymentID uuid.UUID, r ChargeResult) error {
	o, err := lockOrder(ctx, tx, storeID, orderID)
	if err != nil {
		return err
	}
	if r.Status == payment.StatusRetrying {
		p, err := payment.RecordRetry(ctx, tx, storeID, paymentID, r.Error, r.Next)
		if errors.Is(err, payment.ErrSettled) {
			return ErrNothingToDo
		} else if err != nil {
			return err
		}
		msg := fmt.Sprintf("Payment attempt %d failed (%s); next attempt at %s", p.Attempts, r.Error, r.Next.UTC().Format(time.RFC3339))
		if err := appendEvent(ctx, tx, storeID, orderID, EventPaymentAttempt, msg,
			map[string]any{"paymentId": p.ID, "attempt": p.Attempts, "error": r.Error, "nextAttemptAt": r.Next}); err != nil {
			return err
		}
		if err := alert.Open(ctx, tx, storeID, alert.Params{Kind: alert.KindPaymentRetrying, SubjectID: p.ID, OrderID: &orderID,
			Message: fmt.Sprintf("The payment of order #%d is retrying: %s", o.Number, r.Error)}); err != nil {
			return err
		}
		_, err = s.jobs.InsertTx(ctx, tx, ChargePaymentArgs{StoreID: storeID, OrderID: orderID, PaymentID: paymentID},
			&river.InsertOpts{ScheduledAt: r.Next})
		return err
	}

	p, err := payment.Settle(ctx, tx, storeID, paymentID, payment.Outcome{Status: r.Status, GatewayID: r.GatewayID,
		Error: r.Error, DeclineCode: r.DeclineCode, Attempted: r.Status != payment.StatusCancelled})
	if errors.Is(err, payment.ErrSettled) {
		return ErrNothingToDo
	} else if err != nil {
		return err
	}
	if err := alert.ResolveSubject(ctx, tx, storeID, alert.KindPaymentRetrying, p.ID); err != nil {
		return err
	}
	if !r.ReconcileAt.IsZero() {
		if _, err := s.jobs.InsertTx(ctx, tx, ReconcilePaymentArgs{StoreID: storeID, OrderID: orderID, PaymentID: p.ID},
			&river.InsertOpts{ScheduledAt: r.ReconcileAt}); err != nil {
			return fmt.Errorf("enqueue reconciliation: %w", err)
		}
	}
	amount := money.FormatMinor(p.AmountMinor, p.CurrencyCode) + " " + p.CurrencyCode
	switch r.Status {
	case payment.StatusCaptured:
		if o.Status != StatusAwaitingPayment {
			// Cancelled while the charge was under way: the money goes back.
			if err := appendEvent(ctx, tx, storeID, orderID, EventPaymentLateCharge,
				fmt.Sprintf("Payment of %s captured after the order was cancelled; refunding", amount),
				map[string]any{"paymentId": p.ID, "gatewayId": r.GatewayID}); err != nil {
				return err
			}
			return s.refund(ctx, tx, o, p, "the order was cancelled before its payment was captured")
		}
		return s.capture(ctx, tx, o, p, amount)
	case payment.StatusCancelled:
		return nil
	}
	// Declined or failed: compensation.
	if err := alert.Open(ctx, tx, storeID, alert.Params{Kind: alert.KindPaymentFailed, SubjectID: p.ID, OrderID: &orderID,
		Message: fmt.Sprintf("The payment of order #%d failed: %s", o.Number, r.Error)}); err != nil {
		return err
	}
	if o.Status != StatusAwaitingPayment {
		return nil
	}
	if _, err := Transition(ctx, tx, storeID, orderID, StatusAwaitingPayment, StatusPaymentFailed, EventPaymentFailed,
		fmt.Sprintf("Payment of %s %s: %s", amount, lowerStatus(r.Status), r.Error),
		map[string]any{"paymentId": p.ID, "declineCode": r.DeclineCode}); err != nil {
		return err
	}
	if err := s.releaseStock(ctx, tx, o); err != nil {
		return err
	}
	_, err = Transition(ctx, tx, storeID, orderID, StatusPaymentFailed, StatusCancelled, EventCancelled,
		"Cancelled: the payment failed", map[string]any{"reason": "payment failed"})
	return err
}

func lowerStatus(s string) string {
	if s == payment.StatusDeclined {
		return "declined"
	}
	return "failed"
}

// capture moves a paid order on: PAID, its invoice, FULFILLING and the first step.
func (s *Service) capture(ctx context.Context, tx pgx.Tx, o Order, p payment.Payment, amount string) error {
	if _, err := Transition(ctx, tx, o.StoreID, o.ID, StatusAwaitingPayment, StatusPaid, EventPaymentCaptured,
		"Payment of "+amount+" captured", map[string]any{"paymentId": p.ID, "gatewayId": p.GatewayID}); err != nil {
		return err
	}
	inv, err := invoice.Issue(ctx, tx, o.StoreID, invoice.IssueParams{OrderID: o.ID, SubtotalMinor: o.SubtotalMinor,
		TotalMinor: o.TotalMinor, CurrencyCode: o.CurrencyCode})
	if err != nil {
		return err
	}
	if err := appendEvent(ctx, tx, o.StoreID, o.ID, EventInvoiceIssued, fmt.Sprintf("Invoice #%d issued", inv.Number),
		map[string]any{"invoiceId": inv.ID, "number": inv.Number}); err != nil {
		return err
	}
	if _, err := Transition(ctx, tx, o.StoreID, o.ID, StatusPaid, StatusFulfilling, EventFulfillmentStep,
		"Fulfillment started", nil); err != nil {
		return err
	}
	if _, err := fulfillment.Begin(ctx, tx, o.StoreID, o.ID); err != nil {
		return err
	}
	return s.nextStep(ctx, tx, o, fulfillment.StatusPending)
}

// nextStep enqueues the fulfillment step after from.
func (s *Service) nextStep(ctx context.Context, tx pgx.Tx, o Order, from fulfillment.Status) error {
	var opts *river.InsertOpts
	if s.cfg.FulfillmentStepDelay > 0 {
		opts = &river.InsertOpts{ScheduledAt: time.Now().Add(s.cfg.FulfillmentStepDelay)}
	}
	_, err := s.jobs.InsertTx(ctx, tx, AdvanceFulfillmentArgs{StoreID: o.StoreID, OrderID: o.ID, From: from}, opts)
	if err != nil {
		return fmt.Errorf("enqueue fulfillment step: %w", err)
	}
	return nil
}

// AdvanceFulfillment moves order id's fulfillment one step on from from, in tx:
// picked, packed, shipped (the stock leaves, the order is SHIPPED) and delivered (the
// order is DELIVERED), enqueueing the next step. A fulfillment no longer at from (a
// retried job, or the order cancelled) is ErrNothingToDo.
func (s *Service) AdvanceFulfillment(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, id uuid.UUID, from fulfillment.Status) error {
	o, err := lockOrder(ctx, tx, storeID, id)
	if err != nil {
		return err
	}
	to, ok := from.Next()
	if !ok {
		return ErrNothingToDo
	}
	var ship *fulfillment.Shipment
	if to == fulfillment.StatusShipped {
		ship = &fulfillment.Shipment{Carrier: "DHL", TrackingNumber: fmt.Sprintf("JD%018d", o.Number)}
	}
	f, ok, err := fulfillment.Advance(ctx, tx, storeID, id, from, to, ship)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNothingToDo
	}
	switch to {
	case fulfillment.StatusShipped:
		lines, err := orderLines(ctx, tx, storeID, id)
		if err != nil {
			return err
		}
		q := product.Quantities{}
		for _, l := range lines {
			q[l.ProductID] += l.Quantity
		}
		shipped, err := product.Ship(ctx, tx, storeID, id, fmt.Sprintf("shipped with order #%d", o.Number), q)
		if err != nil {
			return err
		}
		if err := product.SyncLowStockAlerts(ctx, tx, storeID, shipped); err != nil {
			return err
		}
		if _, err := Transition(ctx, tx, storeID, id, StatusFulfilling, StatusShipped, EventShipped,
			fmt.Sprintf("Shipped with %s, tracking number %s", *f.Carrier, *f.TrackingNumber),
			map[string]any{"carrier": *f.Carrier, "trackingNumber": *f.TrackingNumber}); err != nil {
			return err
		}
	case fulfillment.StatusDelivered:
		if _, err := Transition(ctx, tx, storeID, id, StatusShipped, StatusDelivered, EventDelivered, "Delivered", nil); err != nil {
			return err
		}
		return nil
	default:
		if err := appendEvent(ctx, tx, storeID, id, EventFulfillmentStep, "Fulfillment: "+lowerStep(to),
			map[string]any{"step": to}); err != nil {
			return err
		}
	}
	return s.nextStep(ctx, tx, o, to)
}

func lowerStep(s fulfillment.Status) string {
	switch s {
	case fulfillment.StatusPicked:
		return "picked"
	case fulfillment.StatusPacked:
		return "packed"
	}
	return string(s)
}

// RecordLateCharge records that payment paymentID of order orderID, given up as
// FAILED or CANCELLED, had charged after all (gatewayID): the payment is CAPTURED and, its order
// being cancelled by then, refunded. A payment neither FAILED nor CANCELLED is ErrNothingToDo.
func (s *Service) RecordLateCharge(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID, paymentID uuid.UUID, gatewayID string) error {
	o, err := lockOrder(ctx, tx, storeID, orderID)
	if err != nil {
		return err
	}
	p, err := payment.MarkCapturedLate(ctx, tx, storeID, paymentID, gatewayID)
	if errors.Is(err, payment.ErrSettled) {
		return ErrNothingToDo
	} else if err != nil {
		return err
	}
	if err := appendEvent(ctx, tx, storeID, orderID, EventPaymentLateCharge,
		fmt.Sprintf("The gateway charged %s %s after the payment was given up; refunding",
			money.FormatMinor(p.AmountMinor, p.CurrencyCode), p.CurrencyCode),
		map[string]any{"paymentId": p.ID, "gatewayId": gatewayID}); err != nil {
		return err
	}
	if err := alert.ResolveSubject(ctx, tx, storeID, alert.KindPaymentFailed, p.ID); err != nil {
		return err
	}
	return s.refund(ctx, tx, o, p, "the payment was given up before the gateway's charge was known")
}

// RefundResult is what one attempt to carry out a refund came to.
type RefundResult struct {
	Status    string // payment.RefundSucceeded, RefundFailed or RefundRetrying
	GatewayID string
	Error     string
	Next      time.Time // when retrying
}

// RecordRefund records an attempt of refund refundID of order orderID in tx: on the
// timeline, with the next attempt enqueued when it retries. A refund no longer in
// progress is ErrNothingToDo.
func (s *Service) RecordRefund(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID, refundID uuid.UUID, r RefundResult) error {
	ref, err := payment.RefundOf(ctx, tx, storeID, refundID)
	if err != nil {
		return err
	}
	o := payment.RefundOutcome{Status: r.Status, GatewayID: r.GatewayID, Error: r.Error}
	if r.Status == payment.RefundRetrying {
		o.Next = &r.Next
	}
	ref, err = payment.SettleRefund(ctx, tx, ref, o)
	if errors.Is(err, payment.ErrSettled) {
		return ErrNothingToDo
	} else if err != nil {
		return err
	}
	amount := money.FormatMinor(ref.AmountMinor, ref.CurrencyCode) + " " + ref.CurrencyCode
	data := map[string]any{"refundId": ref.ID, "attempt": ref.Attempts}
	switch r.Status {
	case payment.RefundSucceeded:
		return appendEvent(ctx, tx, storeID, orderID, EventRefunded, "Refunded "+amount, data)
	case payment.RefundFailed:
		return appendEvent(ctx, tx, storeID, orderID, EventRefundFailed, "Refund of "+amount+" failed: "+r.Error, data)
	}
	if err := appendEvent(ctx, tx, storeID, orderID, EventRefundAttempt, fmt.Sprintf("Refund attempt %d failed (%s); next attempt at %s",
		ref.Attempts, r.Error, r.Next.UTC().Format(time.RFC3339)), data); err != nil {
		return err
	}
	_, err = s.jobs.InsertTx(ctx, tx, RefundPaymentArgs{StoreID: storeID, OrderID: orderID, RefundID: refundID},
		&river.InsertOpts{ScheduledAt: r.Next})
	return err
}
