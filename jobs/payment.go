package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
)

// ChargePaymentWorker makes one attempt to charge a payment (order.ChargePaymentArgs).
// The gateway is called outside any transaction, with the payment's one idempotency
// key; the outcome is then recorded with everything it leads to
// (order.Service.RecordCharge) and the job completed, in one transaction. A transient
// failure enqueues the next attempt there; while the circuit breaker is open the job
// snoozes without spending an attempt; past the payment's deadline it fails.
type ChargePaymentWorker struct {
	river.WorkerDefaults[order.ChargePaymentArgs]
	deps Deps
}

// NewChargePaymentWorker returns the charge worker.
func NewChargePaymentWorker(deps Deps) *ChargePaymentWorker { return &ChargePaymentWorker{deps: deps} }

// Work makes the attempt.
func (w *ChargePaymentWorker) Work(ctx context.Context, job *river.Job[order.ChargePaymentArgs]) error {
	a := job.Args
	p, err := w.deps.Payments.Get(ctx, a.StoreID, a.PaymentID)
	if errors.Is(err, apperr.ErrNotFound) {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	o, err := w.deps.Orders.Get(ctx, a.StoreID, a.OrderID)
	if err != nil {
		return err
	}
	var r *order.ChargeResult
	switch {
	case p.Status != payment.StatusPending && p.Status != payment.StatusRetrying:
		// Settled by an earlier job: nothing to record.
	case p.Status == payment.StatusRetrying && p.NextAttemptAt != nil && time.Now().Before(*p.NextAttemptAt):
		// Retrying: the next attempt's job was enqueued with the attempt that failed.
		// This one is a duplicate (a rescued job, or the first of a payment whose first
		// attempt was made elsewhere) and must not jump the backoff.
	case o.Status != order.StatusAwaitingPayment:
		// The order was cancelled: charge nothing. But an earlier attempt may have
		// charged with its answer lost — even one never recorded, its worker killed
		// mid-call: what the gateway holds is refunded.
		res := w.lostCharge(ctx, p, order.ChargeResult{Status: payment.StatusCancelled})
		r = &res
	default:
		res, snooze := w.charge(ctx, p)
		if snooze > 0 { // the breaker is open: nothing was sent
			return river.JobSnooze(snooze)
		}
		r = &res
	}
	return completeWith(ctx, w.deps.DB, db.Store(a.StoreID), job, func(tx pgx.Tx) error {
		if r == nil {
			return nil
		}
		return w.deps.Orders.RecordCharge(ctx, tx, a.StoreID, a.OrderID, a.PaymentID, *r)
	})
}

// charge calls the gateway once and classifies the answer; a positive snooze means the
// circuit breaker is open, and the payment waits that long without spending an attempt.
func (w *ChargePaymentWorker) charge(ctx context.Context, p payment.Payment) (r order.ChargeResult, snooze time.Duration) {
	res, err := w.deps.Gateway.Charge(ctx, payment.ChargeParams{IdempotencyKey: p.IdempotencyKey, AmountMinor: p.AmountMinor,
		Currency: p.CurrencyCode, PaymentMethod: p.PaymentMethod,
		Metadata: map[string]string{"store_id": p.StoreID.String(), "order_id": p.OrderID.String(), "payment_id": p.ID.String()}})
	var ge *payment.GatewayError
	errors.As(err, &ge)
	now := time.Now()
	switch {
	case err == nil:
		return order.ChargeResult{Status: payment.StatusCaptured, GatewayID: res.IntentID}, 0
	case errors.Is(err, payment.ErrCircuitOpen) && now.Before(p.DeadlineAt):
		return order.ChargeResult{}, retryAfter(err)
	case errors.Is(err, payment.ErrDeclined):
		r := order.ChargeResult{Status: payment.StatusDeclined, Error: err.Error()}
		if ge != nil {
			r.Error, r.DeclineCode = ge.Message, ge.DeclineCode
		}
		return r, 0
	case errors.Is(err, payment.ErrTransient) && (ge == nil || !ge.KeySpent):
		next := now.Add(w.deps.Retry.Backoff(p.Attempts + 1))
		if !next.After(p.DeadlineAt) {
			return order.ChargeResult{Status: payment.StatusRetrying, Error: err.Error(), Next: next}, 0
		}
		// Out of budget, and the last answer unknown: an earlier attempt may have
		// charged with its answer lost. What the gateway holds decides.
		return w.lostCharge(ctx, p, order.ChargeResult{Status: payment.StatusFailed,
			Error: "no answer from the gateway within the retry budget: " + err.Error()}), 0
	}
	return order.ChargeResult{Status: payment.StatusFailed, Error: err.Error()}, 0
}

// lostCharge closes payment p with otherwise — unless the gateway holds a charge
// carrying the payment's id, made by an attempt whose answer was lost: then it is
// captured (and refunded, if its order is cancelled). When the gateway cannot say, a
// reconciliation job asks again later.
func (w *ChargePaymentWorker) lostCharge(ctx context.Context, p payment.Payment, otherwise order.ChargeResult) order.ChargeResult {
	found, ok, err := w.deps.Gateway.FindCharge(ctx, p.ID.String())
	if err == nil && ok {
		return order.ChargeResult{Status: payment.StatusCaptured, GatewayID: found.IntentID}
	}
	if err != nil || p.Attempts > 0 || p.Status == payment.StatusRetrying {
		otherwise.ReconcileAt = time.Now().Add(w.deps.Retry.Backoff(1))
	}
	return otherwise
}

// retryAfter is how long a payment waits for the circuit breaker.
func retryAfter(err error) time.Duration {
	var ge *payment.GatewayError
	if errors.As(err, &ge) && ge.RetryAfter > 0 {
		return ge.RetryAfter
	}
	return time.Second
}

// RefundPaymentWorker makes one attempt to carry out a refund
// (order.RefundPaymentArgs), like ChargePaymentWorker: the gateway outside any
// transaction with the refund's one idempotency key, then the outcome recorded
// (order.Service.RecordRefund) and the job completed in one transaction.
type RefundPaymentWorker struct {
	river.WorkerDefaults[order.RefundPaymentArgs]
	deps Deps
}

// NewRefundPaymentWorker returns the refund worker.
func NewRefundPaymentWorker(deps Deps) *RefundPaymentWorker { return &RefundPaymentWorker{deps: deps} }

// Work makes the attempt.
func (w *RefundPaymentWorker) Work(ctx context.Context, job *river.Job[order.RefundPaymentArgs]) error {
	a := job.Args
	ref, p, err := w.deps.Payments.GetRefund(ctx, a.StoreID, a.RefundID)
	if errors.Is(err, apperr.ErrNotFound) {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	var r *order.RefundResult
	if ref.Status == payment.RefundPending || ref.Status == payment.RefundRetrying {
		res, snooze := w.refund(ctx, ref, p)
		if snooze > 0 {
			return river.JobSnooze(snooze)
		}
		r = &res
	}
	return completeWith(ctx, w.deps.DB, db.Store(a.StoreID), job, func(tx pgx.Tx) error {
		if r == nil {
			return nil
		}
		return w.deps.Orders.RecordRefund(ctx, tx, a.StoreID, a.OrderID, a.RefundID, *r)
	})
}

// refund calls the gateway once for ref and classifies the answer; a positive snooze
// means the circuit breaker is open.
func (w *RefundPaymentWorker) refund(ctx context.Context, ref payment.Refund, p payment.Payment) (r order.RefundResult, snooze time.Duration) {
	res, err := w.deps.Gateway.Refund(ctx, payment.RefundParams{IdempotencyKey: ref.IdempotencyKey,
		IntentID: deref(p.GatewayID), AmountMinor: ref.AmountMinor, Reason: "requested_by_customer",
		Metadata: map[string]string{"store_id": ref.StoreID.String(), "order_id": ref.OrderID.String(), "refund_id": ref.ID.String()}})
	switch {
	case err == nil:
		return order.RefundResult{Status: payment.RefundSucceeded, GatewayID: res.ID}, 0
	case errors.Is(err, payment.ErrCircuitOpen):
		return order.RefundResult{}, retryAfter(err)
	case errors.Is(err, payment.ErrTransient):
		// A refund has no deadline of its own: the money must go back, so it retries
		// for as long as the gateway keeps its key, then fails for a person to look at.
		next := time.Now().Add(w.deps.Retry.Backoff(ref.Attempts + 1))
		if next.Sub(ref.CreatedAt) <= payment.IdempotencyWindow/2 {
			return order.RefundResult{Status: payment.RefundRetrying, Error: err.Error(), Next: next}, 0
		}
	}
	return order.RefundResult{Status: payment.RefundFailed, Error: err.Error()}, 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ReconcilePaymentWorker looks, after a payment was given up with its last answer
// unknown, for a charge its key made after all (order.ReconcilePaymentArgs), and has
// one refunded (order.Service.RecordLateCharge). Until the gateway answers the search
// it looks again, less and less often, for half the gateway's idempotency window.
type ReconcilePaymentWorker struct {
	river.WorkerDefaults[order.ReconcilePaymentArgs]
	deps Deps
}

// Work looks once.
func (w *ReconcilePaymentWorker) Work(ctx context.Context, job *river.Job[order.ReconcilePaymentArgs]) error {
	a := job.Args
	found, ok, err := w.deps.Gateway.FindCharge(ctx, a.PaymentID.String())
	if errors.Is(err, payment.ErrCircuitOpen) {
		return river.JobSnooze(retryAfter(err)) // nothing was asked
	}
	return completeWith(ctx, w.deps.DB, db.Store(a.StoreID), job, func(tx pgx.Tx) error {
		switch {
		case ok:
			return w.deps.Orders.RecordLateCharge(ctx, tx, a.StoreID, a.OrderID, a.PaymentID, found.IntentID)
		case err == nil:
			return nil // nothing was charged
		}
		// Looked again soon at first, then less often, never more than the retry
		// policy's cap apart, for half the gateway's idempotency window; after that the
		// PAYMENT_FAILED alert stays open for a person.
		next := a
		next.Attempt++
		if time.Duration(next.Attempt)*w.deps.Retry.Cap > payment.IdempotencyWindow/2 {
			return nil
		}
		_, err := river.ClientFromContext[pgx.Tx](ctx).InsertTx(ctx, tx, next,
			&river.InsertOpts{ScheduledAt: time.Now().Add(w.deps.Retry.Backoff(next.Attempt))})
		return err
	})
}
