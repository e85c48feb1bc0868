package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordergraph/ordergraph/cmd/ordergraph/app"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/store"
)

var demoProducts = []struct {
	sku, name, price string
	stock, low       int
}{
	{"MUG-CLASSIC", "Classic mug", "12.50", 120, 10},
	{"MUG-TRAVEL", "Travel mug", "24.00", 40, 5},
	{"TEA-EARLGREY", "Earl Grey, 100 g", "6.90", 300, 30},
	{"TEA-SENCHA", "Sencha, 100 g", "9.40", 8, 10},
	{"COFFEE-BEANS", "Espresso beans, 1 kg", "21.00", 75, 15},
	{"KETTLE-STEEL", "Steel kettle", "49.00", 12, 3},
	{"TEAPOT-CAST", "Cast-iron teapot", "64.00", 3, 4},
	{"FILTER-PAPER", "Filter papers, 100 pcs", "3.20", 900, 50},
}

// seedCatalog creates the demo products and a few demo orders through the domain
// services. Re-running it skips what exists (SKUs and idempotency keys are unique).
func seedCatalog(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, d *db.DB, st store.Store, out io.Writer) error {
	products := product.NewService(d)
	for _, p := range demoProducts {
		low := p.low
		_, err := products.Create(ctx, st.ID, product.CreateParams{SKU: p.sku, Name: p.name, Price: p.price,
			StockOnHand: p.stock, LowStockThreshold: &low})
		if err != nil && !errors.Is(err, apperr.ErrConflict) {
			return fmt.Errorf("demo product %s: %w", p.sku, err)
		}
	}
	inserter, err := app.NewInsertClient(pool, nil)
	if err != nil {
		return err
	}
	orders := order.NewService(d, inserter, app.OrderConfig(cfg))
	customers := []struct{ email, name string }{
		{"ada@example.com", "Ada Lovelace"}, {"grace@example.com", "Grace Hopper"}, {"alan@example.com", "Alan Turing"},
	}
	// What the workers make of them once the server runs: most are delivered within a
	// minute; one card is declined (the order is cancelled, its stock released); one
	// order is large enough to be held for review (approve or cancel it).
	methods := []string{"pm_card_visa", "pm_card_visa", "pm_card_chargeDeclinedInsufficientFunds", "pm_card_visa",
		"pm_card_mastercard", "pm_card_visa", "pm_card_visa"}
	for i := range len(methods) {
		c := customers[i%len(customers)]
		name := c.name
		lines := []order.LineParams{
			{SKU: &demoProducts[i%len(demoProducts)].sku, Quantity: 1 + i%3},
			{SKU: &demoProducts[(i+2)%len(demoProducts)].sku, Quantity: 1},
		}
		if i == len(methods)-1 {
			lines = []order.LineParams{{SKU: &demoProducts[0].sku, Quantity: 100}} // held: a line of 100 units
		}
		_, _, err := orders.Create(ctx, st.ID, order.CreateParams{
			IdempotencyKey: fmt.Sprintf("demo-order-%d", i+1),
			CustomerEmail:  c.email,
			CustomerName:   &name,
			PaymentMethod:  methods[i],
			Lines:          lines,
			ShippingAddress: order.Address{Line1: fmt.Sprintf("%d Market Street", 10+i), City: "Berlin",
				PostalCode: "10115", CountryCode: "DE"},
		})
		if err != nil {
			return fmt.Errorf("demo order %d: %w", i+1, err)
		}
	}
	return seedLifecycle(ctx, d, orders, st, out)
}
