package order

import (
	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The jobs an order's steps enqueue, each in the transaction of the step that causes
// it. Their workers are in jobs/.

// ChargePaymentArgs charges a payment once (one attempt); a transient failure
// enqueues the next attempt.
type ChargePaymentArgs struct {
	StoreID   tenant.StoreID `json:"store_id"`
	OrderID   uuid.UUID      `json:"order_id"`
	PaymentID uuid.UUID      `json:"payment_id"`
}

// Kind is the job's stable name.
func (ChargePaymentArgs) Kind() string { return "payment_charge" }

// AdvanceFulfillmentArgs moves an order's fulfillment one step on from From.
type AdvanceFulfillmentArgs struct {
	StoreID tenant.StoreID     `json:"store_id"`
	OrderID uuid.UUID          `json:"order_id"`
	From    fulfillment.Status `json:"from"`
}

// Kind is the job's stable name.
func (AdvanceFulfillmentArgs) Kind() string { return "fulfillment_advance" }

// RefundPaymentArgs carries out a refund (one attempt); a transient failure enqueues
// the next attempt.
type RefundPaymentArgs struct {
	StoreID  tenant.StoreID `json:"store_id"`
	OrderID  uuid.UUID      `json:"order_id"`
	RefundID uuid.UUID      `json:"refund_id"`
}

// Kind is the job's stable name.
func (RefundPaymentArgs) Kind() string { return "payment_refund" }

// ReconcilePaymentArgs looks at the gateway, after a payment was given up with its
// last answer unknown, for a charge its key made after all; one is refunded.
type ReconcilePaymentArgs struct {
	StoreID   tenant.StoreID `json:"store_id"`
	OrderID   uuid.UUID      `json:"order_id"`
	PaymentID uuid.UUID      `json:"payment_id"`
	Attempt   int            `json:"attempt"`
}

// Kind is the job's stable name.
func (ReconcilePaymentArgs) Kind() string { return "payment_reconcile" }
