package dbtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"golang.org/x/crypto/bcrypt"

	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The factories create test data through the domain services, as the API would: what
// a service refuses, a factory cannot create. Zero options get unique defaults.

// UserOpts are a new user's fields.
type UserOpts struct {
	Email string // default: a unique address
	Name  string // default "Test User"
}

// NewUser signs up a user and returns it.
func NewUser(t testing.TB, d *db.DB, o UserOpts) auth.User {
	t.Helper()
	if o.Email == "" {
		o.Email = uuid.NewString() + "@example.com"
	}
	if o.Name == "" {
		o.Name = "Test User"
	}
	users := auth.NewUsers(d, auth.NewTokens([]byte("dbtest-secret-dbtest-secret-0000000"), time.Hour), bcrypt.MinCost)
	s, err := users.SignUp(context.Background(), o.Email, "test-password-1", o.Name)
	if err != nil {
		t.Fatalf("dbtest: new user: %v", err)
	}
	return s.User
}

// StoreOpts are a new store's fields.
type StoreOpts struct {
	Owner        uuid.UUID // default: a new user
	CurrencyCode string    // default "EUR"
}

// NewStore creates a store (and, unless given, its owner) and returns it.
func NewStore(t testing.TB, d *db.DB, o StoreOpts) store.Store {
	t.Helper()
	if o.Owner == uuid.Nil {
		o.Owner = NewUser(t, d, UserOpts{}).ID
	}
	if o.CurrencyCode == "" {
		o.CurrencyCode = "EUR"
	}
	st, err := store.NewService(d).Create(context.Background(), o.Owner, store.CreateParams{
		Name: "Test store", Slug: "s-" + uuid.NewString()[:13], CurrencyCode: o.CurrencyCode})
	if err != nil {
		t.Fatalf("dbtest: new store: %v", err)
	}
	return st
}

// ProductOpts are a new product's fields.
type ProductOpts struct {
	SKU   string // default: a unique SKU
	Price string // default "10.00"
	Stock int    // stock on hand
}

// NewProduct creates a product in storeID and returns it.
func NewProduct(t testing.TB, d *db.DB, storeID tenant.StoreID, o ProductOpts) product.Product {
	t.Helper()
	if o.SKU == "" {
		o.SKU = "SKU-" + uuid.NewString()[:8]
	}
	if o.Price == "" {
		o.Price = "10.00"
	}
	p, err := product.NewService(d).Create(context.Background(), storeID, product.CreateParams{
		SKU: o.SKU, Name: "Product " + o.SKU, Price: o.Price, StockOnHand: o.Stock})
	if err != nil {
		t.Fatalf("dbtest: new product: %v", err)
	}
	return p
}

// OrderOpts are a new order's fields.
type OrderOpts struct {
	// Lines name products by SKU with a quantity; at least one is required.
	Lines         map[string]int
	CustomerEmail string // default "customer@example.com"
}

// NewOrder places an order in storeID through order.Service.Create (which enqueues its
// fraud check) and returns it.
func NewOrder(t testing.TB, d *db.DB, storeID tenant.StoreID, o OrderOpts) order.Order {
	t.Helper()
	if o.CustomerEmail == "" {
		o.CustomerEmail = "customer@example.com"
	}
	inserter, err := river.NewClient(riverpgxv5.New(nil), &river.Config{}) // InsertTx only
	if err != nil {
		t.Fatalf("dbtest: river client: %v", err)
	}
	p := order.CreateParams{IdempotencyKey: uuid.NewString(), CustomerEmail: o.CustomerEmail,
		ShippingAddress: order.Address{Line1: "1 Road", City: "Town", PostalCode: "1000", CountryCode: "DE"}}
	for sku, qty := range o.Lines {
		p.Lines = append(p.Lines, order.LineParams{SKU: &sku, Quantity: qty})
	}
	placed, _, err := order.NewService(d, inserter).Create(context.Background(), storeID, p)
	if err != nil {
		t.Fatalf("dbtest: new order: %v", fmt.Errorf("%w", err))
	}
	return placed
}
