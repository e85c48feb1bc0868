// Package order owns orders: intake (validation, idempotency, stock reservation,
// numbering), the lifecycle state machine, the timeline (order_events) and the jobs an
// order's steps enqueue. It is the only writer of the orders, order_lines and
// order_events tables.
package order

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Status is an order's lifecycle state.
type Status string

// The lifecycle states (see docs/architecture.md for the state machine).
const (
	StatusPending         Status = "PENDING"
	StatusOnHold          Status = "ON_HOLD"
	StatusAwaitingPayment Status = "AWAITING_PAYMENT"
	StatusPaid            Status = "PAID"
	StatusFulfilling      Status = "FULFILLING"
	StatusShipped         Status = "SHIPPED"
	StatusDelivered       Status = "DELIVERED"
	StatusPaymentFailed   Status = "PAYMENT_FAILED"
	StatusCancelled       Status = "CANCELLED"
)

// Order is a placed order.
type Order struct {
	ID            uuid.UUID
	StoreID       tenant.StoreID
	Number        int64
	Status        Status
	CustomerID    uuid.UUID
	CurrencyCode  string
	SubtotalMinor int64
	TotalMinor    int64
	// ShippingAddressJSON is the shipping address as stored (jsonb); ShippingAddress
	// decodes it. Most reads (lists) never show it, so it is decoded only when asked for.
	ShippingAddressJSON []byte
	Note                *string
	IdempotencyKey      string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// ShippingAddress decodes the order's shipping address.
func (o *Order) ShippingAddress() (Address, error) {
	var a Address
	if err := json.Unmarshal(o.ShippingAddressJSON, &a); err != nil {
		return Address{}, fmt.Errorf("decode shipping address of order %s: %w", o.ID, err)
	}
	return a, nil
}

// Address is a shipping address.
type Address struct {
	Name        *string `json:"name,omitempty"`
	Line1       string  `json:"line1"`
	Line2       *string `json:"line2,omitempty"`
	City        string  `json:"city"`
	PostalCode  string  `json:"postalCode"`
	CountryCode string  `json:"countryCode"`
}

// Line is one line of an order, with the SKU, name and price it was placed at.
type Line struct {
	OrderID        uuid.UUID
	LineNo         int
	ProductID      uuid.UUID
	SKU            string
	Name           string
	Quantity       int
	UnitPriceMinor int64
	TotalMinor     int64
	CurrencyCode   string
}

// Event is one step in an order's timeline.
type Event struct {
	ID        int64
	OrderID   uuid.UUID
	Type      string
	Message   string
	Data      json.RawMessage
	CreatedAt time.Time
}

// Event types.
const (
	EventCreated = "order.created"
)

// CheckFraudArgs is the first job of every order: screen it before payment.
// createOrder enqueues it in the order's own transaction, so no order is ever left
// without its next step.
type CheckFraudArgs struct {
	StoreID tenant.StoreID `json:"store_id"`
	OrderID uuid.UUID      `json:"order_id"`
}

// Kind is the job's stable name.
func (CheckFraudArgs) Kind() string { return "order_check_fraud" }

// GID is o's global id in the API.
func (o Order) GID() string { return gid.Encode("Order", o.ID) }

// Subtotal is the sum of o's lines.
func (o Order) Subtotal() money.Money { return money.Of(o.SubtotalMinor, o.CurrencyCode) }

// Total is what the customer pays.
func (o Order) Total() money.Money { return money.Of(o.TotalMinor, o.CurrencyCode) }

// UnitPrice is the price of one unit when the order was placed.
func (l Line) UnitPrice() money.Money { return money.Of(l.UnitPriceMinor, l.CurrencyCode) }

// Total is the line's quantity times its unit price.
func (l Line) Total() money.Money { return money.Of(l.TotalMinor, l.CurrencyCode) }

// DataJSON is the event's data as a JSON string.
func (e Event) DataJSON() string { return string(e.Data) }

// The mappings of the order tables' rows to the domain types: the one place a row
// type becomes the domain's.

func fromRow(r dbsqlc.Order) Order {
	return Order{ID: r.ID, StoreID: r.StoreID, Number: r.Number, Status: Status(r.Status), CustomerID: r.CustomerID,
		CurrencyCode: r.CurrencyCode, SubtotalMinor: r.SubtotalMinor, TotalMinor: r.TotalMinor,
		ShippingAddressJSON: r.ShippingAddress, Note: r.Note, IdempotencyKey: r.IdempotencyKey,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func lineFromRow(r dbsqlc.OrderLine) Line {
	return Line{OrderID: r.OrderID, LineNo: int(r.LineNo), ProductID: r.ProductID, SKU: r.Sku, Name: r.Name,
		Quantity: int(r.Quantity), UnitPriceMinor: r.UnitPriceMinor, TotalMinor: r.TotalMinor, CurrencyCode: r.CurrencyCode}
}

func eventFromRow(r dbsqlc.OrderEvent) Event {
	return Event{ID: r.ID, OrderID: r.OrderID, Type: r.Type, Message: r.Message, Data: r.Data, CreatedAt: r.CreatedAt}
}
